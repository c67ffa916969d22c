"""Reading the [exercise] table of a spec: validated fields -> the frozen ExerciseSpec of derive/exercise_spec.py."""

from __future__ import annotations

from typing import Any, Mapping, Optional

from .derive.errors import SpecError
from .derive.exercise_spec import GROUPS, SELECTIONS, ExerciseSpec, Range
from .fields import check_keys, number, significant_digits_setting

TARGET_KINDS = ("auto", "keep", "one-hot", "binary")
FIELDS = {"weights", "biases", "inputs", "targets", "decimals", "data_decimals", "margin", "ask", "title",
          "significant_digits"}


def _range(value: Any, field: str, allow_keep: bool = True) -> Optional[Range]:
    if allow_keep and value == "keep":
        return None
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise SpecError(field, f"{value!r} must be a range [low, high]" + (' or "keep"' if allow_keep else ""))
    low, high = number(value[0], f"{field}[1]"), number(value[1], f"{field}[2]")
    if low > high:
        raise SpecError(field, f"low {float(low)} is above high {float(high)}")
    return (low, high)


def _decimals(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 6:
        raise SpecError(field, f"{value!r} must be a whole number from 0 to 6")
    return value


def exercise_from_mapping(table: Any) -> ExerciseSpec:
    """Validate the [exercise] table of a spec."""
    if not isinstance(table, Mapping):
        raise SpecError("exercise", "must be a table: " + ", ".join(sorted(FIELDS)))
    check_keys(table, FIELDS, "exercise")
    fields = {}
    for key in ("weights", "biases", "inputs"):
        if key in table:
            fields[key] = _range(table[key], f"exercise.{key}", allow_keep=key != "weights")
    if "targets" in table:
        value = table["targets"]
        if isinstance(value, str):
            if value not in TARGET_KINDS:
                raise SpecError("exercise.targets", f"{value!r} must be a range [low, high] or one of {', '.join(TARGET_KINDS)}")
            fields["targets"] = None if value == "keep" else value
        else:
            fields["targets"] = _range(value, "exercise.targets")
    for key in ("decimals", "data_decimals"):
        if key in table:
            fields[key] = _decimals(table[key], f"exercise.{key}")
    if "margin" in table:
        fields["margin"] = number(table["margin"], "exercise.margin")
        if fields["margin"] < 0:
            raise SpecError("exercise.margin", "must be at least 0")
    if "ask" in table:
        ask = table["ask"]
        if isinstance(ask, str):
            ask = [ask]
        if not isinstance(ask, (list, tuple)) or not ask or not all(isinstance(a, str) for a in ask):
            raise SpecError("exercise.ask", f"{ask!r} must be a list of quantity names, patterns like \"z1[*]\" or groups {', '.join(GROUPS + SELECTIONS)}")
        fields["ask"] = tuple(ask)
    if "title" in table:
        if not isinstance(table["title"], str):
            raise SpecError("exercise.title", f"{table['title']!r} must be a string")
        fields["title"] = table["title"]
    if "significant_digits" in table:
        fields["significant_digits"] = significant_digits_setting(table["significant_digits"], "exercise.significant_digits")
    exercise = ExerciseSpec(**fields)
    weights = exercise.weights
    scale = 10 ** exercise.decimals
    if weights[0] * scale > -1 and weights[1] * scale < 1:
        raise SpecError("exercise.weights", f"no nonzero weight with {exercise.decimals} decimals lies in the range")
    return exercise
