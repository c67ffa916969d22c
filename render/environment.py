"""One sandboxed Jinja2 environment per output format; a user's --templates folder is searched before the packaged ones.

HTML autoescapes. TeX uses the delimiters ((( var ))), ((* block *)) and ((= comment =)), which do not clash
with TeX braces, and escapes every printed value unless it is marked Raw (the `raw` filter), so user text such as
a title can never inject TeX. Markdown escapes the same way with Markdown rules.

Every environment is Jinja2's SandboxedEnvironment, so a --templates template cannot reach Python (no `__class__`,
`__globals__`, modules or huge repetitions); an error in a user's template is one SpecError naming its file and line.
"""

from __future__ import annotations

import functools
import operator
import types
from pathlib import Path

from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, StrictUndefined, Template
from jinja2.exceptions import SecurityError, TemplateError, TemplateNotFound, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

from ..derive.errors import SpecError
from .escape import Raw, html_text, md_code, md_code_block, md_escape, plain_math, tex_code, tex_escape
from .lines import BUDGETS
from .mathml import display_math, inline_math
from .templatecache import template_cache

FORMATS = ("html", "tex", "md")
MAX_REPEAT = 1_000_000  # longest text or list a template may make with `*`
MAX_POWER = 10_000  # largest exponent of `**` in a template


def _where(error: BaseException, folder: Path | None) -> str:
    """`document.html line 3`: the innermost template frame of the error (its file relative to --templates)."""
    filename, line = getattr(error, "filename", None), getattr(error, "lineno", None)
    tb = error.__traceback__
    while tb is not None:  # Jinja2 rewrites template frames to carry the template's file name and line
        if "__jinja_exception__" in tb.tb_frame.f_globals:
            filename, line = tb.tb_frame.f_globals.get("__file__"), tb.tb_lineno
        tb = tb.tb_next
    if not filename:
        filename = getattr(error, "name", None) or "a template"
    path = Path(filename)
    if folder is not None:
        try:
            path = path.resolve().relative_to(folder.resolve())
        except (ValueError, OSError):
            path = Path(path.name)
    else:
        path = Path(path.name)
    return f"{path.as_posix()} line {line}" if line else path.as_posix()


def _message(error: BaseException) -> str:
    if isinstance(error, RecursionError):
        return "templates include each other without end"
    if isinstance(error, TemplateNotFound):
        return f"no template {error.name!r} in the --templates folder or in nnsteps"
    text = " ".join(str(getattr(error, "message", None) or error).split())  # one line
    return text[:300] or error.__class__.__name__


class _Template(Template):
    """A template whose errors, when a --templates folder is in use, are one SpecError naming file and line."""

    def render(self, *args, **kwargs) -> str:
        try:
            return super().render(*args, **kwargs)
        except (TemplateError, RecursionError, ArithmeticError, TypeError, ValueError, AttributeError) as error:
            folder = self.environment.user_folder
            if folder is None:
                raise  # a packaged template failing alone is a bug in nnsteps: let it show
            raise SpecError("--templates", f"{_where(error, folder)}: {_message(error)}") from None


class _Sandbox(SandboxedEnvironment):
    """SandboxedEnvironment that also refuses modules, and `*` or `**` results too big to build."""

    template_class = _Template
    intercepted_binops = frozenset({"*", "**"})

    def __init__(self, user_folder: Path | None, **options):
        super().__init__(**options)
        self.user_folder = user_folder

    def is_safe_attribute(self, obj, attr: str, value) -> bool:
        return (super().is_safe_attribute(obj, attr, value)
                and not isinstance(obj, types.ModuleType) and not isinstance(value, types.ModuleType))

    def call_binop(self, context, operator_name: str, left, right):
        if operator_name == "**" and isinstance(right, (int, float)) and abs(right) > MAX_POWER:
            raise SecurityError(f"the exponent {right} is over {MAX_POWER}")
        if operator_name == "*":
            for sequence, count in ((left, right), (right, left)):
                if isinstance(sequence, (str, list, tuple)) and isinstance(count, int) \
                        and len(sequence) * count > MAX_REPEAT:
                    raise SecurityError(f"a repetition of {len(sequence) * count} items is over {MAX_REPEAT}")
        return {"*": operator.mul, "**": operator.pow}[operator_name](left, right)

    def get_template(self, name, parent=None, globals=None):
        try:
            return super().get_template(name, parent, globals)
        except TemplateSyntaxError as error:
            if self.user_folder is None:
                raise
            raise SpecError("--templates", f"{_where(error, self.user_folder)}: {_message(error)}") from None


def _loader(fmt: str, folder: Path | None):
    loaders = []
    if folder is not None:
        # DIR/<format>/document.<ext> or DIR/document.<ext>
        loaders.append(FileSystemLoader([str(folder / fmt), str(folder)]))
    loaders.append(PackageLoader("nnsteps.templates", fmt))
    return ChoiceLoader(loaders)


def _common(fmt: str, folder: Path | None) -> dict:
    return dict(loader=_loader(fmt, folder), undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                keep_trailing_newline=True, auto_reload=False)


def environment(fmt: str, templates: str | Path | None = None) -> SandboxedEnvironment:
    """The sandboxed Jinja2 environment of one format: "html", "tex" or "md"."""
    if templates is None:
        return _packaged(fmt)
    folder = Path(templates)
    if not folder.is_dir():
        raise SpecError("--templates", f"{str(folder)!r} is not a folder")
    return _build(fmt, folder)


@functools.lru_cache(maxsize=None)
def _packaged(fmt: str) -> SandboxedEnvironment:
    """The packaged templates' environment, made once per process: its compiled templates serve every document,
    and are kept between processes (render/templatecache.py)."""
    env = _build(fmt, None)
    env.bytecode_cache = template_cache(env)
    return env


def _build(fmt: str, folder: Path | None) -> SandboxedEnvironment:
    if fmt == "html":
        env = _Sandbox(folder, autoescape=True, finalize=html_text, **_common(fmt, folder))
        env.filters["math"] = inline_math  # LaTeX from the printer -> MathML, typeset now (no script in the page)
        env.filters["display"] = display_math
    elif fmt == "tex":
        env = _Sandbox(
            folder,
            block_start_string="((*", block_end_string="*))",
            variable_start_string="(((", variable_end_string=")))",
            comment_start_string="((=", comment_end_string="=))",
            autoescape=False, finalize=tex_escape, **_common(fmt, folder),
        )
        env.filters["tex"] = lambda value: Raw(tex_escape(value))
        env.filters["math"] = Raw  # LaTeX from the printer, printed as it is
        env.filters["code"] = tex_code  # a listing: every character set by its code
        env.filters["pdf"] = lambda latex: Raw(tex_escape(plain_math(latex)))  # a PDF bookmark's plain text
    elif fmt == "md":
        env = _Sandbox(folder, autoescape=False, finalize=md_escape, **_common(fmt, folder))
        env.filters["md"] = lambda value: Raw(md_escape(value))
        env.filters["code"] = md_code  # user text in a code span: `name`, fenced so it cannot close early
        env.filters["codeblock"] = md_code_block  # a listing in a fence longer than any backtick run in it
    else:
        raise SpecError("--to", f"no template format {fmt!r}; choose one of {', '.join(FORMATS)}")
    env.filters["raw"] = Raw
    env.filters["fit"] = functools.partial(_fit, budget=BUDGETS[fmt])  # a displayed line at this format's width
    return env


def _fit(item, budget: float) -> str:
    """A step or displayed formula laid out for the format's line width (render/lines.py)."""
    return item.fit(budget)
