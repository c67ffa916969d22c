"""Number formatting for tables and documents: significant digits, scientific when extreme, fractions when exact."""

from __future__ import annotations

import math
from fractions import Fraction

import sympy as sp

SMALL = 1e-4  # below this magnitude (and at or above 10**digits) numbers are written in scientific notation


def shape(value, digits: int = 6) -> str:
    """How the formatter writes a number: fraction, integer, zero, special (inf, nan), scientific or decimal."""
    if isinstance(value, Fraction):
        value = sp.Rational(value.numerator, value.denominator)
    if isinstance(value, sp.Rational):
        return "integer" if isinstance(value, sp.Integer) else "fraction"
    value = float(value)
    if value == 0:
        return "zero"
    if not math.isfinite(value):
        return "special"
    magnitude = abs(value)
    if magnitude < SMALL or magnitude >= 10 ** digits or "e" in f"{value:.{digits}g}":  # or rounding reached 10**digits
        return "scientific"
    return "decimal"


def is_scientific(value, digits: int = 6) -> bool:
    """Whether the number is written as m \\times 10^{e}."""
    return shape(value, digits) == "scientific"


def is_fraction(value, digits: int = 6) -> bool:
    """Whether the number is written as p/q (\\frac{p}{q})."""
    return shape(value, digits) == "fraction"


def format_number(value, digits: int = 6) -> str:
    """`-0.314`, `6384.31`, `1.2e-07` -> `1.2e-7`; exact rationals as `-157/500`."""
    if isinstance(value, Fraction):
        value = sp.Rational(value.numerator, value.denominator)
    kind = shape(value, digits)
    if kind == "fraction":
        return f"{value.p}/{value.q}"
    if kind == "integer":
        return str(int(value))
    value = float(value)
    if kind == "zero":
        return "0"
    if kind == "special":
        return str(value)
    if kind == "scientific":
        mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
        if "." in mantissa:
            mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}e{int(exponent)}"
    return f"{value:.{digits}g}"


def latex_number(value, digits: int = 6) -> str:
    """The same number as LaTeX: `-\\frac{157}{500}`, `1.2 \\times 10^{-7}`, `\\infty`."""
    text = format_number(value, digits)
    sign = "-" if text.startswith("-") else ""
    body = text.lstrip("-")
    if "/" in body:
        p, q = body.split("/")
        return rf"{sign}\frac{{{p}}}{{{q}}}"
    if body in ("inf", "nan"):
        return sign + (r"\infty" if body == "inf" else r"\text{NaN}")
    if "e" in body:
        mantissa, exponent = body.split("e")
        return rf"{sign}{mantissa} \times 10^{{{exponent}}}"
    return text

