"""The format-neutral records of a worked example: sections of text, steps, tables and groups."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Optional

# the layout of displayed lines lives in render/lines.py; side_by_side and width are re-exported for the sections
from .lines import DEFAULT, equation_chain, side_by_side, width  # noqa: F401


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

    def fit(self, budget: float) -> str:
        return self.latex


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
        return self.fit(DEFAULT)

    def fit(self, budget: float) -> str:
        """The chain laid out for a line `budget` em wide: long parts broken between their printed terms."""
        return equation_chain(self.lhs, (self.expansion, self.formula, self.substituted, self.value), self.relation, budget)


@dataclass(frozen=True)
class Table:
    """A table whose cells are Text; `align` has one letter (l, r, c) per column."""

    header: tuple
    rows: tuple
    align: str
    kind: ClassVar[str] = "table"


@dataclass(frozen=True)
class Code:
    """A program listing shown verbatim: each format escapes it as data (HTML entities, a Markdown fence longer than
    any backtick run in it, TeX character codes), so nothing in it can end the block."""

    text: str
    language: str = "python"
    kind: ClassVar[str] = "code"


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
    history_val: tuple = field(default=())  # with validation data: its cost at the same steps
    stopped_at: Optional[int] = None  # the step early stopping ended training after
    best_step: Optional[int] = None  # with validation data: the step of the best validation cost counted
