"""The dense row: z^(l) = x^(l-1) W^(l) + b^(l), its local derivatives, and its step of the reverse loop."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

import sympy as sp

from ..generic import GENERIC_X as GENERIC_INPUT  # the generic neuron x^(l-1)_i
from .base import Layer

_W, _B, _REST = sp.symbols("w_generic b_generic rest", real=True)


class ReceptorCalculus(NamedTuple):
    """The local derivatives of z = w x + (other terms) + b, the same in every layer."""

    by_weight: sp.Expr  # dz/dw = x
    by_input: sp.Expr  # dz/dx = w
    by_bias: sp.Expr  # dz/db = 1


@lru_cache(maxsize=1)
def receptor_calculus() -> ReceptorCalculus:
    """sympy.diff of one generic receptor term, taken once."""
    receptor = _W * GENERIC_INPUT + _REST + _B
    return ReceptorCalculus(sp.diff(receptor, _W), sp.diff(receptor, GENERIC_INPUT), sp.diff(receptor, _B))


def weight_factor(weight: sp.Symbol) -> sp.Expr:
    """dz^(l)_j / dx^(l-1)_i, instantiated at w^(l)_{i,j}."""
    return receptor_calculus().by_input.xreplace({_W: weight})


def input_factor(inputs: sp.Symbol | None) -> sp.Expr:
    """dz^(l)_j / dw^(l)_{i,j} = x^(l-1)_i, or dz^(l)_j / db^(l)_j = 1 when `inputs` is None."""
    calc = receptor_calculus()
    if inputs is None:
        return calc.by_bias
    # the generic derivative is the generic input itself: instantiate without walking the tree
    return inputs if calc.by_weight == GENERIC_INPUT else calc.by_weight.xreplace({GENERIC_INPUT: inputs})


def receptor_equation(net, layer: int, k: int) -> tuple:
    """(z^(l)_k, sum_i w^(l)_{i,k} x^(l-1)_i + b^(l)_k, the summands in index order) in the network's symbols."""
    pairs = tuple((net.w(layer, i, k), net.x(layer - 1, i)) for i in range(1, net.spec.layers[layer - 1] + 1))
    rhs = sp.Add(*[w * x for w, x in pairs], net.b(layer, k))
    return net.z(layer, k), rhs, pairs + (net.b(layer, k),)


@dataclass(frozen=True)
class Dense(Layer):
    """Weights and biases of layer l. Mistakes rewrite it by overriding one of its hooks (derive/mistakes/dense.py)."""

    kind = "dense"
    l2: Any = 0  # lambda of the L2 term (lambda/2) ||W||^2 in J_total; 0: none

    def parameters(self) -> tuple[str, ...]:
        return (f"W{self.layer}", f"b{self.layer}")

    # -- hooks: what a person may read differently -------------------------
    def inputs(self, run):
        """x^(l-1), the row's input as the forward pass recorded it."""
        return run.value("x", self.layer - 1)

    def forward_weights(self, run):
        return run.param(f"W{self.layer}")

    def propagation_weights(self, run):
        return run.param(f"W{self.layer}")

    def bias(self, run):
        return run.param(f"b{self.layer}")

    def reduction(self, run):
        """r in dW = r X^T delta: 1/n for a mean over the batch, 1 for a sum."""
        return run.reduction()

    def penalized_weights(self, run):
        """The W^(l) of the L2 term's gradient lambda W^(l)."""
        return run.param(f"W{self.layer}")

    def gradient_inputs(self, run):
        return self.inputs(run)

    def weight_gradient(self, run, inputs, delta, r):
        # dJ/dW^(l) = r X^(l-1)T delta^(l)
        ops = run.ops
        return ops.scale(r, ops.matmul(ops.transpose(inputs), delta))

    def bias_gradient(self, run, delta, r):
        # dJ/db^(l) = r 1^T delta^(l) (the L2 term has no biases)
        return run.ops.scale(r, run.ops.column_sums(delta))

    # -- the loop's steps ----------------------------------------------------
    def forward(self, run, inputs):
        # Z^(l) = X^(l-1) W^(l) + 1 b^(l)T
        l, ops = self.layer, run.ops
        receptor = ops.add_rows(ops.matmul(self.inputs(run), self.forward_weights(run)), self.bias(run))
        return run.record("z", l, receptor, note=f"Z^({l}) = X^({l - 1}) W^({l}) + 1 b^({l})T")

    def backward(self, run, delta):
        l, ops = self.layer, run.ops
        r = self.reduction(run)
        weight_gradient = self.weight_gradient(run, self.gradient_inputs(run), delta, r)
        if self.l2:  # d/dW (lambda/2) ||W||^2 = lambda W
            weight_gradient = ops.add(weight_gradient, ops.scale(self.l2, self.penalized_weights(run)))
        run.record("grad", f"W{l}", weight_gradient, note=f"dJ/dW^({l}) = r X^({l - 1})T dZ^({l})"
                   + (f" + lambda W^({l})" if self.l2 else ""))
        run.record("grad", f"b{l}", self.bias_gradient(run, delta, r), note=f"dJ/db^({l}) = r 1^T dZ^({l})")
        if l == 1:
            return None
        # chain rule: dJ/dX^(l-1) = delta^(l) W^(l)T
        return ops.matmul(delta, ops.transpose(self.propagation_weights(run)))
