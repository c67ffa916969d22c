"""`nnsteps render [SPEC] [--to html,tex,md,pdf] [-o DIR] [--detail full|summary] [--templates DIR] ...`

Writes the worked-example documents of a spec (default: the tutorial example) into DIR (default: output/),
named after the spec: <name>.html, <name>.tex, <name>.md with <name>-diagram.svg beside it, <name>.pdf.

output/ is the user's: the golden files the tests compare against live in tests/golden/, regenerated with

    nnsteps render --all-examples -o tests/golden/

which renders every built-in example (`nnsteps examples`) with the default options (and an example's own,
e.g. descent's --compare: nnsteps/examples/__init__.py); tests/test_golden.py
renders into a temporary folder and compares that with them byte for byte.
"""

from __future__ import annotations

from pathlib import Path

REGENERATE = "nnsteps render --all-examples -o tests/golden/"


def _formats(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(part.strip().lower() for part in text.split(",") if part.strip()))


def _work_steps(text: str | None) -> tuple[int, ...] | str | None:
    """--work-steps 1,3,5 (or all: every step); checked against the spec's steps when the document is made."""
    from ..derive.errors import SpecError

    if text is None:
        return None
    if text.strip().lower() == "all":
        return "all"
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts or not all(part.isdigit() and len(part) <= 6 for part in parts):
        raise SpecError("--work-steps", f"{text[:40]!r} must be step numbers separated by commas, e.g. 1,3,5, or all")
    return tuple(sorted({int(part) for part in parts}))


def add_parser(subparsers):
    parser = subparsers.add_parser("render", help="write the worked example as HTML, LaTeX, Markdown or PDF")
    parser.add_argument("spec", nargs="?", help="spec file or built-in name (default: tutorial)")
    parser.add_argument("--to", default="html,tex,md", metavar="FORMATS",
                        help="comma-separated formats among html, tex, md, pdf (default: html,tex,md)")
    parser.add_argument("-o", "--output", default="output", metavar="DIR", help="output folder (default: output/)")
    parser.add_argument("--detail", choices=("full", "summary"),
                        help="every scalar step, or the matrix form and a few steps per layer "
                             "(default: summary above 60 parameters)")
    parser.add_argument("--templates", metavar="DIR", help="a folder of templates searched before the packaged ones")
    parser.add_argument("--notation", choices=("tutorial", "nielsen", "matrix"), default="tutorial",
                        help="symbols of the document (default: tutorial)")
    parser.add_argument("--digits", type=int, default=6, metavar="N", help="significant digits (default 6)")
    parser.add_argument("--with", dest="sections", default="", metavar="SECTIONS",
                        help="opt-in sections at the end: activations, initialization, torch (comma-separated; torch runs "
                             "the exported PyTorch script and needs torch installed)")
    parser.add_argument("--practice", action="store_true",
                        help="write the offline practice page <name>-practice.html instead of the documents: the "
                             "exercise with input fields checked in the browser (it holds the key: for practice only)")
    parser.add_argument("--work-steps", metavar="STEPS",
                        help="training steps worked in full in the Training section, e.g. 1,3,5 or all "
                             "(default: 1, 2 and the last; the others are tabulated)")
    parser.add_argument("--compare", metavar="RULES",
                        help="add the cost curves of several update rules on the same data, e.g. "
                             "sgd,momentum,adam or adam:betas=0.8/0.99 (torch's defaults unless overridden)")
    parser.add_argument("--all-examples", action="store_true",
                        help=f"render every built-in example (regenerates the golden files: {REGENERATE})")


def run(args) -> int:
    from ..derive.errors import SpecError
    from ..pipeline import RenderOptions, check_output_folder, example_options, publish, render_files
    from ..spec import builtin_names, load_spec
    from . import check_digits, limits_of

    limits = limits_of(args)
    check_digits(args.digits, limits)

    options = RenderOptions(formats=_formats(args.to), detail=args.detail, notation=args.notation,
                            digits=args.digits, templates=args.templates, sections=_formats(args.sections),
                            work_steps=_work_steps(args.work_steps), compare=args.compare)
    if not options.formats:
        raise SpecError("--to", "no format given; use e.g. --to html,tex,md")
    if args.all_examples and args.spec:
        raise SpecError("--all-examples", "give either a spec or --all-examples, not both")
    sources = builtin_names() if args.all_examples else [args.spec or "tutorial"]
    check_output_folder(Path(args.output))
    files = {}  # every document of every source is made before the first file is written
    for source in sources:
        if args.practice:
            from ..lms.practice import practice_files

            files.update(practice_files(load_spec(source, limits)))
            continue
        files.update(render_files(load_spec(source, limits), example_options(source, options)))
    for path in publish(Path(args.output), files):
        print(path)
    return 0
