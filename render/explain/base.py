"""The row of one kind of matrix equation: which section shows it and how its operands and result are printed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ...derive.errors import UnsupportedError

FORWARD, BACKWARD = "forward", "backward"  # the sections that show matrix equations


class UnknownKind(UnsupportedError, LookupError):
    """derive/ produced a kind render/ has no explainer for: a missing row, never a silent skip."""


@dataclass(frozen=True)
class MatrixRow:
    """How a worked example shows one kind of matrix equation.

    section: FORWARD or BACKWARD;
    operands(ctx, equation): the LaTeX of the matrices the right-hand side combines ("" leaves the row out);
    result(ctx, equation): the array the equation yields.
    """

    section: str
    operands: Callable
    result: Callable
