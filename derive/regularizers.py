"""The [dropout] and [batchnorm] tables of a spec: frozen settings, their validation and the drawn masks."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .errors import SpecError, UnsupportedError

Matrix = tuple[tuple[Fraction, ...], ...]


@dataclass(frozen=True)
class DropoutSpec:
    """Inverted dropout on x^(l) of hidden layers: p[l-1] per layer 1..L-1, a 0/1 mask per layer with p > 0.

    `masks` holds one mask per dropped layer, one row per sample (given, or drawn from `seed`); `drawn` names the
    layers whose masks were drawn (the document says so).
    """

    p: tuple[Fraction, ...]
    masks: tuple[tuple[int, Matrix], ...] = ()
    seed: int = 0
    drawn: tuple[int, ...] = ()

    def rate(self, layer: int) -> Fraction:
        return self.p[layer - 1]

    def mask(self, layer: int) -> Matrix:
        return dict(self.masks)[layer]

    def layers(self) -> tuple[int, ...]:
        """The layers with a drop probability above 0."""
        return tuple(l for l, p in enumerate(self.p, start=1) if p > 0)


@dataclass(frozen=True)
class BatchNormSpec:
    """Batch normalization of z^(l) in `layers`, over the (mini-)batch, before the activation (torch BatchNorm1d)."""

    layers: tuple[int, ...]
    eps: Fraction = Fraction(1, 100000)
    momentum: Fraction = Fraction(1, 10)
    gamma: tuple[tuple[int, tuple[Fraction, ...]], ...] = ()  # (l, gamma^(l)); default ones
    beta: tuple[tuple[int, tuple[Fraction, ...]], ...] = ()  # (l, beta^(l)); default zeros


def draw_masks(p, given: dict, seed: int, sizes, n_samples: int) -> tuple[tuple, tuple]:
    """(masks, drawn layers): the given masks, and for every other layer with p > 0 a mask whose entries are kept
    (1) with probability 1 - p, drawn in layer order from numpy's default_rng(seed)."""
    import numpy as np  # only when a mask is drawn: loading a spec stays free of NumPy

    rng, masks, drawn = np.random.default_rng(seed), [], []
    for l, rate in enumerate(p, start=1):
        if rate <= 0 or not isinstance(sizes[l], int):
            continue
        if l in given:
            masks.append((l, given[l]))
            continue
        keep = rng.random((n_samples, sizes[l])) >= float(rate)
        masks.append((l, tuple(tuple(Fraction(int(v)) for v in row) for row in keep)))
        drawn.append(l)
    return tuple(masks), tuple(drawn)


def validate_dropout(spec) -> None:
    dropout = spec.dropout
    if dropout is None:
        return
    hidden = spec.depth - 1
    if len(dropout.p) != hidden:
        raise SpecError("dropout.p", f"{len(dropout.p)} given, but layers {list(spec.layers)} have {hidden} hidden "
                                     "layers (one drop probability per hidden layer 1..L-1)")
    for l, p in enumerate(dropout.p, start=1):
        if not 0 <= p < 1:
            raise SpecError(f"dropout.p[{l}]", f"{float(p)} must lie in [0, 1) (the probability of dropping a neuron)")
    masks = dict(dropout.masks)
    for l, mask in masks.items():
        where = f"dropout.masks.x{l}"
        if not 1 <= l <= hidden or dropout.p[l - 1] == 0:
            raise SpecError(where, f"layer {l} has no dropout (give p > 0 for a hidden layer 1..{hidden})")
        n, width = spec.n_samples, spec.layers[l]
        if len(mask) != n or any(len(row) != width for row in mask):
            raise SpecError(where, f"needs {n} rows (one per sample) of {width} entries (the neurons of layer {l})")
        for s, row in enumerate(mask, start=1):
            if any(v not in (0, 1) for v in row):
                raise SpecError(f"{where}[{s}]", "entries must be 0 (dropped) or 1 (kept)")
    for l in dropout.layers():
        if l not in masks:
            raise SpecError(f"dropout.masks.x{l}", "missing; give the mask or a seed to draw it")
    if dropout.layers() and spec.batch_size not in (0, None) and spec.batch_size < spec.n_samples:
        raise UnsupportedError("dropout", "masks are given per sample of the data, so mini-batches (batch_size) "
                                          "with dropout are not supported yet; use batch_size = 0")


def validate_batchnorm(spec) -> None:
    bn = spec.batchnorm
    if bn is None:
        return
    for index, l in enumerate(bn.layers):
        if isinstance(l, bool) or not isinstance(l, int) or not 1 <= l <= spec.depth:
            raise SpecError(f"batchnorm.layers[{index}]", f"{l!r} must be a layer from 1 to {spec.depth}")
    if len(set(bn.layers)) != len(bn.layers):
        raise SpecError("batchnorm.layers", "a layer is named twice")
    if not bn.eps > 0:
        raise SpecError("batchnorm.eps", f"{float(bn.eps)} must be greater than 0")
    if not 0 <= bn.momentum <= 1:
        raise SpecError("batchnorm.momentum", f"{float(bn.momentum)} must lie in [0, 1]")
    for kind, table in (("gamma", bn.gamma), ("beta", bn.beta)):
        for l, values in table:
            where = f"parameters.{kind}{l}"
            if l not in bn.layers:
                raise SpecError(where, f"layer {l} has no batch norm; list it in [batchnorm] layers")
            if len(values) != spec.layers[l]:
                raise SpecError(where, f"{len(values)} values, but layer {l} has {spec.layers[l]} neurons")
    batch = spec.n_samples if spec.batch_size in (0, None) else min(spec.batch_size, spec.n_samples)
    if bn.layers and batch < 2:
        raise SpecError("batchnorm", "needs batches of at least 2 samples (the variance of one sample is 0)")
    if bn.layers and spec.numbers == "exact":
        raise UnsupportedError("batchnorm", "divides by a square root, so numbers = \"exact\" cannot be kept; "
                                            "use numbers = \"float\"")
