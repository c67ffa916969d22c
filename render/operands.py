"""Signs and parentheses of printed numbers by precedence (as SymPy's `LatexPrinter.parenthesize`), never by string search."""

from __future__ import annotations

from dataclasses import dataclass

from sympy.printing.precedence import PRECEDENCE

from .lines import Breakable
from .numbers import is_fraction, is_scientific, latex_number

# How tightly a printed number holds together, on SymPy's precedence scale:
# a leading minus binds like a sum (SymPy gives a negative number PRECEDENCE["Add"]);
# scientific notation m \times 10^{e} is a product; \frac{p}{q} is a quotient, one unit beside
# a \times but not as the base of a power; any other number is an atom.
SIGNED = PRECEDENCE["Add"]
SCIENTIFIC = PRECEDENCE["Mul"]
FRACTION = (PRECEDENCE["Mul"] + PRECEDENCE["Pow"]) // 2
ATOM = PRECEDENCE["Atom"]

FACTOR = PRECEDENCE["Mul"]  # the level of an operand of \times
BASE = PRECEDENCE["Pow"]  # the level of the base of a power


def is_negative(value) -> bool:
    """The sign the printed number carries: -0.0 prints as 0 and is not negative; NaN has no sign."""
    return bool(value < 0)


def precedence(value, digits: int = 6) -> int:
    """How tightly the printed number binds, from the number itself (its sign and the shape the formatter gives it)."""
    if is_negative(value):
        return SIGNED
    if is_scientific(value, digits):
        return SCIENTIFIC
    if is_fraction(value, digits):
        return FRACTION
    return ATOM


def needs_parentheses(value, level: int, digits: int = 6, strict: bool = False) -> bool:
    """Whether the number binds no tighter than `level` (only looser when strict): SymPy's rule in `parenthesize`."""
    own = precedence(value, digits)
    return own < level or (not strict and own <= level)


def parenthesize(value, level: int, digits: int = 6, strict: bool = False) -> str:
    """The number, in \\left( \\right) when it needs them at `level`."""
    text = latex_number(value, digits)
    return rf"\left({text}\right)" if needs_parentheses(value, level, digits, strict) else text


def factor(value, digits: int = 6) -> str:
    """A number as an operand of a product: 0.5 \\times \\left(-0.3\\right)."""
    return parenthesize(value, FACTOR, digits)


def power_base(value, digits: int = 6) -> str:
    """A number as the base of a power: \\left(\\frac{1}{2}\\right)^{2}."""
    return parenthesize(value, BASE, digits)


def product(values, digits: int = 6) -> str:
    """Numbers multiplied: each factor parenthesized by its precedence."""
    return r" \times ".join(factor(v, digits) for v in values)


@dataclass(frozen=True)
class Term:
    """A term of a sum printed elsewhere: `text` is its magnitude, `negative` its sign (written as `a - text`)."""

    text: str
    negative: bool = False


DOTS = Term(r"\cdots")  # the terms left out of a long sum


def _signed(term, digits: int) -> tuple[bool, str]:
    """(negative, printed magnitude) of a number or a Term; a number's sign is read from the number."""
    if isinstance(term, Term):
        return term.negative, term.text
    if is_negative(term):
        return True, latex_number(-term, digits)  # the formatter is symmetric in the sign
    return False, latex_number(term, digits)


def signed_pieces(terms, digits: int = 6) -> list[str]:
    """The terms of a sum, each after the first with its operator: a later negative term is subtracted by its sign;
    the first keeps its minus, without parentheses (a sum's first term sits at the level of the sum itself)."""
    pieces = []
    for position, term in enumerate(terms):
        negative, text = _signed(term, digits)
        if position == 0:
            pieces.append(f"-{text}" if negative else text)
        else:
            pieces.append(f"- {text}" if negative else f"+ {text}")
    return pieces


def signed_sum(terms, digits: int = 6) -> str:
    """a + b - c, on one line (signed_pieces joined)."""
    return " ".join(signed_pieces(terms, digits))


def breakable_sum(pieces) -> Breakable:
    """Printed terms of a sum (signed_pieces) as one expression a displayed line may break between."""
    return Breakable(" ".join(pieces), pieces)


def bracketed_sum(pieces, after: str) -> Breakable:
    """(t1 + t2 + ...) times a factor, `after` being the operator and the factor (`\\times 0.2`): on one line in
    \\left( \\right), broken in \\bigl( \\bigr) with the factor a piece of its own."""
    pieces = list(pieces)
    text = rf"\left({' '.join(pieces)}\right) {after}"
    if len(pieces) == 1:
        return Breakable(text, [text])
    return Breakable(text, [r"\bigl(" + pieces[0], *pieces[1:-1], pieces[-1] + r"\bigr)", after])
