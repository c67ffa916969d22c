"""Numbers as the platforms read them: plain decimals without exponent or float noise."""

from __future__ import annotations

from decimal import Decimal


def decimal_text(value: float) -> str:
    """A float in plain decimal notation (no exponent, 15 significant digits: no float noise), as platforms parse answers."""
    text = format(Decimal(f"{float(value):.15g}").normalize(), "f")
    return "0" if text in ("-0", "0") else text


def number_text(value: float, digits: int = 6) -> str:
    return decimal_text(float(f"{value:.{digits}g}"))
