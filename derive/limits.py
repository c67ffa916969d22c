"""Every budget of nnsteps in one place: how much work a spec, an answers file or a command may ask for.

nnsteps is for hand-sized networks. Each limit below is checked before the work it bounds starts, and a
spec past one is refused with a one-line error naming the field. `DEFAULT_LIMITS` holds for every command;
`NO_LIMITS` (the `--no-limits` option) opts out for a trusted spec, keeping only the caps below which
Python itself fails (recursion in the parsers, its 4,300-digit integer conversion limit).
The limits travel explicitly: `load_spec(..., limits=...)` stores them on the NetworkSpec (compared by
nothing), and everything that derives from the spec reads `spec.limits`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional

PYTHON_INT_DIGITS = 4300  # Python refuses str <-> int conversions beyond this (sys.get_int_max_str_digits)


@dataclass(frozen=True)
class Limits:
    """The budgets; None means unbounded."""

    # -- files ---------------------------------------------------------------------------------------------
    # bytes of a spec or answers file; a [784, 32, 10] network written out in full is about 0.6 MB
    file_bytes: Optional[int] = 16_000_000
    # brackets ([ and {) nested in a spec or answers file, counted in the raw text before parsing; a spec
    # needs 3 (data.X rows); tomllib and json recurse once per level and fail near 1,000
    nesting: int = 16

    # -- numbers -------------------------------------------------------------------------------------------
    # digits of a whole number (layer sizes, seeds, steps, indices in quantity names); float64 has 17
    integer_digits: int = 30
    # significant digits of a decimal or of either part of a fraction "p/q"; a hand calculation writes < 20
    decimal_digits: int = 50
    # |decimal exponent| of a number, 1e-100 .. 1e100: 1e999999999 would be an exact fraction of a billion
    # digits; float64 ends at 1e308, and anything beyond 1e100 overflows as soon as it is squared
    decimal_exponent: int = 100
    # magnitude of init.scale and alpha: weights drawn with a standard deviation beyond this overflow float64
    # within a few layers, and NumPy refuses infinite ones
    setting_magnitude: float = 1e6
    # digits shown by --digits (format of the correct values)
    shown_digits: int = 30
    # digits of an exact rational during `numbers = "exact"` training: each step of gradient descent
    # multiplies the digits by about 3 (the update is a polynomial of degree 3 in the parameters), so steps
    # stop with an error once a number has more than this (10 steps of a 2-2-1 network reach 10^5 digits)
    exact_digits: Optional[int] = 400

    # -- the network ---------------------------------------------------------------------------------------
    # weights and biases; the largest benchmark, [784, 32, 10], has 25,450. Drawing [3000, 3000] takes 90 s
    parameters: Optional[int] = 50_000
    # the spec's `steps`: every step's parameters are kept for the document
    steps: Optional[int] = 10_000
    # steps x parameters: the parameters after every step are kept for the document (8 bytes each in
    # float64, so 10^7 is 80 MB; 10,000 steps of a 50,000-parameter network would be 4 GB)
    trajectory: Optional[int] = 10**7
    # steps x parameters x samples of gradient descent (spec `steps` and `train --steps`): about 1 s of
    # NumPy per 10^8, so 10^9 is minutes at most
    training_work: Optional[int] = 10**9
    # `train --steps`: each step costs about 0.3 ms even on the smallest network, whatever its size
    train_steps: Optional[int] = 1_000_000

    # -- custom activations ([custom] expression) ----------------------------------------------------------
    # characters of the expression text, checked before Python's parser sees it
    custom_length: int = 200
    # brackets and syntax nodes nested in the expression (ast.parse recurses once per level)
    custom_nesting: int = 50
    # |n| in z ** n (a literal integer)
    custom_exponent: Optional[int] = 8
    # bits of the numbers SymPy multiplies out of numeric powers such as (z * 9**8)**8
    custom_bits: Optional[int] = 4096
    # magnitude of every constant subexpression
    custom_magnitude: Optional[float] = 1e100
    # upper bound of the polynomial degree, from the syntax tree before SymPy builds anything:
    # ((((z**8+1)**8+1)**8+1)**8+1)**8 has degree 8^5 = 32,768 and took 24 GB when expanded
    custom_degree: Optional[int] = 32
    # calls nested inside calls, e.g. 3 in tanh(tanh(tanh(z))); every level multiplies the size of the
    # derivative (the chain rule repeats the inner function), and exp(exp(exp(exp(z)))) overflows float64
    # for z >= 1.3
    custom_calls: Optional[int] = 3
    # SymPy operations (count_ops) in the derivative a'(z): the size of what is compiled and printed
    custom_ops: Optional[int] = 120

    # -- symbolic work -------------------------------------------------------------------------------------
    # formulas with more SymPy operations than this are kept as derived instead of simplified (simplify,
    # factor, cancel, solve have no time bound of their own); the result is the same formula, just longer
    simplify_ops: Optional[int] = 40
    # SymPy's solve (writing a'(z) in terms of a = a(z), as sigma(1 - sigma)) is tried only on activations
    # whose calls nest at most this deep: solve on tanh(tanh(z)) takes 5 s, on tanh(tanh(tanh(z))) minutes
    solve_calls: Optional[int] = 1
    # chain-rule paths listed for one parameter
    paths: Optional[int] = 4096
    # parameters of a network whose gradients may be fully expanded (export --expanded, Derivation.expand)
    expanded_parameters: Optional[int] = 64
    # estimated SymPy tree nodes of all fully expanded gradients together; the tree grows with the product
    # of the layer widths times the depth, so a 10-layer network of 60 parameters has over 10^7
    expanded_nodes: Optional[int] = 50_000

    # -- PyTorch -------------------------------------------------------------------------------------------
    # seconds the exported script may run in PyTorch for `render --with torch` (importing torch takes 1-3 s)
    torch_seconds: Optional[float] = 120


DEFAULT_LIMITS = Limits()

# `--no-limits`: only what Python needs so that errors stay one line (parsers' recursion, int conversion)
NO_LIMITS = replace(
    DEFAULT_LIMITS, file_bytes=None, nesting=200, integer_digits=PYTHON_INT_DIGITS,
    decimal_digits=PYTHON_INT_DIGITS, decimal_exponent=PYTHON_INT_DIGITS, setting_magnitude=1e300,
    shown_digits=100, exact_digits=None, parameters=None, steps=None, trajectory=None, training_work=None,
    train_steps=None, custom_length=10_000, custom_nesting=100, custom_exponent=None, custom_bits=None,
    custom_magnitude=None, custom_degree=None, custom_calls=None, custom_ops=None, simplify_ops=None,
    solve_calls=None, paths=None, expanded_parameters=None, expanded_nodes=None,
)


def exceeds(value: int | float, limit: Optional[int | float]) -> bool:
    """True when `value` is over `limit` (None: unbounded)."""
    return limit is not None and value > limit


def hint(limits: Limits) -> str:
    """The advice appended to a refusal."""
    return "" if limits == NO_LIMITS else " (a limit of nnsteps; --no-limits lifts it for a trusted spec)"
