"""The matrix rows of dropout and batch norm: their forward equations and backward factors, with the numbers."""

from __future__ import annotations

import numpy as np

from ..notation import reduction
from .base import BACKWARD, FORWARD, MatrixRow


def _record(kind: str, backward: bool = False):
    """The recorded array of a kind at the equation's layer (batch statistics as columns)."""
    def result(ctx, equation):
        records = (ctx.d.backward if backward else ctx.d.forward).records
        value = np.asarray(records[(kind, equation.layer)])
        return value.reshape(-1, 1) if value.ndim == 1 else value
    return result


def _gradient(prefix: str):
    return lambda ctx, e: np.asarray(ctx.d.backward.gradients[f"{prefix}{e.layer}"]).reshape(-1, 1)


def _none(ctx, equation) -> str:
    return ""  # the matrices are shown as results; the operands would repeat them


def dropout_output(ctx, equation) -> str:
    # X^(l) = (1/(1-p)) M^(l) o A^(l)
    l, records = equation.layer, ctx.d.forward.records
    keep = 1 - ctx.number(ctx.spec.dropout.rate(l))  # a rational in exact mode
    return rf"\frac{{1}}{{{ctx.num(keep)}}} {ctx.matrix(records[('mask', l)])} \circ {ctx.matrix(records[('a', l)])}"


def gamma_gradient(ctx, equation) -> str:
    l = equation.layer
    r, _ = reduction(ctx)
    return f"{r} \\left({ctx.matrix(ctx.d.backward.records[('du', l)])} \\circ {ctx.matrix(ctx.d.forward.records[('zhat', l)])}\\right)^T \\mathbf{{1}}".strip()


ROWS = {
    "batch_mean": MatrixRow(FORWARD, _none, _record("mu")),
    "batch_variance": MatrixRow(FORWARD, _none, _record("var")),
    "normalized": MatrixRow(FORWARD, _none, _record("zhat")),
    "batchnorm_output": MatrixRow(FORWARD, _none, _record("u")),
    "dropout_output": MatrixRow(FORWARD, dropout_output, lambda ctx, e: ctx.d.forward.xs[e.layer]),
    "activation_delta": MatrixRow(BACKWARD, _none, _record("du", backward=True)),
    "dropout_delta": MatrixRow(BACKWARD, _none, _record("da", backward=True)),
    "batchnorm_delta": MatrixRow(BACKWARD, _none, lambda ctx, e: ctx.d.backward.deltas[e.layer]),
    "gamma_gradient": MatrixRow(BACKWARD, gamma_gradient, _gradient("gamma")),
    "beta_gradient": MatrixRow(BACKWARD, _none, _gradient("beta")),
}
