"""The document pipeline: spec -> derivation -> worked example -> documents -> atomic writes (and PDF)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .derive.derivation import Derivation, derive
from .derive.errors import SpecError, ToolMissingError, UnsupportedError
from .spec import load_spec

FORMATS = ("html", "tex", "md", "pdf")
DEFAULT_FORMATS = ("html", "tex", "md")
PDFLATEX = ("pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error")
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


def file_stem(name: str) -> str:
    """A file name from the spec's name: letters, digits, dot, dash and underscore only."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-")
    return stem or "network"


def _figures(derivation: Derivation, example, notation: str) -> dict:
    """Network diagram and cost plot in each drawing language."""
    from .render.diagram import network_svg, network_tikz
    from .render.plot import cost_plot_svg, cost_plot_tikz

    labels = {"x": "a", "J": "C"} if notation == "nielsen" else None
    svg = {"diagram": network_svg(derivation, printer_labels=labels)}
    tikz = {"diagram": network_tikz(derivation)}
    if len(example.history) > 2:
        svg["cost-plot"] = cost_plot_svg(example.history)
        tikz["cost-plot"] = cost_plot_tikz(example.history)
    return {"svg": svg, "tikz": tikz}


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
    example = worked_example(derivation, options.notation, options.detail, options.digits)
    figures = _figures(derivation, example, options.notation)
    stem, out = file_stem(derivation.spec.name), {}
    if "html" in options.formats:
        env = environment("html", options.templates)
        out[f"{stem}.html"] = render_html(example, env, figures["svg"], assets(diagram_script(), options.assets_folder))
    if "tex" in options.formats or "pdf" in options.formats:
        out[f"{stem}.tex"] = render_tex(example, environment("tex", options.templates), figures["tikz"])
    if "md" in options.formats:
        names = {name: f"{stem}-{name.replace('-plot', '')}.svg" for name in figures["svg"]}
        out[f"{stem}.md"] = render_markdown(example, environment("md", options.templates), names)
        out.update({names[name]: svg for name, svg in figures["svg"].items()})
    return out


def check_output_folder(folder: Path, field: str = "--output") -> None:
    """Refuse, before any work, a folder that is a file, cannot be written, or lies inside the installed package."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise SpecError(field, f"{folder} is a file, not a folder; choose a folder for the documents")
    package = Path(__file__).resolve().parent
    target = folder.resolve()
    if target == package or package in target.parents:
        raise SpecError(field, f"{folder} is inside the installed nnsteps package; choose another folder")
    existing = next(p for p in (target, *target.parents) if p.exists())
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise SpecError(field, f"cannot write into {folder} ({existing} is not writable); choose another folder")


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write through a temporary file in the same folder, then rename: never a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.chmod(temporary, path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def compile_pdf(tex_name: str, tex_source: str) -> bytes:
    """pdflatex in a scratch folder; the PDF's bytes, or an error with the end of the log."""
    if shutil.which(PDFLATEX[0]) is None:
        raise ToolMissingError("--to pdf", f"pdflatex is not installed; install it with: {INSTALL_TEX}")
    with tempfile.TemporaryDirectory(prefix="nnsteps-pdf-") as scratch:
        source = Path(scratch) / tex_name
        source.write_text(tex_source, encoding="utf-8")
        try:
            result = subprocess.run([*PDFLATEX, source.name], cwd=scratch, capture_output=True, text=True,
                                    errors="replace", timeout=300, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise UnsupportedError("--to pdf", "pdflatex took longer than 5 minutes") from None
        pdf = source.with_suffix(".pdf")
        if result.returncode != 0 or not pdf.is_file():
            tail = "\n".join(result.stdout.splitlines()[-12:])
            raise UnsupportedError("--to pdf", f"pdflatex failed on {tex_name}:\n{tail}")
        return pdf.read_bytes()


def render(source, out_dir: str | Path = "output", options: RenderOptions = RenderOptions()) -> list[Path]:
    """Spec (file, built-in name or NetworkSpec) -> derivation -> documents, all made before any file is written."""
    check_output_folder(Path(out_dir))
    spec = load_spec(source) if source is None or isinstance(source, (str, Path)) else source
    derivation = derive(spec)
    texts = documents(derivation, options)
    files: dict[str, str | bytes] = dict(texts)
    stem = file_stem(spec.name)
    if "pdf" in options.formats:
        files[f"{stem}.pdf"] = compile_pdf(f"{stem}.tex", texts[f"{stem}.tex"])
        if "tex" not in options.formats:
            del files[f"{stem}.tex"]
    folder = Path(out_dir)
    written = []
    for name in sorted(files):
        try:
            write_atomic(folder / name, files[name])
        except OSError as error:
            raise SpecError("--output", f"cannot write {folder / name}: {error.strerror or error}") from None
        written.append(folder / name)
    return written


def notebook_html(derivation: Derivation) -> str:
    """Derivation._repr_html_: the HTML document in an iframe."""
    from .render.html import iframe

    options = RenderOptions(formats=("html",))
    return iframe(documents(derivation, options)[f"{file_stem(derivation.spec.name)}.html"])
