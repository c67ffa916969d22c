"""The chain rule in SymPy: local factors, deltas, gradients and paths, layer by layer.

Every derivative here is `sympy.diff` of an equation from the model. The local
derivatives are the layer rows' own (derive/layers/dense.py: dz/dx = w, dz/dw = x,
dz/db = 1; derive/layers/activation.py: a'(z), taken once on the generic z and
instantiated per neuron), and deltas stay symbols: the whole cost is never expanded.
"""

from __future__ import annotations

import gc
import itertools
from contextlib import contextmanager
from functools import cached_property
from typing import NamedTuple

import sympy as sp

from .errors import UnsupportedError
from .limits import DEFAULT_LIMITS, exceeds, hint
from .layers.activation import LayerCalculus, activation_calculus as _calculus, small  # noqa: F401  (re-exported)
from .layers.dense import input_factor, receptor_calculus, weight_factor
from .memo import Memo
from .model import GENERIC_X, GENERIC_Z, SymbolicNetwork
from .netspec import structure

MAX_PATHS = DEFAULT_LIMITS.paths


class Factor(NamedTuple):
    """One local derivative d(numerator)/d(denominator) on a chain-rule path."""

    kind: str  # "dJ/dx" | "dx/dz" | "dz/dx" | "dz/dw" | "dz/db"
    numerator: sp.Symbol
    denominator: sp.Symbol
    form: sp.Expr


class Path(NamedTuple):
    """One path from J back to a parameter: the product of its factors."""

    parameter: sp.Symbol
    factors: tuple[Factor, ...]

    @property
    def form(self) -> sp.Expr:
        return sp.Mul(*[f.form for f in self.factors])

    @property
    def nodes(self) -> tuple[sp.Symbol, ...]:
        return (self.factors[0].numerator,) + tuple(f.denominator for f in self.factors)


class DeltaFormula(NamedTuple):
    """delta^(l)_k = dJ/dz^(l)_k: the chain-rule sum as written and what SymPy simplifies it to."""

    layer: int
    index: int
    symbol: sp.Symbol
    terms: tuple[tuple[Factor, ...], ...]  # the summands, each a product of factors
    chain: sp.Expr
    simplified: sp.Expr


@contextmanager
def cyclic_gc_paused():
    """Pause Python's cyclic garbage collector while building many SymPy nodes (reference counting still frees them).

    Each of its passes walks every live object, so building n nodes with it on costs O(n^2) on a large layer
    (784 x 32 weights: 14 us per parameter with it, 6 us without).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _product(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    """a * b, equal to SymPy's product, built directly when both are distinct commutative symbols."""
    if b == 1:
        return a
    if isinstance(a, sp.Symbol) and isinstance(b, sp.Symbol) and a != b and a.is_commutative and b.is_commutative:
        # Mul keeps commutative factors in Basic.compare order; evaluating would only re-sort them, and both are
        # already SymPy objects: build the node from its arguments (what Mul(..., evaluate=False) ends with)
        return sp.Mul._from_args((a, b) if a.compare(b) < 0 else (b, a), is_commutative=True)
    return a * b


_PATHS = Memo(4096)  # by (structure, layer, i, j): a path is a tuple of symbolic factors
_OUTPUT_DELTAS = Memo(512)  # by (structure, k): a simplified delta holds no number


class Backprop:
    """Deltas, gradients, paths and local factors of one network, instantiated on demand."""

    def __init__(self, net: SymbolicNetwork):
        self.net = net
        # memos of derived formulas: each is derived once, whichever document or path asks for it
        self._output_deltas: dict[int, DeltaFormula] = {}
        self._loss_gradients: dict[int, sp.Expr] = {}
        receptor_calculus()  # the dense rows' local derivatives, taken once with the chain rule's other pieces

    def calculus(self, layer: int) -> LayerCalculus:
        return _calculus(self.net._generic_form(layer), self.net.spec.limits)

    # -- local factors -----------------------------------------------------
    def dx_dz(self, layer: int, m: int, k: int) -> sp.Expr:
        """d x^(l)_m / d z^(l)_k: a'(z) on the diagonal; the full Jacobian for softmax."""
        if self.net.activation(layer).vector:
            return self._vector_entry(layer, m, k)
        if m != k:
            return sp.Integer(0)
        calc = self.calculus(layer)
        if calc.derivative_in_output is not None:
            return calc.derivative_in_output.xreplace({GENERIC_X: self.net.x(layer, k)})
        return calc.activation_derivative.xreplace({GENERIC_Z: self.net.z(layer, k)})

    @cached_property
    def _output_jacobian(self) -> dict[bool, sp.Expr]:
        """dx_m/dz_k of a vector activation, keyed by m == k, taken at (1, 1) and (2, 1), in the outputs x."""
        # taken on a generic 3-neuron layer: the entries involve only x_m and x_k, so they hold for any width
        layer, net = self.net.L, self.net
        zs, xs = [net.z(layer, k) for k in (1, 2, 3)], [net.x(layer, k) for k in (1, 2, 3)]
        forms = net.activation(layer).form(zs, net.spec)
        scale = sp.Symbol("scale", positive=True)
        # z_j = log(x_j * scale), scale = sum_j exp(z_j): then exp(z_j) = x_j * scale
        to_outputs = {zj: sp.log(xj * scale) for zj, xj in zip(zs, xs)}
        # the outputs sum to 1: sum_j x_j -> 1 and sum_{j != i} x_j -> 1 - x_i
        unit_sum = {sp.Add(*xs): sp.Integer(1)}
        unit_sum.update({sp.Add(*[xj for xj in xs if xj != xi]): 1 - xi for xi in xs})
        entries = {}
        for same, m in ((True, 0), (False, 1)):
            raw = sp.diff(forms[m], zs[0]).subs(to_outputs)
            entries[same] = sp.factor(sp.cancel(raw)).xreplace(unit_sum)
        return entries

    def _vector_entry(self, layer: int, m: int, k: int) -> sp.Expr:
        # by symmetry of the activation under relabelling neurons, move (1, 1) or (2, 1) to (m, k)
        x = self.net.x
        if m == k:
            return self._output_jacobian[True].xreplace({x(layer, 1): x(layer, k)})
        return self._output_jacobian[False].xreplace({x(layer, 2): x(layer, m), x(layer, 1): x(layer, k)})

    def dJ_dx(self, m: int) -> sp.Expr:
        """d loss / d x^(L)_m for one sample."""
        if m not in self._loss_gradients:
            self._loss_gradients[m] = sp.diff(self.net.sample_cost, self.net.x(self.net.L, m))
        return self._loss_gradients[m]

    def dz_dx(self, layer: int, i: int, j: int) -> Factor:
        # dz^(l)_j / dx^(l-1)_i = w^(l)_{i,j}: the dense row's local derivative
        return Factor("dz/dx", self.net.z(layer, j), self.net.x(layer - 1, i), weight_factor(self.net.w(layer, i, j)))

    def dz_dparameter(self, parameter: sp.Symbol, layer: int, i: int | None, j: int) -> Factor:
        kind = "dz/db" if i is None else "dz/dw"
        return Factor(kind, self.net.z(layer, j), parameter, self._dz_form(layer, i))

    def _dz_form(self, layer: int, i: int | None) -> sp.Expr:
        """dz^(l)_j/db^(l)_j = 1, or dz^(l)_j/dw^(l)_{i,j} = x^(l-1)_i (the same for every j): the dense row's."""
        return input_factor(None if i is None else self.net.x(layer - 1, i))

    # -- deltas ------------------------------------------------------------
    def output_delta(self, k: int) -> DeltaFormula:
        """delta^(L)_k, derived and simplified once per output neuron (and per structure: it holds no number)."""
        if k not in self._output_deltas:
            self._output_deltas[k] = _OUTPUT_DELTAS.get((structure(self.net.spec), k),
                                                        lambda: self._derive_output_delta(k))
        return self._output_deltas[k]

    def _derive_output_delta(self, k: int) -> DeltaFormula:
        # delta^(L)_k = sum_m dJ/dx^(L)_m * dx^(L)_m/dz^(L)_k  (only m = k unless softmax)
        net, L = self.net, self.net.L
        ms = range(1, net.spec.layers[L] + 1) if net.activation(L).vector else [k]
        terms = tuple(
            (Factor("dJ/dx", net.J, net.x(L, m), self.dJ_dx(m)),
             Factor("dx/dz", net.x(L, m), net.z(L, k), self.dx_dz(L, m, k)))
            for m in ms
        )
        chain = sp.Add(*[a.form * b.form for a, b in terms])
        return DeltaFormula(L, k, net.delta(L, k), terms, chain, self._simplify_output(chain, k))

    def _simplify_output(self, chain: sp.Expr, k: int) -> sp.Expr:
        # a custom activation is user-sized: over the simplify budget, keep the chain rule as it stands
        # (the built-in activations and losses simplify in milliseconds, whatever the width)
        if self.net.activation(self.net.L).name == "custom" and not small(chain, self.net.spec.limits):
            return chain
        candidate = sp.factor(sp.cancel(sp.expand(chain)))
        ys = self.net.ys()
        if self.net.spec.loss == "cross_entropy" and len(ys) > 1:
            # the targets form a distribution: sum_j y_j = 1; eliminate one y_j other than y_k
            other = ys[-1] if k != len(ys) else ys[0]
            eliminated = sp.expand(candidate.subs(other, 1 - sp.Add(*[y for y in ys if y != other])))
            if sp.count_ops(eliminated) < sp.count_ops(candidate):
                candidate = sp.factor(eliminated)
        return candidate if sp.count_ops(candidate) <= sp.count_ops(chain) else chain

    def hidden_delta(self, layer: int, k: int) -> DeltaFormula:
        # delta^(l)_k = sum_m delta^(l+1)_m * dz^(l+1)_m/dx^(l)_k * dx^(l)_k/dz^(l)_k
        net = self.net
        local = Factor("dx/dz", net.x(layer, k), net.z(layer, k), self.dx_dz(layer, k, k))
        terms = tuple(
            (Factor("dJ/dz", net.J, net.z(layer + 1, m), net.delta(layer + 1, m)), self.dz_dx(layer + 1, k, m), local)
            for m in range(1, net.spec.layers[layer + 1] + 1)
        )
        chain = sp.Add(*[a.form * b.form for a, b, _ in terms]) * local.form
        return DeltaFormula(layer, k, net.delta(layer, k), terms, chain, chain)

    def delta(self, layer: int, k: int) -> DeltaFormula:
        return self.output_delta(k) if layer == self.net.L else self.hidden_delta(layer, k)

    # -- gradients ---------------------------------------------------------
    def gradient(self, layer: int, i: int | None, j: int) -> sp.Expr:
        """d loss / d w^(l)_{i,j} = delta^(l)_j x^(l-1)_i, or d loss / d b^(l)_j = delta^(l)_j, for one sample."""
        return _product(self.net.delta(layer, j), self._dz_form(layer, i))

    def layer_gradients(self, layer: int) -> dict[sp.Symbol, sp.Expr]:
        """Every parameter's gradient in one layer, ordered w^(l)_{1,j}..w^(l)_{n,j}, b^(l)_j for j = 1, 2, ..."""
        net, result = self.net, {}
        forms = [self._dz_form(layer, i) for i in range(1, net.spec.layers[layer - 1] + 1)]
        by_bias = self._dz_form(layer, None)
        with cyclic_gc_paused():  # one product per parameter: tens of thousands of new nodes, none in a cycle
            for j in range(1, net.spec.layers[layer] + 1):
                delta = net.delta(layer, j)
                for i, form in enumerate(forms, start=1):
                    result[net.w(layer, i, j)] = _product(delta, form)
                result[net.b(layer, j)] = _product(delta, by_bias)
        return result

    def paths(self, layer: int, i: int | None, j: int) -> list[Path]:
        """Every chain-rule path from J back to w^(l)_{i,j} (or b^(l)_j when i is None)."""
        # the paths hold symbols only: specs of one structure (exercise variants) share them
        key = (structure(self.net.spec), layer, i, j)
        return list(_PATHS.get(key, lambda: tuple(self._paths(layer, i, j))))

    def _paths(self, layer: int, i: int | None, j: int) -> list[Path]:
        net, L = self.net, self.net.L
        parameter = net.b(layer, j) if i is None else net.w(layer, i, j)
        widths = [range(1, net.spec.layers[l] + 1) for l in range(layer + 1, L + 1)]
        outputs = range(1, net.spec.layers[L] + 1) if net.activation(L).vector else [None]
        count = len(outputs) * int(sp.prod([len(w) for w in widths]))
        most = net.spec.limits.paths
        if exceeds(count, most):
            raise UnsupportedError("paths", f"{parameter} has {count} chain-rule paths (more than {most}); use the delta "
                                            f"recursion{hint(net.spec.limits)}")
        result = []
        for route in itertools.product(*widths):
            neurons = (j,) + route  # the neuron index at layers l, l+1, ..., L
            for out in outputs:
                m = neurons[-1] if out is None else out
                factors = [Factor("dJ/dx", net.J, net.x(L, m), self.dJ_dx(m)),
                           Factor("dx/dz", net.x(L, m), net.z(L, neurons[-1]), self.dx_dz(L, m, neurons[-1]))]
                for depth in range(L - 1, layer - 1, -1):  # down through the hidden layers
                    lower = neurons[depth - layer]
                    factors.append(self.dz_dx(depth + 1, lower, neurons[depth - layer + 1]))
                    factors.append(Factor("dx/dz", net.x(depth, lower), net.z(depth, lower), self.dx_dz(depth, lower, lower)))
                factors.append(self.dz_dparameter(parameter, layer, i, j))
                result.append(Path(parameter, tuple(factors)))
        return result
