"""The loss row: per-sample loss of x^(L) against y, the cost J = r * sum_s loss_s, and dJ/dx^(L) to start the loop."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..losses import LOSSES, Loss as LossRow


@dataclass(frozen=True)
class Loss:
    """The head of the network; `factor` and `sign` are 1 unless a mistake rewrites them (derive/mistakes/loss.py)."""

    kind = "loss"
    name: str
    layer: int  # L: the layer whose outputs it compares with the targets
    factor: float = 1.0  # multiplies the loss and its gradient (a dropped or doubled 1/2)
    sign: float = 1.0  # -1: y - yhat instead of yhat - y
    l2: Any = 0  # lambda of J_total = J + (lambda/2) sum_l ||W^(l)||^2; 0: none

    @property
    def row(self) -> LossRow:
        return LOSSES[self.name]

    def reduction(self, run):
        """r in J = r * sum_s loss_s."""
        return run.reduction()

    def forward(self, run, outputs):
        """The sample losses and the cost J = r * sum_s loss_s."""
        costs = run.sample_loss(self, outputs)
        if self.factor != 1.0:
            costs = self.factor * costs
        costs = run.record("Js", None, costs)
        cost = run.total(self.reduction(run), costs)
        if self.l2:
            cost = run.ops.add(cost, self.penalty(run))
        return run.record("J", None, cost)

    def penalized(self) -> tuple[str, ...]:
        """The parameters in the L2 term: the weights, never the biases."""
        return tuple(f"W{l}" for l in range(1, self.layer + 1))

    def penalty(self, run):
        # (lambda/2) sum_l ||W^(l)||^2, the squared Frobenius norm of each weight matrix
        ops = run.ops
        total = None
        for name in self.penalized():
            term = ops.sum_squares(run.param(name))
            total = term if total is None else ops.add(total, term)
        return ops.scale(self.l2 / 2, total)

    def backward(self, run):
        """dJ/dx^(L) of each sample (the reduction r enters the parameter gradients, not here)."""
        outputs = run.value("x", self.layer)
        gradient = run.loss_gradient(self, outputs)
        if gradient is not None and (self.sign, self.factor) != (1.0, 1.0):
            gradient = self.sign * self.factor * gradient
        return run.record("dx", self.layer, gradient)
