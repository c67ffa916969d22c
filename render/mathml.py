"""LaTeX from the printer -> MathML at build time (KaTeX in an embedded QuickJS), so HTML maths needs no script."""

from __future__ import annotations

import atexit
import contextlib
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
COMPACTION = 4  # bump when compact() changes its output, for the same reason
_LOCK = threading.Lock()  # one QuickJS context per process; it must not run two calls at once
TOKEN = re.compile(r"(<[^>]+>)")
LONG_INLINE = 24  # visible characters of an inline formula above which it may not fit a 390 px screen
_FLAT_ROW = re.compile(r"<mrow>((?:<(mi|mn|mo|mtext)(?: [^>]*)?>[^<]*</\2>)+)</mrow>")
_LARGE = ("∑", "∏", "∫")
# a number in the LaTeX (not a dimension such as 2em), and a run of digits in the MathML's text
_NUMBER = re.compile(r"(-\s*)?((?>\d+(?:\.\d+)?))(?!\s*(?:pt|em|ex|mu|cm|mm|in|bp|pc|dd|cc|sp|px)\b)")
# what comes before a unary minus in nnsteps' LaTeX: one that _UNARY makes a prefix in the MathML too
_UNARY_TAIL = re.compile(r"(?:[{(&=,+]|\\\\|\\begin\{[a-z*]+\}|\\times|\\cdot|\\leftarrow)$")
_DIGITS = re.compile(r"\d+")
# elements whose children may sit at a higher script level (MathML Core's math-depth), so scriptlevel="0" matters
_SCRIPTING = {"msub", "msup", "msubsup", "munder", "mover", "munderover", "mfrac", "mroot", "msqrt", "mmultiscripts"}
# attributes with no effect on MathML Core layout: semantics for other tools, which the LaTeX source no longer serves
_INERT = (' xmlns="http://www.w3.org/1998/Math/MathML"', ' fence="true"', ' separator="true"')
# "(3)" in a superscript (or "(0.3)"): an upright number in parens, drawn alike (and 62 bytes shorter) as one <mn>
_LAYER_NUMBER = re.compile(r'<mrow><mo stretchy="false">\(</mo><mn>(−?\d+(?:\.\d+)?)</mn><mo stretchy="false">\)</mo></mrow>')
# a unary minus and its number are one number, "−0.09", drawn alike (a prefix minus has no space after it)
_SIGNED = re.compile(r'<mo form="prefix">(−)</mo><mn>([\d.]+)</mn>')
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
    stack: list[list] = []  # [element name, its index in out, whether its tags are dropped, its child elements]
    for i, token in enumerate(tokens):
        if not token.startswith("<") or token.endswith("/>"):
            out.append(token)
        elif token.startswith("</"):
            name, start, dropped, children = stack.pop()
            # an <mrow> of one child lays out as that child (an embellished operator keeps its place and form)
            if name == "mrow" and (children == 1 or _lone_child(tokens, i, stack, out, start)):
                out[start], dropped = "", True
            if not dropped:
                out.append(token)
        else:
            name = token[1:].split(" ", 1)[0].rstrip(">")
            if stack:
                stack[-1][3] += 1
            if name == "mstyle" and stack and stack[-1][0] == "mtd" and out and out[-1] == "<mtd>":
                attributes = token[len("<mstyle"):-1]
                if not any(entry[0] in _SCRIPTING for entry in stack):
                    attributes = attributes.replace(' scriptlevel="0"', "")
                attributes = attributes.replace(' displaystyle="false"', "")
                out[-1] = f"<mtd{attributes}>"
                stack.append([name, len(out) - 1, True, 0])
                continue
            stack.append([name, len(out), False, 0])
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
    name = parents[-1][0]
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
    markup = _UNARY.sub(r'\1<mo form="prefix">\2</mo>', markup)
    markup = _SIGNED.sub(r"<mn>\1\2</mn>", markup)
    markup = _LAYER_NUMBER.sub(r"<mn>(\1)</mn>", markup)
    markup = _FLAT_ROW.sub(_fence_flat, markup)  # rows made flat by the two steps above ("{0, (−0.314)}")
    for attribute in _INERT:
        markup = markup.replace(attribute, "")
    return _merge_cell_styles(markup)


@functools.lru_cache(maxsize=1)
def _cache() -> FormulaCache:
    cache = FormulaCache(f"katex{KATEX_VERSION}-{COMPACTION}")
    atexit.register(cache.save)
    return cache


@functools.lru_cache(maxsize=4096)
def typeset(latex: str, display: bool = False) -> str:
    """KaTeX's MathML of one formula, compacted; kept between runs (mathcache)."""
    cached = _cache().get(latex, display)
    if cached is not None:
        return cached
    with _LOCK:
        rendered = compact(_katex()(latex, display))
    _cache().put(latex, display, rendered)
    return rendered


def _fill(markup: str, numbers: list[str], first: int, width: int) -> str | None:
    """The template's MathML with its placeholder numbers back to the real ones, or None if they did not come out
    one by one in its text (then the formula is typeset as it is)."""
    parts, seen = TOKEN.split(markup), set()

    def back(match: re.Match) -> str:
        index = int(match.group(0)) - first
        if len(match.group(0)) != width or not 0 <= index < len(numbers) or index in seen:
            raise LookupError(match.group(0))
        seen.add(index)
        return numbers[index]

    try:
        for i in range(0, len(parts), 2):  # text between the tags (attributes keep KaTeX's own numbers)
            parts[i] = _DIGITS.sub(back, parts[i])
    except LookupError:
        return None
    return "".join(parts) if len(seen) == len(numbers) else None


@functools.lru_cache(maxsize=4096)
def mathml(latex: str, display: bool = False) -> str:
    """One formula as MathML (display: a block). Its numbers (values and indices) are first replaced by placeholders
    of one width, so every formula of the same shape is typeset by KaTeX once: `z^{(2)}_{1} = 0.04 \\times 0 + …`
    and all its siblings in this and later documents share one template. A number is one <mn> either way."""
    latex, display = str(latex), bool(display)
    known = _cache().get(latex, display, filled=True)  # this very formula from an earlier run: no shape to find
    if known is not None:
        return known
    numbers, pieces, last = [], [], 0
    for match in _NUMBER.finditer(latex):
        sign, digits = match.group(1), match.group(2)
        unary = sign is not None and (not latex[:match.start()].strip()
                                      or _UNARY_TAIL.search(latex[max(0, match.start() - 24):match.start()].rstrip()))
        start = match.start() if unary or sign is None else match.start(2)
        pieces.append(latex[last:start])
        pieces.append(None)  # the placeholder, numbered below
        numbers.append(("−" if unary else "") + digits)
        last = match.end()
    if not numbers:
        return typeset(latex, display)
    pieces.append(latex[last:])
    width = max(4, len(str(len(numbers))) + 1)
    first, counter = 10 ** (width - 1), iter(range(len(numbers)))
    shape = "".join(str(first + next(counter)) if piece is None else piece for piece in pieces)
    template = typeset(shape, display)
    filled = None if 'class="katex-error"' in template else _fill(template, numbers, first, width)
    if filled is None:
        return typeset(latex, display)
    _cache().put(latex, display, filled, filled=True)  # the same as typesetting it directly (tests/test_mathml.py)
    return filled


_DEFERRED = []  # non-empty while a batch of documents saves the cache once, at its end


def save_cache() -> None:
    """Keep the formulas typeset so far for the next run (also done at exit); inside `one_save()`, at its end."""
    if not _DEFERRED:
        _cache().save()


@contextlib.contextmanager
def one_save():
    """Documents rendered in a batch (a worker's exercise variants) write the formula cache once, at the end:
    a write is the whole file, and the file is megabytes."""
    _DEFERRED.append(True)
    try:
        yield
    finally:
        _DEFERRED.pop()
        save_cache()


def inline_math(latex) -> Markup:
    """The HTML templates' `math` filter: an inline formula, typeset; a long one (a chain-rule path) in a box of
    its own that scrolls sideways on a narrow screen, since a browser never breaks a line inside <math>."""
    markup = mathml(latex)
    long = len(TOKEN.sub("", markup)) > LONG_INLINE
    return Markup(f'<span class="math{" long" if long else ""}">{markup}</span>')


def display_math(latex) -> Markup:
    """The HTML templates' `display` filter: the MathML of a display formula (its box is the template's)."""
    return Markup(mathml(latex, display=True))

