"""The one forward and reverse loop over the layer rows, and the array run that carries numbers through it.

    forward:  x^(0) = X;  each row in order: dense z^(l) = x^(l-1) W^(l) + b^(l), activation x^(l) = a(z^(l))
    cost:     J = r * sum_s loss(x^(L)_s, y_s)
    backward: dJ/dx^(L) from the loss; each row in reverse: activation delta^(l) = dJ/dx^(l) * a'(z^(l)),
              dense dW^(l) = r X^(l-1)T delta^(l), db^(l) = r 1^T delta^(l), dJ/dx^(l-1) = delta^(l) W^(l)T

Every consumer runs these two functions: the compiled numbers (derive/evaluate.py), a person's numbers and
mistakes (derive/mistakes/), the exported NumPy source (derive/codegen.py) and the matrix form
(derive/matrix_form.py). They differ only in the run they pass in.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Optional

import numpy as np

from .layers import NetworkRows


def forward(rows: NetworkRows, run, X) -> Any:
    """x^(L) of the rows, every value recorded in the run."""
    value = run.record("x", 0, X)
    for row in rows.layers:
        value = row.forward(run, value)
    return value


def cost(rows: NetworkRows, run, outputs) -> Any:
    return rows.loss.forward(run, outputs)


def backward(rows: NetworkRows, run) -> None:
    """The reverse loop: dJ/dx^(L) from the loss, then each row from its output's gradient to its input's."""
    upstream = rows.loss.backward(run)
    for row in reversed(rows.layers):
        upstream = row.backward(run, upstream)


class ArrayOps:
    """The primitives on NumPy arrays (float64, or object arrays of SymPy rationals)."""

    @staticmethod
    def matmul(a, b):
        return a @ b

    @staticmethod
    def transpose(a):
        return a.T

    @staticmethod
    def add_rows(a, b):
        return a + b  # a row vector added to every sample's row (1 b^T)

    @staticmethod
    def hadamard(a, b):
        return a * b

    @staticmethod
    def scale(r, a):
        return r * a

    @staticmethod
    def column_sums(a):
        return a.sum(axis=0)

    @staticmethod
    def add(a, b):
        return a + b  # same shapes (a gradient and lambda W; a cost and its L2 term)

    @staticmethod
    def sum_squares(a):
        return (a * a).sum()  # ||A||^2, the squared Frobenius norm

    @staticmethod
    def column_means(a):
        return a.sum(axis=0) / a.shape[0]  # (1/n) 1^T A: the mean over the batch

    @staticmethod
    def subtract(a, b):
        return a - b

    @staticmethod
    def broadcast(v, like):
        return v  # 1 v^T: NumPy broadcasts a row vector over the samples

    @staticmethod
    def mul_rows(a, v):
        return a * v  # A o 1 v^T: every sample's row times v elementwise

    @staticmethod
    def rsqrt(v, eps):
        return 1.0 / np.sqrt(v + eps)


Put = Callable[[Any, str, Any], Any]  # (array, kind, layer) -> the array a person's numbers were put into


class ArrayRun:
    """One pass on arrays: kernels evaluate the rows' formulas; `put` may replace values by a person's numbers."""

    ops = ArrayOps

    def __init__(self, kernels, params: Mapping[str, np.ndarray], Y=None, put: Optional[Put] = None,
                 masks: Optional[Mapping] = None):
        self.kernels, self.params, self.Y = kernels, params, Y
        self.values: dict[tuple, Any] = {}
        self._put = put
        self.masks = masks  # a training step's dropout masks {"x1": ...}; None: the rows' own (the worked pass)

    def record(self, kind: str, layer, value, note: str = ""):
        if self._put is not None and value is not None:
            value = self._put(value, kind, layer)
        self.values[(kind, layer)] = value
        return value

    def value(self, kind: str, layer=None):
        return self.values[(kind, layer)]

    def param(self, name: str):
        return self.params[name]

    @property
    def exact(self) -> bool:
        return bool(getattr(self.kernels, "exact", False))

    def number(self, value):
        """A constant of a row (1/(1-p), eps) as the pass computes: a SymPy Rational when exact, else float64."""
        import sympy as sp

        return sp.Rational(value.numerator, value.denominator) if self.exact else float(value)

    def mask(self, row):
        """The 0/1 dropout mask of the row (or of the step's masks) as an array of the pass's numbers."""
        mask = row.mask if self.masks is None else self.masks[f"x{row.layer}"]
        return np.array([[self.number(v) for v in sample] for sample in mask], dtype=object if self.exact else float)

    def reduction(self):
        return self.kernels.reduction(len(self.Y))

    def total(self, r, costs):
        return self.kernels.total(r, costs)

    def activation(self, row, z):
        return self.kernels.activation(row, z)

    def activation_backward(self, row, z, x, upstream):
        if row.output:
            fused = self.kernels.output_delta(row, z, x, self.Y)
            if fused is not None:  # the derived delta^(L) = dJ/dz^(L), simplified by SymPy (x - y for a matched pair)
                return fused
        if row.vector:
            return self.kernels.vector_backward(row, z, x, upstream)
        return self.ops.hadamard(upstream, self.kernels.derivative(row, z, x))

    def sample_loss(self, row, outputs):
        return self.kernels.sample_loss(row, outputs, self.Y)

    def loss_gradient(self, row, outputs):
        return self.kernels.loss_gradient(row, outputs, self.Y)

    # -- what the pass produced, by layer --------------------------------------
    def layered(self, kind: str, depth: int, first: int) -> tuple:
        """(None, ..., value at layer first, ..., value at depth): the recorded values of a kind."""
        return tuple(self.values.get((kind, l)) if l >= first else None for l in range(depth + 1))

    def gradients(self, rows: NetworkRows) -> dict:
        return {name: self.values[("grad", name)] for name in rows.parameters()}
