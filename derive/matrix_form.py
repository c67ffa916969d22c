"""The matrix form of the forward and backward passes: the rows' loop run on SymPy matrix symbols.

Rows are samples: X^(l) is n x n^(l), W^(l) is n^(l-1) x n^(l), b^(l) is n^(l) x 1.
"""

from __future__ import annotations

from typing import NamedTuple

import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from . import passes
from .backprop import Backprop
from .layers import build_rows
from .memo import Memo
from .model import GENERIC_Z, SymbolicNetwork
from .netspec import structure


class MatrixEquation(NamedTuple):
    """One matrix equation; `kind` says which step of backprop it is."""

    kind: str  # receptor | neuron | output_delta | hidden_delta | weight_gradient | bias_gradient
    layer: int
    lhs: sp.Basic
    rhs: sp.Basic


def output_delta_factor(net: SymbolicNetwork, backprop: Backprop):
    """c when every output delta simplifies to c (x^(L)_k - y_k), else None."""
    L, factors = net.L, set()
    for k in range(1, net.spec.layers[L] + 1):
        ratio = sp.cancel(backprop.output_delta(k).simplified / (net.x(L, k) - net.y(k)))
        if ratio.free_symbols:
            return None
        factors.add(ratio)
    return factors.pop() if len(factors) == 1 else None


class _MatrixOps:
    """The primitives on matrix symbols: products, transposes, 1 b^T, the Hadamard product, dZ^T 1."""

    def __init__(self, ones):
        self.ones = ones

    @staticmethod
    def matmul(a, b):
        return a * b

    @staticmethod
    def transpose(a):
        return a.T

    def add_rows(self, a, b):
        return a + self.ones * b.T

    @staticmethod
    def hadamard(a, b):
        return sp.HadamardProduct(a, b)

    @staticmethod
    def scale(r, a):
        return r * a

    def column_sums(self, a):
        return a.T * self.ones

    @staticmethod
    def add(a, b):
        return a + b

    @staticmethod
    def sum_squares(a):
        return sp.Trace(a.T * a)  # ||A||^2 = tr(A^T A)

    def column_means(self, a):
        return a.T * self.ones / self.ones.shape[0]  # (1/n) A^T 1, a column of n^(l) means

    @staticmethod
    def subtract(a, b):
        return a - b

    def broadcast(self, v, like):
        return self.ones * v.T  # 1 v^T

    def mul_rows(self, a, v):
        return sp.HadamardProduct(a, self.ones * v.T)

    @staticmethod
    def rsqrt(v, eps):
        t = sp.Dummy("t")
        return ElementwiseApplyFunction(sp.Lambda(t, 1 / sp.sqrt(t + eps)), v)


_EQUATIONS = {"z": "receptor", "x": "neuron", "delta": "hidden_delta", "a": "neuron",
              # dropout and batch norm (derive/layers/dropout.py, batchnorm.py); the mask is given, not an equation
              "mu": "batch_mean", "var": "batch_variance", "zhat": "normalized", "u": "batchnorm_output",
              "du": "activation_delta", "da": "dropout_delta"}
_GROUPS = {"receptor": 0, "neuron": 0, "output_delta": 1, "hidden_delta": 1, "weight_gradient": 2, "bias_gradient": 2,
           "batch_mean": 0, "batch_variance": 0, "normalized": 0, "batchnorm_output": 0, "dropout_output": 0,
           "activation_delta": 1, "dropout_delta": 1, "batchnorm_delta": 1, "gamma_gradient": 2, "beta_gradient": 2}
_NAMES = {"x": "X", "z": "Z", "delta": "dZ", "a": "A", "mask": "M", "zhat": "Zhat", "u": "U", "du": "dU", "da": "dA"}
_VECTORS = {"mu": "mu", "var": "sigma2_"}  # per-neuron batch statistics: n^(l) x 1


class _MatrixRun:
    """Records become matrix equations; values are the matrix symbols X^(l), Z^(l), dZ^(l), W^(l), b^(l)."""

    def __init__(self, net: SymbolicNetwork, backprop: Backprop):
        self.net, self.backprop = net, backprop
        self.n, self.sizes = sp.Symbol("n", integer=True, positive=True), net.spec.layers
        self.ops = _MatrixOps(sp.OneMatrix(self.n, 1))
        self.equations: list[MatrixEquation] = []
        self._recorded: set = set()

    def _matrix(self, name: str, rows, columns) -> sp.MatrixSymbol:
        return sp.MatrixSymbol(name, rows, columns)

    def value(self, kind: str, layer=None):
        if kind == "grad":
            return self.param(layer, prefix="d")
        if kind in _VECTORS:
            return self._matrix(f"{_VECTORS[kind]}{layer}", self.sizes[layer], 1)
        return self._matrix(f"{_NAMES[kind]}{layer}", self.n, self.sizes[layer])

    def param(self, name: str, prefix: str = ""):
        """W^(l) is n^(l-1) x n^(l); b^(l), gamma^(l), beta^(l) are n^(l) x 1."""
        kind, l = name.rstrip("0123456789"), int(name.lstrip("Wbgammabet"))
        rows, columns = (self.sizes[l - 1], self.sizes[l]) if kind == "W" else (self.sizes[l], 1)
        return self._matrix(f"{prefix}{name}", rows, columns)

    @staticmethod
    def number(value):
        return sp.Rational(value.numerator, value.denominator)

    def mask(self, row):
        return self.value("mask", row.layer)

    def record(self, kind: str, layer, value, note: str = ""):
        if value is None or (kind, layer) in (("x", 0), ("mask", layer)):
            return value if value is None else self.value(kind, layer)
        if kind == "grad":
            parameter = layer.rstrip("0123456789")
            equation = {"W": "weight_gradient", "b": "bias_gradient", "gamma": "gamma_gradient",
                        "beta": "beta_gradient"}[parameter]
            number = int(layer[len(parameter):])
        elif kind == "x" and self.recorded("a", layer):
            equation, number = "dropout_output", layer  # X^(l) = (1/(1-p)) M^(l) o A^(l)
        elif kind == "delta" and self.recorded("du", layer):
            equation, number = "batchnorm_delta", layer  # dZ^(l) through batch norm
        else:
            equation = "output_delta" if kind == "delta" and layer == self.net.L else _EQUATIONS[kind]
            number = layer
        self.equations.append(MatrixEquation(equation, number, self.value(kind, layer), value))
        self._recorded.add((kind, layer))
        return self.value(kind, layer)

    def recorded(self, kind: str, layer) -> bool:
        return (kind, layer) in self._recorded

    def reduction(self):
        return sp.Rational(1, 1) if self.net.spec.reduction == "sum" else 1 / self.n

    def _applied(self, row, derivative: bool) -> sp.Basic:
        l, Z = row.layer, self.value(row.source, row.layer)  # Z^(l), or U^(l) after batch norm
        if row.vector:
            return self._matrix(f"{'J' if derivative else ''}{row.name}(Z{l})", self.n, self.sizes[l])
        form = self.backprop.calculus(l).activation_derivative if derivative else self.net._generic_form(l)
        return ElementwiseApplyFunction(sp.Lambda(GENERIC_Z, form), Z)

    def activation(self, row, z):
        return self._applied(row, False)

    def activation_backward(self, row, z, x, upstream):
        if not row.output or row.delta_kind != "delta":
            # dZ^(l) = (dZ^(l+1) W^(l+1)T) o a'(Z^(l))
            return self.ops.hadamard(upstream, self._applied(row, True))
        L = row.layer
        factor = output_delta_factor(self.net, self.backprop)
        if factor is not None:  # dZ^(L) = c (X^(L) - Y)
            return factor * (x - self._matrix("Y", self.n, self.sizes[L]))
        gradient = self._matrix(f"dX{L}", self.n, self.sizes[L])
        return gradient * self._applied(row, True) if row.vector else sp.HadamardProduct(gradient, self._applied(row, True))

    @staticmethod
    def loss_gradient(row, outputs):
        return None  # the output delta is written in dX^(L) or in X^(L) - Y


_EQUATIONS_BY_STRUCTURE = Memo(32)


def matrix_form(net: SymbolicNetwork, backprop: Backprop) -> list[MatrixEquation]:
    """Z = X W + 1 b^T, X = a(Z); dZ^(L); dZ^(l) = (dZ^(l+1) W^(l+1)T) o a'(Z^(l)); dW = r X^T dZ; db = r dZ^T 1.

    Built once per structure (SymPy canonicalizes every matrix product as it is built; the equations are
    immutable, so networks of the same structure share them).
    """
    return list(_EQUATIONS_BY_STRUCTURE.get(structure(net.spec), lambda: _build(net, backprop)))


def _build(net: SymbolicNetwork, backprop: Backprop) -> list[MatrixEquation]:
    # the equations of the data cost J, as the backward-pass sections derive it (the L2 term is worked in Training)
    rows, run = build_rows(net.spec, l2=0), _MatrixRun(net, backprop)
    passes.forward(rows, run, run.value("x", 0))
    passes.backward(rows, run)
    # the forward equations, then the deltas from the output down, then the gradients from the output down
    return sorted(run.equations, key=lambda equation: _GROUPS[equation.kind])
