"""The layer registry: LAYERS maps a kind to its row class; build_rows(spec) is the network as rows."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import sympy as sp

from ..netspec import NetworkSpec
from .activation import Activation
from .base import Layer
from .batchnorm import BatchNorm
from .dense import Dense
from .dropout import Dropout
from .loss import Loss

LAYERS: dict[str, type[Layer]] = {row.kind: row for row in (Dense, BatchNorm, Activation, Dropout)}


def layer_class(kind: str) -> type[Layer]:
    """The row class of a kind; an unknown kind is an error, never skipped."""
    try:
        return LAYERS[kind]
    except KeyError:
        raise KeyError(f"no layer row of kind {kind!r}; known: {', '.join(LAYERS)}") from None


@dataclass(frozen=True)
class NetworkRows:
    """The network as the loop sees it: layer rows in forward order, then the loss."""

    layers: tuple[Layer, ...]
    loss: Loss

    def parameters(self) -> tuple[str, ...]:
        """Every trained parameter in forward order: W1, b1, W2, b2, ..."""
        return tuple(name for row in self.layers for name in row.parameters())

    def rewrite(self, kind: str, change: Callable[[Layer], Layer | None]) -> "NetworkRows":
        """The rows with every row of a kind passed through `change` (None keeps the row)."""
        layer_class(kind)
        rows = tuple((change(row) or row) if row.kind == kind else row for row in self.layers)
        return replace(self, layers=rows)


def build_rows(spec: NetworkSpec, exact: bool = False, l2=None) -> NetworkRows:
    """dense -> (batch norm) -> activation -> (dropout) for each layer 1..L, then the loss; the L2 term's lambda (a float, a Rational when exact,
    or the given `l2`, e.g. a symbol) in the dense rows' gradients and the loss row's cost."""
    if l2 is None:
        l2 = (sp.Rational(spec.l2) if exact else float(spec.l2)) if spec.l2 else 0
    L, rows = spec.depth, []
    normalized = set(spec.batchnorm.layers) if spec.batchnorm else set()
    dropped = set(spec.dropout.layers()) if spec.dropout else set()
    for l in range(1, L + 1):
        rows.append(layer_class("dense")(l, l2=l2))
        if l in normalized:
            rows.append(layer_class("batchnorm")(l, eps=spec.batchnorm.eps))
        rows.append(layer_class("activation")(l, name=spec.activations[l - 1], output=l == L,
                                              source="u" if l in normalized else "z",
                                              target="a" if l in dropped else "x",
                                              delta_kind="du" if l in normalized else "delta"))
        if l in dropped:
            rows.append(layer_class("dropout")(l, p=spec.dropout.rate(l), mask=spec.dropout.mask(l)))
    return NetworkRows(tuple(rows), Loss(spec.loss, L, l2=l2))
