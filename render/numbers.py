"""Number formatting for tables and documents: significant digits, scientific when extreme, fractions when exact."""

from __future__ import annotations

import math
from fractions import Fraction

import sympy as sp

SMALL = 1e-4  # below this magnitude (and at or above 10**digits) numbers are written in scientific notation


def format_number(value, digits: int = 6) -> str:
    """`-0.314`, `6384.31`, `1.2e-07` -> `1.2e-7`; exact rationals as `-157/500`."""
    if isinstance(value, Fraction):
        value = sp.Rational(value.numerator, value.denominator)
    if isinstance(value, sp.Rational) and not isinstance(value, sp.Integer):
        return f"{value.p}/{value.q}"
    if isinstance(value, sp.Integer):
        return str(int(value))
    value = float(value)
    if value == 0:
        return "0"
    if not math.isfinite(value):
        return str(value)
    magnitude = abs(value)
    if magnitude < SMALL or magnitude >= 10 ** digits:
        mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
        if "." in mantissa:
            mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}e{int(exponent)}"
    text = f"{value:.{digits}g}"
    if "e" in text:  # rounding reached 10**digits exactly
        return format_number(float(text), digits)
    return text


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


def is_compound(text: str, base: bool = False) -> bool:
    """Whether a LaTeX number needs parentheses as a factor (signed, scientific) or as a power's base (also fractions)."""
    return text.startswith("-") or "\\times" in text or (base and "\\frac" in text)
