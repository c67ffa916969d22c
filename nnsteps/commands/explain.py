"""`nnsteps explain activations|initialization [SPEC] [--to html,tex,md,pdf] [-o DIR]`: the tutorial's topic documents."""

from __future__ import annotations

from pathlib import Path

TOPICS = ("activations", "initialization")
# the golden topic documents in tests/golden/topics/, compared byte for byte by tests/test_topics.py
TOPIC_GOLDENS = (("explain", "activations"), ("explain", "initialization"), ("report",),
                 ("render", "tutorial", "--with", "torch"))  # the PyTorch section, autograd run at render time
REGENERATE_TOPICS = " && ".join(f"nnsteps {' '.join(args)} -o tests/golden/topics/" for args in TOPIC_GOLDENS)


def add_parser(subparsers):
    parser = subparsers.add_parser("explain", help="write a document explaining activations or initialization")
    parser.add_argument("topic", help=f"one of {', '.join(TOPICS)}")
    parser.add_argument("spec", nargs="?", help="spec file or built-in name, for initialization (default: tutorial)")
    parser.add_argument("--to", default="html,tex,md", metavar="FORMATS",
                        help="comma-separated formats among html, tex, md, pdf (default: html,tex,md)")
    parser.add_argument("-o", "--output", default="output", metavar="DIR", help="output folder (default: output/)")
    parser.add_argument("--templates", metavar="DIR", help="a folder of templates searched before the packaged ones")
    parser.add_argument("--draws", type=int, default=2000, metavar="N",
                        help="weight draws for the numerical check of initialization (default 2000)")


def formats_of(text: str) -> tuple[str, ...]:
    """The --to list, checked: html, tex, md and pdf only, at least one."""
    from ..derive.errors import SpecError
    from ..pipeline import FORMATS

    formats = tuple(dict.fromkeys(part.strip().lower() for part in text.split(",") if part.strip()))
    if not formats:
        raise SpecError("--to", "no format given; use e.g. --to html,tex,md")
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise SpecError("--to", f"unknown format {unknown[0]!r}; choose from {', '.join(FORMATS)}")
    return formats


def article_files(article, stem: str, formats, templates=None) -> dict:
    """File name -> content of every requested format of an article, the PDF compiled by pdflatex."""
    from ..pipeline import compile_pdf
    from ..render.article import article_texts

    texts = article_texts(article, stem, tuple(f if f != "pdf" else "tex" for f in formats), templates)
    files = dict(texts)
    if "pdf" in formats:
        files[f"{stem}.pdf"] = compile_pdf(f"{stem}.tex", texts[f"{stem}.tex"])
        if "tex" not in formats:
            del files[f"{stem}.tex"]
    return {name: files[name] for name in sorted(files)}


def write(args, files: dict) -> int:
    from ..pipeline import check_output_folder, publish

    check_output_folder(Path(args.output))
    for path in publish(Path(args.output), files):
        print(path)
    return 0


def run(args) -> int:
    from ..derive.activations import suggest
    from ..derive.errors import SpecError

    formats = formats_of(args.to)
    if args.topic not in TOPICS:
        raise SpecError("topic", f"unknown topic {args.topic!r}{suggest(args.topic, TOPICS)}")
    if args.topic == "activations":
        from ..render.activations_doc import activations_article

        if args.spec:
            raise SpecError("spec", "explain activations takes no spec")
        return write(args, article_files(activations_article(), "activations", formats, args.templates))
    from ..render.initialization_doc import initialization_article
    from ..spec import load_spec
    from . import limits_of

    if not 10 <= args.draws <= 100_000:
        raise SpecError("--draws", f"{args.draws} must be a whole number from 10 to 100000")
    spec = load_spec(args.spec or "tutorial", limits_of(args))
    return write(args, article_files(initialization_article(spec, args.draws), "initialization", formats, args.templates))
