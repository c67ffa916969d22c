"""Displayed equations that fit the page: the width of printed LaTeX in em, and lines broken between printed terms."""

from __future__ import annotations

import re
from functools import lru_cache

# Widths in em of Computer Modern at the text size (a digit is 0.5 em). A binary operator carries its medium spaces
# (2 x 4/18 em), a relation its thick spaces (2 x 5/18 em); in a sub- or superscript everything is 0.7 as wide and
# operators lose their spaces.
DIGIT, LETTER, CAPITAL, PUNCT, PAREN = 0.5, 0.52, 0.75, 0.28, 0.39
BINARY, RELATION = 0.78 + 2 * 4 / 18, 0.78 + 2 * 5 / 18
SCRIPT = 0.7
COMMANDS = {  # a command's own width (its arguments are measured separately)
    "times": BINARY, "cdot": BINARY - 0.5, "circ": BINARY - 0.28, "pm": BINARY, "to": RELATION + 0.22,
    "leftarrow": RELATION + 0.22, "mapsto": RELATION + 0.22, "approx": RELATION, "leq": RELATION, "geq": RELATION,
    "cdots": 1.34 + 2 * 4 / 18, "ldots": 1.34, "vdots": 0.3, "ddots": 1.34, "quad": 1.0, "qquad": 2.0,
    "partial": 0.57, "delta": 0.45, "Delta": 0.83, "sigma": 0.57, "mu": 0.6, "gamma": 0.52, "beta": 0.57,
    "eta": 0.5, "alpha": 0.64, "epsilon": 0.47, "lambda": 0.58, "theta": 0.47, "top": 0.78, "sum": 1.44,
    "log": 1.3, "exp": 1.5, "tanh": 2.1, "max": 1.8, "min": 1.6, "sqrt": 0.83, "infty": 1.0, "prime": 0.28,
}
ZERO = {"left", "right", "bigl", "bigr", "Bigl", "Bigr", "operatorname", "mathrm", "mathbb",
        "displaystyle", "limits", "nolimits", "hat", "tilde", "bar", "vec", "text", "textrm", "mathit"}
SPACES = {",": 0.17, ":": 0.22, ";": 0.28, " ": 0.33, "!": -0.17}
_TOKEN = re.compile(r"\\[a-zA-Z]+|\\.|[{}^_&]|[^{}^_&\\]")


def _groups(tokens: list[str], i: int) -> tuple[list[str], int]:
    """The tokens of one argument starting at i (a {group} or one token) and the index after it."""
    while i < len(tokens) and tokens[i] == " ":
        i += 1
    if i >= len(tokens):
        return [], i
    if tokens[i] != "{":
        return [tokens[i]], i + 1
    depth, start = 0, i
    for j in range(i, len(tokens)):
        depth += {"{": 1, "}": -1}.get(tokens[j], 0)
        if depth == 0:
            return tokens[start + 1:j], j + 1
    return tokens[start + 1:], len(tokens)


def _environment(tokens: list[str], i: int, name: str, scale: float) -> tuple[float, int]:
    """Width of \\begin{name} ... \\end{name} starting after the name: a matrix adds its columns, aligned its widest
    row."""
    depth, rows, row, cells, j = 1, [], [], [], i
    while j < len(tokens):
        token = tokens[j]
        if token == "\\begin":
            depth += 1
        elif token == "\\end":
            depth -= 1
            if depth == 0:
                break
        if depth == 1 and token == "&":
            cells.append(row)
            row = []
        elif depth == 1 and token == "\\\\":
            rows.append(cells + [row])
            cells, row = [], []
        else:
            row.append(token)
        j += 1
    rows.append(cells + [row])
    _, after = _groups(tokens, j + 1)
    widths = [[_measure(cell, scale) for cell in r] for r in rows]
    if name in ("aligned", "split", "gathered"):
        return max(sum(r) for r in widths) + 0.3 * scale, after
    columns = max(len(r) for r in widths)
    column = [max(r[c] if c < len(r) else 0 for r in widths) for c in range(columns)]
    fences = 2 * PAREN * scale if name != "cases" else PAREN * scale + 1.0
    return sum(column) + 1.0 * scale * (columns - 1) + 0.4 + fences, after


def _measure(tokens: list[str], scale: float) -> float:
    width, i = 0.0, 0
    while i < len(tokens):
        token = tokens[i]
        i += 1
        if token in ("^", "_"):
            argument, i = _groups(tokens, i)
            width += _measure(argument, scale * SCRIPT if scale > 0.6 else scale)
        elif token == "{":
            argument, i = _groups(tokens, i - 1)
            width += _measure(argument, scale)
        elif token in ("}", "&", "\\\\"):
            continue
        elif token == "\\frac":
            numerator, i = _groups(tokens, i)
            denominator, i = _groups(tokens, i)
            width += max(_measure(numerator, scale), _measure(denominator, scale)) + 0.24 * scale
        elif token == "\\begin":
            name, i = _groups(tokens, i)
            if "".join(name) in ("bmatrix", "pmatrix", "matrix", "cases", "array", "aligned", "split", "gathered"):
                extra, i = _environment(tokens, i, "".join(name), scale)
                width += extra
        elif token == "\\end":
            _, i = _groups(tokens, i)
        elif token in ("\\mathbf", "\\boldsymbol"):  # bold letters are about a fifth wider
            argument, i = _groups(tokens, i)
            width += 1.2 * _measure(argument, scale)
        elif token in ("\\text", "\\textrm", "\\mathrm"):
            argument, i = _groups(tokens, i)
            width += len([t for t in argument if t not in "{}"]) * 0.48 * scale
        elif token.startswith("\\") and len(token) == 2:
            width += SPACES.get(token[1], PAREN if token[1] in "{}()[]|" else 0.5) * scale
        elif token.startswith("\\"):
            name = token[1:]
            width += 0 if name in ZERO else COMMANDS.get(name, 0.6) * scale
        elif token == " ":
            continue
        elif token in "+-":
            width += (BINARY if scale > 0.9 else 0.78 * scale) if token == "+" or _binary(tokens, i - 1) else 0.78 * scale
        elif token in "=<>":
            width += RELATION if scale > 0.9 else 0.78 * scale
        elif token.isdigit():
            width += DIGIT * scale
        elif token in ".,;":
            width += (PUNCT + (0.17 if token != "." else 0)) * scale
        elif token in "()[]|/":
            width += PAREN * scale
        elif token.isupper():
            width += CAPITAL * scale
        else:
            width += LETTER * scale
    return width


def _binary(tokens: list[str], i: int) -> bool:
    """A minus sign is binary unless it opens its group (a sign: -0.5, (-x))."""
    j = i - 1
    while j >= 0 and tokens[j] == " ":
        j -= 1
    return j >= 0 and tokens[j] not in ("{", "(", "\\left", "&", "=", "^", "_") and not tokens[j].startswith("\\left")


def width(latex: str) -> float:
    """An estimate, in em of the text font, of how wide LaTeX (or KaTeX) sets a formula in display style."""
    return _width(str(latex))


@lru_cache(maxsize=8192)  # a document measures the same formula for each format, and variants share most of them
def _width(latex: str) -> float:
    return _measure(_TOKEN.findall(latex), 1.0)


class Breakable(str):
    """A printed expression that also knows its pieces: on one line it is itself, and a displayed line may break
    between pieces. Each piece after the first starts with the operator that joins it (`+ w x`, `- 0.3`, `\\circ A`);
    parentheses that span pieces are \\bigl( and \\bigr), so every broken line is balanced."""

    pieces: tuple

    def __new__(cls, text: str, pieces) -> Breakable:
        made = super().__new__(cls, text)
        made.pieces = tuple(pieces)
        return made

    def __reduce__(self):  # copies and pickles keep the pieces
        return Breakable, (str(self), self.pieces)


# The width budget of a displayed line, in em, per output format: TeX's \textwidth of the article class with
# a4paper and 2 cm margins (170 mm = 483.7 pt at 10 pt); the HTML column (60rem less padding, maths at 1.08em);
# Markdown for Pandoc and Quarto, and the exported formulas, whose default LaTeX page is the plain article's
# (\textwidth 345 pt at 10 pt).
TEXTWIDTH_PT, ARTICLE_PT = 483.7, 345.0
ARTICLE = ARTICLE_PT / 10 - 1.5
BUDGETS = {"tex": TEXTWIDTH_PT / 10 - 2.0, "html": 52.0, "md": ARTICLE}
DEFAULT = BUDGETS["tex"]
CONTINUATION = r"\quad "


def _greedy(pieces: tuple, indent: float, budget: float) -> list[str]:
    """The pieces filled into lines of at most `budget` em (a piece wider than that gets a line of its own); every
    line after the first starts with a quad."""
    rows, line = [], ""
    for piece in pieces:
        if line and width(line + " " + piece) + indent > budget:
            rows.append(line)
            line = CONTINUATION + piece
        else:
            line = f"{line} {piece}" if line else piece
    return rows + [line]


def _rows(pieces: tuple, indent: float, budget: float) -> list[str]:
    """The pieces in as few lines as fit the budget, and those lines about equally long (no lone last term)."""
    rows = _greedy(pieces, indent, budget)
    total = width(" ".join(pieces))
    for step in range(1, 11):  # the narrowest budget, from the average line upwards, that needs no more lines
        narrower = _greedy(pieces, indent, min(budget, indent + total / len(rows) * (1 + step / 20)))
        if len(narrower) <= len(rows):
            return narrower
    return rows


def equation_chain(lhs: str, parts, relation: str = "=", budget: float = DEFAULT) -> str:
    """lhs = a = b = c on one line when it fits, else aligned one part per line, and a part wider than the line
    broken between its pieces (repeated parts are dropped)."""
    kept: list[str] = []
    for part in parts:
        if part and (not kept or part != kept[-1]) and part != lhs:
            kept.append(part)
    one_line = f"{lhs} {relation} " + " = ".join(kept)
    if width(one_line) <= budget:
        return one_line
    rows: list[str] = []
    for number, part in enumerate(kept):
        rows += aligned_rows(lhs if number == 0 else "", relation if number == 0 else "=", part, budget, width(lhs))
    return r"\begin{aligned} " + r" \\ ".join(rows) + r" \end{aligned}"


def aligned_rows(lhs: str, relation: str, part: str, budget: float, indent: float | None = None) -> list[str]:
    """`lhs &= part` as rows of an aligned block: a Breakable part too wide for one line continues on lines of
    its own (`&\\quad + ...`); `indent` is the width of the left column (the lhs by default)."""
    indent = width(lhs) if indent is None else indent
    start = f"{lhs} &{relation} " if lhs else f"&{relation} "
    if width(part) + indent + RELATION <= budget or not isinstance(part, Breakable):
        return [start + part]
    broken = _rows(part.pieces, indent + RELATION, budget)
    return [start + broken[0]] + ["&" + row for row in broken[1:]]


def side_by_side(pieces: list[str], budget: float = DEFAULT) -> list[str]:
    """Equations joined by a comma on one line when they fit, else one per line."""
    joined = r", \quad ".join(pieces)
    return [joined] if width(joined) <= budget else list(pieces)
