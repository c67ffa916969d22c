"""WorkedExample -> one self-contained offline HTML file (KaTeX, styles and scripts inlined)."""

from __future__ import annotations

import html
from importlib import resources
from typing import NamedTuple

from markupsafe import Markup

from .records import WorkedExample

VENDOR = ("katex.min.js", "auto-render.min.js", "katex-inline.min.css")


class Assets(NamedTuple):
    """Inlined file contents, marked safe for the autoescaping environment; with `folder`, KaTeX is linked instead."""

    katex_js: Markup
    autorender_js: Markup
    katex_css: Markup
    diagram_js: Markup
    folder: str = ""  # e.g. "../assets/": documents of a set share one copy of KaTeX (see vendor_files)


def _inline(text: str) -> Markup:
    # an inline <script> or <style> ends at the first "</": keep it from closing early
    return Markup(text.replace("</script", "<\\/script").replace("</style", "<\\/style"))


def vendor_files() -> dict[str, str]:
    """The vendored KaTeX files and their licence, by file name, for a shared assets folder."""
    folder = resources.files("nnsteps.templates") / "html" / "vendor"
    return {name: folder.joinpath(name).read_text(encoding="utf-8") for name in VENDOR + ("LICENSE-KaTeX.txt",)}


def assets(diagram_js: str = "", folder: str = "") -> Assets:
    """The vendored KaTeX files inlined (or, with `folder`, linked from it) and the diagram script."""
    if folder:
        return Assets(Markup(""), Markup(""), Markup(""), _inline(diagram_js), folder)
    files = vendor_files()
    js, auto, css = (files[name] for name in VENDOR)
    return Assets(_inline(js), _inline(auto), _inline(css), _inline(diagram_js))


def render_html(example: WorkedExample, env, figures: dict, inlined: Assets) -> str:
    """The HTML document; `figures` maps "diagram" and "cost-plot" to inline SVG."""
    safe = {name: Markup(svg) for name, svg in figures.items()}
    return env.get_template("document.html").render(example=example, figures=safe, assets=inlined)


def iframe(document: str, height: int = 720) -> str:
    """A document inside an <iframe srcdoc>, for notebooks: its styles and scripts stay its own."""
    return (f'<iframe srcdoc="{html.escape(document, quote=True)}" style="width:100%;height:{height}px;border:0" '
            'title="nnsteps worked example"></iframe>')
