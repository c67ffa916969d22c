"""The cross-check: an independent NumPy backprop and central finite differences.

Nothing here uses SymPy or the derivation: the forward pass uses the tables'
NumPy functions, the backward pass their hand-written derivatives, so an error
in either path shows up as a disagreement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .activations import ACTIVATIONS
from .errors import NumericalError
from .losses import LOSSES
from .netspec import NetworkSpec

KINKED = {"relu", "leaky_relu", "custom"}


def _forward(spec: NetworkSpec, params, X):
    zs, xs = [None], [X]
    for l, name in enumerate(spec.activations, start=1):
        zs.append(xs[-1] @ params[f"W{l}"] + params[f"b{l}"])
        xs.append(ACTIVATIONS[name].numpy(zs[-1], spec))
    return zs, xs


def reference_cost(spec: NetworkSpec, params, X, Y) -> float:
    _, xs = _forward(spec, params, X)
    with np.errstate(divide="ignore", invalid="ignore"):
        losses = LOSSES[spec.loss].numpy(xs[-1], Y, spec)
    return float(losses.sum() / (len(X) if spec.reduction == "mean" else 1))


def reference_gradients(spec: NetworkSpec, params, X, Y) -> dict[str, np.ndarray]:
    """Plain matrix backprop with the hand-written derivatives of the tables."""
    zs, xs = _forward(spec, params, X)
    scale = 1.0 / len(X) if spec.reduction == "mean" else 1.0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        upstream = LOSSES[spec.loss].numpy_gradient(xs[-1], Y, spec)  # dloss/dyhat per sample
    grads = {}
    for l in range(spec.depth, 0, -1):
        dz = ACTIVATIONS[spec.activations[l - 1]].numpy_backward(zs[l], xs[l], upstream, spec)
        grads[f"W{l}"] = scale * xs[l - 1].T @ dz
        grads[f"b{l}"] = scale * dz.sum(axis=0)
        upstream = dz @ params[f"W{l}"].T
    return grads


def finite_differences(spec: NetworkSpec, params, X, Y, entries) -> dict:
    """(name, index) -> dJ/dtheta by the five-point central stencil (error O(h^4))."""
    result = {}
    for name, index in entries:
        base = params[name][index]
        h = 1e-3 * max(1.0, abs(base))
        values = []
        for offset in (-2, -1, 1, 2):
            shifted = dict(params)  # copy only the array that moves
            shifted[name] = params[name].copy()
            shifted[name][index] = base + offset * h
            values.append(reference_cost(spec, shifted, X, Y))
        result[(name, index)] = (values[0] - 8 * values[1] + 8 * values[2] - values[3]) / (12 * h)
    return result


@dataclass(frozen=True)
class GradientCheck:
    """One gradient entry three ways, and whether they agree."""

    name: str  # e.g. "W3"
    index: tuple  # 0-based
    symbolic: float
    backprop: float
    finite_difference: float | None  # None when not sampled
    status: str  # "ok" | "kink" (finite differences straddle a ReLU corner) | "skipped"


def cross_check(spec: NetworkSpec, symbolic: dict, params, X, Y, max_fd_entries: int = 400, seed: int = 0) -> tuple:
    """Compare symbolic gradients with the independent backprop (all) and finite differences (up to max_fd_entries)."""
    params = {k: np.asarray(v, dtype=float) for k, v in params.items()}
    X, Y = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
    backprop = reference_gradients(spec, params, X, Y)
    entries = [(name, index) for name in params for index in np.ndindex(params[name].shape)]
    sampled = entries
    if len(entries) > max_fd_entries:
        chosen = np.random.default_rng(seed).choice(len(entries), size=max_fd_entries, replace=False)
        sampled = [entries[i] for i in sorted(chosen)]
    fd = finite_differences(spec, params, X, Y, sampled)
    scale = max(1.0, max(float(np.abs(np.asarray(g, dtype=float)).max()) for g in backprop.values()))
    cost_scale = max(1.0, abs(reference_cost(spec, params, X, Y)))
    kinked = any(name in KINKED for name in spec.activations)
    checks = []
    for name, index in entries:
        sym, ref = float(symbolic[name][index]), float(backprop[name][index])
        if not np.isfinite(sym) or not np.isfinite(ref):
            raise NumericalError(f"gradients.{name}", f"entry {_one_based(index)} is not finite (symbolic {sym}, backprop {ref})")
        if abs(sym - ref) > 1e-9 * scale:
            raise NumericalError(f"gradients.{name}", f"entry {_one_based(index)}: symbolic {sym!r} but independent backprop {ref!r}")
        value, status = fd.get((name, index)), "skipped"
        if value is not None:
            status = "ok"
            # five-point stencil: truncation O(h^4), rounding ~ eps * J / h
            if abs(value - sym) > 1e-6 * scale + 1e-11 * cost_scale / (1e-3 * max(1.0, abs(float(params[name][index])))):
                if not kinked:
                    raise NumericalError(f"gradients.{name}", f"entry {_one_based(index)}: symbolic {sym!r} but finite differences {value!r}")
                status = "kink"
        checks.append(GradientCheck(name, index, sym, ref, value, status))
    return tuple(checks)


def _one_based(index: tuple) -> str:
    return "[" + ",".join(str(i + 1) for i in index) + "]"
