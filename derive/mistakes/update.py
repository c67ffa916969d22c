"""Mistakes in the update rule: climbing the gradient."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Callable

from ..optim.sgd import SGD
from .recompute import Recipe


_LAYER = re.compile(r"\d+$")  # the layer of a parameter name: W2, b2, gamma2 -> 2


@dataclass(frozen=True)
class ClimbingSGD(SGD):
    """theta + eta g for theta - eta g, at the layers where `climbs` holds."""

    ELEMENTWISE = False  # the sign depends on the parameter's layer
    climbs: Callable[[int], bool] = lambda layer: True

    def step(self, name, theta, gradient, state):
        sign = -1.0 if self.climbs(int(_LAYER.search(name).group())) else 1.0
        return theta - sign * self.rate * gradient, {}


def update_sign(recipe: Recipe, at, spec) -> Recipe:
    return replace(recipe, rule=ClimbingSGD(recipe.rule.rate, climbs=at))
