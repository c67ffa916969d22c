"""The cross-check: an independent NumPy backprop and central finite differences.

Nothing here uses the derivation: the forward pass uses the tables' NumPy
functions, the backward pass their hand-written derivatives, so an error in
either path shows up as a disagreement. A finite difference that disagrees is
excused as a kink only when this module's own forward pass shows a receptor
crossing (or within the step of) a corner of its activation (derive/kinks.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .activations import ACTIVATIONS
from .errors import NumericalError
from .kinks import corner_functions
from .losses import LOSSES
from .netspec import NetworkSpec

STENCIL = (-2, -1, 1, 2)  # offsets, in steps h, of the five-point central difference (its centre weighs 0)


def _forward(spec: NetworkSpec, params, X):
    """Receptors (the activations' inputs: batch-normalized where asked) and outputs (after dropout) of each layer."""
    zs, xs = [None], [X]
    for l, name in enumerate(spec.activations, start=1):
        z = xs[-1] @ params[f"W{l}"] + params[f"b{l}"]
        zs.append(_normalized(spec, params, l, z)[0] if _normalizes(spec, l) else z)
        xs.append(ACTIVATIONS[name].numpy(zs[-1], spec) * _dropout_factor(spec, l))
    return zs, xs


def _normalizes(spec: NetworkSpec, l: int) -> bool:
    return spec.batchnorm is not None and l in spec.batchnorm.layers


def _normalized(spec: NetworkSpec, params, l: int, z):
    """(gamma zhat + beta, zhat, sqrt(var + eps)) with the biased variance of the batch."""
    deviation = np.sqrt(z.var(axis=0) + float(spec.batchnorm.eps))
    zhat = (z - z.mean(axis=0)) / deviation
    return params[f"gamma{l}"] * zhat + params[f"beta{l}"], zhat, deviation


def _dropout_factor(spec: NetworkSpec, l: int):
    """The mask divided by the keep probability 1 - p (1 where the layer has no dropout)."""
    if spec.dropout is None or l not in spec.dropout.layers():
        return 1.0
    return np.array(spec.dropout.mask(l), dtype=float) / (1.0 - float(spec.dropout.rate(l)))


def _batchnorm_backward(spec: NetworkSpec, params, l: int, z, upstream, grads: dict, scale: float):
    """dJ/dz_s = sum_t (du_t/dz_s) dJ/du_t with the Jacobian of u over the batch written out entry by entry:
    du_t/dz_s = (gamma / sqrt(var + eps)) ([t = s] - 1/n - zhat_t zhat_s / n)."""
    _, zhat, deviation = _normalized(spec, params, l, z)
    n = len(z)
    grads[f"gamma{l}"] = scale * (upstream * zhat).sum(axis=0)
    grads[f"beta{l}"] = scale * upstream.sum(axis=0)
    result = np.zeros_like(z)
    for s in range(n):
        for t in range(n):
            jacobian = params[f"gamma{l}"] / deviation * (float(s == t) - 1.0 / n - zhat[t] * zhat[s] / n)
            result[s] += jacobian * upstream[t]
    return result


def reference_cost(spec: NetworkSpec, params, X, Y) -> float:
    _, xs = _forward(spec, params, X)
    with np.errstate(divide="ignore", invalid="ignore"):
        losses = LOSSES[spec.loss].numpy(xs[-1], Y, spec)
    data = float(losses.sum() / (len(X) if spec.reduction == "mean" else 1))
    # J_total = J + (lambda/2) sum over every weight entry of w^2 (no biases)
    weights = [np.asarray(params[f"W{l}"], dtype=float).ravel() for l in range(1, spec.depth + 1)]
    return data + float(spec.l2) / 2 * float(sum(w @ w for w in weights)) if spec.l2 else data


def reference_gradients(spec: NetworkSpec, params, X, Y) -> dict[str, np.ndarray]:
    """Plain matrix backprop with the hand-written derivatives of the tables."""
    zs, xs = _forward(spec, params, X)
    scale = 1.0 / len(X) if spec.reduction == "mean" else 1.0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        upstream = LOSSES[spec.loss].numpy_gradient(xs[-1], Y, spec)  # dloss/dyhat per sample
    grads = {}
    for l in range(spec.depth, 0, -1):
        factor = _dropout_factor(spec, l)
        activated = xs[l] if np.isscalar(factor) else ACTIVATIONS[spec.activations[l - 1]].numpy(zs[l], spec)
        dz = ACTIVATIONS[spec.activations[l - 1]].numpy_backward(zs[l], activated, upstream * factor, spec)
        if _normalizes(spec, l):
            dz = _batchnorm_backward(spec, params, l, xs[l - 1] @ params[f"W{l}"] + params[f"b{l}"], dz, grads, scale)
        grads[f"W{l}"] = scale * xs[l - 1].T @ dz
        if spec.l2:  # + lambda w, from (lambda/2) w^2
            grads[f"W{l}"] = grads[f"W{l}"] + float(spec.l2) * np.asarray(params[f"W{l}"], dtype=float)
        grads[f"b{l}"] = scale * dz.sum(axis=0)
        upstream = dz @ params[f"W{l}"].T
    return grads


def step(value: float) -> float:
    """The finite-difference step h for a parameter of this value."""
    return 1e-3 * max(1.0, abs(value))


REFINE = (2, 4)  # a disagreement away from every corner is re-measured with the steps h/2 and h/4


def _shifted(params, name: str, index: tuple, offset: int, shrink: int = 1) -> dict:
    """The parameters with params[name][index] moved by offset steps h / shrink."""
    shifted = dict(params)  # copy only the array that moves
    shifted[name] = params[name].copy()
    base = params[name][index]
    shifted[name][index] = base + offset * (step(base) / shrink)
    return shifted


def finite_differences(spec: NetworkSpec, params, X, Y, entries, shrink: int = 1) -> dict:
    """(name, index) -> dJ/dtheta by the five-point central stencil with step h / shrink (error O(h^4))."""
    result = {}
    for name, index in entries:
        h = step(params[name][index]) / shrink
        values = [reference_cost(spec, _shifted(params, name, index, offset, shrink), X, Y) for offset in STENCIL]
        result[(name, index)] = (values[0] - 8 * values[1] + 8 * values[2] - values[3]) / (12 * h)
    return result


def kinks_crossed(spec: NetworkSpec, params, X, name: str, index: tuple) -> tuple:
    """The receptors (layer l, sample, neuron k; 1-based) that meet a corner of their activation while the stencil
    moves params[name][index] through base - 2h .. base + 2h.

    The receptors are computed by this module's forward pass at the five points base + j h, j = -2..2. A receptor
    whose five values are identical does not move with the parameter (every receptor of an earlier layer), so the
    cost does not bend through it. For a moving one, each corner function g of its activation (z for ReLU) is
    evaluated at the five values; the corner is met if 0 lies in [min g - b, max g + b], where b = max |g_{j-1} -
    2 g_j + g_{j+1}| is the largest second difference. Between two points of the stencil a smooth g strays from
    the straight line through them by at most (1/8) max |g''| h^2, about b / 8, so the widening b covers the path
    between the points. Where g is affine in the parameter (ReLU receptors of the parameter's own layer) b is zero
    up to rounding and the test is exact: the stencil crosses or touches z = 0. A non-finite g (a pole) counts as
    a corner.
    """
    points = [_forward(spec, _shifted(params, name, index, offset), X)[0] for offset in (-2, -1, 0, 1, 2)]
    found = []
    for l, activation in enumerate(spec.activations, start=1):
        corners = corner_functions(activation, spec)
        path = np.stack([zs[l] for zs in points])  # (5, samples, neurons)
        moving = np.ptp(path, axis=0) > 0
        if not moving.any():
            continue
        met = np.zeros(moving.shape, dtype=bool)
        with np.errstate(all="ignore"):
            for g in corners(path):
                bend = np.abs(np.diff(g, n=2, axis=0)).max(axis=0)
                low, high = g.min(axis=0) - bend, g.max(axis=0) + bend
                met |= ((low <= 0) & (high >= 0)) | ~np.isfinite(g).all(axis=0)
        found.extend((l, i + 1, k + 1) for i, k in zip(*np.nonzero(met & moving)))
    return tuple(found)


@dataclass(frozen=True)
class GradientCheck:
    """One gradient entry three ways, and whether they agree."""

    name: str  # e.g. "W3"
    index: tuple  # 0-based
    symbolic: float
    backprop: float
    finite_difference: float | None  # None when not sampled
    status: str  # "ok" | "kink" (the stencil moves a receptor across a corner of its activation) | "skipped"


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
            bounds = (scale, cost_scale, step(float(params[name][index])))
            if abs(value - sym) > _tolerance(*bounds):
                if kinks_crossed(spec, params, X, name, index):
                    status = "kink"  # a finite difference across a corner measures neither one-sided slope
                else:
                    value = _refined(spec, params, X, Y, name, index, sym, value, bounds)
        checks.append(GradientCheck(name, index, sym, ref, value, status))
    return tuple(checks)


def _tolerance(scale: float, cost_scale: float, h: float) -> float:
    """How far a five-point difference with step h may stray: truncation O(h^4), rounding ~ eps * J / h."""
    return 1e-6 * scale + 1e-11 * cost_scale / h


def _refined(spec: NetworkSpec, params, X, Y, name: str, index: tuple, sym: float, value: float, bounds) -> float:
    """The finite difference with a smaller step that agrees with `sym`, or NumericalError.

    Away from every corner the cost is smooth along the stencil, so the five-point difference converges to the
    derivative as O(h^4): halving h divides its truncation error by 16. A steep activation (tanh(9 z)) can need a
    smaller step than h; a wrong gradient disagrees at every step.
    """
    finer = value
    for shrink in REFINE:
        finer = finite_differences(spec, params, X, Y, [(name, index)], shrink)[(name, index)]
        scale, cost_scale, h = bounds
        if abs(finer - sym) <= _tolerance(scale, cost_scale, h / shrink):
            return finer
    raise NumericalError(f"gradients.{name}", f"entry {_one_based(index)}: symbolic {sym!r} but finite differences "
                         f"{value!r} (a difference of {value - sym:.3g}; {finer - sym:.3g} with a step {REFINE[-1]} "
                         "times smaller), and no receptor meets a kink of its activation within the step")


def _one_based(index: tuple) -> str:
    return "[" + ",".join(str(i + 1) for i in index) + "]"
