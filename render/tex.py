"""WorkedExample -> a complete LaTeX article (pdflatex; amsmath, amssymb, bm, xcolor, booktabs, geometry, tikz)."""

from __future__ import annotations

from .escape import Raw
from .records import WorkedExample


def render_tex(example: WorkedExample, env, figures: dict) -> str:
    """The TeX document; `figures` maps "diagram" and "cost-plot" to tikzpictures."""
    return env.get_template("document.tex").render(example=example, figures={k: Raw(v) for k, v in figures.items()})
