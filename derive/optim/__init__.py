"""The update-rule registry: RULES maps a name to its row class; build_rule(spec, exact) is the spec's rule."""

from __future__ import annotations

import sympy as sp

from ..netspec import NetworkSpec
from .base import UpdateRule
from .sgd import SGD

RULES: dict[str, type[UpdateRule]] = {row.name: row for row in (SGD,)}


def rule_class(name: str) -> type[UpdateRule]:
    """The row class of an update rule; an unknown name is an error, never a silent default."""
    try:
        return RULES[name]
    except KeyError:
        raise KeyError(f"no update rule {name!r}; known: {', '.join(RULES)}") from None


def build_rule(spec: NetworkSpec, exact: bool = False) -> UpdateRule:
    """The spec's update rule with its learning rate as a float, or as a SymPy Rational in exact mode."""
    rate = sp.Rational(spec.learning_rate) if exact else float(spec.learning_rate)
    return rule_class("sgd")(rate)
