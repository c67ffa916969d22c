"""Batch norm's running mean and variance after the training steps, updated as torch's BatchNorm1d does.

Each training step runs one forward pass in training mode on its batch; torch then moves
    running_mean <- (1 - momentum) running_mean + momentum mu_batch
    running_var  <- (1 - momentum) running_var  + momentum var_batch * m / (m - 1)   (the unbiased variance)
from running_mean = 0 and running_var = 1.
"""

from __future__ import annotations

import numpy as np

from .training import batches


def running_statistics(compiled, trajectory, X, spec, masks=()) -> dict:
    """{l: (running mean, running variance)} of every batch-normalized layer after the steps of `trajectory`
    (each step's forward pass with its dropout masks, when given: one entry per step)."""
    bn = spec.batchnorm
    if bn is None or not bn.layers:
        return {}
    momentum = float(bn.momentum)
    stats = {l: (np.zeros(spec.layers[l]), np.ones(spec.layers[l])) for l in bn.layers}
    steps = len(trajectory) - 1
    masks = list(masks) or [None] * steps
    for params, rows, drawn in zip(trajectory, batches(len(X), spec.batch_size, steps), masks):
        records = compiled.forward(params, X[rows], drawn).records
        m = len(rows)
        for l in bn.layers:
            mean, variance = stats[l]
            unbiased = np.asarray(records[("var", l)], dtype=float) * m / (m - 1)
            stats[l] = ((1 - momentum) * mean + momentum * np.asarray(records[("mu", l)], dtype=float),
                        (1 - momentum) * variance + momentum * unbiased)
    return stats
