"""One Jinja2 environment per output format; a user's --templates folder is searched before the packaged ones.

HTML autoescapes. TeX uses the delimiters ((( var ))), ((* block *)) and ((= comment =)), which do not clash
with TeX braces, and escapes every printed value unless it is marked Raw (the `raw` filter), so user text such as
a title can never inject TeX. Markdown escapes the same way with Markdown rules.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined

from ..derive.errors import SpecError
from .escape import Raw, md_escape, tex_escape

FORMATS = ("html", "tex", "md")


def _loader(fmt: str, templates: str | Path | None):
    loaders = []
    if templates is not None:
        folder = Path(templates)
        if not folder.is_dir():
            raise SpecError("--templates", f"{str(folder)!r} is not a folder")
        # DIR/<format>/document.<ext> or DIR/document.<ext>
        loaders.append(FileSystemLoader([str(folder / fmt), str(folder)]))
    loaders.append(PackageLoader("nnsteps.templates", fmt))
    return ChoiceLoader(loaders)


def _common(fmt: str, templates) -> dict:
    return dict(loader=_loader(fmt, templates), undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                keep_trailing_newline=True, auto_reload=False)


def environment(fmt: str, templates: str | Path | None = None) -> Environment:
    """The Jinja2 environment of one format: "html", "tex" or "md"."""
    if fmt == "html":
        env = Environment(autoescape=True, **_common(fmt, templates))
    elif fmt == "tex":
        env = Environment(
            block_start_string="((*", block_end_string="*))",
            variable_start_string="(((", variable_end_string=")))",
            comment_start_string="((=", comment_end_string="=))",
            autoescape=False, finalize=tex_escape, **_common(fmt, templates),
        )
        env.filters["tex"] = lambda value: Raw(tex_escape(value))
        env.filters["math"] = Raw  # LaTeX from the printer, printed as it is
    elif fmt == "md":
        env = Environment(autoescape=False, finalize=md_escape, **_common(fmt, templates))
        env.filters["md"] = lambda value: Raw(md_escape(value))
    else:
        raise SpecError("--to", f"no template format {fmt!r}; choose one of {', '.join(FORMATS)}")
    env.filters["raw"] = Raw
    return env
