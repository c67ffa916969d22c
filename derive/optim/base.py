"""The update-rule row interface: hyper-parameters, the named state a rule keeps, its SymPy formulas, one step."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, ClassVar, Mapping

import numpy as np
import sympy as sp

# the generic symbols of every rule's formulas: a parameter, its gradient, the learning rate, the step number
THETA, GRADIENT, RATE, STEP = sp.symbols("theta g eta t", real=True)


@dataclass(frozen=True)
class UpdateRule:
    """theta_t = rule(theta_{t-1}, g_t, state): one row per optimizer, with torch.optim's names for its settings.

    The hyper-parameters are the dataclass fields named in HYPER, with torch's defaults. `exact` rules compute
    in SymPy rationals; a rule with a square root (ROOT) cannot.
    """

    name: ClassVar[str] = ""
    HYPER: ClassVar[tuple[str, ...]] = ()  # torch's names of the rule's hyper-parameters
    ROOT: ClassVar[bool] = False  # its step takes a square root: no exact rationals
    ELEMENTWISE: ClassVar[bool] = True  # every entry steps by the same formulas, whatever its parameter
    rate: Any  # eta: a float, or a SymPy Rational in exact mode

    def state_names(self) -> tuple[str, ...]:
        """The per-parameter state the rule carries from step to step (momentum buffer, m, v); none by default."""
        return ()

    def shown_names(self) -> tuple[str, ...]:
        """The per-parameter values of one step worth showing: the state and the values derived on the way (m-hat)."""
        return self.state_names()

    def formulas(self) -> Mapping[sp.Symbol, sp.Expr]:
        """Each new value (of theta and of every state) in the generic symbols THETA, GRADIENT, RATE, STEP."""
        raise NotImplementedError

    def symbols(self) -> dict:
        """The symbol of each state name in formulas() (m -> M), in the order the formulas assign them."""
        return {}

    def constants(self) -> dict:
        """The hyper-parameter symbols of formulas() with this row's values (beta1 -> 0.9)."""
        return {}

    def settings(self) -> dict:
        """The hyper-parameters by torch's names, as this row holds them."""
        return {name: getattr(self, name) for name in self.HYPER}

    def with_rate(self, rate) -> "UpdateRule":
        """The same rule at another learning rate."""
        return replace(self, rate=rate)

    def initial_state(self, params: Mapping[str, Any]) -> dict:
        return {}

    def step(self, name: str, theta, gradient, state: Mapping[str, Any]) -> tuple[Any, dict]:
        """(theta_t, its new state) of the parameter `name`; the state holds 'step' (t) and the named arrays."""
        raise NotImplementedError


def hyper_defaults(rule: type[UpdateRule]) -> dict:
    """torch's default of every hyper-parameter of a rule row."""
    return {f.name: f.default for f in fields(rule) if f.name in rule.HYPER}


def zeros(theta) -> np.ndarray:
    """A zero array shaped like theta (exact zeros for an object array of rationals)."""
    if theta.dtype == object:
        return np.full(theta.shape, sp.Integer(0), dtype=object)
    return np.zeros_like(theta)


def decayed(gradient, theta, weight_decay):
    """torch's coupled weight decay: g + wd * theta (added to the gradient before the rule sees it)."""
    return gradient + weight_decay * theta if weight_decay else gradient
