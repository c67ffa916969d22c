"""Numbers from the derived formulas: one compiled function per layer formula.

Forward:  Z^(l) = X^(l-1) W^(l) + 1 b^(l)T,  X^(l) = a(Z^(l))
Backward: dZ^(L) from the derived output delta; dZ^(l) = (dZ^(l+1) W^(l+1)T) * a'(Z^(l));
          dW^(l) = r X^(l-1)T dZ^(l),  db^(l) = r 1^T dZ^(l),  r = 1/n (mean) or 1 (sum).
Float mode uses float64 arrays; exact mode object arrays of SymPy rationals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import sympy as sp

from .backprop import Backprop
from .errors import NumericalError
from .limits import hint
from .model import GENERIC_Z, SymbolicNetwork
from .netspec import NetworkSpec

Params = dict[str, np.ndarray]  # "W1" -> n^(0) x n^(1) array, "b1" -> n^(1) vector, ...


def initial_parameters(spec: NetworkSpec, exact: bool = False) -> Params:
    """The spec's W^(l) and b^(l) as arrays (float64, or SymPy rationals when exact)."""
    convert = sp.Rational if exact else float
    dtype = object if exact else float
    params = {}
    for l in range(1, spec.depth + 1):
        params[f"W{l}"] = np.array([[convert(v) for v in row] for row in spec.weights[l - 1]], dtype=dtype)
        params[f"b{l}"] = np.array([convert(v) for v in spec.biases[l - 1]], dtype=dtype)
    return params


def data_arrays(spec: NetworkSpec, exact: bool = False) -> tuple[np.ndarray, np.ndarray]:
    convert = sp.Rational if exact else float
    dtype = object if exact else float
    as_array = lambda rows: np.array([[convert(v) for v in row] for row in rows], dtype=dtype)  # noqa: E731
    return as_array(spec.X), as_array(spec.Y)


def _substitution(args: list, expression) -> Callable:
    """Exact evaluation by substituting rationals (lambdify would print 1/2 as a float division)."""
    def evaluate(*values):
        mapping = dict(zip(args, values))
        if isinstance(expression, list):
            return [e.xreplace(mapping) for e in expression]
        return expression.xreplace(mapping)
    return evaluate


@dataclass(frozen=True)
class ForwardState:
    """Z^(l) and X^(l) for every layer (index 0 of zs unused; xs[0] is the input)."""

    zs: tuple
    xs: tuple


@dataclass(frozen=True)
class BackwardState:
    """Per-sample dJ/dx^(L), deltas dZ^(l), batch gradients and the batch cost."""

    output_gradient: np.ndarray
    deltas: tuple
    sample_costs: np.ndarray
    cost: object
    gradients: Params


class CompiledNetwork:
    """The derivation's formulas compiled with lambdify, evaluated on arrays."""

    def __init__(self, net: SymbolicNetwork, backprop: Backprop, exact: bool = False):
        self.net, self.exact = net, exact
        # modules=[np] (the module, not the name "numpy") avoids lambdify's `from numpy import *` of every submodule
        compile_ = _substitution if exact else (lambda args, expr: sp.lambdify(args, expr, [np]))
        spec, L = net.spec, net.L
        self._activation, self._derivative = {}, {}
        for l in range(1, L + 1):
            if net.activation(l).vector:
                self._activation[l] = self._columns(compile_(net.zs(l), net.activation_forms(l)))
            else:
                form = net._generic_form(l)
                self._activation[l] = self._elementwise(compile_([GENERIC_Z], form))
                derivative = backprop.calculus(l).activation_derivative
                self._derivative[l] = self._elementwise(compile_([GENERIC_Z], derivative))
        outputs, targets, receptors = net.xs(L), net.ys(), net.zs(L)
        deltas = [backprop.output_delta(k).simplified for k in range(1, spec.layers[L] + 1)]
        self._output_delta = self._columns(compile_(outputs + targets + receptors, deltas))
        gradient = [backprop.dJ_dx(m) for m in range(1, spec.layers[L] + 1)]
        self._output_gradient = self._columns(compile_(outputs + targets, gradient))
        self._sample_cost = self._columns(compile_(outputs + targets, [net.sample_cost]))

    # -- applying compiled scalar functions to arrays ------------------------
    def _elementwise(self, function: Callable) -> Callable:
        if self.exact:
            return lambda array: np.frompyfunc(lambda v: sp.Rational(function(v)), 1, 1)(array).astype(object)
        return lambda array: np.broadcast_to(np.asarray(function(array), dtype=float), array.shape).copy()

    def _columns(self, function: Callable) -> Callable:
        # f(column_1, ..., column_m) -> list of columns, stacked back into rows of samples
        def apply(*arrays):
            columns = [column for array in arrays for column in np.asarray(array).T]
            if self.exact:
                rows = [function(*values) for values in zip(*columns)]
                return np.array([[sp.Rational(v) for v in row] for row in rows], dtype=object)
            n = arrays[0].shape[0]
            return np.stack([np.broadcast_to(np.asarray(v, dtype=float), (n,)) for v in function(*columns)], axis=1)
        return apply

    # -- passes ------------------------------------------------------------
    def forward(self, params: Params, X: np.ndarray) -> ForwardState:
        zs, xs = [None], [X]
        with np.errstate(over="ignore", under="ignore"):
            for l in range(1, self.net.L + 1):
                Z = xs[-1] @ params[f"W{l}"] + params[f"b{l}"]  # Z = X W + 1 b^T
                zs.append(Z)
                if self.net.activation(l).vector and not self.exact:
                    # softmax(z) = softmax(z - max z): the same values without exp overflow
                    xs.append(self._activation[l](Z - Z.max(axis=1, keepdims=True)))
                else:
                    xs.append(self._activation[l](Z))
        return ForwardState(tuple(zs), tuple(xs))

    def backward(self, params: Params, state: ForwardState, Y: np.ndarray) -> BackwardState:
        L, n = self.net.L, Y.shape[0]
        r = sp.Rational(1, n) if self.net.spec.reduction == "mean" else sp.Integer(1)
        r = r if self.exact else float(r)
        zs, xs = state.zs, state.xs
        with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
            sample_costs = self._sample_cost(xs[L], Y)[:, 0]
            output_gradient = self._output_gradient(xs[L], Y)
            deltas = [None] * (L + 1)
            deltas[L] = self._output_delta(xs[L], Y, zs[L])
            for l in range(L - 1, 0, -1):
                # chain rule: dZ^(l) = (dZ^(l+1) W^(l+1)T) * a'(Z^(l))
                deltas[l] = (deltas[l + 1] @ params[f"W{l + 1}"].T) * self._derivative[l](zs[l])
        gradients = {}
        for l in range(1, L + 1):
            gradients[f"W{l}"] = r * (xs[l - 1].T @ deltas[l])  # dW = r X^T dZ
            gradients[f"b{l}"] = r * deltas[l].sum(axis=0)  # db = r 1^T dZ
        return BackwardState(output_gradient, tuple(deltas), sample_costs, r * sample_costs.sum(), gradients)

    def gradients(self, params: Params, X: np.ndarray, Y: np.ndarray) -> Params:
        """dJ/dW^(l) and dJ/db^(l) for the batch (X, Y)."""
        return self.backward(params, self.forward(params, X), Y).gradients

    def cost(self, params: Params, X: np.ndarray, Y: np.ndarray):
        return self.backward(params, self.forward(params, X), Y).cost


@dataclass(frozen=True)
class Training:
    """Gradient descent: parameters before each step and after the last, with the cost at each."""

    trajectory: tuple  # Params at step 0, 1, ..., steps
    history: tuple  # full-data cost at each of those


def batches(n_samples: int, batch_size: int, steps: int) -> list[np.ndarray]:
    """Sample indices of each step: the data in order, cycling; batch_size 0 is the full batch."""
    size = n_samples if batch_size in (0, None) or batch_size >= n_samples else batch_size
    return [np.arange(t * size, (t + 1) * size) % n_samples for t in range(steps)]


def train(compiled: CompiledNetwork, params: Params, X, Y) -> Training:
    spec = compiled.net.spec
    rate = sp.Rational(spec.learning_rate) if compiled.exact else float(spec.learning_rate)
    trajectory, history = [params], [compiled.cost(params, X, Y)]
    for rows in batches(len(X), spec.batch_size, spec.steps):
        grads = compiled.gradients(params, X[rows], Y[rows])
        # gradient descent: theta <- theta - eta * dJ/dtheta
        params = {
            name: value - rate * grads[name] if (name[0] == "W" or spec.update_biases) else value
            for name, value in params.items()
        }
        if compiled.exact:
            _check_exact_size(params, len(trajectory), spec.limits)
        trajectory.append(params)
        history.append(compiled.cost(params, X, Y))
    return Training(tuple(trajectory), tuple(history))


def _check_exact_size(params: Params, step: int, limits) -> None:
    """Exact rationals roughly triple their digits at every step: stop before the next step becomes unbounded."""
    if limits.exact_digits is None:
        return
    # digits of the largest numerator or denominator, from its length in bits (log10(2) = 0.30103)
    bits = max(max(abs(int(v.p)), int(v.q)).bit_length() for value in params.values() for v in np.ravel(value))
    digits = int(bits * 0.30103) + 1
    if digits > limits.exact_digits:
        raise NumericalError("steps", f"after step {step} an exact number has {digits:,} digits, more than "
                                      f"{limits.exact_digits:,}; use fewer steps or numbers = \"float\"{hint(limits)}")
