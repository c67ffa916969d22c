"""The matrix rows of today's dense layer with its activation: Z = X W + 1 b^T, X = a(Z), and their backward pass."""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..notation import reduction
from .base import BACKWARD, FORWARD, MatrixRow


def _ones(ctx) -> str:
    return rf"\mathbf{{1}}_{{{ctx.spec.n_samples}}}"


def receptor(ctx, equation) -> str:
    # Z^(l) = X^(l-1) W^(l) + 1 b^(l)T
    d, l = ctx.d, equation.layer
    bias_row = np.asarray(d.params[f"b{l}"]).reshape(1, -1)
    return f"{ctx.matrix(d.forward.xs[l - 1])} {ctx.matrix(d.params[f'W{l}'])} + {_ones(ctx)} {ctx.matrix(bias_row)}"


def neuron(ctx, equation) -> str:
    # X^(l) = a(Z^(l)), written with the activation's own name
    name = ctx.tex(equation.rhs).split(r"\left(")[0]
    return rf"{name}\left({ctx.matrix(ctx.d.forward.zs[equation.layer])}\right)"


def output_delta(ctx, equation) -> str:
    # dZ^(L) = c (X^(L) - Y) when the derivation simplifies it so; otherwise the matrices are not written out
    d, l = ctx.d, equation.layer
    if d.net.activation(l).vector or equation.rhs.has(sp.MatrixSymbol(f"dX{l}", *equation.lhs.shape)):
        return ""
    return f"{ctx.matrix(d.forward.xs[l])} - {ctx.matrix(d.Y)}"


def derivative_matrix(ctx, layer: int):
    """a'(z) of every sample and neuron of a layer, from the derived local factor."""
    n, width = ctx.spec.n_samples, ctx.spec.layers[layer]
    return np.array([[ctx.value(ctx.d.backprop.dx_dz(layer, k, k), s) for k in range(1, width + 1)]
                     for s in range(1, n + 1)], dtype=object)


def hidden_delta(ctx, equation) -> str:
    # dZ^(l) = (dZ^(l+1) W^(l+1)T) o a'(Z^(l)); written out only when small enough to read
    d, l, n = ctx.d, equation.layer, ctx.spec.n_samples
    if not (ctx.full or n * ctx.spec.layers[l] <= 64):
        return ""
    return (rf"\left({ctx.matrix(d.backward.deltas[l + 1])} {ctx.matrix(np.asarray(d.params[f'W{l + 1}']).T)}\right)"
            rf" \circ {ctx.matrix(derivative_matrix(ctx, l))}")


def weight_gradient(ctx, equation) -> str:
    # dW^(l) = r X^(l-1)T dZ^(l)
    d, l = ctx.d, equation.layer
    r, _ = reduction(ctx)
    return f"{r} {ctx.matrix(np.asarray(d.forward.xs[l - 1]).T)} {ctx.matrix(d.backward.deltas[l])}".strip()


def bias_gradient(ctx, equation) -> str:
    # db^(l) = r dZ^(l)T 1
    r, _ = reduction(ctx)
    return f"{r} {ctx.matrix(np.asarray(ctx.d.backward.deltas[equation.layer]).T)} {_ones(ctx)}".strip()


ROWS = {
    "receptor": MatrixRow(FORWARD, receptor, lambda ctx, e: ctx.d.forward.zs[e.layer]),
    "neuron": MatrixRow(FORWARD, neuron, lambda ctx, e: ctx.d.forward.xs[e.layer]),
    "output_delta": MatrixRow(BACKWARD, output_delta, lambda ctx, e: ctx.d.backward.deltas[e.layer]),
    "hidden_delta": MatrixRow(BACKWARD, hidden_delta, lambda ctx, e: ctx.d.backward.deltas[e.layer]),
    "weight_gradient": MatrixRow(BACKWARD, weight_gradient, lambda ctx, e: ctx.d.backward.gradients[f"W{e.layer}"]),
    "bias_gradient": MatrixRow(BACKWARD, bias_gradient,
                               lambda ctx, e: np.asarray(ctx.d.backward.gradients[f"b{e.layer}"]).reshape(-1, 1)),
}
