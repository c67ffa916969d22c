"""One training step, defined once: the mini-batch, the gradient of J_total on it, clipping, then the update rule.

    g_t = dJ_total/dtheta on the step's mini-batch (J_total = J + (lambda/2) sum_l ||W^(l)||^2, from the rows),
        with the step's own dropout masks (derive/regularizers.py: step_masks)
    clipping (torch.nn.utils.clip_grad_norm_): n_t = ||(g_t of every moving parameter)||_2, the global norm;
        c_t = min(1, max_grad_norm / (n_t + 1e-6));  g_t <- c_t g_t
    theta_t, state_t = rule(theta_{t-1}, g_t, state_{t-1})

Training (derive/evaluate.py), `nnsteps train`, the worked update and `check`'s recomputations all step
through `update` and `descend`; the rule itself is a row of derive/optim/.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping, Optional

import numpy as np

from .netspec import NetworkSpec
from .optim import UpdateRule
from .regularizers import step_masks

# (params, X, Y) -> {"W1": dJ/dW1, ...}; with dropout (params, X, Y, masks), the step's masks {"x1": ...}
Gradients = Callable[..., Mapping]
CLIP_EPS = 1e-6  # torch's clip_grad_norm_: max_norm / (total_norm + 1e-6)


def batches(n_samples: int, batch_size: int, steps: int) -> list[np.ndarray]:
    """Sample indices of each step: the data in order, cycling; batch_size 0 is the full batch."""
    size = n_samples if batch_size in (0, None) or batch_size >= n_samples else batch_size
    return [np.arange(t * size, (t + 1) * size) % n_samples for t in range(steps)]


def full_batch(spec: NetworkSpec) -> bool:
    """Whether every step sees the whole data set."""
    return spec.batch_size in (0, None) or spec.batch_size >= spec.n_samples


def beyond_gradient_descent(spec: NetworkSpec) -> bool:
    """An [optimizer] table, clipping or an L2 term: more than theta <- theta - eta g to show and to record."""
    return spec.optimizer.name != "sgd" or bool(spec.optimizer.settings) or spec.max_grad_norm is not None or bool(spec.l2)


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


def global_norm(grads: Mapping, names) -> float:
    """||g||_2 over every entry of the named gradients: the 2-norm of the per-tensor 2-norms, as torch stacks them."""
    return float(np.linalg.norm([np.linalg.norm(np.asarray(grads[name], dtype=float)) for name in names]))


def clip_coefficient(norm: float, max_norm) -> float:
    """torch's clip_grad_norm_: max_norm / (norm + 1e-6), clamped to at most 1."""
    return min(float(max_norm) / (norm + CLIP_EPS), 1.0)


@dataclass(frozen=True)
class Clipping:
    """How one step's gradient was clipped: the global norm before and the coefficient applied."""

    norm: float
    coefficient: float


def clip(grads: Mapping, names, max_norm) -> tuple[dict, Clipping]:
    """The gradients scaled by torch's coefficient (every moving parameter by the same c), and the clipping."""
    norm = global_norm(grads, names)
    coefficient = clip_coefficient(norm, max_norm)
    clipped = {name: (g * coefficient if name in names else g) for name, g in grads.items()}
    return clipped, Clipping(norm, coefficient)


@dataclass(frozen=True)
class StepRecord:
    """One training step: the mini-batch, the gradient of J_total on it, its clipping, the state and parameters after."""

    step: int  # t, from 1
    batch: np.ndarray  # sample indices (0-based) of the mini-batch
    gradients: Mapping[str, Any]  # dJ_total/dtheta on the mini-batch, before clipping
    clipping: Optional[Clipping]  # None without max_grad_norm
    state: Mapping[str, Mapping[str, Any]]  # parameter -> {state name -> array} after the step (m-hat, v-hat too)
    params: Mapping[str, Any]  # after the step
    masks: Optional[Mapping[str, Any]] = None  # the step's dropout masks {"x1": one 0/1 row per sample of the batch}


Clip = Callable[[Mapping, list, Any], tuple]  # (grads, moving names, max_norm) -> (clipped grads, Clipping)


def train_steps(gradients: Gradients, rule: UpdateRule, params: Mapping, X, Y, spec: NetworkSpec,
                steps: int | None = None, clipper: Clip = clip) -> Iterator[StepRecord]:
    """Every step in full: mini-batches in order, gradient, clipping, the rule's state carried from step to step."""
    steps = spec.steps if steps is None else steps
    moving = moves(spec)
    names = [name for name in params if moving(name)]
    stepper = _Flat(rule, params, names) if rule.ELEMENTWISE and names else _PerParameter(rule, params, moving)
    masks = step_masks(spec)  # a fresh dropout mask at every step, as torch draws one per forward pass
    for t, rows in enumerate(batches(len(X), spec.batch_size, steps), start=1):
        drawn = next(masks)
        grads = gradients(params, X[rows], Y[rows]) if drawn is None else gradients(params, X[rows], Y[rows], drawn)
        clipping = None
        if spec.max_grad_norm is not None:
            used, clipping = clipper(grads, names, spec.max_grad_norm)
        else:
            used = grads
        params, state = stepper(params, used)
        yield StepRecord(t, rows, grads, clipping, state, params, drawn)


class _PerParameter:
    """The rule stepped on each parameter array in turn, its state kept per parameter."""

    def __init__(self, rule: UpdateRule, params: Mapping, moving):
        self.rule, self.moving, self.state = rule, moving, rule.initial_state(params)

    def __call__(self, params, grads):
        params, self.state = update(self.rule, params, grads, self.state, self.moving)
        return params, self.state


class _Flat:
    """An elementwise rule stepped once on every moving entry laid end to end (the same arithmetic entry by entry,
    one NumPy operation per formula instead of one per parameter); the parameters and state are views of it."""

    def __init__(self, rule: UpdateRule, params: Mapping, names: list):
        self.rule, self.names, self.moving = rule, names, set(names)
        self.shapes = [np.shape(params[name]) for name in names]
        self.offsets = np.cumsum([0] + [int(np.prod(shape)) for shape in self.shapes])
        self.theta, self.given = self._join(params), None
        self.state = rule.initial_state({"flat": self.theta}).get("flat", {})

    def _join(self, arrays) -> np.ndarray:
        return np.concatenate([np.ravel(arrays[name]) for name in self.names])

    def split(self, flat) -> dict:
        return {name: flat[a:b].reshape(shape) for name, a, b, shape in
                zip(self.names, self.offsets, self.offsets[1:], self.shapes)}

    def __call__(self, params, grads):
        theta = self.theta if params is self.given else self._join(params)  # our own views: no need to join them
        self.theta, self.state = self.rule.step("flat", theta, self._join(grads), self.state)
        result = {name: value.copy() for name, value in params.items() if name not in self.moving}
        result.update(self.split(self.theta))
        self.given = result
        return result, _SplitState(self, self.state)


class _SplitState(Mapping):
    """parameter -> {state name -> its part of the flat state}, split when asked."""

    def __init__(self, flat: _Flat, state: Mapping):
        self.flat, self.state = flat, state

    def __getitem__(self, name):
        if name not in self.flat.names:
            raise KeyError(name)
        index = self.flat.names.index(name)
        a, b, shape = self.flat.offsets[index], self.flat.offsets[index + 1], self.flat.shapes[index]
        return {key: (value if key == "step" else value[a:b].reshape(shape)) for key, value in self.state.items()}

    def __iter__(self):
        return iter(self.flat.names)

    def __len__(self):
        return len(self.flat.names)


def descend(gradients: Gradients, rule: UpdateRule, params: Mapping, X, Y, spec: NetworkSpec,
            steps: int | None = None) -> Iterator[dict]:
    """The parameters after each step."""
    for record in train_steps(gradients, rule, params, X, Y, spec, steps):
        yield record.params
