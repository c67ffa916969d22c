"""What a document says about each elementwise activation: derivative, range, where a'(z) vanishes, values at 0.

Every fact is computed by SymPy from the activation's row in derive/activations.py, and the derivative is the
one the derivation uses (`_calculus` of derive/backprop.py: `sympy.diff` of the same form on the generic z).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import numpy as np
import sympy as sp

from .activations import ACTIVATIONS
from .backprop import _calculus
from .errors import SpecError
from .model import GENERIC_X, GENERIC_Z

# the activations that act on one receptor at a time (softmax mixes a layer; custom has no fixed form)
ELEMENTWISE = ("identity", "relu", "leaky_relu", "sigmoid", "tanh", "softplus")
_POSITIVE = sp.Symbol("p", positive=True)


@dataclass(frozen=True)
class _Settings:
    """The only setting an activation row reads: the slope of LeakyReLU for z < 0."""

    alpha: Fraction = Fraction(1, 100)


@dataclass(frozen=True)
class ActivationFacts:
    """One activation's facts, all SymPy expressions in the generic z (and a = a(z) for the neuron form)."""

    name: str
    latex: str  # the activation's name, e.g. \sigma
    form: sp.Expr  # a(z)
    derivative: sp.Expr  # a'(z) = sympy.diff(a(z), z)
    in_output: sp.Expr | None  # a'(z) written in a = a(z), when SymPy finds it: a(1 - a), 1 - a^2
    low: sp.Expr  # lim a(z) as z -> -oo
    high: sp.Expr  # lim a(z) as z -> +oo
    low_attained: bool  # a(z) = low for some real z (ReLU reaches 0; sigmoid never does)
    vanishes_on: sp.Set  # the real z with a'(z) = 0 exactly
    derivative_low: sp.Expr  # lim a'(z) as z -> -oo
    derivative_high: sp.Expr  # lim a'(z) as z -> +oo
    derivative_max: sp.Expr  # sup of a'(z): 1/4 for the sigmoid
    at_zero: sp.Expr  # a(0)
    derivative_at_zero: sp.Expr  # a'(0), as the row defines it at a kink

    def curves(self, low: float = -5.0, high: float = 5.0, points: int = 101) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """z, a(z), a'(z) sampled for a plot, evaluated from the same SymPy forms."""
        zs = np.linspace(low, high, points)
        value = sp.lambdify(GENERIC_Z, self.form, "numpy")
        slope = sp.lambdify(GENERIC_Z, self.derivative, "numpy")
        return zs, np.broadcast_to(value(zs), zs.shape) + 0.0, np.broadcast_to(slope(zs), zs.shape) + 0.0


def _limit(expression: sp.Expr, sign: int) -> sp.Expr:
    # z -> sign * oo through a positive symbol, so that a Piecewise on z > 0 resolves before the limit is taken
    return sp.limit(expression.xreplace({GENERIC_Z: sign * _POSITIVE}), _POSITIVE, sp.oo)


def _supremum(derivative: sp.Expr) -> sp.Expr:
    """The largest value of a'(z) over the reals; piece by piece for a Piecewise (ReLU's is 0 or 1)."""
    if isinstance(derivative, sp.Piecewise):
        return sp.Max(*[_supremum(piece) for piece, _ in derivative.args])
    if GENERIC_Z not in derivative.free_symbols:
        return derivative
    return sp.maximum(derivative, GENERIC_Z, sp.S.Reals)


def neuron_form(expression: sp.Expr) -> sp.Expr:
    """a'(z) in a, in its shortest way of writing: 1 - a^2 (expanded) or a (1 - a) (factored, signs tidied)."""
    expanded = sp.expand(expression)
    factored = sp.factor(expression)
    if isinstance(factored, sp.Mul) and factored.could_extract_minus_sign():
        # -a (a - 1) -> a (1 - a): move the sign into the first factor that can take it
        args, flipped = list(factored.args), False
        for i, arg in enumerate(args):
            if not flipped and isinstance(arg, sp.Add):
                args[i], flipped = sp.Add(*[-term for term in arg.args], evaluate=False), True
        if flipped:
            factored = sp.Mul(*[arg for arg in args if arg != -1], evaluate=False)
    # a leading minus sign reads worst (-a^2 + a); then the fewer operations; a tie keeps the factored form
    return min((factored, expanded), key=lambda e: (sp.latex(e).startswith("-"), sp.count_ops(e)))


@lru_cache(maxsize=None)
def activation_facts(name: str, alpha: Fraction = Fraction(1, 100)) -> ActivationFacts:
    """The facts of one elementwise activation of the table; another name is a SpecError."""
    if name not in ELEMENTWISE:
        raise SpecError("--activations", f"no explanation for {name!r}; choose among {', '.join(ELEMENTWISE)}")
    row = ACTIVATIONS[name]
    form = row.form(GENERIC_Z, _Settings(alpha))
    calculus = _calculus(form)
    derivative = calculus.activation_derivative
    low, high = _limit(form, -1), _limit(form, 1)
    attained = bool(low.is_finite) and sp.solveset(form - low, GENERIC_Z, sp.S.Reals) != sp.S.EmptySet
    in_output = calculus.derivative_in_output
    return ActivationFacts(
        name, row.latex, form, derivative, None if in_output is None else neuron_form(in_output),
        low, high, attained, sp.solveset(derivative, GENERIC_Z, sp.S.Reals),
        _limit(derivative, -1), _limit(derivative, 1), _supremum(derivative),
        form.xreplace({GENERIC_Z: 0}), derivative.xreplace({GENERIC_Z: 0}),
    )


NEURON = GENERIC_X  # the symbol a = a(z) that `in_output` is written in
