"""Mistakes in the loss and the batch reduction: the gradient's sign, the 1/2 of squared error, the 1/n of a mean."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..layers.dense import Dense
from ..layers.loss import Loss
from .recompute import Recipe


def loss_sign(recipe: Recipe, at, spec) -> Recipe:
    """y - yhat for yhat - y: dJ/dx^(L) with its sign flipped."""
    if not at(spec.depth):
        return recipe
    return replace(recipe, rows=replace(recipe.rows, loss=replace(recipe.rows.loss, sign=-1.0)))


def loss_factor(factor: float):
    """The loss and its gradient multiplied by `factor` (2: the 1/2 dropped; 1/2: applied twice)."""
    def rewrite(recipe: Recipe, at, spec) -> Recipe:
        if not at(spec.depth) or spec.loss != "squared_error":
            return recipe
        return replace(recipe, rows=replace(recipe.rows, loss=replace(recipe.rows.loss, factor=factor)))
    return rewrite


# how the person's r relates to the correct r = 1/n (mean) or 1 (sum), for a batch of n samples
_REDUCTIONS = {"dropped": lambda r, n: 1.0, "doubled": lambda r, n: r * r, "added": lambda r, n: 1.0 / n}


@dataclass(frozen=True)
class MisreducedDense(Dense):
    way: str = "dropped"

    def reduction(self, run):
        return _REDUCTIONS[self.way](run.reduction(), len(run.Y))


@dataclass(frozen=True)
class MisreducedLoss(Loss):
    way: str = "dropped"

    def reduction(self, run):
        return _REDUCTIONS[self.way](run.reduction(), len(run.Y))


def reduction(way: str):
    """r in J and in the gradients of the chosen layers as the person takes it."""
    def rewrite(recipe: Recipe, at, spec) -> Recipe:
        rows = recipe.rows.rewrite("dense", lambda row: MisreducedDense(row.layer, way=way) if at(row.layer) else None)
        if at(spec.depth):
            loss = rows.loss
            rows = replace(rows, loss=MisreducedLoss(loss.name, loss.layer, loss.factor, loss.sign, way=way))
        return replace(recipe, rows=rows)
    return rewrite
