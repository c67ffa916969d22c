"""The activation row: x^(l) = a(z^(l)), its local derivative (sympy.diff on the generic z, cached), and its step."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from ..activations import ACTIVATIONS, Activation as ActivationRow
from ..limits import DEFAULT_LIMITS, Limits, exceeds
from ..generic import GENERIC_X, GENERIC_Z
from .base import Layer


@dataclass(frozen=True)
class LayerCalculus:
    """The local derivative of one elementwise activation, taken once on the generic z."""

    activation_derivative: sp.Expr  # a'(z) in the generic z
    derivative_in_output: sp.Expr | None  # a'(z) written in a = a(z) when that is a polynomial


@lru_cache(maxsize=64)
def activation_calculus(form: sp.Expr, limits: Limits = DEFAULT_LIMITS) -> LayerCalculus:
    # x = a(z): its derivative a'(z), and the same written in x when SymPy finds it
    derivative = sp.diff(form, GENERIC_Z)
    return LayerCalculus(derivative, _in_output(form, derivative, limits))


def call_depth(expression: sp.Expr) -> int:
    """Function applications nested in each other: 0 in z**2, 1 in tanh(z), 2 in log(1 + exp(z))."""
    depth, level = 0, [(expression, 0)]
    while level:  # iterative: the tree may be deep
        node, calls = level.pop()
        calls += isinstance(node, sp.Function)
        depth = max(depth, calls)
        level.extend((arg, calls) for arg in node.args)
    return depth


def small(expression: sp.Expr, limits: Limits) -> bool:
    """Within the operation budget for simplify, factor and solve (which have no time bound of their own)."""
    return not exceeds(sp.count_ops(expression), limits.simplify_ops)


def _in_output(form: sp.Expr, derivative: sp.Expr, limits: Limits = DEFAULT_LIMITS) -> sp.Expr | None:
    """Write a'(z) in terms of the neuron a = a(z) when SymPy finds a polynomial (sigma(1-sigma), 1-tanh^2).

    Optional (None keeps a'(z) in z, equally correct), so it is tried only within the simplify budget: the
    derivative small, and SymPy's solve only on activations without nested calls (solve on tanh(tanh(z)) alone
    takes 5 s, and is_constant calls simplify, stuck for minutes on exp(exp(exp(exp(exp(z)))))).
    """
    if GENERIC_Z not in derivative.free_symbols or derivative.has(sp.Piecewise, sp.Abs, sp.Max, sp.Min):
        return None
    if not small(derivative, limits) or not small(form, limits):
        return None
    candidates = [derivative.subs(form, GENERIC_X)]
    if not exceeds(call_depth(form), limits.solve_calls) and form.is_polynomial(GENERIC_Z) is False:
        try:  # (for a polynomial a(z) of degree > 1, a'(z) is never a polynomial in a: no need to solve)
            # check=False, simplify=False: solve's own verification and simplification of the roots cost 8x the
            # solving (simplifying a log even imports sympy.physics.units); a root that is not finite
            # is dropped here, and the formula found is verified below at sample points instead
            roots = sp.solve(sp.Eq(form, GENERIC_X), GENERIC_Z, check=False, simplify=False)
            candidates += [derivative.subs(GENERIC_Z, root) for root in roots if root.is_finite is not False
                           and not root.has(sp.zoo, sp.nan, sp.oo)]
        except (NotImplementedError, TypeError, ValueError):
            pass
    for candidate in candidates[:4]:  # the substitution and the first roots; more roots are branches
        if not small(candidate, limits):
            continue
        candidate = sp.factor(sp.simplify(candidate))
        if not candidate.has(GENERIC_Z) and candidate.is_polynomial(GENERIC_X) and _agrees(candidate, form, derivative):
            return candidate
    return None


def _agrees(in_output: sp.Expr, form: sp.Expr, derivative: sp.Expr) -> bool:
    """g(a(z)) = a'(z) at sample points on both sides of 0 (guards against a branch that is not this function's)."""
    for point in (sp.Rational(-13, 10), sp.Rational(-1, 3), sp.Rational(2, 5), sp.Rational(17, 10)):
        expected = derivative.subs(GENERIC_Z, point).evalf(30)
        found = in_output.subs(GENERIC_X, form.subs(GENERIC_Z, point)).evalf(30)
        if not (expected.is_number and found.is_number) or abs(sp.N(expected - found, 30)) > 1e-20 * (1 + abs(expected)):
            return False
    return True


@dataclass(frozen=True)
class Activation(Layer):
    """The activation of layer l, from the activation table; `output` marks the last layer (its delta meets the loss)."""

    kind = "activation"
    name: str = "identity"
    output: bool = False
    # the recorded kinds it reads and writes: z -> x by default; u (batch norm) -> a (before dropout) when
    # a batch-norm or dropout row sits beside it, and its delta is then dJ/du ("du") for the batch-norm row
    source: str = "z"
    target: str = "x"
    delta_kind: str = "delta"

    @property
    def row(self) -> ActivationRow:
        return ACTIVATIONS[self.name]

    @property
    def vector(self) -> bool:
        """Each output depends on every receptor of the layer (softmax): a Jacobian, not a diagonal."""
        return self.row.vector

    def forward(self, run, receptor):
        # X^(l) = a(Z^(l))
        l = self.layer
        return run.record(self.target, l, run.activation(self, receptor), note=f"X^({l}) = a_{l}(Z^({l}))")

    def local_delta(self, run, z, x, upstream):
        """delta^(l) from dJ/dx^(l): (dJ/dX) * a'(Z), the Jacobian product for softmax, the derived output delta."""
        return run.activation_backward(self, z, x, upstream)

    def backward(self, run, upstream):
        l = self.layer
        z, x = run.value(self.source, l), run.value(self.target, l)
        # chain rule: delta^(l) = dJ/dX^(l) * a'(Z^(l))
        return run.record(self.delta_kind, l, self.local_delta(run, z, x, upstream), note=self._delta_note())

    def _delta_note(self) -> str:
        l = self.layer
        return f"dZ^({l}): the derived output delta" if self.output else f"chain rule: dJ/dX^({l}) * a_{l}'(Z^({l}))"
