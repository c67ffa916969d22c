"""Side by side: the same network, data and steps trained by several update rules (`nnsteps render --compare`).

A rule is written `name` with torch's defaults, `name:key=value:key=value` with overrides (betas as 0.9/0.99),
or one of the aliases `momentum` (sgd, momentum 0.9) and `nesterov` (sgd, momentum 0.9, Nesterov).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

from .errors import SpecError
from .netspec import OptimizerSpec
from .optim import RULES, build_rule, rule_class
from .training import train_steps

ALIASES = {"momentum": ("sgd", (("momentum", Fraction(9, 10)),)),
           "nesterov": ("sgd", (("momentum", Fraction(9, 10)), ("nesterov", True)))}


def _value(text: str, where: str):
    """A hyper-parameter as written on the command line: true/false, a/b (betas) or a decimal number."""
    if text in ("true", "false"):
        return text == "true"
    try:
        parts = tuple(Fraction(part) for part in text.split("/"))
    except (ValueError, ZeroDivisionError):
        raise SpecError(where, f"{text[:40]!r} is not a number, true/false or a pair a/b") from None
    return parts if len(parts) > 1 else parts[0]


def parse_rules(text: str) -> tuple[tuple[str, OptimizerSpec], ...]:
    """'sgd,momentum,adam:betas=0.8/0.99' -> ((label, OptimizerSpec), ...)."""
    result = []
    for label in (part.strip() for part in text.split(",")):
        if not label:
            continue
        name, *settings = label.split(":")
        base, given = ALIASES.get(name, (name, ()))
        pairs = dict(given)
        for setting in settings:
            key, _, value = setting.partition("=")
            if not value:
                raise SpecError("--compare", f"{setting[:40]!r} must be key=value, e.g. adam:eps=0.001")
            pairs[key.strip()] = _value(value.strip(), "--compare")
        result.append((label, OptimizerSpec(base, tuple(pairs.items()))))
    if len(result) < 1 or len(result) > 8:
        raise SpecError("--compare", "give 1 to 8 rules separated by commas, e.g. sgd,momentum,adam")
    return tuple(result)


@dataclass(frozen=True)
class Curve:
    """One rule's cost over all the data before each step and after the last."""

    label: str
    history: tuple
    path: tuple = ()  # with exactly two trained entries: their values (p, q) before each step and after the last


def compare(derivation, text: str) -> tuple[Curve, ...]:
    """The cost curve of each rule on the derivation's network, data, learning rate, batches, clipping and L2."""
    import numpy as np

    from .landscape import trained_entries

    compiled, curves = derivation.compiled, []
    entries = trained_entries(derivation.spec, derivation.params)
    where = lambda params: tuple(float(params[name][index]) for name, index in entries)  # noqa: E731
    planar = len(entries) == 2
    for label, optimizer in parse_rules(text):
        # exact numbers where the rule keeps them (sgd); a rule with a square root is compared in float64
        exact = derivation.exact and not rule_class(optimizer.name).ROOT if optimizer.name in RULES else False
        try:  # validated like a spec's [optimizer] table
            spec = replace(derivation.spec, optimizer=optimizer, **({} if exact else {"numbers": "float"}))
        except SpecError as error:
            raise SpecError("--compare", f"{label}: {error.field}: {error.message}") from None
        params, X, Y, gradients = dict(derivation.params), derivation.X, derivation.Y, compiled.gradients
        if derivation.exact and not exact:  # the exported float64 gradients (derive/codegen.py)
            params = {name: np.asarray(value, dtype=float) for name, value in params.items()}
            X, Y, gradients = np.asarray(X, dtype=float), np.asarray(Y, dtype=float), derivation.gradient_function()
        history, path = [float(compiled.cost(params, X, Y))], [where(params)] if planar else []
        with np.errstate(all="ignore"):
            for record in train_steps(gradients, build_rule(spec, exact), params, X, Y, spec):
                history.append(float(compiled.cost(record.params, X, Y)))
                path += [where(record.params)] if planar else []
        curves.append(Curve(label, tuple(history), tuple(path)))
    return tuple(curves)
