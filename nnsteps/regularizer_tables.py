"""Reading the [dropout] and [batchnorm] tables (and gamma{l}/beta{l} of [parameters]) into frozen settings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Mapping

from .derive.errors import SpecError
from .derive.limits import DEFAULT_LIMITS, Limits
from .derive.regularizers import BatchNormSpec, DropoutSpec, draw_masks
from .fields import check_keys, check_whole, matrix, number, short, vector

DROPOUT_FIELDS = {"p", "masks", "seed"}
BATCHNORM_FIELDS = {"layers", "eps", "momentum"}


def _table(mapping: Mapping, key: str, fields: set) -> Mapping | None:
    table = mapping.get(key)
    if table is None:
        return None
    if not isinstance(table, Mapping):
        raise SpecError(key, f"must be a table with {', '.join(sorted(fields))}")
    check_keys(table, fields, key)
    return table


def _mask_key(key: str, where: str) -> tuple[int, int | None]:
    """x{l} (the worked pass) -> (l, None); x{l}@t{t} (training step t) -> (l, t)."""
    import re

    match = re.fullmatch(r"x([0-9]+)(?:@t([0-9]+))?", key)
    if match is None:
        raise SpecError(f"{where}.{key}", "unknown field; name a mask x1, x2, ... by its layer, and x1@t2 for the "
                                          "mask of training step 2")
    return int(match.group(1)), (None if match.group(2) is None else int(match.group(2)))


def dropout_table(mapping: Mapping, layers, n_samples: int, limits: Limits = DEFAULT_LIMITS) -> DropoutSpec | None:
    """[dropout]: p per hidden layer, masks {x1 = [[1, 0, ...], ...], "x1@t2" = [...]} given, or drawn from seed."""
    table = _table(mapping, "dropout", DROPOUT_FIELDS)
    if table is None:
        return None
    if "p" not in table:
        raise SpecError("dropout.p", "missing; give one drop probability per hidden layer 1..L-1")
    p = vector(table["p"], "dropout.p", limits)
    masks = table.get("masks", {})
    if not isinstance(masks, Mapping):
        raise SpecError("dropout.masks", "must be a table x1 = [[...], ...], one row per sample")
    keyed = {_mask_key(key, "dropout.masks"): matrix(value, f"dropout.masks.{key}", limits) for key, value in masks.items()}
    given = {l: mask for (l, t), mask in keyed.items() if t is None}
    steps = tuple(((l, t), mask) for (l, t), mask in keyed.items() if t is not None)
    seed = table.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise SpecError("dropout.seed", f"{short(seed)} must be a whole number of at least 0")
    check_whole(seed, "dropout.seed", limits)
    drawable = {l: m for l, m in given.items() if 1 <= l <= len(p) and p[l - 1] > 0}
    resolved, drawn = draw_masks(p, drawable, seed, list(layers), n_samples)
    # masks for layers without dropout stay in the spec so that validation names them
    resolved += tuple((l, m) for l, m in given.items() if l not in drawable)
    return DropoutSpec(p=p, masks=resolved, seed=seed, drawn=drawn, given_steps=steps)


def batchnorm_table(mapping: Mapping, limits: Limits = DEFAULT_LIMITS) -> BatchNormSpec | None:
    """[batchnorm]: layers, eps, momentum; gamma{l} and beta{l} from [parameters] (default ones and zeros)."""
    table = _table(mapping, "batchnorm", BATCHNORM_FIELDS)
    if table is None:
        return None
    layers: Any = table.get("layers", [])
    if not isinstance(layers, (list, tuple)):
        raise SpecError("batchnorm.layers", f"expected a list of layers, got {short(layers)}")
    for index, l in enumerate(layers):
        if isinstance(l, bool) or not isinstance(l, int):
            raise SpecError(f"batchnorm.layers[{index}]", f"{short(l)} must be a whole number (a layer)")
        check_whole(l, f"batchnorm.layers[{index}]", limits)
    eps = number(table.get("eps", Decimal("1e-5")), "batchnorm.eps", limits)
    momentum = number(table.get("momentum", Decimal("0.1")), "batchnorm.momentum", limits)
    given = mapping.get("parameters", {})
    given = given if isinstance(given, Mapping) else {}
    scales = tuple((l, vector(given[f"gamma{l}"], f"parameters.gamma{l}", limits)) for l in layers if f"gamma{l}" in given)
    shifts = tuple((l, vector(given[f"beta{l}"], f"parameters.beta{l}", limits)) for l in layers if f"beta{l}" in given)
    return BatchNormSpec(layers=tuple(layers), eps=eps, momentum=momentum, gamma=scales, beta=shifts)
