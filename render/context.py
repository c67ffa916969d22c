"""What every section builder shares: the derivation, the printers, the numbers of each sample, matrix LaTeX."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import sympy as sp

from ..derive.derivation import Derivation
from .numbers import latex_number
from .printer import PROFILES, NotationPrinter
from .lines import DEFAULT, RELATION
from .records import M, Step, width

MATRIX_ROWS, MATRIX_COLS = 6, 6  # matrices larger than this are shown with dots in summary detail


class Context:
    """One derivation seen through one notation: print symbols, substitute numbers, format matrices."""

    def __init__(self, derivation: Derivation, notation: str = "tutorial", detail: str = "full", digits: int = 6):
        self.d, self.spec = derivation, derivation.spec
        self.notation, self.detail, self.digits = notation, detail, digits
        self.profile = PROFILES[notation]
        self.printer = NotationPrinter(notation, spec=self.spec, digits=digits)
        self._numbers: dict = {}  # sample -> {symbol: number}
        self._printers: dict = {}  # sample -> printer substituting that sample's numbers
        self._values: dict = {}  # (expression, sample) -> number
        self._tex: dict = {}  # expression -> its LaTeX

    @property
    def full(self) -> bool:
        return self.detail == "full"

    # -- symbols ------------------------------------------------------------
    def tex(self, expr) -> str:
        """An expression in the notation; each SymPy expression is printed once (a worked example prints ~100
        different ones ~850 times; SymPy's equality is structural, so 2.0*x and 2*x stay apart)."""
        if not isinstance(expr, sp.Basic):
            return self.printer.doprint(expr)
        printed = self._tex.get(expr)
        if printed is None:
            printed = self._tex[expr] = self.printer.doprint(expr)
        return printed

    def breakable(self, expr) -> str:
        """An expression in the notation that a displayed line may break between its terms."""
        return self.printer.breakable(expr)

    def s(self, kind: str, layer=None, *indices) -> str:
        """A scalar of the notation, also with letters: s("z", "l", "k")."""
        return self.profile.scalar(kind, layer, *indices)

    def m(self, kind: str, layer=None) -> str:
        return self.profile.matrix(kind, layer)

    def names(self, kind: str, layer: int) -> str:
        """The scalars of a layer as a row: (z^(1)_1, ..., z^(1)_3)."""
        n = self.spec.layers[layer]
        shown = [self.s(kind, layer, k) for k in ([1, n] if n > 2 else range(1, n + 1))]
        return r"\left(" + (r", \ldots, ".join(shown) if n > 2 else ", ".join(shown)) + r"\right)"

    def partial(self, numerator, denominator) -> str:
        as_tex = lambda v: v if isinstance(v, str) else self.tex(v)  # noqa: E731
        return self.profile.partial(as_tex(numerator), as_tex(denominator))

    @property
    def J(self) -> str:
        return self.profile.cost

    # -- numbers ------------------------------------------------------------
    def num(self, value) -> str:
        return latex_number(value, self.digits)

    def number(self, value):
        """float, or an exact SymPy rational in exact mode."""
        if self.d.exact:
            return sp.Rational(Fraction(value)) if isinstance(value, float) else sp.Rational(value)
        return float(value)

    def sample_numbers(self, sample: int) -> dict:
        """Every network symbol's number for one sample (1-based): x, z, delta, y, and the initial w, b."""
        if sample not in self._numbers:
            d, s, net, L = self.d, sample - 1, self.d.net, self.spec.depth
            values = {}
            for l in range(0, L + 1):
                for k in range(1, self.spec.layers[l] + 1):
                    values[net.x(l, k)] = d.forward.xs[l][s][k - 1]
                    if l:
                        values[net.z(l, k)] = d.forward.zs[l][s][k - 1]
                        values[net.delta(l, k)] = d.backward.deltas[l][s][k - 1]
                        values[net.b(l, k)] = d.params[f"b{l}"][k - 1]
                        for i in range(1, self.spec.layers[l - 1] + 1):
                            values[net.w(l, i, k)] = d.params[f"W{l}"][i - 1][k - 1]
            for k in range(1, self.spec.layers[L] + 1):
                values[net.y(k)] = d.Y[s][k - 1]
            values[net.J] = d.backward.sample_costs[s]
            self._numbers[sample] = {symbol: self.number(v) for symbol, v in values.items()}
        return self._numbers[sample]

    def value(self, expr, sample: int = 1):
        """The number of an expression in network symbols for one sample."""
        key = (expr, sample)
        if key not in self._values:
            numbers, exact, result = self.sample_numbers(sample), self.d.exact, expr
            if isinstance(expr, sp.Basic):
                free = [sym for sym in expr.free_symbols if sym in numbers]
                result = expr.xreplace({sym: numbers[sym] if exact else sp.Float(numbers[sym], 17) for sym in free})
            self._values[key] = self.number(result)
        return self._values[key]

    def sub(self, expr, sample: int = 1) -> str:
        """The expression with the sample's numbers in place of its symbols."""
        if sample not in self._printers:
            self._printers[sample] = NotationPrinter(self.notation, spec=self.spec, values=self.sample_numbers(sample),
                                                     digits=self.digits)
        printer = self._printers[sample]
        return printer.substituted(expr) if isinstance(expr, sp.Symbol) else printer.breakable(expr)

    def step(self, lhs, expr, sample: int = 1, value=None, note=None) -> Step:
        """lhs = expr = expr with numbers = value."""
        lhs_tex = lhs if isinstance(lhs, str) else self.tex(lhs)
        number = self.value(expr, sample) if value is None else value
        return Step(lhs_tex, self.breakable(expr), self.sub(expr, sample), self.num(number), symbols(expr, lhs), note)

    # -- matrices -----------------------------------------------------------
    def matrix_step(self, lhs: str, formula: str, operands: str, result: str, relation: str = "=") -> Step:
        """lhs = formula = the matrices = result; the row of matrices is left out when it does not fit one line."""
        fits = width(lhs) + RELATION + width(operands) <= DEFAULT
        return Step(lhs, formula, operands if fits else "", result, relation=relation)

    def row(self, values, limit: int = 8) -> str:
        """(a, b, c) or (a, b, c, ..., z) for long vectors."""
        values = list(values)
        shown = values if len(values) <= limit else values[:3] + [None] + values[-1:]
        return r"\left(" + ", ".join(r"\ldots" if v is None else self.num(v) for v in shown) + r"\right)"

    def matrix(self, array, column: bool = False) -> str:
        """A bmatrix of numbers; a vector is shown as a row unless column is set; dots when large in summary."""
        array = np.asarray(array, dtype=object)
        if array.ndim == 1:
            array = array.reshape(-1, 1) if column else array.reshape(1, -1)
        rows, cols = array.shape
        keep_rows = _kept(rows, MATRIX_ROWS if not self.full else rows)
        keep_cols = _kept(cols, MATRIX_COLS if not self.full else cols)
        lines = []
        for r in keep_rows:
            if r is None:
                lines.append(" & ".join(r"\vdots" if c is not None else r"\ddots" for c in keep_cols))
                continue
            lines.append(" & ".join(self.num(array[r, c]) if c is not None else r"\cdots" for c in keep_cols))
        return r"\begin{bmatrix} " + r" \\ ".join(lines) + r" \end{bmatrix}"


def _kept(size: int, limit: int) -> list:
    """Indices to show: all, or the first limit-2, a gap (None) and the last."""
    if size <= limit:
        return list(range(size))
    return list(range(limit - 2)) + [None, size - 1]


def symbols(*exprs) -> tuple:
    """The plain names of the network symbols in some expressions, sorted (for the diagram's highlighting)."""
    found = set()
    for expr in exprs:
        if isinstance(expr, sp.Basic):
            found |= {s.name for s in expr.free_symbols}
    return tuple(sorted(found))


__all__ = ["Context", "M", "symbols"]
