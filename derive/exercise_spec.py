"""The [exercise] table of a spec as a frozen record: value ranges, decimals, margin, what to ask (read in nnsteps.exercise_table)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Optional

Range = tuple[Fraction, Fraction]  # [low, high], both included
GROUPS = ("forward", "cost", "backward", "gradients", "update")  # the groups of quantities `ask` may name
SELECTIONS = ("short", "all")  # short: one forward quantity per layer, the cost, one delta per layer, two gradients
# and one update; all: every group


@dataclass(frozen=True)
class ExerciseSpec:
    """How to draw variants: value ranges (None keeps the spec's numbers), decimals, margin, and what to ask."""

    weights: Optional[Range] = (Fraction(-1), Fraction(1))
    biases: Optional[Range] = (Fraction(-1), Fraction(1))
    inputs: Optional[Range] = (Fraction(-2), Fraction(2))
    targets: Any = "auto"  # a Range, "one-hot", "binary", "auto" (by the loss) or None (keep)
    decimals: int = 1  # of weights and biases
    data_decimals: int = 1  # of inputs and targets
    margin: Fraction = Fraction(1, 20)  # receptors drawn at least this far from 0 (the ReLU kink)
    ask: tuple[str, ...] = ("short",)  # patterns, groups, "short" (a few per phase) or "all"
    title: str = ""
    significant_digits: Optional[int] = None  # the precision policy of `check` and `grade` (None: its default, 3)


DEFAULT = ExerciseSpec()
