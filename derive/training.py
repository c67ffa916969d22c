"""One training step, defined once: the mini-batch, its gradients, and the update rule applied to what moves.

Training (derive/evaluate.py), `nnsteps train`, the worked update and `check`'s recomputations all step
through `update` and `descend`; the rule itself is a row of derive/optim/.
"""

from __future__ import annotations

from typing import Callable, Iterator, Mapping

import numpy as np

from .netspec import NetworkSpec
from .optim import UpdateRule

Gradients = Callable[[Mapping, np.ndarray, np.ndarray], Mapping]  # (params, X, Y) -> {"W1": dJ/dW1, ...}


def batches(n_samples: int, batch_size: int, steps: int) -> list[np.ndarray]:
    """Sample indices of each step: the data in order, cycling; batch_size 0 is the full batch."""
    size = n_samples if batch_size in (0, None) or batch_size >= n_samples else batch_size
    return [np.arange(t * size, (t + 1) * size) % n_samples for t in range(steps)]


def full_batch(spec: NetworkSpec) -> bool:
    """Whether every step sees the whole data set."""
    return spec.batch_size in (0, None) or spec.batch_size >= spec.n_samples


def moves(spec: NetworkSpec) -> Callable[[str], bool]:
    """Which parameters train: every weight (and batch norm's gamma, beta), the biases b{l} unless kept fixed."""
    return lambda name: not (name[0] == "b" and name[1:].isdigit()) or spec.update_biases


def update(rule: UpdateRule, params: Mapping, grads: Mapping, state: Mapping, moving: Callable[[str], bool]):
    """(parameters, state) after one step of the rule; a parameter that does not move is kept as it is."""
    result, new_state = {}, {}
    for name, value in params.items():
        if moving(name):
            result[name], new_state[name] = rule.step(name, value, grads[name], state.get(name, {}))
        else:
            result[name] = value.copy()  # its own array: a later substitution must not reach the given one
    return result, new_state


def descend(gradients: Gradients, rule: UpdateRule, params: Mapping, X, Y, spec: NetworkSpec,
            steps: int | None = None) -> Iterator[dict]:
    """The parameters after each step: mini-batches in order, the rule's state carried from step to step."""
    steps = spec.steps if steps is None else steps
    state, moving = rule.initial_state(params), moves(spec)
    for rows in batches(len(X), spec.batch_size, steps):
        params, state = update(rule, params, gradients(params, X[rows], Y[rows]), state, moving)
        yield params
