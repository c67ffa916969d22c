"""The update-rule registry: RULES maps a name to its row class; build_rule(spec, exact) is the spec's rule."""

from __future__ import annotations

import sympy as sp
from .adam import Adam, AdamW
from .adaptive import Adagrad, RMSprop
from .base import UpdateRule, hyper_defaults
from .sgd import SGD

RULES: dict[str, type[UpdateRule]] = {row.name: row for row in (SGD, Adagrad, RMSprop, Adam, AdamW)}


def rule_class(name: str) -> type[UpdateRule]:
    """The row class of an update rule; an unknown name is an error, never a silent default."""
    try:
        return RULES[name]
    except KeyError:
        raise KeyError(f"no update rule {name!r}; known: {', '.join(RULES)}") from None


def _converted(value, exact: bool):
    """A spec number as the rule computes with it: float64, or a SymPy Rational in exact mode; bools stay."""
    if isinstance(value, bool):
        return value
    if isinstance(value, tuple):
        return tuple(_converted(v, exact) for v in value)
    return sp.Rational(value) if exact else float(value)


def build_rule(spec, exact: bool = False) -> UpdateRule:
    """The NetworkSpec's update rule (the spec's validation imports the rows, so no import back) with its learning rate and hyper-parameters as floats, or SymPy Rationals when exact."""
    row = rule_class(spec.optimizer.name)
    settings = {key: _converted(value, exact) for key, value in spec.optimizer.settings}
    return row(_converted(spec.learning_rate, exact), **settings)


__all__ = ["RULES", "UpdateRule", "build_rule", "hyper_defaults", "rule_class"]
