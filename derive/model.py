"""Spec -> SymbolicNetwork: the symbols and the receptor, neuron and cost equations.

Symbols carry plain identifier names (`x2_1`, `z1_3`, `w3_2_1`, `b2_1`, `y_1`,
`delta3_1`) so that generated code and `str()` stay readable: the symbol printing of
derive/names.py, whose `symbol_quantity` reads a name back into its quantity for printers.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import NamedTuple

import sympy as sp

from .activations import ACTIVATIONS, Activation
from .generic import GENERIC_X, GENERIC_Z  # noqa: F401  (re-exported: printers read them from here)
from .layers.dense import receptor_equation
from .losses import LOSSES, reduction_factor
from .memo import Memo
from .names import Quantity
from .netspec import NetworkSpec


def _symbol(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


@lru_cache(maxsize=1 << 17)
def _quantity_symbol(kind: str, layer, *indices: int) -> sp.Symbol:
    """The symbol of a quantity, named by its symbol printing (w3_2_1); cached here, as every pass asks again.

    Built without SymPy's own cache (a Symbol equals any other of the same name and assumptions): a large
    layer's 25,000 weight symbols would otherwise evict everything else from that 1,000-entry cache.
    """
    return sp.Symbol.__xnew__(sp.Symbol, Quantity(kind, layer, indices).symbol_name(), real=True)


_FORMS = Memo(256)  # SymPy forms are immutable: built once per key


class Equation(NamedTuple):
    """lhs = rhs, with the right-hand side kept as we built it (SymPy may reorder sums)."""

    lhs: sp.Expr
    rhs: sp.Expr
    terms: tuple  # the summands of a receptor in index order: ((w, x), ..., b)


@dataclass(frozen=True)
class SymbolicNetwork:
    """The network as SymPy symbols and equations; indices are 1-based throughout."""

    spec: NetworkSpec

    # -- symbols -----------------------------------------------------------
    def x(self, layer: int, k: int) -> sp.Symbol:
        return _quantity_symbol("x", layer, k)

    def z(self, layer: int, k: int) -> sp.Symbol:
        return _quantity_symbol("z", layer, k)

    def w(self, layer: int, i: int, j: int) -> sp.Symbol:
        return _quantity_symbol("W", layer, i, j)

    def b(self, layer: int, k: int) -> sp.Symbol:
        return _quantity_symbol("b", layer, k)

    def y(self, k: int) -> sp.Symbol:
        return _quantity_symbol("y", None, k)

    def delta(self, layer: int, k: int) -> sp.Symbol:
        return _quantity_symbol("delta", layer, k)

    @property
    def J(self) -> sp.Symbol:
        return _quantity_symbol("J", None)

    def xs(self, layer: int) -> list[sp.Symbol]:
        return [self.x(layer, k) for k in range(1, self.spec.layers[layer] + 1)]

    def zs(self, layer: int) -> list[sp.Symbol]:
        return [self.z(layer, k) for k in range(1, self.spec.layers[layer] + 1)]

    def ys(self) -> list[sp.Symbol]:
        return [self.y(k) for k in range(1, self.spec.layers[-1] + 1)]

    @property
    def L(self) -> int:
        return self.spec.depth

    def activation(self, layer: int) -> Activation:
        return ACTIVATIONS[self.spec.activations[layer - 1]]

    # -- equations ---------------------------------------------------------
    def receptor(self, layer: int, k: int) -> Equation:
        """z^(l)_k = sum_i w^(l)_{i,k} x^(l-1)_i + b^(l)_k: the dense row's forward rule."""
        return Equation(*receptor_equation(self, layer, k))

    def _form_key(self, layer: int) -> tuple:
        """What an activation's form depends on: its name, the leaky slope, a custom expression and its budgets."""
        spec = self.spec
        return (spec.activations[layer - 1], spec.alpha, spec.custom_expression, spec.limits)

    def activation_forms(self, layer: int) -> list[sp.Expr]:
        """a(z) for every neuron of the layer, in that layer's receptor symbols (built once per layer shape)."""
        def build() -> tuple:
            row = self.activation(layer)
            if row.vector:
                return tuple(row.form(self.zs(layer), self.spec))
            form = self._generic_form(layer)
            return tuple(form.xreplace({GENERIC_Z: z}) for z in self.zs(layer))
        return list(_FORMS.get(("layer", layer, self.spec.layers[layer]) + self._form_key(layer), build))

    def _generic_form(self, layer: int) -> sp.Expr:
        # SymPy evaluates every Piecewise it builds: build each form once, not once per question about it
        return _FORMS.get(("generic",) + self._form_key(layer), lambda: self.activation(layer).form(GENERIC_Z, self.spec))

    def neuron(self, layer: int, k: int) -> Equation:
        # x^(l)_k = a(z^(l)_k)
        return Equation(self.x(layer, k), self.activation_forms(layer)[k - 1], ())

    @cached_property
    def sample_cost(self) -> sp.Expr:
        """The loss of one sample, in the output neurons x^(L)_k and targets y_k."""
        return LOSSES[self.spec.loss].form(self.xs(self.L), self.ys(), self.spec)

    @property
    def reduction(self) -> sp.Expr:
        """r in J = r * sum_s loss_s."""
        return reduction_factor(self.spec, self.spec.n_samples)

    @property
    def batch_cost(self) -> sp.Expr:
        """J = r * sum_{s=1}^{n} loss_s, with loss_s the sample cost of sample s."""
        s = sp.Symbol("s", integer=True, positive=True)
        loss = sp.IndexedBase("loss")
        return self.reduction * sp.Sum(loss[s], (s, 1, self.spec.n_samples))

