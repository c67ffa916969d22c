"""The loss table: one row per loss (per-sample SymPy form, LaTeX formula, NumPy pair).

The batch cost is J = r * sum_s loss_s with r = 1/n for reduction "mean" and
r = 1 for "sum"; squared error carries its own 1/2 when `half` is set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import sympy as sp


@dataclass(frozen=True)
class Loss:
    """One row: the per-sample loss of outputs yhat against targets y."""

    name: str
    latex: Callable  # (spec) -> LaTeX of the per-sample formula in \hat y_k, y_k
    form: Callable  # (yhat symbols, y symbols, spec) -> SymPy expression
    numpy: Callable  # (yhat, y, spec) -> loss per sample (rows)
    numpy_gradient: Callable  # (yhat, y, spec) -> d loss / d yhat, hand-written (reference only)
    exact: bool


def _half(spec):
    return sp.Rational(1, 2) if spec.half else sp.Integer(1)


def _squared_latex(spec):
    factor = r"\frac{1}{2}" if spec.half else ""
    return factor + r"\sum_{k} \left(\hat{y}_k - y_k\right)^2"


_ROWS = (
    Loss(
        "squared_error",
        _squared_latex,
        lambda yhat, y, spec: _half(spec) * sp.Add(*[(p - t) ** 2 for p, t in zip(yhat, y)]),
        lambda yhat, y, spec: float(_half(spec)) * ((yhat - y) ** 2).sum(axis=1),
        lambda yhat, y, spec: 2.0 * float(_half(spec)) * (yhat - y),
        exact=True,
    ),
    Loss(
        "cross_entropy",
        lambda spec: r"-\sum_{k} y_k \log \hat{y}_k",
        lambda yhat, y, spec: -sp.Add(*[t * sp.log(p) for p, t in zip(yhat, y)]),
        lambda yhat, y, spec: -(np.where(y != 0, y * np.log(np.where(y != 0, yhat, 1.0)), 0.0)).sum(axis=1),
        lambda yhat, y, spec: -y / yhat,
        exact=False,
    ),
    Loss(
        "binary_cross_entropy",
        lambda spec: r"-\sum_{k} \left[ y_k \log \hat{y}_k + (1 - y_k) \log\left(1 - \hat{y}_k\right) \right]",
        lambda yhat, y, spec: -sp.Add(*[t * sp.log(p) + (1 - t) * sp.log(1 - p) for p, t in zip(yhat, y)]),
        lambda yhat, y, spec: -(y * np.log(yhat) + (1.0 - y) * np.log(1.0 - yhat)).sum(axis=1),
        lambda yhat, y, spec: -y / yhat + (1.0 - y) / (1.0 - yhat),
        exact=False,
    ),
)

LOSSES: dict[str, Loss] = {row.name: row for row in _ROWS}


def reduction_factor(spec, n_samples: int):
    """r in J = r * sum_s loss_s, as an exact SymPy number."""
    return sp.Rational(1, n_samples) if spec.reduction == "mean" else sp.Integer(1)
