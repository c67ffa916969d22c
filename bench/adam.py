"""1,000 Adam steps on [16,32,32,10] with mini-batches of 32 (float64, 1 thread): nnsteps's training step
(derive/training.py with the adam row and the compiled gradient function, as `nnsteps train` runs it), a hand-written NumPy loop, and torch.optim.Adam.
Usage: OPENBLAS_NUM_THREADS=1 python bench/adam.py  (prints a Markdown row per item; medians of 5 runs)."""

from __future__ import annotations

import os
import statistics
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

STEPS, BATCH, SAMPLES, LAYERS = 1000, 32, 256, [16, 32, 32, 10]


def _spec():
    """bench/cases.py's [16,32,32,10] network (ReLU, ReLU, softmax, cross-entropy), 256 samples, Adam's defaults."""
    import sys
    from pathlib import Path

    from nnsteps.spec import spec_from_mapping

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from cases import network_mapping

    mapping = dict(network_mapping(LAYERS, samples=SAMPLES), steps=0, learning_rate=0.001, batch_size=BATCH,
                   optimizer={"name": "adam"})
    return spec_from_mapping(mapping)


def nnsteps_steps(derivation):
    from nnsteps.derive.optim import build_rule
    from nnsteps.derive.training import descend

    params = {k: np.asarray(v, dtype=float) for k, v in derivation.params.items()}
    X, Y = np.asarray(derivation.X, dtype=float), np.asarray(derivation.Y, dtype=float)
    gradients = derivation.gradient_function()  # as `nnsteps train` steps: the exported module's gradients
    for params in descend(gradients, build_rule(derivation.spec), params, X, Y, derivation.spec, STEPS):
        pass
    return params


def numpy_steps(derivation):
    """A hand-written loop: forward, backward (softmax + cross-entropy fused), Adam as torch writes it."""
    p = {k: np.asarray(v, dtype=float).copy() for k, v in derivation.params.items()}
    X, Y = np.asarray(derivation.X, dtype=float), np.asarray(derivation.Y, dtype=float)
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v = {k: np.zeros_like(v) for k, v in p.items()}
    lr, b1, b2, eps = 0.001, 0.9, 0.999, 1e-8
    for t in range(1, STEPS + 1):
        rows = np.arange((t - 1) * BATCH, t * BATCH) % SAMPLES
        x, y = X[rows], Y[rows]
        a1 = np.maximum(x @ p["W1"] + p["b1"], 0)
        a2 = np.maximum(a1 @ p["W2"] + p["b2"], 0)
        z3 = a2 @ p["W3"] + p["b3"]
        e = np.exp(z3 - z3.max(axis=1, keepdims=True))
        d3 = (e / e.sum(axis=1, keepdims=True) - y) / BATCH
        d2 = (d3 @ p["W3"].T) * (a2 > 0)
        d1 = (d2 @ p["W2"].T) * (a1 > 0)
        g = {"W3": a2.T @ d3, "b3": d3.sum(0), "W2": a1.T @ d2, "b2": d2.sum(0), "W1": x.T @ d1, "b1": d1.sum(0)}
        c1, c2 = 1 - b1 ** t, (1 - b2 ** t) ** 0.5
        for k in p:
            m[k] += (g[k] - m[k]) * (1 - b1)
            v[k] = v[k] * b2 + g[k] * g[k] * (1 - b2)
            p[k] -= (lr / c1) * m[k] / (np.sqrt(v[k]) / c2 + eps)
    return p


def torch_steps(derivation):
    import torch

    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)
    p = {k: torch.tensor(np.asarray(v, dtype=float), requires_grad=True) for k, v in derivation.params.items()}
    X, Y = torch.tensor(np.asarray(derivation.X, dtype=float)), torch.tensor(np.asarray(derivation.Y, dtype=float))
    optimizer = torch.optim.Adam(list(p.values()), lr=0.001)
    for t in range(STEPS):
        rows = torch.arange(t * BATCH, (t + 1) * BATCH) % SAMPLES
        x, y = X[rows], Y[rows]
        z = torch.relu(torch.relu(x @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]) @ p["W3"] + p["b3"]
        cost = -(y * torch.log_softmax(z, dim=1)).sum(dim=1).mean()
        optimizer.zero_grad()
        cost.backward()
        optimizer.step()
    return {k: v.detach().numpy() for k, v in p.items()}


def _medians(functions: dict, derivation, runs: int = 7) -> dict:
    """name -> (median seconds, last result), the items taken round-robin so that load hits them alike."""
    times, results = {name: [] for name in functions}, {}
    for _ in range(runs):
        for name, function in functions.items():
            start = time.perf_counter()
            results[name] = function(derivation)
            times[name].append(time.perf_counter() - start)
    return {name: (statistics.median(times[name]), results[name]) for name in functions}


def main() -> None:
    from nnsteps.derive.derivation import derive

    derivation = derive(_spec(), check=False)
    functions = {"nnsteps training step (adam row)": nnsteps_steps, "hand-written NumPy loop": numpy_steps}
    try:
        import torch  # noqa: F401

        functions["torch.optim.Adam + autograd"] = torch_steps
    except ImportError:
        pass
    measured = _medians(functions, derivation)
    hand, b = measured["hand-written NumPy loop"]
    for name, (seconds, params) in measured.items():
        agree = max(float(np.max(np.abs(params[k] - b[k]))) for k in b)
        print(f"| 1,000 Adam steps [16,32,32,10], batch 32 | {name} | {seconds * 1000:.0f} ms | "
              f"{seconds / hand:.2f}x NumPy loop | max |Δθ| vs NumPy loop {agree:.1e} |")


if __name__ == "__main__":
    main()
