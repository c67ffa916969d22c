"""A short document of sections (explain activations, explain initialization, report) in HTML, TeX and Markdown."""

from __future__ import annotations

from dataclasses import dataclass

from .environment import environment
from .escape import Raw
from .html import assets
from .records import Text

ARTICLE_FORMATS = ("html", "tex", "md")


@dataclass(frozen=True)
class Article:
    """Everything the document shows; `figures` maps a figure's name to its (SVG, TikZ) drawings."""

    name: str
    title: str
    summary: Text
    sections: tuple
    footer: str
    figures: dict


def article_texts(article: Article, stem: str, formats, templates=None) -> dict[str, str]:
    """File name -> text of each requested format; Markdown brings its SVG figures as files beside it."""
    out = {}
    svg = {name: drawings[0] for name, drawings in article.figures.items()}
    if "html" in formats:
        from markupsafe import Markup

        figures = {name: Markup(text) for name, text in svg.items()}
        out[f"{stem}.html"] = environment("html", templates).get_template("article.html").render(
            example=article, figures=figures, assets=assets())
    if "tex" in formats:
        figures = {name: Raw(drawings[1]) for name, drawings in article.figures.items()}
        out[f"{stem}.tex"] = environment("tex", templates).get_template("article.tex").render(
            example=article, figures=figures)
    if "md" in formats:
        names = {name: f"{stem}-{name}.svg" for name in svg}
        out[f"{stem}.md"] = environment("md", templates).get_template("article.md").render(example=article, figures=names)
        out.update({names[name]: text for name, text in svg.items()})
    return out
