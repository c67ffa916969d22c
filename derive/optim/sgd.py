"""Plain gradient descent: theta_t = theta_{t-1} - eta g_t (torch.optim.SGD with momentum 0)."""

from __future__ import annotations

from dataclasses import dataclass

from .base import GRADIENT, RATE, THETA, UpdateRule


@dataclass(frozen=True)
class SGD(UpdateRule):
    """Moves every parameter against its gradient, scaled by the learning rate; keeps no state."""

    name = "sgd"

    def formulas(self):
        return {THETA: THETA - RATE * GRADIENT}

    def step(self, name, theta, gradient, state):
        # gradient descent: theta <- theta - eta * dJ/dtheta
        return theta - self.rate * gradient, {}
