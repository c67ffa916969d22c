"""LaTeX from the printer -> MathML at build time (KaTeX in an embedded QuickJS), so HTML maths needs no script."""

from __future__ import annotations

import atexit
import functools
import re
import threading
from importlib import resources

from markupsafe import Markup

from .mathcache import FormulaCache

# KaTeX's options: never run user commands (trust), never raise (a bad formula shows as a red katex-error span)
_RENDER = ("(function (latex, display) { return katex.renderToString(latex, {displayMode: display, output: 'mathml',"
           " throwOnError: false, strict: 'ignore', trust: false}); })")
KATEX_VERSION = "0.16.47"  # templates/html/vendor/README.md: a new KaTeX starts a new formula cache
COMPACTION = 1  # bump when compact() changes its output, for the same reason
_LOCK = threading.Lock()  # one QuickJS context per process; it must not run two calls at once
TOKEN = re.compile(r"(<[^>]+>)")
LONG_INLINE = 24  # visible characters of an inline formula above which it may not fit a 390 px screen
_FLAT_ROW = re.compile(r"<mrow>((?:<(mi|mn|mo|mtext)(?: [^>]*)?>[^<]*</\2>)+)</mrow>")
_LARGE = ("∑", "∏", "∫")
# elements whose children may sit at a higher script level (MathML Core's math-depth), so scriptlevel="0" matters
_SCRIPTING = {"msub", "msup", "msubsup", "munder", "mover", "munderover", "mfrac", "mroot", "msqrt", "mmultiscripts"}
# attributes with no effect on MathML Core layout: semantics for other tools, which the LaTeX source no longer serves
_INERT = (' xmlns="http://www.w3.org/1998/Math/MathML"', ' fence="true"', ' separator="true"')
# "(3)" in a superscript: an upright number in parens, drawn alike (and 62 bytes shorter) as one <mn>
_LAYER_NUMBER = re.compile(r'<mrow><mo stretchy="false">\(</mo><mn>(\d+)</mn><mo stretchy="false">\)</mo></mrow>')
# a sign after an operator or an opening (or first) is unary, as in TeX: no binary spacing around it
_UNARY = re.compile(r'((?:<mo[^>]*>[^<)\]}|′]</mo>)|<mrow>|<mtd[^>]*>)<mo>([−+])</mo>')


@functools.lru_cache(maxsize=1)
def _katex():
    """The KaTeX renderer in a fresh QuickJS context (made once per process, ~20 ms)."""
    import quickjs  # imported only when a document has maths to typeset

    source = resources.files("nnsteps.templates").joinpath("html", "vendor", "katex.min.js").read_text("utf-8")
    context = quickjs.Context()
    context.eval("var window = this;")  # KaTeX's UMD wrapper looks for a global object
    context.eval(source)
    return context.eval(_RENDER)


def _fence_flat(row: re.Match) -> str:
    # Parens around plain tokens ("(-0.417)", "(l+1)") keep their glyph size, as TeX's \\left( gives there:
    # stretched, Chromium picks a larger variant with wide side bearings, which reads as spaces.
    inner = row.group(1)
    if any(sign in inner for sign in _LARGE):
        return row.group(0)
    return "<mrow>" + inner.replace('<mo fence="true">', '<mo stretchy="false">') + "</mrow>"


def _merge_cell_styles(markup: str) -> str:
    """`<mtd><mstyle a>…</mstyle></mtd>` -> `<mtd a>…</mtd>` (displaystyle and scriptlevel are global attributes),
    and a lone <mrow> in a <math> or <mtd> unwrapped (both lay out their children as an mrow already).

    scriptlevel="0" is dropped where no ancestor raises the script level, and displaystyle="false" inside a table,
    whose cells are compact already (MathML Core's user-agent style sheet).
    """
    tokens = [token for token in TOKEN.split(markup) if token]
    out: list[str] = []
    stack: list[tuple[str, int, bool]] = []  # (element name, its index in out, whether its tags are dropped)
    for i, token in enumerate(tokens):
        if not token.startswith("<") or token.endswith("/>"):
            out.append(token)
        elif token.startswith("</"):
            name, start, dropped = stack.pop()
            if name == "mrow" and _lone_child(tokens, i, stack, out, start):
                out[start], dropped = "", True
            if not dropped:
                out.append(token)
        else:
            name = token[1:].split(" ", 1)[0].rstrip(">")
            if name == "mstyle" and stack and stack[-1][0] == "mtd" and out and out[-1] == "<mtd>":
                attributes = token[len("<mstyle"):-1]
                if not any(parent in _SCRIPTING for parent, _, _ in stack):
                    attributes = attributes.replace(' scriptlevel="0"', "")
                attributes = attributes.replace(' displaystyle="false"', "")
                out[-1] = f"<mtd{attributes}>"
                stack.append((name, len(out) - 1, True))
                continue
            stack.append((name, len(out), False))
            out.append(token)
    return "".join(out)


def _lone_child(tokens: list[str], i: int, stack: list, out: list[str], start: int) -> bool:
    """Whether the element that tokens[i] closes (opened at out[start]) is the only child of a <math> or <mtd>,
    looking through an <mstyle> whose tags were dropped."""
    after = i + 1
    parents = list(stack)
    while parents and parents[-1][2]:  # a dropped mstyle: its closing tag comes first, then the parent's
        if after >= len(tokens) or tokens[after] != f"</{parents[-1][0]}>":
            return False
        parents.pop()
        after += 1
    if not parents or parents[-1][0] not in ("math", "mtd") or after >= len(tokens):
        return False
    name, _, _ = parents[-1]
    return tokens[after] == f"</{name}>" and start > 0 and out[start - 1].startswith(f"<{name}")


def compact(katex_output: str) -> str:
    """KaTeX's MathML made smaller with the same layout: no TeX annotation, no wrapper, no inert attributes."""
    if 'class="katex-error"' in katex_output:
        return katex_output  # the source in red, as KaTeX shows it (never expected for nnsteps' own maths)
    markup = re.sub(r"^<span class=\"katex(?:-display)?\">(?:<span class=\"katex\">)?|(?:</span>)+$", "", katex_output)
    markup = re.sub(r"<annotation encoding=\"application/x-tex\">[^<]*</annotation>", "", markup)
    markup = markup.replace("<semantics>", "").replace("</semantics>", "")
    markup = markup.replace('<mi mathvariant="normal">∂</mi>', "<mi>∂</mi>")  # TeX's \partial is the italic one
    markup = _FLAT_ROW.sub(_fence_flat, markup)
    markup = _LAYER_NUMBER.sub(r"<mn>(\1)</mn>", markup)
    markup = _UNARY.sub(r'\1<mo form="prefix">\2</mo>', markup)
    for attribute in _INERT:
        markup = markup.replace(attribute, "")
    return _merge_cell_styles(markup)


@functools.lru_cache(maxsize=1)
def _cache() -> FormulaCache:
    cache = FormulaCache(f"katex{KATEX_VERSION}-{COMPACTION}")
    atexit.register(cache.save)
    return cache


@functools.lru_cache(maxsize=4096)
def mathml(latex: str, display: bool = False) -> str:
    """One formula as MathML (display: a block); typeset once per process, and kept between runs (mathcache)."""
    latex, display = str(latex), bool(display)
    cached = _cache().get(latex, display)
    if cached is not None:
        return cached
    with _LOCK:
        rendered = compact(_katex()(latex, display))
    _cache().put(latex, display, rendered)
    return rendered


def save_cache() -> None:
    """Keep the formulas typeset so far for the next run (also done at exit)."""
    _cache().save()


def inline_math(latex) -> Markup:
    """The HTML templates' `math` filter: an inline formula, typeset; a long one (a chain-rule path) in a box of
    its own that scrolls sideways on a narrow screen, since a browser never breaks a line inside <math>."""
    markup = mathml(latex)
    long = len(TOKEN.sub("", markup)) > LONG_INLINE
    return Markup(f'<span class="math{" long" if long else ""}">{markup}</span>')


def display_math(latex) -> Markup:
    """The HTML templates' `display` filter: the MathML of a display formula (its box is the template's)."""
    return Markup(mathml(latex, display=True))

