"""The [dropout] and [batchnorm] tables of a spec: frozen settings, their validation and the drawn masks.

The drawing rule of dropout masks (torch draws a fresh mask at every forward pass in training mode):
    rng = numpy.random.default_rng(seed); draw number i = 0, 1, 2, ... makes, for every layer l with p > 0 in
    order, keep = rng.random((rows, n^(l))) >= p   (1 kept, 0 dropped).
    Draw 0 holds the masks x{l} of the worked pass (one row per sample of the data). With full batches it is also
    step 1's; step t >= 2 takes draw t - 1. With mini-batches step t takes draw t (one row per sample of its batch).
    A mask given in [dropout] masks (x{l}, or x{l}@t{t} for step t) replaces its draw; the draw is still made,
    so the other masks do not depend on which were given.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .errors import SpecError, UnsupportedError

Matrix = tuple[tuple[Fraction, ...], ...]


@dataclass(frozen=True)
class DropoutSpec:
    """Inverted dropout on x^(l) of hidden layers: p[l-1] per layer 1..L-1, a 0/1 mask per layer with p > 0.

    `masks` holds the worked pass's mask per dropped layer, one row per sample (given, or drawn from `seed`); `drawn`
    names the layers whose masks were drawn (the document says so); `given_steps` the masks given for training steps
    ((layer, step), mask), one row per sample of that step's batch.
    """

    p: tuple[Fraction, ...]
    masks: tuple[tuple[int, Matrix], ...] = ()
    seed: int = 0
    drawn: tuple[int, ...] = ()
    given_steps: tuple[tuple[tuple[int, int], Matrix], ...] = ()

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


def _draws(p, sizes, seed: int, rows: int, first_rows: int):
    """Draw 0, 1, 2, ... of the drawing rule: {l: mask} for every layer with p > 0 (draw 0 has `first_rows` rows)."""
    import numpy as np  # only when a mask is drawn: loading a spec stays free of NumPy

    rng, count = np.random.default_rng(seed), first_rows
    while True:
        draw = {}
        for l, rate in enumerate(p, start=1):
            if rate > 0 and isinstance(sizes[l], int):
                keep = rng.random((count, sizes[l])) >= float(rate)
                draw[l] = tuple(tuple(int(v) for v in row) for row in keep)
        yield draw
        count = rows


def draw_masks(p, given: dict, seed: int, sizes, n_samples: int) -> tuple[tuple, tuple]:
    """(masks, drawn layers) of the worked pass: the given masks, and for every other layer with p > 0 draw 0 of the
    drawing rule (numpy's default_rng(seed))."""
    draw = next(_draws(p, sizes, seed, n_samples, n_samples))
    masks = tuple((l, given[l] if l in given else tuple(tuple(Fraction(v) for v in row) for row in mask))
                  for l, mask in draw.items())
    return masks, tuple(l for l in draw if l not in given)


def batch_rows(spec) -> int:
    """The samples of every training step: the whole data, or batch_size of them."""
    return spec.n_samples if spec.batch_size in (0, None) or spec.batch_size >= spec.n_samples else spec.batch_size


def step_masks(spec):
    """The masks of training steps 1, 2, ... (endless): {"x{l}": 0/1 mask, one row per sample of the step's batch},
    by the drawing rule above; None for every step without dropout."""
    dropout = spec.dropout
    if dropout is None or not dropout.layers():
        while True:
            yield None
    full = batch_rows(spec) == spec.n_samples
    given = dict(dropout.given_steps)
    draws = _draws(dropout.p, spec.layers, dropout.seed, batch_rows(spec), spec.n_samples)
    worked = next(draws)
    t = 1
    if full:  # step 1 is the worked pass
        yield {f"x{l}": dropout.mask(l) for l in worked}
        t = 2
    for draw in draws:
        yield {f"x{l}": given.get((l, t), mask) for l, mask in draw.items()}
        t += 1


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
    _validate_step_masks(spec)


def _validate_step_masks(spec) -> None:
    """x{l}@t{t}: a layer with dropout, a step 1..steps (not step 1 with full batches: that is x{l}), batch rows."""
    dropout, hidden = spec.dropout, spec.depth - 1
    rows, full = batch_rows(spec), batch_rows(spec) == spec.n_samples
    for (l, t), mask in dropout.given_steps:
        where = f"dropout.masks.x{l}@t{t}"
        if not 1 <= l <= hidden or dropout.p[l - 1] == 0:
            raise SpecError(where, f"layer {l} has no dropout (give p > 0 for a hidden layer 1..{hidden})")
        if not 1 <= t <= spec.steps:
            raise SpecError(where, f"step {t} is not a training step 1..{spec.steps}")
        if t == 1 and full:
            raise SpecError(where, f"with full batches step 1 is the worked pass: give its mask as x{l}")
        if len(mask) != rows or any(len(row) != spec.layers[l] for row in mask):
            raise SpecError(where, f"needs {rows} row{'s' if rows != 1 else ''} (one per sample of the step's batch) "
                                   f"of {spec.layers[l]} entries (the neurons of layer {l})")
        for s, row in enumerate(mask, start=1):
            if any(v not in (0, 1) for v in row):
                raise SpecError(f"{where}[{s}]", "entries must be 0 (dropped) or 1 (kept)")


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
