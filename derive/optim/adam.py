"""Adam and AdamW as torch.optim.Adam and torch.optim.AdamW (single-tensor path):

    AdamW only: theta <- theta (1 - eta wd)                     (decoupled weight decay)
    Adam only:  g <- g + wd theta                               (coupled weight decay)
    m <- beta1 m + (1 - beta1) g;   v <- beta2 v + (1 - beta2) g^2      (both start at zero)
    amsgrad: vmax <- max(vmax, v), and v stands for vmax below
    m_hat = m / (1 - beta1^t);   v_hat = v / (1 - beta2^t)               (the bias corrections)
    theta <- theta - eta m_hat / (sqrt(v_hat) + eps)
torch computes the last line as theta - (eta / (1 - beta1^t)) m / (sqrt(v) / sqrt(1 - beta2^t) + eps): the same
formula, equal to ours within a few units in the last place (tests/test_optim_torch.py: 1e-12 over several steps).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from .base import GRADIENT, RATE, STEP, THETA, UpdateRule
from .sgd import DECAY

M, V, M_HAT, V_HAT, V_MAX = sp.symbols("m v mhat vhat vmax", real=True)
BETA1, BETA2, EPS = sp.symbols("beta1 beta2 epsilon", real=True)


@dataclass(frozen=True)
class Adam(UpdateRule):
    """Moves each entry by its bias-corrected mean gradient over the root of its bias-corrected mean square."""

    name = "adam"
    HYPER = ("betas", "eps", "weight_decay", "amsgrad")
    ROOT = True
    DECOUPLED = False  # AdamW: the weight decay shrinks theta instead of entering the gradient
    betas: Any = (0.9, 0.999)
    eps: Any = 1e-8
    weight_decay: Any = 0
    amsgrad: bool = False

    def state_names(self):
        return ("m", "v") + (("vmax",) if self.amsgrad else ())

    def shown_names(self):
        return self.state_names() + ("mhat", "vhat")

    def symbols(self):
        table = {"m": M, "v": V, "vmax": V_MAX, "mhat": M_HAT, "vhat": V_HAT}
        return {name: table[name] for name in self.shown_names()}

    def constants(self):
        return {BETA1: self.betas[0], BETA2: self.betas[1], EPS: self.eps, DECAY: self.weight_decay}

    def formulas(self):
        decay = bool(self.weight_decay)
        g = GRADIENT + DECAY * THETA if decay and not self.DECOUPLED else GRADIENT
        start = THETA * (1 - RATE * DECAY) if decay and self.DECOUPLED else THETA
        second = V_MAX if self.amsgrad else V
        result = {M: BETA1 * M + (1 - BETA1) * g, V: BETA2 * V + (1 - BETA2) * g**2}
        if self.amsgrad:
            result[V_MAX] = sp.Max(V_MAX, V)
        result[M_HAT] = M / (1 - BETA1**STEP)
        result[V_HAT] = second / (1 - BETA2**STEP)
        result[THETA] = start - RATE * M_HAT / (sp.sqrt(V_HAT) + EPS)
        return result

    def initial_state(self, params):
        return {name: {"step": 0, **{key: np.zeros(np.shape(p)) for key in self.state_names()}}
                for name, p in params.items()}

    def corrections(self, t: int) -> tuple[float, float]:
        """The bias corrections 1 - beta1^t and 1 - beta2^t of step t."""
        beta1, beta2 = self.betas
        return 1 - beta1**t, 1 - beta2**t

    def step(self, name, theta, gradient, state):
        state = state or self.initial_state({name: theta})[name]  # a first step from no state
        t = state.get("step", 0) + 1
        beta1, beta2 = self.betas
        if self.weight_decay and self.DECOUPLED:
            theta = theta * (1 - self.rate * self.weight_decay)
        g = gradient + self.weight_decay * theta if self.weight_decay and not self.DECOUPLED else gradient
        new = {"step": t, "m": state["m"] + (g - state["m"]) * (1 - beta1),  # torch: m.lerp_(g, 1 - beta1)
               "v": state["v"] * beta2 + (g * g) * (1 - beta2)}
        second = new["v"]
        if self.amsgrad:
            new["vmax"] = second = np.maximum(state["vmax"], new["v"])
        correction1, correction2 = self.corrections(t)
        new["mhat"], new["vhat"] = new["m"] / correction1, second / correction2
        return theta - self.rate * new["mhat"] / (np.sqrt(new["vhat"]) + self.eps), new


@dataclass(frozen=True)
class AdamW(Adam):
    """Adam whose weight decay is decoupled from the gradient (theta shrinks by eta wd theta first); wd 0.01."""

    name = "adamw"
    DECOUPLED = True
    weight_decay: Any = 0.01
