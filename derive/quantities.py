"""Old import path of quantity names, kept for code written before derive/names.py (the one grammar) existed."""

from .names import Quantity, parse_quantity

__all__ = ["Quantity", "parse_quantity"]
