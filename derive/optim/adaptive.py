"""AdaGrad and RMSProp as torch.optim.Adagrad and torch.optim.RMSprop: a per-entry step from squared gradients.

AdaGrad:  g <- g + wd theta;  eta_t = eta / (1 + (t - 1) lr_decay);  s <- s + g^2;  theta <- theta - eta_t g / (sqrt(s) + eps)
RMSProp:  g <- g + wd theta;  v <- alpha v + (1 - alpha) g^2;  centered: gbar <- alpha gbar + (1 - alpha) g, and
          d = sqrt(v - gbar^2) + eps, else d = sqrt(v) + eps;  momentum mu > 0: b <- mu b + g / d, theta <- theta - eta b
          (b starts at zero), else theta <- theta - eta g / d
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from .base import GRADIENT, RATE, STEP, THETA, UpdateRule, decayed, zeros
from .sgd import BUFFER, DECAY, MU

SUM, SQUARE_AVERAGE, GRADIENT_AVERAGE = sp.symbols("s v gbar", real=True)
EPS, LR_DECAY, ALPHA = sp.symbols("epsilon lambda_lr alpha", real=True)


def _gradient(rule) -> sp.Expr:
    return GRADIENT + DECAY * THETA if rule.weight_decay else GRADIENT


@dataclass(frozen=True)
class Adagrad(UpdateRule):
    """Divides each entry's step by the root of the sum of its squared gradients so far."""

    name = "adagrad"
    HYPER = ("lr_decay", "weight_decay", "initial_accumulator_value", "eps")
    ROOT = True
    lr_decay: Any = 0
    weight_decay: Any = 0
    initial_accumulator_value: Any = 0
    eps: Any = 1e-10

    def state_names(self):
        return ("sum",)

    def symbols(self):
        return {"sum": SUM}

    def constants(self):
        return {LR_DECAY: self.lr_decay, DECAY: self.weight_decay, EPS: self.eps}

    def formulas(self):
        g = _gradient(self)
        rate = RATE / (1 + (STEP - 1) * LR_DECAY) if self.lr_decay else RATE
        return {SUM: SUM + g**2, THETA: THETA - rate * g / (sp.sqrt(SUM) + EPS)}

    def initial_state(self, params):
        return {name: {"step": 0, "sum": np.full(np.shape(p), float(self.initial_accumulator_value))}
                for name, p in params.items()}

    def step(self, name, theta, gradient, state):
        state = state or self.initial_state({name: theta})[name]  # a first step from no state
        t = state.get("step", 0) + 1
        g = decayed(gradient, theta, self.weight_decay)
        clr = self.rate / (1 + (t - 1) * self.lr_decay)
        total = state["sum"] + g * g
        return theta - clr * g / (np.sqrt(total) + self.eps), {"step": t, "sum": total}


@dataclass(frozen=True)
class RMSprop(UpdateRule):
    """Divides each entry's step by the root of a running mean of its squared gradients."""

    name = "rmsprop"
    HYPER = ("alpha", "eps", "weight_decay", "momentum", "centered")
    ROOT = True
    alpha: Any = 0.99
    eps: Any = 1e-8
    weight_decay: Any = 0
    momentum: Any = 0
    centered: bool = False

    def state_names(self):
        return ("v",) + (("gavg",) if self.centered else ()) + (("buf",) if self.momentum else ())

    def symbols(self):
        table = {"v": SQUARE_AVERAGE, "gavg": GRADIENT_AVERAGE, "buf": BUFFER}
        return {name: table[name] for name in self.state_names()}

    def constants(self):
        return {ALPHA: self.alpha, EPS: self.eps, MU: self.momentum, DECAY: self.weight_decay}

    def formulas(self):
        g = _gradient(self)
        result = {SQUARE_AVERAGE: ALPHA * SQUARE_AVERAGE + (1 - ALPHA) * g**2}
        spread = SQUARE_AVERAGE
        if self.centered:
            result[GRADIENT_AVERAGE] = ALPHA * GRADIENT_AVERAGE + (1 - ALPHA) * g
            spread = SQUARE_AVERAGE - GRADIENT_AVERAGE**2
        denominator = sp.sqrt(spread) + EPS
        if self.momentum:
            result[BUFFER] = MU * BUFFER + g / denominator
            result[THETA] = THETA - RATE * BUFFER
        else:
            result[THETA] = THETA - RATE * g / denominator
        return result

    def initial_state(self, params):
        return {name: {"step": 0, **{key: np.zeros(np.shape(p)) for key in self.state_names()}}
                for name, p in params.items()}

    def step(self, name, theta, gradient, state):
        state = state or self.initial_state({name: theta})[name]  # a first step from no state
        t = state.get("step", 0) + 1
        g = decayed(gradient, theta, self.weight_decay)
        new = {"step": t, "v": self.alpha * state["v"] + (1 - self.alpha) * (g * g)}
        spread = new["v"]
        if self.centered:
            new["gavg"] = self.alpha * state["gavg"] + (1 - self.alpha) * g
            spread = new["v"] - new["gavg"] * new["gavg"]
        denominator = np.sqrt(spread) + self.eps
        if self.momentum:  # torch's buffer starts at zero here (unlike SGD's)
            new["buf"] = self.momentum * state["buf"] + g / denominator
            return theta - self.rate * new["buf"], new
        return theta - self.rate * g / denominator, new


__all__ = ["Adagrad", "RMSprop", "zeros"]
