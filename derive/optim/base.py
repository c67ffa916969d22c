"""The update-rule row interface: hyper-parameters, the named state a rule keeps, its SymPy formulas, one step."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar, Mapping

import sympy as sp

# the generic symbols of every rule's formulas: a parameter, its gradient, the learning rate, the step number
THETA, GRADIENT, RATE, STEP = sp.symbols("theta g eta t", real=True)


@dataclass(frozen=True)
class UpdateRule:
    """theta_t = rule(theta_{t-1}, g_t, state): one row per optimizer, with torch.optim's names for its settings."""

    name: ClassVar[str] = ""
    rate: Any  # eta: a float, or a SymPy Rational in exact mode

    def state_names(self) -> tuple[str, ...]:
        """The per-parameter state the rule carries from step to step (momentum buffer, m, v); none by default."""
        return ()

    def formulas(self) -> Mapping[sp.Symbol, sp.Expr]:
        """Each new value (of theta and of every state) in the generic symbols THETA, GRADIENT, RATE, STEP."""
        raise NotImplementedError

    def with_rate(self, rate) -> "UpdateRule":
        """The same rule at another learning rate."""
        return replace(self, rate=rate)

    def initial_state(self, params: Mapping[str, Any]) -> dict:
        return {}

    def step(self, name: str, theta, gradient, state: Mapping[str, Any]) -> tuple[Any, dict]:
        """(theta_t, its new state) of the parameter `name`."""
        raise NotImplementedError
