"""Where each activation is not differentiable: its corner functions, whose zeros are the kinks (for the cross-check).

A corner function g of an activation a is a function of the receptor z with g(z) = 0 at every point where a is not
differentiable: z itself for ReLU and leaky ReLU (the corner at z = 0). For a custom activation they are read off its
expression tree, one rule per SymPy node kind: abs(u) and sign(u) bend where u = 0, max(a, b, ...) and min(...)
where two arguments meet (a - b = 0), sqrt(u), u**p with p not a natural number and log(u) where u = 0 (a vertical
tangent or a pole). Rules are conservative: abs(z)**2 is smooth but still listed, so a corner is never missed.

Only the spec is read (the activation's name, the custom expression); nothing of the derivation.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import combinations
from typing import Callable

import numpy as np
import sympy as sp

from .errors import UnsupportedError
from .expression import parse_activation
from .limits import DEFAULT_LIMITS, Limits

Corners = Callable[[np.ndarray], tuple]  # receptors z (any shape) -> (g_1(z), g_2(z), ...) of the same shape


def _smooth(spec) -> Corners:
    return lambda z: ()


def _at_zero(spec) -> Corners:
    # ReLU and leaky ReLU: one-sided slopes 1 and 0 (or alpha) meet at z = 0
    return lambda z: (z,)


def _custom(spec) -> Corners:
    return _custom_corners(spec.custom_expression, getattr(spec, "limits", DEFAULT_LIMITS))


# one row per activation of derive/activations.py; a name missing here is refused, never assumed smooth
KINKS: dict[str, Callable] = {
    "identity": _smooth, "relu": _at_zero, "leaky_relu": _at_zero, "sigmoid": _smooth, "tanh": _smooth,
    "softplus": _smooth, "softmax": _smooth, "custom": _custom,
}


def corner_functions(name: str, spec) -> Corners:
    """The corner functions of activation `name` as one NumPy function of the receptors."""
    try:
        row = KINKS[name]
    except KeyError:
        raise UnsupportedError("activations", f"{name!r}: the cross-check does not know where it has kinks") from None
    return row(spec)


# -- custom activations: corner functions from the expression tree --------------------------------------------------

def _none(node) -> list:
    return []


def _argument(node) -> list:
    # abs(u), sign(u), log(u): not differentiable (or undefined) where u = 0
    return [node.args[0]]


def _meetings(node) -> list:
    # max(a, b, ...), min(a, b, ...): the active argument changes where two of them are equal
    return [a - b for a, b in combinations(node.args, 2)]


def _power(node) -> list:
    # u**n with n = 0, 1, 2, ... is a polynomial; any other exponent (1/2, -1, a function of z) breaks at u = 0
    base, exponent = node.args
    return [] if exponent.is_Integer and exponent >= 0 else [base]


_RULES: dict[type, Callable] = {
    sp.Add: _none, sp.Mul: _none, sp.exp: _none, sp.tanh: _none,
    sp.Abs: _argument, sp.sign: _argument, sp.Heaviside: _argument, sp.log: _argument,
    sp.Max: _meetings, sp.Min: _meetings, sp.Pow: _power,
}


def _rule(node) -> Callable:
    if node.is_Atom:  # z, numbers, pi, E
        return _none
    try:
        return _RULES[type(node)]
    except KeyError:
        raise UnsupportedError("custom.expression", f"the cross-check does not know where {type(node).__name__} "
                                                    "has kinks") from None


@lru_cache(maxsize=32)
def _custom_corners(text: str, limits: Limits) -> Corners:
    """Compile the corner functions of a custom activation once per expression (its size is bounded by `limits`)."""
    expression, z = parse_activation(text, limits=limits)
    found = []
    for node in sp.preorder_traversal(expression):
        for g in _rule(node)(node):
            if z in g.free_symbols and g not in found:  # a constant g never vanishes as z moves
                found.append(g)
    if not found:
        return lambda values: ()
    compiled = sp.lambdify(z, found, "numpy")
    return lambda values: tuple(np.asarray(g, dtype=float) + 0.0 * values for g in compiled(values))
