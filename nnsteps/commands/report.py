"""`nnsteps report SPEC [--depths 5,20] [--inits normal,xavier,he] [--activations sigmoid,tanh,relu] [--json]`."""

from __future__ import annotations

import json


def _names(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(part.strip().lower() for part in text.split(",") if part.strip()))


def add_parser(subparsers):
    parser = subparsers.add_parser("report", help="write the vanishing/exploding gradient report of deep versions")
    parser.add_argument("spec", nargs="?", help="spec file or built-in name (default: tutorial)")
    parser.add_argument("--depths", default="5,20", metavar="LIST", help="layers of the deep versions (default 5,20)")
    parser.add_argument("--inits", default="normal,xavier,he", metavar="LIST", help="initializations (default: all)")
    parser.add_argument("--activations", default="sigmoid,tanh,relu", metavar="LIST",
                        help="hidden activations (default: sigmoid,tanh,relu)")
    parser.add_argument("--width", type=int, default=32, metavar="N", help="hidden layer width (default 32)")
    parser.add_argument("--steps", type=int, default=100, metavar="N", help="training steps (default 100)")
    parser.add_argument("--learning-rate", type=float, metavar="RATE", help="default: the spec's")
    parser.add_argument("--json", action="store_true", help="print the gradients at initialization as JSON")
    parser.add_argument("--to", default="html,tex,md", metavar="FORMATS",
                        help="comma-separated formats among html, tex, md, pdf (default: html,tex,md)")
    parser.add_argument("-o", "--output", default="output", metavar="DIR", help="output folder (default: output/)")
    parser.add_argument("--templates", metavar="DIR", help="a folder of templates searched before the packaged ones")


def _depths(text: str) -> tuple[int, ...]:
    from ..derive.errors import SpecError

    values = []
    for part in _names(text):
        if not part.isdigit():
            raise SpecError("--depths", f"{part!r} is not a whole number")
        values.append(int(part))
    if not values:
        raise SpecError("--depths", "no depth given; use e.g. --depths 5,20")
    return tuple(values)


def run(args) -> int:
    import math

    from ..derive.errors import SpecError
    from ..derive.gradient_report import as_json, report_runs
    from ..files import file_stem
    from ..render.report_doc import report_article
    from ..spec import load_spec
    from . import limits_of
    from .explain import article_files, formats_of, write

    formats = () if args.json else formats_of(args.to)
    inits, activations = _names(args.inits), _names(args.activations)
    for field, values in (("--inits", inits), ("--activations", activations)):
        if not values:
            raise SpecError(field, "empty list")
    rate = args.learning_rate
    if rate is not None and not (math.isfinite(rate) and rate > 0):
        raise SpecError("--learning-rate", f"{rate} must be a finite number greater than 0")
    spec = load_spec(args.spec or "tutorial", limits_of(args))
    runs = report_runs(spec, _depths(args.depths), inits, activations, args.width, args.steps, rate)
    if args.json:
        print(json.dumps(as_json(runs), indent=1))
        return 0
    rate = float(spec.learning_rate) if rate is None else rate
    return write(args, article_files(report_article(spec.name, runs, args.steps, rate), f"{file_stem(spec.name)}-report",
                                     formats, args.templates))
