"""The activation row: x^(l) = a(z^(l)), its local derivative (sympy.diff on the generic z, cached), and its step."""

from __future__ import annotations

from dataclasses import dataclass

from ..activations import ACTIVATIONS, Activation as ActivationRow
from .base import Layer


@dataclass(frozen=True)
class Activation(Layer):
    """The activation of layer l, from the activation table; `output` marks the last layer (its delta meets the loss)."""

    kind = "activation"
    name: str = "identity"
    output: bool = False

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
        return run.record("x", l, run.activation(self, receptor), note=f"X^({l}) = a_{l}(Z^({l}))")

    def local_delta(self, run, z, x, upstream):
        """delta^(l) from dJ/dx^(l): (dJ/dX) * a'(Z), the Jacobian product for softmax, the derived output delta."""
        return run.activation_backward(self, z, x, upstream)

    def backward(self, run, upstream):
        l = self.layer
        z, x = run.value("z", l), run.value("x", l)
        # chain rule: delta^(l) = dJ/dX^(l) * a'(Z^(l))
        return run.record("delta", l, self.local_delta(run, z, x, upstream), note=self._delta_note())

    def _delta_note(self) -> str:
        l = self.layer
        return f"dZ^({l}): the derived output delta" if self.output else f"chain rule: dJ/dX^({l}) * a_{l}'(Z^({l}))"
