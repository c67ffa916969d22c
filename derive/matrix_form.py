"""The matrix form of the forward and backward passes, as SymPy matrix expressions.

Rows are samples: X^(l) is n x n^(l), W^(l) is n^(l-1) x n^(l), b^(l) is n^(l) x 1.
"""

from __future__ import annotations

from typing import NamedTuple

import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from .backprop import Backprop
from .model import GENERIC_Z, SymbolicNetwork


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


def matrix_form(net: SymbolicNetwork, backprop: Backprop) -> list[MatrixEquation]:
    """Z = X W + 1 b^T, X = a(Z); dZ^(L); dZ^(l) = (dZ^(l+1) W^(l+1)T) o a'(Z^(l)); dW = r X^T dZ; db = r dZ^T 1."""
    n, sizes, L = sp.Symbol("n", integer=True, positive=True), net.spec.layers, net.L
    X = lambda l: sp.MatrixSymbol(f"X{l}", n, sizes[l])  # noqa: E731
    Z = lambda l: sp.MatrixSymbol(f"Z{l}", n, sizes[l])  # noqa: E731
    dZ = lambda l: sp.MatrixSymbol(f"dZ{l}", n, sizes[l])  # noqa: E731
    W = lambda l: sp.MatrixSymbol(f"W{l}", sizes[l - 1], sizes[l])  # noqa: E731
    b = lambda l: sp.MatrixSymbol(f"b{l}", sizes[l], 1)  # noqa: E731
    ones = sp.OneMatrix(n, 1)
    r = sp.Rational(1, 1) if net.spec.reduction == "sum" else 1 / n

    def applied(l: int, derivative: bool) -> sp.Basic:
        if net.activation(l).vector:
            return sp.MatrixSymbol(f"{'J' if derivative else ''}{net.activation(l).name}(Z{l})", n, sizes[l])
        calc = backprop.calculus(l)
        form = calc.activation_derivative if derivative else net._generic_form(l)
        return ElementwiseApplyFunction(sp.Lambda(GENERIC_Z, form), Z(l))

    equations = []
    for l in range(1, L + 1):
        equations.append(MatrixEquation("receptor", l, Z(l), X(l - 1) * W(l) + ones * b(l).T))
        equations.append(MatrixEquation("neuron", l, X(l), applied(l, False)))
    factor = output_delta_factor(net, backprop)
    if factor is not None:
        Y = sp.MatrixSymbol("Y", n, sizes[L])
        equations.append(MatrixEquation("output_delta", L, dZ(L), factor * (X(L) - Y)))
    else:
        gradient = sp.MatrixSymbol(f"dX{L}", n, sizes[L])
        rhs = gradient * applied(L, True) if net.activation(L).vector else sp.HadamardProduct(gradient, applied(L, True))
        equations.append(MatrixEquation("output_delta", L, dZ(L), rhs))
    for l in range(L - 1, 0, -1):
        equations.append(MatrixEquation("hidden_delta", l, dZ(l), sp.HadamardProduct(dZ(l + 1) * W(l + 1).T, applied(l, True))))
    for l in range(L, 0, -1):
        equations.append(MatrixEquation("weight_gradient", l, sp.MatrixSymbol(f"dW{l}", sizes[l - 1], sizes[l]), r * X(l - 1).T * dZ(l)))
        equations.append(MatrixEquation("bias_gradient", l, sp.MatrixSymbol(f"db{l}", sizes[l], 1), r * dZ(l).T * ones))
    return equations
