"""WorkedExample -> one self-contained offline HTML file (maths typeset as MathML, styles and scripts inlined)."""

from __future__ import annotations

from importlib import resources
from typing import NamedTuple

from markupsafe import Markup

from .mathml import save_cache
from .records import WorkedExample

LICENCE = "LICENSE-KaTeX.txt"  # the MathML is KaTeX's output; its notice travels with a document set


class Assets(NamedTuple):
    """Inlined scripts, marked safe for the autoescaping environment (maths needs none: it is typeset at build time)."""

    diagram_js: Markup
    folder: str = ""  # e.g. "../assets/": the shared folder of a document set (see vendor_files)


def _inline(text: str) -> Markup:
    # an inline <script> or <style> ends at the first "</": keep it from closing early
    return Markup(text.replace("</script", "<\\/script").replace("</style", "<\\/style"))


def vendor_files() -> dict[str, str]:
    """The files of a document set's shared assets folder, by name: KaTeX's licence."""
    folder = resources.files("nnsteps.templates") / "html" / "vendor"
    return {LICENCE: folder.joinpath(LICENCE).read_text(encoding="utf-8")}


def assets(diagram_js: str = "", folder: str = "") -> Assets:
    """The diagram script, inlined."""
    return Assets(_inline(diagram_js), folder)


def render_html(example: WorkedExample, env, figures: dict, inlined: Assets) -> str:
    """The HTML document; `figures` maps "diagram" and "cost-plot" to inline SVG."""
    safe = {name: Markup(svg) for name, svg in figures.items()}
    document = env.get_template("document.html").render(example=example, figures=safe, assets=inlined)
    save_cache()  # a worker process never reaches exit handlers: keep its formulas now
    return document

