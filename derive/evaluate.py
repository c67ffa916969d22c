"""Numbers from the derived formulas: the rows' loop (derive/passes.py) run with one compiled function per formula.

Forward:  Z^(l) = X^(l-1) W^(l) + 1 b^(l)T,  X^(l) = a(Z^(l))
Backward: dZ^(L) from the derived output delta; dZ^(l) = (dZ^(l+1) W^(l+1)T) * a'(Z^(l));
          dW^(l) = r X^(l-1)T dZ^(l),  db^(l) = r 1^T dZ^(l),  r = 1/n (mean) or 1 (sum).
Float mode uses float64 arrays; exact mode object arrays of SymPy rationals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import sympy as sp

from . import passes
from .backprop import Backprop
from .errors import NumericalError
from .layers import build_rows
from .limits import hint
from .memo import Memo
from .model import GENERIC_Z, SymbolicNetwork
from .netspec import NetworkSpec, structure
from .optim import build_rule
from .training import train_steps

Params = dict[str, np.ndarray]  # "W1" -> n^(0) x n^(1) array, "b1" -> n^(1) vector, ...


def initial_parameters(spec: NetworkSpec, exact: bool = False) -> Params:
    """The spec's W^(l) and b^(l) as arrays (float64, or SymPy rationals when exact)."""
    convert = sp.Rational if exact else float
    dtype = object if exact else float
    params = {}
    for l in range(1, spec.depth + 1):
        params[f"W{l}"] = np.array([[convert(v) for v in row] for row in spec.weights[l - 1]], dtype=dtype)
        params[f"b{l}"] = np.array([convert(v) for v in spec.biases[l - 1]], dtype=dtype)
        params.update(_batchnorm_parameters(spec, l, convert, dtype))
    return params


def _batchnorm_parameters(spec: NetworkSpec, l: int, convert, dtype) -> Params:
    """gamma^(l) and beta^(l) of a batch-normalized layer (default ones and zeros), after W^(l), b^(l)."""
    bn = spec.batchnorm
    if bn is None or l not in bn.layers:
        return {}
    ones, zeros = (1,) * spec.layers[l], (0,) * spec.layers[l]
    gamma, beta = dict(bn.gamma).get(l, ones), dict(bn.beta).get(l, zeros)
    return {f"gamma{l}": np.array([convert(v) for v in gamma], dtype=dtype),
            f"beta{l}": np.array([convert(v) for v in beta], dtype=dtype)}


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
    records: dict = field(default_factory=dict, compare=False)  # every value of the pass: masks, batch statistics


@dataclass(frozen=True)
class BackwardState:
    """Per-sample dJ/dx^(L), deltas dZ^(l), batch gradients and the batch cost."""

    output_gradient: np.ndarray
    deltas: tuple
    sample_costs: np.ndarray
    cost: object
    gradients: Params
    records: dict = field(default_factory=dict, compare=False)  # every value of the pass, e.g. ("du", l)


_KERNELS = Memo(32)  # by (structure, exact): exercise variants differ only in their numbers


class CompiledNetwork:
    """The derivation's formulas compiled with lambdify: the kernels of the rows' loop, evaluated on arrays."""

    def __init__(self, net: SymbolicNetwork, backprop: Backprop, exact: bool = False):
        self.net, self.exact = net, exact
        self.rows = build_rows(net.spec, exact)
        (self._activation, self._derivative, self._output_delta, self._output_gradient,
         self._sample_cost) = _KERNELS.get((structure(net.spec), exact), lambda: self._compile(net, backprop))

    def _compile(self, net: SymbolicNetwork, backprop: Backprop) -> tuple:
        # modules=[np] (the module, not the name "numpy") avoids lambdify's `from numpy import *` of every submodule
        compile_ = _substitution if self.exact else (lambda args, expr: sp.lambdify(args, expr, [np]))
        spec, L = net.spec, net.L
        activation, derivative = {}, {}
        for l in range(1, L + 1):
            if net.activation(l).vector:
                activation[l] = self._columns(compile_(net.zs(l), net.activation_forms(l)))
            else:
                form = net._generic_form(l)
                activation[l] = self._elementwise(compile_([GENERIC_Z], form))
                derivative[l] = self._elementwise(compile_([GENERIC_Z], backprop.calculus(l).activation_derivative))
        outputs, targets, receptors = net.xs(L), net.ys(), net.zs(L)
        deltas = [backprop.output_delta(k).simplified for k in range(1, spec.layers[L] + 1)]
        output_delta = self._columns(compile_(outputs + targets + receptors, deltas))
        gradient = [backprop.dJ_dx(m) for m in range(1, spec.layers[L] + 1)]
        output_gradient = self._columns(compile_(outputs + targets, gradient))
        sample_cost = self._columns(compile_(outputs + targets, [net.sample_cost]))
        return activation, derivative, output_delta, output_gradient, sample_cost

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

    # -- the kernels the rows' loop asks for ---------------------------------
    def reduction(self, n: int):
        r = sp.Rational(1, n) if self.net.spec.reduction == "mean" else sp.Integer(1)
        return r if self.exact else float(r)

    @staticmethod
    def total(r, costs):
        return r * costs.sum()

    def activation(self, row, z):
        if row.vector and not self.exact:
            # softmax(z) = softmax(z - max z): the same values without exp overflow
            return self._activation[row.layer](z - z.max(axis=1, keepdims=True))
        return self._activation[row.layer](z)

    def derivative(self, row, z, x):
        return self._derivative[row.layer](z)

    def output_delta(self, row, z, x, Y):
        return self._output_delta(x, Y, z)

    def vector_backward(self, row, z, x, upstream):  # only an output layer is a vector layer: its delta is derived
        raise NotImplementedError("a vector activation below the output layer")

    def sample_loss(self, row, outputs, Y):
        return self._sample_cost(outputs, Y)[:, 0]

    def loss_gradient(self, row, outputs, Y):
        return self._output_gradient(outputs, Y)

    # -- passes ------------------------------------------------------------
    def _run(self, params: Params, X: np.ndarray, Y=None, masks=None) -> passes.ArrayRun:
        run = passes.ArrayRun(self, params, Y, masks=masks)
        with np.errstate(over="ignore", under="ignore"):
            passes.forward(self.rows, run, X)
        return run

    def forward(self, params: Params, X: np.ndarray, masks=None) -> ForwardState:
        """The forward pass; `masks` ({"x1": ...}, one row per sample of X) replace the worked pass's dropout masks."""
        run = self._run(params, X, masks=masks)
        L = self.net.L
        return ForwardState(run.layered("z", L, 1), run.layered("x", L, 0), dict(run.values))

    def backward(self, params: Params, state: ForwardState, Y: np.ndarray) -> BackwardState:
        run = passes.ArrayRun(self, params, Y)
        L = self.net.L
        run.values.update(state.records)  # masks and batch statistics of the forward pass
        for l in range(L + 1):  # the forward values as given
            run.record("x", l, state.xs[l])
            if l:
                run.record("z", l, state.zs[l])
        with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
            passes.cost(self.rows, run, state.xs[L])
            passes.backward(self.rows, run)
        return BackwardState(run.value("dx", L), run.layered("delta", L, 1), run.value("Js"), run.value("J"),
                             run.gradients(self.rows), dict(run.values))

    def gradients(self, params: Params, X: np.ndarray, Y: np.ndarray, masks=None) -> Params:
        """dJ/dW^(l) and dJ/db^(l) for the batch (X, Y) (with a training step's dropout masks when given)."""
        return self.backward(params, self.forward(params, X, masks), Y).gradients

    def cost(self, params: Params, X: np.ndarray, Y: np.ndarray):
        return self.backward(params, self.forward(params, X), Y).cost


@dataclass(frozen=True)
class Training:
    """Gradient descent: parameters before each step and after the last, with the cost at each."""

    trajectory: tuple  # Params at step 0, 1, ..., steps
    history: tuple  # full-data cost J_total at each of those
    steps: tuple = ()  # derive/training.StepRecord of steps 1..steps: mini-batch, gradient, clipping, state


def train(compiled: CompiledNetwork, params: Params, X, Y) -> Training:
    spec = compiled.net.spec
    trajectory, history, records = [params], [compiled.cost(params, X, Y)], []
    for record in train_steps(compiled.gradients, build_rule(spec, compiled.exact), params, X, Y, spec):
        params = record.params
        if compiled.exact:
            _check_exact_size(params, len(trajectory), spec.limits)
        trajectory.append(params)
        records.append(record)
        history.append(compiled.cost(params, X, Y))
    return Training(tuple(trajectory), tuple(history), tuple(records))


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
