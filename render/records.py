"""The format-neutral records of a worked example: sections of text, steps, tables and groups."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import ClassVar


class M(str):
    """A piece of inline math inside `text(...)`."""


@dataclass(frozen=True)
class Text:
    """Prose with inline math: parts are ("t", plain text) or ("m", LaTeX)."""

    parts: tuple
    kind: ClassVar[str] = "text"

    def plain(self) -> str:
        return "".join(p for _, p in self.parts)


def text(*pieces) -> Text:
    """`text("The receptor ", M("z^{(1)}_1"), " collects ...")`; adjacent text pieces merge."""
    parts: list = []
    for piece in pieces:
        if isinstance(piece, Text):
            items = list(piece.parts)
        else:
            items = [("m" if isinstance(piece, M) else "t", str(piece))]
        for kind, value in items:
            if not value:
                continue
            if parts and kind == "t" and parts[-1][0] == "t":
                parts[-1] = ("t", parts[-1][1] + value)
            else:
                parts.append((kind, value))
    return Text(tuple(parts))


@dataclass(frozen=True)
class Paragraph:
    text: Text
    kind: ClassVar[str] = "para"


@dataclass(frozen=True)
class Math:
    """Displayed math without numbers to check (general formulas, matrix equations)."""

    latex: str
    symbols: tuple = ()
    kind: ClassVar[str] = "math"


_INVISIBLE = re.compile(r"\\(left|right|mathbf|boldsymbol|operatorname|mathbb|text|begin|end)\b")
LINE_WIDTH = 72  # visible characters that fit one displayed line


_MATRIX = re.compile(r"\\begin\{bmatrix\}(.*?)\\end\{bmatrix\}")


def _matrix_width(match) -> str:
    # a matrix is as wide as its widest entry of each column, with room between the columns
    rows = [row.split("&") for row in match.group(1).split(r"\\")]
    columns = max(len(row) for row in rows)
    widths = [max(visible_width(row[c]) if c < len(row) else 0 for row in rows) + 2 for c in range(columns)]
    return "#" * (sum(widths) + 2)


def visible_width(latex: str) -> int:
    """A rough count of the glyphs a LaTeX string shows (a command counts as one, a matrix its widest row)."""
    latex = _MATRIX.sub(_matrix_width, latex)
    shown = re.sub(r"\\[a-zA-Z]+", "#", _INVISIBLE.sub("", latex))
    return len(re.sub(r"[{}^_&\\ ]", "", shown))


WIDE = 76  # a displayed line wider than this (in visible characters) does not fit the page


def side_by_side(pieces: list[str]) -> list[str]:
    """Equations joined by a comma on one line when they fit, else one per line."""
    joined = r", \quad ".join(pieces)
    return [joined] if visible_width(joined) <= WIDE else list(pieces)


def equation_chain(lhs: str, parts, relation: str = "=") -> str:
    """lhs = a = b = c on one line, or aligned one part per line when it is too long; repeats are dropped."""
    kept: list[str] = []
    for part in parts:
        if part and (not kept or part != kept[-1]) and part != lhs:
            kept.append(part)
    if visible_width(lhs + "".join(kept)) + 3 * len(kept) <= LINE_WIDTH:
        return f"{lhs} {relation} " + " = ".join(kept)
    rows = [f"{lhs} &{relation} {kept[0]}"] + [f"&= {part}" for part in kept[1:]]
    return r"\begin{aligned} " + r" \\ ".join(rows) + r" \end{aligned}"


@dataclass(frozen=True)
class Step:
    """One computation: lhs = formula = numbers substituted = value, and the network symbols it touches."""

    lhs: str
    formula: str
    substituted: str
    value: str
    symbols: tuple = ()
    note: Text | None = None
    relation: str = "="
    expansion: str = ""  # written between lhs and formula: the chain rule's product of partials
    kind: ClassVar[str] = "step"

    @property
    def latex(self) -> str:
        return equation_chain(self.lhs, (self.expansion, self.formula, self.substituted, self.value), self.relation)


@dataclass(frozen=True)
class Table:
    """A table whose cells are Text; `align` has one letter (l, r, c) per column."""

    header: tuple
    rows: tuple
    align: str
    kind: ClassVar[str] = "table"


@dataclass(frozen=True)
class Figure:
    """A picture drawn per format: "diagram" (the network), "cost-plot" (the cost history), "paths-W2-1-1" (a path figure)."""

    name: str
    caption: Text
    marks: tuple = ()  # a path figure's highlighted elements (render/pathdiagram.py)
    kind: ClassVar[str] = "figure"


@dataclass(frozen=True)
class Group:
    """A titled block: a layer's computations, or one parameter's derivation (anchor `grad-W3-2-1`)."""

    id: str
    title: Text
    items: tuple
    symbols: tuple = ()
    kind: ClassVar[str] = "group"


@dataclass(frozen=True)
class Vanished:
    """Gradients that are 0 for one shared reason, said in one line; `anchors` keep each parameter's link target."""

    text: Text
    anchors: tuple
    kind: ClassVar[str] = "vanished"


@dataclass(frozen=True)
class Exercise:
    id: str
    title: Text
    question: tuple
    solution: tuple
    asked: tuple = ()  # the numbers asked for, as the solution prints them (none of them appears in the body)
    kind: ClassVar[str] = "exercise"


@dataclass(frozen=True)
class Section:
    id: str
    number: int
    title: str
    items: tuple


@dataclass(frozen=True)
class WorkedExample:
    """Everything a document shows, in order; the same for HTML, TeX and Markdown."""

    name: str
    title: str
    notation: str
    detail: str
    summary: Text
    sections: tuple
    exercises: tuple
    history: tuple = field(default=())  # full-data cost before each step and after the last
