"""`nnsteps exercises SPEC --count N --seed S [-o DIR] [--jobs K] [--questions ...]`: exercise packs in two parts,
student/ (sheets and blank answers files, safe to hand out) and teacher/ (specs, worked solutions, keys, manifest)."""

import os

from . import positive_number, whole_number


def significant_digits_type(text: str) -> int:
    from .check import _digits_setting

    return _digits_setting(text)

SHARED_ASSETS = "../assets/"  # from student/vNNN/ or teacher/vNNN/ to that part's assets/ folder
STUDENT, TEACHER = "student", "teacher"
MARKER = f"{TEACHER}/manifest.json"  # a pack nnsteps made holds it; --force replaces only such a folder


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "exercises", help="generate exercise packs: student/ sheets and blank answers files, teacher/ solutions, keys, manifest",
        description="Draw N variants of a network with new nice numbers (from the spec's [exercise] table, or defaults) "
                    "and write a pack in two parts: student/vNNN/ holds the exercise sheet (network diagram with the "
                    "given numbers, what to compute, the precision asked) and a blank answers file; teacher/vNNN/ "
                    "holds the spec, the worked solution and the answer key that `nnsteps check` accepts, and "
                    "teacher/ holds manifest.csv and manifest.json. `nnsteps grade` grades a class against the pack.")
    parser.add_argument("spec", nargs="?", help="spec file or built-in name (default: tutorial)")
    parser.add_argument("--count", type=positive_number, default=10, metavar="N", help="number of variants (default 10)")
    parser.add_argument("--seed", type=whole_number, default=0, metavar="S", help="seed; variant v draws from default_rng([S, v])")
    parser.add_argument("-o", "--output", metavar="DIR", help="output folder, made whole or not at all (default: exercises-<spec name>)")
    parser.add_argument("--force", action="store_true",
                        help="replace an existing exercise folder whole (only one nnsteps made: it has manifest.json)")
    parser.add_argument("--jobs", type=positive_number, default=None, metavar="K", help="worker processes (default: all cores)")
    parser.add_argument("--format", choices=("html", "md"), default="html", help="document format (default html)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--questions", nargs="+", metavar="PATTERN",
                        help='what to ask: "short" (the default: one forward quantity per layer, the cost, one delta '
                             'per layer, two gradients and one update), "all" (every quantity), groups (forward, '
                             'cost, backward, gradients, update) or names and patterns such as "z1[*]" "dW2[*,*]"')
    parser.add_argument("--significant-digits", type=significant_digits_type, metavar="N",
                        help="least significant digits an answer must carry unless exact (default: the spec's "
                             "[exercise] significant_digits, else 3)")
    parser.add_argument("--lms", nargs="+", choices=("moodle", "canvas", "prairielearn"), metavar="PLATFORM",
                        help="also write the set for learning platforms, beside student/ and teacher/ (they hold the "
                             "keys: keep them with the teacher's files): moodle (moodle.xml), canvas (canvas-qti.zip), "
                             "prairielearn (prairielearn/questions/nnsteps-<name>/)")
    parser.add_argument("--practice", action="store_true",
                        help="also write student/vNNN/practice.html, an offline self-check page; it holds the key, so "
                             "use it for practice sets only, never for exams")


def run(args) -> int:
    import sys
    import time

    from tqdm import tqdm  # a maintained progress bar: ETA and rate without hand-rolled terminal code

    from ..exercises import DEFAULT, VariantJob, questions, write_manifest
    from ..files import check_output_folder, check_replaceable, file_stem, make_folder, staged_folder, write_atomic
    from ..derive.errors import one_line
    from ..spec import load_spec

    from . import limits_of

    import dataclasses

    spec = load_spec(args.spec or "tutorial", limits_of(args))
    exercise = spec.exercise or DEFAULT
    if args.questions:
        exercise = dataclasses.replace(exercise, ask=tuple(args.questions))
    if args.significant_digits is not None:
        exercise = dataclasses.replace(exercise, significant_digits=args.significant_digits)
    questions(spec, exercise, None if not args.questions else exercise.ask)  # a bad entry fails before any worker
    folder = output_folder(args.output, f"exercises-{file_stem(spec.name)}")
    check_replaceable(folder, args.force, marker=MARKER)
    check_output_folder(folder)
    workers = min(args.jobs or os.cpu_count() or 1, args.count)
    start = time.perf_counter()
    with staged_folder(folder) as stage:  # the set is built beside the destination, renamed onto it at the end
        for part in (STUDENT, TEACHER):
            make_folder(stage / part)
        if args.format == "html":  # one copy of KaTeX for the whole set, linked from every variant's documents
            from ..render.html import vendor_files

            for name, content in vendor_files().items():
                for part in (STUDENT, TEACHER):
                    write_atomic(stage / part / "assets" / name, content)
        jobs = [VariantJob(spec, exercise, args.seed, v, str(stage), args.format, bool(args.lms), args.practice)
                for v in range(1, args.count + 1)]
        size = max(1, min(10, len(jobs) // (4 * workers)))  # a chunk shares one template environment
        chunks = [jobs[i:i + size] for i in range(0, len(jobs), size)]
        records = build_all(chunks, workers, lambda: tqdm(total=len(jobs), unit="variant", desc="exercises",
                                                          file=sys.stderr, disable=True if args.no_progress else None))
        write_manifest(stage / TEACHER, spec, exercise, args.seed, args.format, records)
        if args.lms:
            from ..lms.export import write_exports

            write_exports(stage, spec, exercise, args.seed, records, args.lms)
    elapsed = time.perf_counter() - start
    print(f"{len(records)} variant{'s' if len(records) != 1 else ''} of {one_line(spec.name)} in {folder}/ "
          f"({elapsed:.1f} s with {workers} worker{'s' if workers != 1 else ''}: "
          f"{elapsed * workers / len(records):.2f} s of a worker per variant); hand out {STUDENT}/, keep {TEACHER}/ "
          f"(solutions, keys, manifest.csv, manifest.json)")
    return 0


def output_folder(given, default: str):
    """The exercise folder: the one given, or the default (a slug, so inside the working folder); never `.` or above."""
    from pathlib import Path

    from ..derive.errors import SpecError

    folder = Path(given or default)
    absolute, here = Path(os.path.abspath(folder)), Path(os.getcwd())
    if absolute == here or absolute in here.parents:
        raise SpecError("--output", f"{folder} is the working folder or holds it; name a folder of its own")
    return folder


def build_all(chunks, workers: int, progress) -> list:
    """Every chunk's records, in variant order; with several workers, a pool that an error or a signal stops at once."""
    records = []
    if workers == 1:
        with progress() as bar:
            for chunk in chunks:
                records.extend(build_chunk(chunk))
                bar.update(len(chunk))
    else:
        import multiprocessing

        pool = multiprocessing.get_context("fork").Pool(workers, initializer=quiet_worker)
        try:
            with progress() as bar:  # after the fork: tqdm's monitor thread stays in this process
                for done in pool.imap_unordered(build_chunk_in_worker, chunks):
                    records.extend(done)
                    bar.update(len(done))
        except BaseException:  # an error, Ctrl-C or kill: no worker outlives the command
            pool.terminate()
            pool.join()
            raise
        pool.close()
        pool.join()
    return sorted(records, key=lambda record: record.variant)


def quiet_worker() -> None:
    """A worker's start: the parent alone handles Ctrl-C and kill, and the caller's stdin/stdout/stderr are let go."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # Pool.terminate() ends a worker with SIGTERM
    devnull = os.open(os.devnull, os.O_RDWR)
    for stream in (0, 1, 2):  # a worker's errors travel back to the parent through the pool, not stderr
        os.dup2(devnull, stream)
    os.close(devnull)


def build_chunk_in_worker(jobs) -> list:
    """build_chunk, with an error the pool cannot send back (unpicklable) turned into one that it can."""
    import pickle

    try:
        return build_chunk(jobs)
    except Exception as error:
        try:
            pickle.loads(pickle.dumps(error))
        except Exception:
            raise RuntimeError(f"{error.__class__.__name__}: {error}") from None
        raise


def build_chunk(jobs) -> list:
    """In a worker: several variants sharing one template environment for the exercise sheets."""
    from ..render.environment import environment
    from ..render.html import assets
    from ..render.mathml import one_save

    fmt = jobs[0].format
    kit = (environment(fmt), assets("", SHARED_ASSETS) if fmt == "html" else None)
    with one_save():  # the typeset formulas of the whole chunk kept in one write
        return [build_variant(job, kit) for job in jobs]


def build_variant(job, kit=None) -> "VariantRecord":
    """In a worker: draw, derive, and write the student's sheet and blank answers file, the teacher's spec, key and solution."""
    from pathlib import Path

    from ..answers import answers_toml
    from ..answers_template import template_text
    from ..derive.derivation import derive
    from ..exercises import VariantRecord, answer_key, draw_variant, questions, significant_digits_of
    from ..files import make_folder, write_new
    from ..spec_writer import spec_to_mapping, to_toml

    spec = draw_variant(job.spec, job.exercise, job.seed, job.variant)
    derivation = derive(spec)
    asked = questions(spec, job.exercise)
    key = answer_key(derivation, asked)
    digits = significant_digits_of(job.exercise)
    name = f"v{job.variant:03d}"
    sheet, figures, solution = documents(derivation, asked, job.format, job.variant, job.seed, kit, digits)
    origin = f"variant {job.variant} of {job.spec.name}, seed {job.seed}: numpy default_rng([{job.seed}, {job.variant}])"
    meta = {"spec": "spec.toml", "source": job.spec.name, "seed": job.seed, "variant": job.variant}
    comment = f"Answer key of {origin}.\nCheck a person's answers with: nnsteps check spec.toml THEIR-ANSWERS.toml"
    blank = template_text(spec, asked, digits, {"variant": job.variant, "student": ""})
    student = {f"exercise.{job.format}": sheet, "answers.toml": blank, **figures}
    teacher = {"spec.toml": to_toml(spec_to_mapping(spec), header=origin), "answers.toml": answers_toml(key, meta, comment)}
    for file_name, content in solution.items():  # the document, and for Markdown its SVG figures
        teacher[f"solution.{job.format}" if file_name.endswith(f".{job.format}") else file_name] = content
    item = None
    if job.lms or job.practice:
        from ..lms.items import variant_item

        item = variant_item(derivation, asked, digits, job.variant)
    if job.practice:
        from ..lms.export import policy_text
        from ..lms.practice import practice_html

        student["practice.html"] = practice_html(item, policy_text(job.exercise), *(kit if kit and job.format == "html" else ()))
    for part, files in ((STUDENT, student), (TEACHER, teacher)):
        folder = make_folder(Path(job.folder) / part / name)  # new inside the staged set: nothing planted there to follow
        for file_name, content in files.items():
            write_new(folder / file_name, content)
    return VariantRecord(job.variant, job.seed, f"{TEACHER}/{name}/spec.toml", f"{STUDENT}/{name}/exercise.{job.format}",
                         f"{TEACHER}/{name}/solution.{job.format}", f"{TEACHER}/{name}/answers.toml",
                         float(derivation.backward.cost), tuple(key.items()), f"{STUDENT}/{name}/answers.toml",
                         item if job.lms else None)


def documents(derivation, asked, fmt: str, variant: int = 1, seed: int = 0, kit=None,
              significant_digits: int = 3) -> tuple[str, dict, dict]:
    """(exercise sheet, {file name: SVG} of its figures (Markdown), {file name: text} of the worked solution)."""
    from ..exercises import short_name
    from ..quantity_tex import quantity_tex
    from ..step_numbers import steps_note
    from ..derive.grading import Tolerance
    from ..pipeline import RenderOptions, documents as worked_documents
    from ..render.context import Context
    from ..render.diagram import network_svg
    from ..render.environment import environment
    from ..render.forward import network_section
    from ..render.records import Figure, M, text

    ctx = Context(derivation)
    spec = derivation.spec
    # the network section with a diagram of the given numbers only: inputs, weights, biases
    caption = text("The network with its given numbers: inputs, weights and biases (b above each receptor).")
    given = tuple(Figure("diagram", caption) if item.kind == "figure" else item for item in network_section(ctx).items)
    svg = network_svg(derivation, given_only=True)
    if fmt == "html":
        from markupsafe import Markup  # our own SVG, its user text escaped by network_svg

        figures = {"diagram": Markup(svg)}
    else:
        figures = {"diagram": "diagram.svg"}
    rows = []
    for q in asked:
        symbol, words = quantity_tex(ctx, q)
        rows.append({"name": short_name(q), "symbol": symbol, "words": words})
    summary = text(f"A {'-'.join(map(str, spec.layers))} network with its own numbers: compute the {len(rows)} "
                   "quantities of section 2 by hand, with learning rate ", M(ctx.num(ctx.number(spec.learning_rate))), ".")
    values = dict(title=spec.title, summary=summary, given=given, questions=rows, answers_file="answers.toml",
                  precision=Tolerance(significant_digits=significant_digits).policy_text(),
                  source=spec.name.rsplit("-v", 1)[0], variant=variant, seed=seed, figures=figures,
                  steps_note=steps_note(spec, asked))
    env, inlined = kit or (environment(fmt), None)
    if fmt == "html":
        from ..render.html import assets

        values["assets"] = inlined or assets("", SHARED_ASSETS)
    sheet = env.get_template(f"exercise.{fmt}").render(**values)
    solution = worked_documents(derivation, RenderOptions(formats=(fmt,), assets_folder=SHARED_ASSETS))
    return sheet, ({} if fmt == "html" else {"diagram.svg": svg}), solution
