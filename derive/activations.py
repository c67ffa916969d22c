"""The activation table: one row per activation (SymPy form, LaTeX name, NumPy pair).

The derivative used by the derivation is always `sympy.diff` of the form; the
NumPy backward functions here are written by hand and serve only the
independent reference backprop, so that the two can check each other.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Callable

import numpy as np
import sympy as sp


@dataclass(frozen=True)
class Activation:
    """One row: how an activation is written, derived, and computed by hand in NumPy."""

    name: str
    latex: str  # its name in documents, e.g. \operatorname{ReLU}
    form: Callable  # (z, spec) -> SymPy expression in z; for a vector row: (zs, spec) -> list
    numpy: Callable  # (z, spec) -> x, row-wise over samples
    numpy_backward: Callable  # (z, x, upstream, spec) -> dJ/dz given dJ/dx (hand-written)
    exact: bool  # rational inputs give rational outputs
    vector: bool = False  # each output depends on every receptor of the layer (softmax)


def _relu_form(z, spec):
    return sp.Piecewise((z, z > 0), (0, True))


def _leaky_form(z, spec):
    return sp.Piecewise((z, z > 0), (sp.Rational(spec.alpha) * z, True))


def _softmax_form(zs, spec):
    # x_k = exp(z_k) / sum_j exp(z_j)
    total = sp.Add(*[sp.exp(zj) for zj in zs])
    return [sp.exp(zk) / total for zk in zs]


def _softmax_numpy(z, spec):
    shifted = np.exp(z - z.max(axis=1, keepdims=True))  # same value, no overflow
    return shifted / shifted.sum(axis=1, keepdims=True)


def _softmax_backward(z, x, upstream, spec):
    # dJ/dz_k = sum_m dJ/dx_m x_m (1[m=k] - x_k) = x_k (dJ/dx_k - sum_m dJ/dx_m x_m)
    return x * (upstream - (upstream * x).sum(axis=1, keepdims=True))


def _sigmoid_numpy(z, spec):
    # 1/(1+e^-z) for z >= 0 and e^z/(1+e^z) for z < 0: the same value, and exp never overflows
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _softplus_numpy(z, spec):
    return np.logaddexp(0.0, z)


def _custom_form(z, spec):
    from .expression import parse_activation

    from .limits import DEFAULT_LIMITS

    expression, variable = parse_activation(spec.custom_expression, limits=getattr(spec, "limits", DEFAULT_LIMITS))
    return expression.xreplace({variable: z})


def _custom_numpy(z, spec):
    variable = sp.Symbol("z", real=True)
    return sp.lambdify(variable, _custom_form(variable, spec), "numpy")(z) + 0.0 * z


def _custom_backward(z, x, upstream, spec):
    # no hand-written derivative exists: a central difference of the NumPy function
    step = 1e-6 * np.maximum(1.0, np.abs(z))
    slope = (_custom_numpy(z + step, spec) - _custom_numpy(z - step, spec)) / (2 * step)
    return upstream * slope


_ROWS = (
    Activation(
        "identity", r"\operatorname{id}", lambda z, spec: z,
        lambda z, spec: z, lambda z, x, g, spec: g, exact=True,
    ),
    Activation(
        "relu", r"\operatorname{ReLU}", _relu_form,
        lambda z, spec: np.where(z > 0, z, 0.0), lambda z, x, g, spec: g * (z > 0), exact=True,
    ),
    Activation(
        "leaky_relu", r"\operatorname{LeakyReLU}", _leaky_form,
        lambda z, spec: np.where(z > 0, z, float(spec.alpha) * z),
        lambda z, x, g, spec: g * np.where(z > 0, 1.0, float(spec.alpha)), exact=True,
    ),
    Activation(
        "sigmoid", r"\sigma", lambda z, spec: 1 / (1 + sp.exp(-z)),
        _sigmoid_numpy, lambda z, x, g, spec: g * x * (1.0 - x), exact=False,
    ),
    Activation(
        "tanh", r"\tanh", lambda z, spec: sp.tanh(z),
        lambda z, spec: np.tanh(z), lambda z, x, g, spec: g * (1.0 - x * x), exact=False,
    ),
    Activation(
        "softplus", r"\operatorname{softplus}", lambda z, spec: sp.log(1 + sp.exp(z)),
        _softplus_numpy, lambda z, x, g, spec: g * _sigmoid_numpy(z, spec), exact=False,
    ),
    Activation(
        "softmax", r"\operatorname{softmax}", _softmax_form,
        _softmax_numpy, _softmax_backward, exact=False, vector=True,
    ),
    Activation(
        "custom", r"a", _custom_form, _custom_numpy, _custom_backward, exact=False,
    ),
)

ACTIVATIONS: dict[str, Activation] = {row.name: row for row in _ROWS}


def suggest(name: str, choices) -> str:
    """A ' (did you mean ...?)' hint listing the closest known names, or all of them."""
    close = difflib.get_close_matches(str(name), list(choices), n=3, cutoff=0.5)
    if close:
        return f" (did you mean {' or '.join(repr(c) for c in close)}?)"
    return f"; choose one of {', '.join(choices)}"
