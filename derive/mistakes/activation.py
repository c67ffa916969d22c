"""Mistakes in an activation's local derivative: rewrites of the activation rows."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Callable

import numpy as np

from ..layers.activation import Activation
from .recompute import Recipe

# rule -> (activations it changes, delta^(l) from (row, run, z, x, dJ/dx^(l)) as the person computes it)
_DERIVATIVES: dict[str, tuple[frozenset | None, Callable]] = {
    # d x / d z left out: delta = dJ/dx
    "one": (None, lambda row, run, z, x, g: g.copy()),
    # sigma(z)(1 - z) for sigma(z)(1 - sigma(z))
    "s_one_minus_z": (frozenset({"sigmoid"}), lambda row, run, z, x, g: g * (x * (1.0 - z))),
    # the formula in the neuron applied to the receptor: z(1 - z), 1 - z^2
    "from_z": (frozenset({"sigmoid", "tanh"}),
               lambda row, run, z, x, g: g * (z * (1.0 - z) if row.name == "sigmoid" else 1.0 - z * z)),
    # a'(0) = 1 where the derivation takes the slope left of 0
    "relu_zero_one": (frozenset({"relu", "leaky_relu"}),
                      lambda row, run, z, x, g: g * np.where(z == 0, 1.0, run.kernels.derivative(row, z, x))),
    # only the diagonal x_k (1 - x_k) of the softmax Jacobian
    "diagonal": (frozenset({"softmax"}), lambda row, run, z, x, g: g * x * (1.0 - x)),
}


@dataclass(frozen=True)
class MisderivedActivation(Activation):
    """An activation row whose local derivative is the person's, not the derived one."""

    rule: str = "one"

    def local_delta(self, run, z, x, upstream):
        return _DERIVATIVES[self.rule][1](self, run, z, x, upstream)


@dataclass(frozen=True)
class Unapplied(Activation):
    """The activation left out: x^(l) = z^(l), and so a'(z) = 1 in the person's backward pass."""

    def forward(self, run, receptor):
        return run.record(self.target, self.layer, receptor.copy())

    def local_delta(self, run, z, x, upstream):
        return upstream.copy()


@dataclass(frozen=True)
class AppliedTwice(Activation):
    """x^(l) = a(a(z^(l))), differentiated as the person's composition: a'(a(z)) a'(z)."""

    def forward(self, run, receptor):
        return run.record(self.target, self.layer, run.activation(self, run.activation(self, receptor)))

    def local_delta(self, run, z, x, upstream):
        inner = run.activation(self, z)
        return upstream * (run.kernels.derivative(self, inner, x) * run.kernels.derivative(self, z, inner))


# the activation a person confuses with each one (softplus' derivative is the sigmoid)
CONFUSED_WITH = {"sigmoid": "tanh", "tanh": "sigmoid", "leaky_relu": "relu", "softplus": "sigmoid"}


def _elementwise_rewrite(make, applies):
    def rewrite(recipe: Recipe, at, spec) -> Recipe:
        def change(row):
            if at(row.layer) and not row.vector and applies(row.name):
                return make(row)
            return None
        return replace(recipe, rows=recipe.rows.rewrite("activation", change))
    return rewrite


def _as(cls, row, **changes):
    """The row as another activation class, keeping where it reads and records (u and a around batch norm, dropout)."""
    kept = {f.name: getattr(row, f.name) for f in fields(Activation)}
    return cls(**{**kept, **changes})


not_applied = _elementwise_rewrite(lambda row: _as(Unapplied, row), lambda name: name != "identity")
applied_twice = _elementwise_rewrite(lambda row: _as(AppliedTwice, row),
                                     lambda name: name not in ("identity", "relu"))  # relu(relu(z)) = relu(z)
wrong_activation = _elementwise_rewrite(lambda row: _as(Activation, row, name=CONFUSED_WITH[row.name]),
                                        lambda name: name in CONFUSED_WITH)


def misderived(rule: str):
    """The rewrite: every activation row at the chosen layers that the rule concerns takes the person's derivative."""
    names, _ = _DERIVATIVES[rule]

    def rewrite(recipe: Recipe, at, spec) -> Recipe:
        def change(row):
            if at(row.layer) and (names is None or row.name in names):
                return _as(MisderivedActivation, row, rule=rule)
            return None
        return replace(recipe, rows=recipe.rows.rewrite("activation", change))
    return rewrite
