"""Stochastic gradient descent as torch.optim.SGD: momentum, dampening, Nesterov, coupled weight decay.

    g <- g + wd theta                                   (weight_decay)
    b <- g at step 1, else mu b + (1 - dampening) g     (momentum != 0; torch starts b at the first gradient)
    g <- g + mu b (nesterov)  or  g <- b
    theta <- theta - eta g
With momentum 0 this is plain gradient descent, theta - eta g.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from .base import GRADIENT, RATE, STEP, THETA, UpdateRule, decayed

BUFFER = sp.Symbol("b", real=True)  # the momentum buffer
MU, DAMPENING, DECAY = sp.symbols("mu tau lambda_wd", real=True)


@dataclass(frozen=True)
class SGD(UpdateRule):
    """Moves every parameter against its gradient (or its momentum buffer), scaled by the learning rate."""

    name = "sgd"
    HYPER = ("momentum", "dampening", "nesterov", "weight_decay")
    momentum: Any = 0
    dampening: Any = 0
    nesterov: bool = False
    weight_decay: Any = 0

    def state_names(self):
        return ("buf",) if self.momentum else ()

    def formulas(self):
        g = GRADIENT + DECAY * THETA if self.weight_decay else GRADIENT
        if not self.momentum:
            return {THETA: THETA - RATE * g}
        # torch: the buffer is the first gradient itself, then mu b + (1 - dampening) g
        buffer = sp.Piecewise((g, sp.Eq(STEP, 1)), (MU * BUFFER + (1 - DAMPENING) * g, True))
        direction = g + MU * BUFFER if self.nesterov else BUFFER
        return {BUFFER: buffer, THETA: THETA - RATE * direction}

    def symbols(self):
        return {"buf": BUFFER} if self.momentum else {}

    def constants(self):
        return {MU: self.momentum, DAMPENING: self.dampening, DECAY: self.weight_decay}

    def step(self, name, theta, gradient, state):
        g = decayed(gradient, theta, self.weight_decay)
        if not self.momentum:
            # gradient descent: theta <- theta - eta * dJ/dtheta
            return theta - self.rate * g, {}
        t = state.get("step", 0) + 1
        # torch: the buffer is a copy of the first gradient, then mu b + (1 - dampening) g
        first = g.copy() if isinstance(g, np.ndarray) else g  # a scalar (float, Rational) is immutable: no copy
        buffer = first if t == 1 else self.momentum * state["buf"] + (1 - self.dampening) * g
        direction = g + self.momentum * buffer if self.nesterov else buffer
        return theta - self.rate * direction, {"step": t, "buf": buffer}
