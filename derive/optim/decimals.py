"""Which training-step numbers can come out as short decimals, read from the update rule's SymPy formulas.

A finite decimal times, plus or minus a finite decimal is a finite decimal; a quotient by anything but 2^a 5^b,
a square root or exp is not. So with the data and parameters drawn as short decimals:
    the gradient g_t is a finite decimal when the network is polynomial (identity or (leaky) ReLU, squared error,
        a mean over n = 2^a 5^b samples, no batch norm, dropout or clipping) and theta_{t-1} is one;
    a state or theta after step t is one when its formula at that t, with the hyper-parameters put in, is a
        polynomial with finite-decimal coefficients in theta, g and states that are finite decimals themselves.
Momentum's buffer and sgd's theta always qualify; Adam's m and v do, m-hat only at t = 1 (1 - 0.9 = 0.1, but
1 - 0.9^2 = 0.19), and theta never (it divides by sqrt(v-hat) + eps).
"""

from __future__ import annotations

from fractions import Fraction

import sympy as sp

from .base import GRADIENT, RATE, STEP, THETA

POLYNOMIAL_ACTIVATIONS = frozenset({"identity", "relu", "leaky_relu"})


def finite_decimal(value) -> bool:
    """Whether a rational's denominator has no prime factor but 2 and 5."""
    q = Fraction(value).denominator
    for p in (2, 5):
        while q % p == 0:
            q //= p
    return q == 1


def _rational(value) -> sp.Rational:
    """A hyper-parameter as the decimal it was written as (a float by its shortest repr)."""
    return sp.Rational(Fraction(repr(value)) if isinstance(value, float) else Fraction(str(value)))


def _keeps_decimals(expr, symbols) -> bool:
    """expr is a polynomial in the symbols with finite-decimal coefficients."""
    expr = sp.expand(expr)
    if not expr.free_symbols <= set(symbols) or not expr.is_polynomial(*symbols):
        return False
    terms = sp.Poly(expr, *symbols).coeffs() if expr.free_symbols else [expr]
    return all(c.is_Rational and finite_decimal(Fraction(int(c.p), int(c.q))) for c in terms)


def polynomial_network(spec, batch: int) -> bool:
    """Whether the gradient of short-decimal data and parameters is a finite decimal on a batch of this size."""
    mean_ok = spec.reduction != "mean" or finite_decimal(Fraction(1, batch))
    return (set(spec.activations) <= POLYNOMIAL_ACTIVATIONS and spec.loss == "squared_error" and mean_ok
            and spec.batchnorm is None and spec.dropout is None and spec.max_grad_norm is None
            and finite_decimal(Fraction(str(spec.l2 or 0))) and finite_decimal(Fraction(str(spec.learning_rate))))


def short_decimals(rule, steps: int, gradients_short: bool) -> dict:
    """(name, t) -> whether it is a finite decimal after step t, for "theta", "g" and every shown state."""
    formulas, named = rule.formulas(), rule.symbols()
    constants = {symbol: _rational(value) for symbol, value in rule.constants().items()}
    constants[RATE] = _rational(rule.rate)
    by_symbol = {symbol: name for name, symbol in named.items()}
    by_symbol[THETA] = "theta"
    every = set(by_symbol) | {GRADIENT}
    decimal_constants = all(finite_decimal(Fraction(int(c.p), int(c.q))) for c in constants.values())
    short: dict = {("theta", 0): True}
    for name in by_symbol.values():
        short[(name, 0)] = True  # states start at zero (or a given decimal)
    for t in range(1, steps + 1):
        short[("g", t)] = gradients_short and short[("theta", t - 1)]
        exprs = {by_symbol.get(symbol, str(symbol)): formulas[symbol].xreplace(constants).subs(STEP, t)
                 for symbol in formulas}
        uses = {name: {by_symbol[s] for s in expr.free_symbols if s in by_symbol} - {name} for name, expr in exprs.items()}
        for name, expr in exprs.items():  # the formula alone; then what it uses, until nothing changes
            short[(name, t)] = (decimal_constants and short[("g", t)] and short[(name, t - 1)]
                                and _keeps_decimals(expr, sorted(every, key=str)))
        changed = True
        while changed:
            changed = False
            for name in exprs:
                ok = short[(name, t)] and all(short[(u, t - 1)] and short[(u, t)] for u in uses[name])
                changed, short[(name, t)] = changed or ok != short[(name, t)], ok
    return short
