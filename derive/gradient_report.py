"""Vanishing and exploding gradients: deep versions of a network, backpropagated in plain NumPy, layer by layer.

The deep network keeps the spec's inputs, outputs, output activation, loss and data, and puts `depth - 1`
hidden layers of `width` neurons with the chosen activation in between. Weights are drawn by the chosen rule
(normal with the spec's std or 0.1, Xavier, He), biases start at 0. The activations and the loss are the rows
of derive/activations.py and derive/losses.py (their NumPy functions), so no SymPy is built for 20 layers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .activations import ACTIVATIONS
from .errors import SpecError
from .losses import LOSSES

INIT_STD = {  # the std of each weight, as nnsteps/spec.py draws them
    "normal": lambda n_in, n_out, scale: scale,
    "xavier": lambda n_in, n_out, scale: math.sqrt(2.0 / (n_in + n_out)),
    "he": lambda n_in, n_out, scale: math.sqrt(2.0 / n_in),
}
HIDDEN = ("sigmoid", "tanh", "relu", "leaky_relu", "softplus", "identity")
MAX_DEPTH, MAX_WIDTH, MAX_STEPS = 100, 256, 10_000


@dataclass(frozen=True)
class LayerNorms:
    """One layer's numbers: ||delta||, ||dJ/dW||, and the factors of the step from layer l+1 down to l."""

    layer: int
    delta_norm: float
    grad_norm: float
    slope_rms: float  # sqrt(mean a'(z)^2) over the layer's neurons and samples (1 on the output layer)
    weight_gain: float  # sqrt(n_l * Var(w^(l+1))): how W^(l+1)^T scales a vector's norm on average


@dataclass(frozen=True)
class Run:
    """One combination: the norms at initialization and after training."""

    activation: str
    init: str
    depth: int
    width: int
    start: tuple  # LayerNorms per layer at initialization
    trained: tuple  # LayerNorms per layer after `steps` steps
    steps: int

    @property
    def ratio(self) -> float:
        """||dJ/dW^(1)|| / ||dJ/dW^(L)|| at initialization."""
        return _divide(self.start[0].grad_norm, self.start[-1].grad_norm)

    @property
    def delta_ratio(self) -> float:
        """||delta^(1)|| / ||delta^(L)|| at initialization: what the local factors explain."""
        return _divide(self.start[0].delta_norm, self.start[-1].delta_norm)

    @property
    def predicted_ratio(self) -> float:
        """The product of the local factors rms(a'(z^(l))) * sqrt(n_l Var(w^(l+1))) for l = 1 .. L-1."""
        return float(np.prod([n.slope_rms * n.weight_gain for n in self.start[:-1]]))


def _divide(a: float, b: float) -> float:
    with np.errstate(all="ignore"):
        return float(np.float64(a) / np.float64(b))


def deep_layers(spec, depth: int, width: int) -> tuple[int, ...]:
    return (spec.layers[0],) + (width,) * (depth - 1) + (spec.layers[-1],)


def _draw(layers, init: str, scale: float, rng) -> list[np.ndarray]:
    return [rng.normal(0.0, INIT_STD[init](layers[l - 1], layers[l], scale), size=(layers[l - 1], layers[l]))
            for l in range(1, len(layers))]


def _backprop(spec, activations, weights, biases, X, Y):
    """Forward and backward pass; the deltas dJ/dZ^(l), gradients dJ/dW^(l) and slopes a'(z^(l))."""
    xs, zs = [X], []
    for W, b, name in zip(weights, biases, activations):
        zs.append(xs[-1] @ W + b)
        xs.append(ACTIVATIONS[name].numpy(zs[-1], spec))
    loss = LOSSES[spec.loss]
    scale = 1.0 / len(X) if spec.reduction == "mean" else 1.0
    upstream = scale * loss.numpy_gradient(xs[-1], Y, spec)
    deltas, slopes = [None] * len(weights), [None] * len(weights)
    for l in range(len(weights) - 1, -1, -1):
        row = ACTIVATIONS[activations[l]]
        deltas[l] = row.numpy_backward(zs[l], xs[l + 1], upstream, spec)
        # the local factor a'(z): the backward function applied to an upstream of ones (elementwise rows)
        slopes[l] = row.numpy_backward(zs[l], xs[l + 1], np.ones_like(zs[l]), spec) if l < len(weights) - 1 else None
        upstream = deltas[l] @ weights[l].T
    grads = [xs[l].T @ deltas[l] for l in range(len(weights))]
    return deltas, grads, slopes


def _norms(spec, activations, weights, biases, X, Y) -> tuple:
    deltas, grads, slopes = _backprop(spec, activations, weights, biases, X, Y)
    out = []
    for l in range(len(weights)):
        rms = 1.0 if slopes[l] is None else float(np.sqrt(np.mean(slopes[l] ** 2)))
        gain = float(np.sqrt(weights[l + 1].shape[0] * np.mean(weights[l + 1] ** 2))) if l + 1 < len(weights) else 1.0
        out.append(LayerNorms(l + 1, float(np.linalg.norm(deltas[l])), float(np.linalg.norm(grads[l])), rms, gain))
    return tuple(out)


def run(spec, activation: str, init: str, depth: int, width: int, steps: int, learning_rate: float) -> Run:
    """Norms per layer at initialization and after `steps` steps of full-batch gradient descent."""
    layers = deep_layers(spec, depth, width)
    activations = (activation,) * (depth - 1) + (spec.activations[-1],)
    scale = float(spec.init.scale) if spec.init is not None and spec.init.scale is not None else 0.1
    seed = spec.init.seed if spec.init is not None else 0
    weights = _draw(layers, init, scale, np.random.default_rng(seed))
    biases = [np.zeros(n) for n in layers[1:]]
    X, Y = np.array(spec.X, dtype=float), np.array(spec.Y, dtype=float)
    with np.errstate(all="ignore"):  # a diverging run shows as inf/nan norms, which the report prints as such
        start = _norms(spec, activations, weights, biases, X, Y)
        for _ in range(steps):
            deltas, grads, _ = _backprop(spec, activations, weights, biases, X, Y)
            weights = [W - learning_rate * g for W, g in zip(weights, grads)]
            if spec.update_biases:
                biases = [b - learning_rate * d.sum(axis=0) for b, d in zip(biases, deltas)]
        trained = _norms(spec, activations, weights, biases, X, Y)
    return Run(activation, init, depth, width, start, trained, steps)


def check_options(depths, inits, activations, width: int, steps: int) -> None:
    """Every option within its table and bounds; a SpecError naming the option otherwise."""
    from .activations import suggest

    for depth in depths:
        if not 2 <= depth <= MAX_DEPTH:
            raise SpecError("--depths", f"{depth} must be a whole number from 2 to {MAX_DEPTH}")
    for init in inits:
        if init not in INIT_STD:
            raise SpecError("--inits", f"unknown initialization {init!r}{suggest(init, INIT_STD)}")
    for name in activations:
        if name not in HIDDEN:
            raise SpecError("--activations", f"unknown hidden activation {name!r}{suggest(name, HIDDEN)}")
    if not 1 <= width <= MAX_WIDTH:
        raise SpecError("--width", f"{width} must be a whole number from 1 to {MAX_WIDTH}")
    if not 0 <= steps <= MAX_STEPS:
        raise SpecError("--steps", f"{steps} must be a whole number from 0 to {MAX_STEPS}")


def report_runs(spec, depths, inits, activations, width: int = 32, steps: int = 100,
                learning_rate: float | None = None) -> tuple[Run, ...]:
    """Every combination of depth, activation and initialization, in that order."""
    check_options(depths, inits, activations, width, steps)
    rate = float(spec.learning_rate) if learning_rate is None else learning_rate
    return tuple(run(spec, a, i, d, width, steps, rate) for d in depths for a in activations for i in inits)


def as_json(runs) -> dict:
    """The --json contract: the gradients at initialization, per run and layer (non-finite values as null)."""
    def number(value: float):
        return value if math.isfinite(value) else None

    return {"runs": [{
        "activation": r.activation, "init": r.init, "depth": r.depth, "width": r.width,
        "first_to_last_ratio": number(r.ratio), "delta_ratio": number(r.delta_ratio),
        "predicted_ratio": number(r.predicted_ratio),
        "layers": [{"layer": n.layer, "delta_norm": number(n.delta_norm), "grad_norm": number(n.grad_norm),
                    "slope_rms": number(n.slope_rms), "weight_gain": number(n.weight_gain)} for n in r.start],
    } for r in runs]}
