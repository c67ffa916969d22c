"""The document pipeline: spec -> derivation -> worked example -> documents (and PDF) -> one all-or-nothing write."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .derive.derivation import Derivation, derive
from .derive.errors import SpecError, ToolMissingError, UnsupportedError
from .files import check_output_folder, file_stem, write_atomic, write_files  # noqa: F401 (re-exported)
from .spec import load_spec

FORMATS = ("html", "tex", "md", "pdf")
DEFAULT_FORMATS = ("html", "tex", "md")
PDFLATEX = ("pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error")
MAX_RUNS = 3  # pdflatex runs: the contents and bookmarks are read back, then the pages they moved
INSTALL_TEX = "apt-get install texlive-latex-base texlive-latex-recommended texlive-pictures"


@dataclass(frozen=True)
class RenderOptions:
    """What `nnsteps render` was asked for."""

    formats: tuple[str, ...] = DEFAULT_FORMATS
    detail: str | None = None  # None: summary above 60 parameters, else full
    notation: str = "tutorial"
    digits: int = 6
    templates: str | Path | None = None
    assets_folder: str = ""  # HTML: link KaTeX from this relative folder instead of inlining it
    sections: tuple[str, ...] = ()  # opt-in topic sections at the end: "activations", "initialization", "torch"
    compare: str | None = None  # --compare sgd,momentum,adam: the cost curves of several rules side by side
    work_steps: tuple[int, ...] | str | None = None  # training steps worked in full ("all"; None: 1, 2, the last)


def _figures(derivation: Derivation, example, notation: str, digits: int = 6) -> dict:
    """Network diagram and cost plot in each drawing language."""
    from .render.diagram import network_svg, network_tikz
    from .render.pathdiagram import path_figures
    from .render.plot import cost_plot_svg, cost_plot_tikz
    from .render.printer import PROFILES

    labels = {"x": "a", "J": "C"} if notation == "nielsen" else None
    svg = {"diagram": network_svg(derivation, printer_labels=labels, digits=digits)}
    static = network_svg(derivation, printer_labels=labels, digits=digits, deltas=True)  # Markdown: no toggle
    tikz = {"diagram": network_tikz(derivation)}
    if len(example.history) > 2:
        cost = PROFILES[notation].cost  # J, or C in Nielsen's notation
        marks = {"validation": example.history_val, "stop": example.stopped_at, "best": example.best_step}
        svg["cost-plot"] = cost_plot_svg(example.history, cost=cost, **marks)
        tikz["cost-plot"] = cost_plot_tikz(example.history, cost=cost, **marks)
    for name, (drawn_svg, drawn_tikz) in path_figures(derivation.spec, example).items():
        svg[name], tikz[name] = drawn_svg, drawn_tikz
    return {"svg": svg, "tikz": tikz, "static-diagram": static}


def _contour_figures(derivation: Derivation, curves, notation: str) -> dict:
    """With exactly two trained entries: the cost's contour plot with every rule's path, per drawing language."""
    if not curves[0].path:
        return {}
    from .derive.landscape import landscape
    from .render.contour_plot import axis_names, contour_plot_svg, contour_plot_tikz

    lattice = landscape(derivation, [curve.path for curve in curves])
    names = axis_names(lattice.entries, notation)
    return {"svg": contour_plot_svg(lattice, curves, [plain for plain, _ in names]),
            "tikz": contour_plot_tikz(lattice, curves, [tex for _, tex in names])}


def documents(derivation: Derivation, options: RenderOptions = RenderOptions()) -> dict[str, str]:
    """File name -> text of every requested text format (pdf needs the tex source, so it brings it along)."""
    from .render.diagram import diagram_script
    from .render.environment import environment
    from .render.html import assets, render_html
    from .render.markdown import render_markdown
    from .render.steps import worked_example
    from .render.tex import render_tex

    unknown = [f for f in options.formats if f not in FORMATS]
    if unknown:
        raise SpecError("--to", f"unknown format {unknown[0]!r}; choose from {', '.join(FORMATS)}")
    curves = ()
    if options.compare:
        from .derive.compare import compare

        curves = compare(derivation, options.compare)
    example = worked_example(derivation, options.notation, options.detail, options.digits, options.work_steps, curves)
    figures = _figures(derivation, example, options.notation, options.digits)
    if options.sections:
        import dataclasses

        from .render.topic_sections import topic_sections

        extra, drawn = topic_sections(derivation, options.sections, len(example.sections) + 1)
        example = dataclasses.replace(example, sections=example.sections + extra)
        figures["svg"].update({name: pair[0] for name, pair in drawn.items()})
        figures["tikz"].update({name: pair[1] for name, pair in drawn.items()})
    if curves:
        from .render.plot import compare_plot_svg, compare_plot_tikz
        from .render.printer import PROFILES

        cost = PROFILES[options.notation].cost
        figures["svg"]["compare-plot"] = compare_plot_svg(curves, cost=cost)
        figures["tikz"]["compare-plot"] = compare_plot_tikz(curves, cost=cost)
        for language, drawn in _contour_figures(derivation, curves, options.notation).items():
            figures[language]["contour-plot"] = drawn
    stem, out = file_stem(derivation.spec.name), {}
    if "html" in options.formats:
        env = environment("html", options.templates)
        out[f"{stem}.html"] = render_html(example, env, figures["svg"], assets(diagram_script(), options.assets_folder))
    if "tex" in options.formats or "pdf" in options.formats:
        out[f"{stem}.tex"] = render_tex(example, environment("tex", options.templates), figures["tikz"])
    if "md" in options.formats:
        names = {name: f"{stem}-{name.replace('-plot', '')}.svg" for name in figures["svg"]}
        out[f"{stem}.md"] = render_markdown(example, environment("md", options.templates), names)
        out.update({names[name]: svg for name, svg in {**figures["svg"], "diagram": figures["static-diagram"]}.items()})
    return out


def compile_pdf(tex_name: str, tex_source: str) -> bytes:
    """pdflatex in a scratch folder; the PDF's bytes, or an error with the end of the log."""
    if shutil.which(PDFLATEX[0]) is None:
        raise ToolMissingError("--to pdf", f"pdflatex is not installed; install it with: {INSTALL_TEX}")
    with tempfile.TemporaryDirectory(prefix="nnsteps-pdf-") as scratch:
        source = Path(scratch) / tex_name
        write_atomic(source, tex_source)
        pdf = source.with_suffix(".pdf")
        for _ in range(MAX_RUNS):  # the table of contents and the bookmarks appear from the second run on
            try:
                result = subprocess.run([*PDFLATEX, source.name], cwd=scratch, capture_output=True, text=True,
                                        errors="replace", timeout=300, stdin=subprocess.DEVNULL)
            except subprocess.TimeoutExpired:
                raise UnsupportedError("--to pdf", "pdflatex took longer than 5 minutes") from None
            if result.returncode != 0 or not pdf.is_file():
                tail = "\n".join(result.stdout.splitlines()[-12:])
                raise UnsupportedError("--to pdf", f"pdflatex failed on {tex_name}:\n{tail}")
            if "Rerun to get" not in result.stdout and "No file " not in result.stdout:
                break
        return pdf.read_bytes()


def example_options(source, options: RenderOptions) -> RenderOptions:
    """The options with a built-in example's own defaults (nnsteps/examples/__init__.py) where none was given."""
    from dataclasses import replace

    from .examples import COMPARE
    from .spec import builtin_names

    named = isinstance(source, str) and not Path(source).is_file() and source in builtin_names()
    if named and options.compare is None and source in COMPARE:
        return replace(options, compare=COMPARE[source])
    return options


def render_files(source, options: RenderOptions = RenderOptions()) -> dict[str, str | bytes]:
    """Spec (file, built-in name or NetworkSpec) -> derivation -> file name: content of every document, in name order."""
    options = example_options(source, options)
    spec = load_spec(source) if source is None or isinstance(source, (str, Path)) else source
    derivation = derive(spec)
    texts = documents(derivation, options)
    files: dict[str, str | bytes] = dict(texts)
    stem = file_stem(spec.name)
    if "pdf" in options.formats:
        files[f"{stem}.pdf"] = compile_pdf(f"{stem}.tex", texts[f"{stem}.tex"])
        if "tex" not in options.formats:
            del files[f"{stem}.tex"]
    return {name: files[name] for name in sorted(files)}


def publish(out_dir: str | Path, files: dict[str, str | bytes]) -> list[Path]:
    """Every file into the folder, or none of them (files.write_files); an OSError names --output."""
    try:
        return write_files(Path(out_dir), files)
    except OSError as error:
        raise SpecError("--output", f"cannot write into {out_dir}: {error.strerror or error}") from None


def render(source, out_dir: str | Path = "output", options: RenderOptions = RenderOptions()) -> list[Path]:
    """Spec (file, built-in name or NetworkSpec) -> documents, all made before any file is written, then all written or none."""
    check_output_folder(Path(out_dir))
    return publish(out_dir, render_files(source, options))


def notebook_html(derivation: Derivation) -> str:
    """Derivation._repr_html_: the worked example (summary detail) as a <div> with its maths typeset, no iframe."""
    from .render.environment import environment
    from .render.notebook import NOTEBOOK_DETAIL, notebook_html as fragment
    from .render.steps import worked_example

    example = worked_example(derivation, "tutorial", NOTEBOOK_DETAIL)
    return fragment(example, environment("html"), _figures(derivation, example, "tutorial")["svg"])
