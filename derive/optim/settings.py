"""The [optimizer] table checked against the rule's row: torch's names, torch's ranges, one error naming the field."""

from __future__ import annotations

from fractions import Fraction

from ..errors import SpecError, UnsupportedError
from . import RULES
from .base import hyper_defaults

# torch.optim's own checks of each hyper-parameter: (test, what it must be)
_RANGES = {
    "momentum": (lambda v: v >= 0, "at least 0"),
    "dampening": (lambda v: True, "a number"),
    "weight_decay": (lambda v: v >= 0, "at least 0"),
    "lr_decay": (lambda v: v >= 0, "at least 0"),
    "initial_accumulator_value": (lambda v: v >= 0, "at least 0"),
    "eps": (lambda v: v >= 0, "at least 0"),
    "alpha": (lambda v: v >= 0, "at least 0"),
    "betas": (lambda v: 0 <= v < 1, "from 0 up to (not including) 1"),
}


def _check_value(rule: str, key: str, value, default) -> None:
    where = f"optimizer.{key}"
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise SpecError(where, f"{value!r} must be true or false")
        return
    if isinstance(default, tuple):
        if not isinstance(value, tuple) or len(value) != len(default):
            raise SpecError(where, f"must be a list of {len(default)} numbers, as [0.9, 0.999]")
        values = value
    else:
        values = (value,)
    test, need = _RANGES[key]
    for index, v in enumerate(values, start=1):
        if not isinstance(v, Fraction):
            raise SpecError(where, f"{v!r} is not a number")
        if not test(v):
            which = f"entry {index} " if len(values) > 1 else ""
            raise SpecError(where, f"{which}{float(v):g} must be {need} (as in torch.optim)")


def validate_optimizer(spec) -> None:
    """The rule exists, has each given hyper-parameter, each within torch's range; exact numbers only without roots."""
    name, settings = spec.optimizer.name, dict(spec.optimizer.settings)
    if name not in RULES:
        from ..activations import suggest

        raise SpecError("optimizer.name", f"unknown update rule {name!r}{suggest(name, RULES)}; "
                                          f"known: {', '.join(RULES)}")
    row, defaults = RULES[name], hyper_defaults(RULES[name])
    for key, value in settings.items():
        if key not in defaults:
            have = ", ".join(row.HYPER)
            raise SpecError(f"optimizer.{key}", f"{name} has no hyper-parameter {key!r}; its hyper-parameters are {have}")
        _check_value(name, key, value, defaults[key])
    merged = dict(defaults, **settings)
    if merged.get("nesterov") and (not merged["momentum"] or merged["dampening"]):
        raise SpecError("optimizer.nesterov", "Nesterov momentum needs momentum > 0 and dampening = 0 (as in torch.optim)")
    if spec.max_grad_norm is not None and spec.max_grad_norm <= 0:
        raise SpecError("max_grad_norm", f"{float(spec.max_grad_norm):g} must be greater than 0")
    if spec.l2 < 0:
        raise SpecError("regularization.l2", f"{float(spec.l2):g} must be at least 0")
    if spec.numbers == "exact":
        if row.ROOT:
            raise UnsupportedError("optimizer.name", f"{name} divides by a square root, so numbers = \"exact\" cannot "
                                                     "be kept; use numbers = \"float\" (sgd, with or without momentum, "
                                                     "is exact)")
        if spec.max_grad_norm is not None:
            raise UnsupportedError("max_grad_norm", "clipping divides by the gradient's 2-norm, a square root, so "
                                                    "numbers = \"exact\" cannot be kept; use numbers = \"float\"")
