"""Early stopping on the validation cost: the rule's settings, its validation and its decision after each step.

The rule of Keras' EarlyStopping and PyTorch Lightning's EarlyStopping callback (mode "min"): after step t the
validation cost V_t is compared with the best so far B (B = +infinity before step 1),

    improved_t = V_t < B - min_delta          (a decrease by more than min_delta)
    improved:     B <- V_t, best step <- t, wait <- 0
    otherwise:    wait <- wait + 1;  stop after step t when wait >= patience

so training stops after `patience` consecutive steps without an improvement. The parameters kept are those of the
last step taken (Lightning keeps the last; Keras too with restore_best_weights=False), not the best step's.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Optional

from .errors import SpecError, UnsupportedError


@dataclass(frozen=True)
class EarlyStopping:
    """The early_stopping table: stop after `patience` steps whose validation cost fell by no more than min_delta."""

    patience: int
    min_delta: Fraction = Fraction(0)


@dataclass(frozen=True)
class Check:
    """The rule after step t: the validation cost, the best so far (its step), the steps without improvement."""

    step: int
    cost: Any  # V_t, the validation cost after step t (float64 or exact)
    best: Any  # B after the step
    best_step: int
    wait: int  # consecutive steps without improvement, this one included
    improved: bool
    stop: bool  # training stops after this step


# watching the validation cost without a rule (validation data alone): never stops
WATCH = EarlyStopping(patience=0)


def check(rule: EarlyStopping, previous: Optional[Check], step: int, cost) -> Check:
    """The decision after step `step` given the check of the step before (None before step 1)."""
    delta = float(rule.min_delta) if isinstance(cost, float) else _exact(rule.min_delta)
    improved = previous is None or bool(cost < previous.best - delta)  # NaN never improves
    if improved:
        return Check(step, cost, cost, step, 0, True, False)
    wait = previous.wait + 1
    return Check(step, cost, previous.best, previous.best_step, wait, False, bool(rule.patience) and wait >= rule.patience)


def _exact(value: Fraction):
    import sympy as sp  # exact costs are SymPy rationals

    return sp.Rational(value.numerator, value.denominator)


def validate_early_stopping(spec) -> None:
    """Validation data of the network's shapes, and a rule that has validation data to watch."""
    rule, has_val = spec.early_stopping, bool(spec.X_val) or bool(spec.Y_val)
    if has_val:
        if not spec.X_val:
            raise SpecError("data.X_val", "missing; data.Y_val needs the inputs of the same validation samples")
        if len(spec.Y_val) != len(spec.X_val):
            raise SpecError("data.Y_val", f"{len(spec.Y_val)} rows, but data.X_val has {len(spec.X_val)}")
        if spec.dropout is not None or spec.batchnorm is not None:
            what = "[dropout]" if spec.dropout is not None else "[batchnorm]"
            raise UnsupportedError("data.X_val", f"a validation cost with {what} would need evaluation mode "
                                                 "(no masks, running statistics); nnsteps does not model it yet")
    if rule is None:
        return
    if not has_val:
        raise SpecError("early_stopping", "needs validation data to watch: give [data] X_val and Y_val")
    if isinstance(rule.patience, bool) or not isinstance(rule.patience, int) or rule.patience < 1:
        raise SpecError("early_stopping.patience", f"{rule.patience!r} must be a whole number of at least 1")
    if not isinstance(rule.min_delta, Fraction) or rule.min_delta < 0:
        raise SpecError("early_stopping.min_delta", f"{float(rule.min_delta):g} must be at least 0")
