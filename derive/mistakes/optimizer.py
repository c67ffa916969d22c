"""Mistakes in the update rules, clipping and the L2 term: rewrites of the rule row, the clipping and the rows."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from ..layers.dense import Dense
from ..layers.loss import Loss
from ..optim.adam import Adam
from ..optim.adaptive import Adagrad, RMSprop
from ..optim.sgd import SGD
from ..training import Clipping, clip_coefficient
from .recompute import Recipe


def _as(row_class, row, **changes):
    """The row re-made as a subclass, every field kept (the L2 lambda of a dense row, a rule's settings)."""
    return row_class(**{f.name: getattr(row, f.name) for f in fields(row)}, **changes)


# -- Adam and AdamW ---------------------------------------------------------------------
@dataclass(frozen=True)
class UncorrectedAdam(Adam):
    """m and v used as they are: no division by 1 - beta^t."""

    def corrections(self, t):
        return 1.0, 1.0


@dataclass(frozen=True)
class OffByOneAdam(Adam):
    """1 - beta^(t-1) in the bias corrections (from step 2 on: at step 1 it would divide by zero)."""

    def corrections(self, t):
        return super().corrections(max(t - 1, 1))


@dataclass(frozen=True)
class EpsInsideAdam(Adam):
    """sqrt(v_hat + eps) for sqrt(v_hat) + eps."""

    def step(self, name, theta, gradient, state):
        _, new = super().step(name, theta, gradient, state)
        start = theta * (1 - self.rate * self.weight_decay) if self.weight_decay and self.DECOUPLED else theta
        return start - self.rate * new["mhat"] / np.sqrt(new["vhat"] + self.eps), new


@dataclass(frozen=True)
class CoupledAdamW(Adam):
    """AdamW's weight decay added to the gradient (Adam's L2-style decay) instead of shrinking theta."""

    name = "adamw"


# -- SGD ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ZeroBufferSGD(SGD):
    """The momentum buffer started at zero: b_1 = mu 0 + (1 - dampening) g_1 instead of torch's b_1 = g_1."""

    def step(self, name, theta, gradient, state):
        state = state if state.get("step") else {"step": 1, "buf": np.zeros_like(np.asarray(theta, dtype=float))}
        return super().step(name, theta, gradient, state)


@dataclass(frozen=True)
class PlainMomentumSGD(SGD):
    """Nesterov asked, heavy-ball momentum done: theta - eta b instead of theta - eta (g + mu b)."""

    def step(self, name, theta, gradient, state):
        plain = SGD(self.rate, momentum=self.momentum, dampening=self.dampening, weight_decay=self.weight_decay)
        return plain.step(name, theta, gradient, state)


# -- RMSProp, and eps for AdaGrad and RMSProp -------------------------------------------
@dataclass(frozen=True)
class NoSquareRMSprop(RMSprop):
    """The (1 - alpha) g^2 term left out of v: v <- alpha v, so v stays at zero and eps alone divides."""

    def step(self, name, theta, gradient, state):
        t = state.get("step", 0) + 1
        g = gradient + self.weight_decay * theta if self.weight_decay else gradient
        new = dict(state, step=t, v=self.alpha * state["v"])  # the (1 - alpha) g^2 term missing
        denominator = np.sqrt(new["v"]) + self.eps
        if self.momentum:
            new["buf"] = self.momentum * state["buf"] + g / denominator
            return theta - self.rate * new["buf"], new
        return theta - self.rate * g / denominator, new


@dataclass(frozen=True)
class EpsInsideRMSprop(RMSprop):
    """sqrt(v + eps) for sqrt(v) + eps (uncentered, without momentum)."""

    def step(self, name, theta, gradient, state):
        _, new = super().step(name, theta, gradient, state)
        g = gradient + self.weight_decay * theta if self.weight_decay else gradient
        return theta - self.rate * g / np.sqrt(new["v"] + self.eps), new


@dataclass(frozen=True)
class EpsInsideAdagrad(Adagrad):
    """sqrt(s + eps) for sqrt(s) + eps."""

    def step(self, name, theta, gradient, state):
        _, new = super().step(name, theta, gradient, state)
        g = gradient + self.weight_decay * theta if self.weight_decay else gradient
        rate = self.rate / (1 + (new["step"] - 1) * self.lr_decay)
        return theta - rate * g / np.sqrt(new["sum"] + self.eps), new


def rule_rewrite(changes: dict):
    """The rewrite that re-makes the recipe's rule as the person's row (by rule name), or leaves it."""
    def rewrite(recipe: Recipe, at, spec) -> Recipe:
        row = changes.get(recipe.rule.name)
        return recipe if row is None else replace(recipe, rule=_as(row, recipe.rule))
    return rewrite


# -- clipping ---------------------------------------------------------------------------
def clip_each(grads, names, max_norm):
    """Each tensor clipped to max_norm by its own norm, not by the global norm of them all."""
    clipped, coefficients = dict(grads), []
    for name in names:
        norm = float(np.linalg.norm(np.asarray(grads[name], dtype=float)))
        coefficients.append(clip_coefficient(norm, max_norm))
        clipped[name] = grads[name] * coefficients[-1]
    return clipped, Clipping(float("nan"), float("nan"))


def clip_per_parameter(recipe: Recipe, at, spec) -> Recipe:
    return replace(recipe, clip=clip_each)


# -- the L2 term -------------------------------------------------------------------------
@dataclass(frozen=True)
class PenalizedBiasesDense(Dense):
    """lambda b^(l) added to dJ/db^(l) as well."""

    def bias_gradient(self, run, delta, r):
        ops = run.ops
        return ops.add(super().bias_gradient(run, delta, r), ops.scale(self.l2, run.param(f"b{self.layer}")))


@dataclass(frozen=True)
class PenalizedBiasesLoss(Loss):
    """(lambda/2) ||b^(l)||^2 in J_total as well."""

    def penalized(self):
        return super().penalized() + tuple(f"b{l}" for l in range(1, self.layer + 1))


def l2_on_biases(recipe: Recipe, at, spec) -> Recipe:
    rows = recipe.rows.rewrite("dense", lambda row: _as(PenalizedBiasesDense, row) if at(row.layer) else None)
    return replace(recipe, rows=replace(rows, loss=_as(PenalizedBiasesLoss, rows.loss)))


def l2_half_dropped(recipe: Recipe, at, spec) -> Recipe:
    """lambda ||W||^2 for (lambda/2) ||W||^2: twice the term in J and 2 lambda W in the gradient."""
    rows = recipe.rows.rewrite("dense", lambda row: replace(row, l2=2 * row.l2) if at(row.layer) else None)
    return replace(recipe, rows=replace(rows, loss=replace(rows.loss, l2=2 * rows.loss.l2)))
