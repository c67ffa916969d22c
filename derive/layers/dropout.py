"""The dropout row: inverted dropout on the outputs of a hidden layer, x^(l) = a^(l) * m^(l) / (1 - p), and its step.

A kept neuron (m = 1) is scaled by 1/(1 - p) so that the expected output is unchanged; a dropped one (m = 0) is 0.
Backward, the same mask and scale multiply the gradient: dJ/da^(l) = dJ/dx^(l) * m^(l) / (1 - p). No square root:
exact rationals work.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .base import Layer


@dataclass(frozen=True)
class Dropout(Layer):
    """The mask m^(l) (one 0/1 row per sample) and the drop probability p of layer l (PyTorch nn.Dropout, training)."""

    kind = "dropout"
    p: Fraction = Fraction(0)
    mask: tuple = ()

    # -- hooks: what a person may read differently (derive/mistakes/dropout.py) --
    def forward_scale(self) -> Fraction:
        """1/(1 - p), the rescaling of a kept neuron."""
        return 1 / (1 - self.p)

    def backward_scale(self) -> Fraction:
        return 1 / (1 - self.p)

    def backward_mask(self, run):
        return run.value("mask", self.layer)

    # -- the loop's steps ----------------------------------------------------
    def forward(self, run, activated):
        # X^(l) = (1/(1-p)) M^(l) o A^(l)
        l, ops = self.layer, run.ops
        mask = run.record("mask", l, run.mask(self), note=f"M^({l}): 1 kept, 0 dropped")
        return run.record("x", l, ops.scale(run.number(self.forward_scale()), ops.hadamard(activated, mask)),
                          note=f"X^({l}) = (1/(1-p)) M^({l}) o A^({l})")

    def backward(self, run, upstream):
        # dJ/dA^(l) = (1/(1-p)) M^(l) o dJ/dX^(l)
        l, ops = self.layer, run.ops
        gradient = ops.scale(run.number(self.backward_scale()), ops.hadamard(upstream, self.backward_mask(run)))
        return run.record("da", l, gradient, note=f"dJ/dA^({l}) = (1/(1-p)) M^({l}) o dJ/dX^({l})")
