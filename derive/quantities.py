"""Quantity names: `J`, `z1[2]`, `x2[1]@3`, `delta3[1]`, `W3[2,1]`, `dW3[2,1]`, `db2[1]`, `W3[2,1]@after`.

Indices are 1-based. Per-sample quantities take `@s` (default sample 1);
parameters take `@after` for their value after the gradient-descent steps.
"""

from __future__ import annotations

import re
from typing import NamedTuple, Optional

from .errors import SpecError
from .netspec import NetworkSpec

# kind -> (has a layer number, number of indices, per sample)
KINDS = {
    "J": (False, 0, False),  # batch cost; J@s is the cost of sample s
    "yhat": (False, 1, True),  # network output = x^(L)
    "y": (False, 1, True),  # target
    "x": (True, 1, True),  # neuron
    "z": (True, 1, True),  # receptor
    "delta": (True, 1, True),  # dJ/dz for one sample
    "dx": (True, 1, True),  # dJ/dx^(L) for one sample (output layer only)
    "W": (True, 2, False),
    "b": (True, 1, False),
    "dW": (True, 2, False),  # batch gradient dJ/dw
    "db": (True, 1, False),
}

_NAME = re.compile(r"^(J|yhat|y|delta|dx|dW|db|x|z|W|b)(\d*)(?:\[(\d+)(?:,(\d+))?\])?(?:@(\d+|after))?$")


class Quantity(NamedTuple):
    """A parsed quantity name; `indices` are 1-based as written."""

    kind: str
    layer: Optional[int]
    indices: tuple[int, ...]
    sample: Optional[int]  # 1-based; None for batch quantities
    after: bool = False

    @property
    def name(self) -> str:
        text = self.kind + ("" if self.layer is None else str(self.layer))
        if self.indices:
            text += "[" + ",".join(map(str, self.indices)) + "]"
        if self.after:
            return text + "@after"
        return text + ("" if self.sample is None else f"@{self.sample}")


def parse_quantity(text: str, spec: NetworkSpec, field: str = "quantity") -> Quantity:
    """Read and check a quantity name against the network; SpecError names what is wrong."""
    compact = str(text).replace(" ", "")
    match = _NAME.match(compact)
    if not match:
        raise SpecError(field, f"{text!r} is not a quantity name; write e.g. J, z1[2], x2[1]@3, delta3[1], W3[2,1], dW3[2,1], db2[1]")
    kind, layer_text, i, j, suffix = match.groups()
    has_layer, n_indices, per_sample = KINDS[kind]
    layer = int(layer_text) if layer_text else None
    indices = tuple(int(v) for v in (i, j) if v is not None)
    if has_layer != (layer is not None):
        raise SpecError(field, f"{text!r}: {kind} {'needs' if has_layer else 'takes no'} layer number")
    if len(indices) != n_indices:
        raise SpecError(field, f"{text!r}: {kind} takes {n_indices} index{'es' if n_indices != 1 else ''}")
    L, sizes = spec.depth, spec.layers
    if layer is not None:
        lowest = 0 if kind == "x" else 1
        if kind == "dx" and layer != L:
            raise SpecError(field, f"{text!r}: dx is dJ/dx of the output layer {L}")
        if not lowest <= layer <= L:
            raise SpecError(field, f"{text!r}: layer {layer} does not exist; layers are {lowest}..{L}")
    if kind in ("W", "dW"):
        bounds = (sizes[layer - 1], sizes[layer])
    elif kind in ("yhat", "y"):
        bounds = (sizes[L],)
    else:
        bounds = (sizes[layer],) if indices else ()
    for index, bound in zip(indices, bounds):
        if not 1 <= index <= bound:
            raise SpecError(field, f"{text!r}: index {index} is out of range 1..{bound}")
    after = suffix == "after"
    if after and kind not in ("W", "b"):
        raise SpecError(field, f"{text!r}: @after applies to parameters W and b only")
    sample = None
    if suffix and not after:
        if not per_sample and kind != "J":
            raise SpecError(field, f"{text!r}: {kind} is for the whole batch; drop @{suffix}")
        sample = int(suffix)
        if not 1 <= sample <= spec.n_samples:
            raise SpecError(field, f"{text!r}: sample {sample} is out of range 1..{spec.n_samples}")
    elif per_sample:
        sample = 1
    return Quantity(kind, layer, indices, sample, after)
