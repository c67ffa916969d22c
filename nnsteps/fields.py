"""Field readers shared by spec and answer loading: exact numbers, vectors, matrices, known keys, typed settings.

Every reader checks its budget from derive/limits.py before it builds anything, and names the field in its error.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any, Mapping

from .derive.errors import SpecError
from .derive.limits import DEFAULT_LIMITS, Limits, hint


def number(value: Any, where: str, limits: Limits = DEFAULT_LIMITS) -> Fraction:
    """An exact fraction of the number as written, its size checked before the fraction is built."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, Fraction)):
        raise SpecError(where, f"{short(value)} is not a number")
    if isinstance(value, float):
        value = Decimal(repr(value))  # the decimal as written in Python
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise SpecError(where, f"{value} is not finite")
        check_decimal(value, where, limits)
    if isinstance(value, int):
        check_whole(value, where, limits)
    if isinstance(value, Fraction):
        check_whole(value.numerator, where, limits)
        check_whole(value.denominator, where, limits)
    return Fraction(value)


def check_decimal(value: Decimal, where: str, limits: Limits = DEFAULT_LIMITS) -> None:
    """Digits and exponent of a decimal: 1e999999999 would become an exact fraction of a billion digits."""
    digits = len(value.as_tuple().digits)
    if digits > limits.decimal_digits:
        raise SpecError(where, f"a number of {digits} significant digits, more than {limits.decimal_digits}{hint(limits)}")
    if value and abs(value.adjusted()) > limits.decimal_exponent:
        raise SpecError(where, f"{value:.3e} is beyond 1e±{limits.decimal_exponent}{hint(limits)}")


def check_whole(value: int, where: str, limits: Limits = DEFAULT_LIMITS) -> None:
    """At most `limits.integer_digits` digits (compared without converting it to text)."""
    if abs(value) >= 10 ** limits.integer_digits:
        raise SpecError(where, f"a whole number of more than {limits.integer_digits} digits{hint(limits)}")


def short(value: Any) -> str:
    """A value for an error message: its repr, cut to 80 characters; a huge whole number is never turned into text."""
    text = repr(value) if not isinstance(value, int) or abs(value) < 10**60 else "a huge number"
    return text if len(text) <= 80 else text[:77] + "..."


def vector(value: Any, where: str, limits: Limits = DEFAULT_LIMITS) -> tuple[Fraction, ...]:
    """A list of numbers; entry i (from 1) is named `where[i]`."""
    if not isinstance(value, (list, tuple)):
        raise SpecError(where, f"expected a list of numbers, got {short(value)}")
    return tuple(number(v, f"{where}[{i}]", limits) for i, v in enumerate(value, start=1))


def matrix(value: Any, where: str, limits: Limits = DEFAULT_LIMITS) -> tuple[tuple[Fraction, ...], ...]:
    """A list of rows of numbers; row i (from 1) is named `where[i]`."""
    if not isinstance(value, (list, tuple)) or not all(isinstance(row, (list, tuple)) for row in value):
        raise SpecError(where, f"expected a list of rows (a list of lists), got {short(value)}")
    return tuple(vector(row, f"{where}[{i}]", limits) for i, row in enumerate(value, start=1))


def check_keys(mapping: Mapping, allowed: set, where: str) -> None:
    """Every key of the table is one of `allowed`; an unknown one is named `where.key`, with the closest known names."""
    for key in mapping:
        if key not in allowed:
            from .derive.activations import suggest  # NumPy and SymPy come with it: only on the way to an error

            prefix = f"{where}." if where else ""
            raise SpecError(f"{prefix}{key}", f"unknown field{suggest(key, sorted(allowed))}")


def typed(mapping: Mapping, key: str, kind, default, limits: Limits = DEFAULT_LIMITS):
    """The top-level setting `key` (or `default`), which must be a bool, a whole number within budget, or a string."""
    value = mapping.get(key, default)
    if kind is bool and not isinstance(value, bool):
        raise SpecError(key, f"{short(value)} must be true or false")
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise SpecError(key, f"{short(value)} must be a whole number")
    if kind is int:
        check_whole(value, key, limits)
    if kind is str and not isinstance(value, str):
        raise SpecError(key, f"{short(value)} must be a string")
    return value


MAX_SIGNIFICANT_DIGITS = 15  # a float64 carries about 15 significant digits: asking more could never be met


def significant_digits_setting(value: Any, where: str) -> int:
    """A precision policy setting: a whole number from 0 (no minimum) to MAX_SIGNIFICANT_DIGITS."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SIGNIFICANT_DIGITS:
        raise SpecError(where, f"{short(value)} must be a whole number from 0 to {MAX_SIGNIFICANT_DIGITS}")
    return value
