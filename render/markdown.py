"""WorkedExample -> GitHub/Quarto-flavoured Markdown with $$ math; figures are SVG files beside it."""

from __future__ import annotations

from .records import WorkedExample


def render_markdown(example: WorkedExample, env, figures: dict) -> str:
    """The Markdown document; `figures` maps "diagram" and "cost-plot" to the file names of their SVGs."""
    return env.get_template("document.md").render(example=example, figures=figures)
