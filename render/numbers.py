"""Number formatting for tables and documents: significant digits, scientific when extreme, fractions when exact."""

from __future__ import annotations

import math

import sympy as sp


def format_number(value, digits: int = 6) -> str:
    """`-0.314`, `6384.31`, `1.2e-07`; exact rationals as `-157/500`."""
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
    if magnitude < 1e-4 or magnitude >= 10 ** digits:
        mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}e{int(exponent)}"
    text = f"{value:.{digits}g}"
    return text
