"""`nnsteps grade PACK ANSWERS_DIR [--csv FILE] [--reports DIR]`: a class's answers files graded in one process."""

from . import check_digits, limits_of
from .check import _non_negative


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "grade", help="grade a folder of answers files against an exercise pack: gradebook and feedback reports",
        description="Grade every answers file in ANSWERS_DIR (one per student) against the pack `nnsteps exercises` "
                    "wrote. The variant is the file's [meta] variant, else the number in its name (alice-v3.toml). "
                    "Writes a gradebook (CSV and JSON: student, variant, score, too coarse, first wrong step, "
                    "diagnoses) and, with --reports, one HTML feedback report per student with the worked step of each "
                    "wrong answer. A file that cannot be read is a row with its error. The precision policy is the "
                    "pack's; a student's [precision] table is ignored. Exit 0 when every file was graded, 1 when some "
                    "file had an error, 2 on a bad pack or folder.")
    parser.add_argument("pack", help="the exercise pack folder (it holds student/ and teacher/)")
    parser.add_argument("answers_dir", help="folder of answers files, one per student")
    parser.add_argument("--csv", metavar="FILE",
                        help="gradebook CSV (default: gradebook.csv in the pack's teacher/ folder); the JSON is written "
                             "beside it with the suffix .json")
    parser.add_argument("--reports", metavar="DIR", help="write one HTML feedback report per student into DIR")
    parser.add_argument("--digits", type=int, default=6, help="significant digits of correct values in reports (default 6)")
    parser.add_argument("--rtol", type=_non_negative, metavar="R", help="relative tolerance instead of the rounding rule")
    parser.add_argument("--atol", type=_non_negative, metavar="A", help="absolute tolerance instead of the rounding rule")


def run(args) -> int:
    from pathlib import Path

    from ..derive.grading import Tolerance
    from ..files import write_output
    from ..gradebook import Pack, answer_files, grade_file, gradebook_csv, gradebook_json

    check_digits(args.digits, limits_of(args))
    pack = Pack.open(args.pack)
    files = answer_files(args.answers_dir)
    tolerance = Tolerance(args.rtol, args.atol, pack.significant_digits)
    rows = [grade_file(pack, path, tolerance) for path in files]
    if args.reports:
        rows = write_reports(pack, rows, Path(args.reports), args.digits)
    csv_path = Path(args.csv) if args.csv else pack.folder / "teacher" / "gradebook.csv"
    write_output(csv_path, gradebook_csv(rows), field="--csv")
    write_output(csv_path.with_suffix(".json"), gradebook_json(pack, rows), field="--csv")
    errors = sum(1 for row in rows if row.error)
    perfect = sum(1 for row in rows if row.grade is not None and row.right == row.questions)
    print(f"{len(rows)} answers file{'s' if len(rows) != 1 else ''} graded: {perfect} all right, "
          f"{len(rows) - perfect - errors} with mistakes, {errors} with errors; gradebook {csv_path} and "
          f"{csv_path.with_suffix('.json')}" + (f"; reports in {args.reports}/" if args.reports else ""))
    return 1 if errors else 0


def write_reports(pack, rows, folder, digits: int) -> list:
    """One HTML report per graded student (KaTeX linked from DIR/assets/, written once), named after the file."""
    import dataclasses

    from ..files import file_stem, write_atomic
    from ..render.html import vendor_files
    from .check import write_report

    for name, content in vendor_files().items():
        write_atomic(folder / "assets" / name, content)
    done = []
    for row in rows:
        if row.grade is not None:
            name = file_stem(row.file, "answers") + ".html"
            _spec, derivation, _key = pack.variant(row.variant)
            write_report(derivation, row.grade, str(folder / name), "html", row.file, digits, assets_folder="assets/",
                         student=row.student)
            row = dataclasses.replace(row, report=name)
        done.append(row)
    return done
