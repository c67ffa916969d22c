"""The measured cases of bench/run.py: derivation in a fresh process, gradient functions (compiled, exported, hand NumPy, torch)."""

from __future__ import annotations

import json
import statistics
import sys
import time
import timeit

import numpy as np

# layers -> (activations, loss): the networks of issue 6
NETWORKS = {
    (2, 3, 2, 1): (("relu", "relu", "identity"), "squared_error"),
    (4, 8, 8, 3): (("tanh", "tanh", "softmax"), "cross_entropy"),
    (16, 32, 32, 10): (("relu", "relu", "softmax"), "cross_entropy"),
    (128, 32, 10): (("sigmoid", "softmax"), "cross_entropy"),
    (784, 32, 10): (("sigmoid", "softmax"), "cross_entropy"),
}


def network_mapping(layers, samples: int = 1, seed: int = 1) -> dict:
    """A spec mapping: He-initialised weights, inputs in [0, 1) (pixel-like), one-hot (or real) targets."""
    activations, loss = NETWORKS[tuple(layers)]
    rng = np.random.default_rng(seed)
    X = rng.uniform(0, 1, size=(samples, layers[0])).round(3)
    if loss == "cross_entropy":
        Y = np.eye(layers[-1])[rng.integers(0, layers[-1], samples)]
    else:
        Y = rng.normal(size=(samples, layers[-1])).round(3)
    return {"name": "bench-" + "-".join(map(str, layers)), "layers": list(layers), "activations": list(activations),
            "loss": loss, "init": {"scheme": "he", "seed": seed}, "data": {"X": X.tolist(), "Y": Y.tolist()}}


# -- derivation, measured in a fresh interpreter ---------------------------------
def derivation_child(layers) -> dict:
    """In a fresh process: the cross-checked one-sample numbers, every gradient formula, every delta formula.

    derive() takes each activation's derivative and the output deltas (the compiled numbers need them), so the
    gradient step that follows builds dJ/dw = delta x and dJ/db = delta for every parameter; the delta formulas
    are then all written out (the output deltas a second time: Backprop does not keep them).
    """
    from nnsteps.derive.derivation import derive
    from nnsteps.spec import spec_from_mapping

    spec = spec_from_mapping(network_mapping(layers))
    start = time.perf_counter()
    derivation = derive(spec)  # chain-rule pieces, compiled numbers of the sample, one training step, cross-check
    numbers = time.perf_counter()
    formulas = derivation.all_gradients()
    gradients = time.perf_counter()
    deltas = [derivation.delta_formula(l, k) for l in range(1, spec.depth + 1) for k in range(1, spec.layers[l] + 1)]
    end = time.perf_counter()
    assert len(formulas) == spec.n_parameters and len(deltas) == sum(spec.layers[1:])
    assert all(c.status in ("ok", "kink", "skipped") for c in derivation.checks)
    return {"parameters": spec.n_parameters, "numbers": numbers - start, "gradients": gradients - numbers,
            "deltas": end - gradients, "total": end - start}


def child(*arguments, repeats: int = 1) -> dict:
    """Median figures of `python bench/cases.py ARGS` over fresh processes, every library single-threaded.

    The networks are too small to gain from threads, and on 2 cores the spinning thread pools of
    OpenBLAS and torch otherwise take turns stalling each other (a 50x slowdown when interleaved).
    """
    import os
    import subprocess

    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    runs = []
    for _ in range(repeats):
        result = subprocess.run([sys.executable, __file__, *map(json.dumps, arguments)],
                                capture_output=True, text=True, env=env)
        if result.returncode != 0:
            raise RuntimeError(f"bench/cases.py {arguments} failed:\n{result.stderr[-2000:]}")
        runs.append(json.loads(result.stdout.strip().splitlines()[-1]))
    return {key: statistics.median(run[key] for run in runs) if isinstance(runs[0][key], float) else runs[0][key]
            for key in runs[0]}


def measure_derivation(layers, repeats: int) -> dict:
    """Median over `repeats` fresh processes of derivation_child."""
    return child("derive", list(layers), repeats=repeats)


# -- gradient functions -----------------------------------------------------------
def hand_backprop(params, X, Y, output: str):
    """Hand-written NumPy backprop as in the tutorials: ReLU hidden layers; identity + 1/(2n) SE or softmax + mean CE."""
    L = len(params) // 2
    A, cache = X, []
    for l in range(1, L + 1):
        Z = A @ params[f"W{l}"] + params[f"b{l}"]
        cache.append((A, Z))
        A = np.maximum(Z, 0.0) if l < L else Z
    n = X.shape[0]
    if output == "softmax":
        E = np.exp(A - A.max(axis=1, keepdims=True))
        dZ = (E / E.sum(axis=1, keepdims=True) - Y) / n
    else:
        dZ = (A - Y) / n
    grads = {}
    for l in range(L, 0, -1):
        A_prev, _ = cache[l - 1]
        grads[f"W{l}"] = A_prev.T @ dZ
        grads[f"b{l}"] = dZ.sum(axis=0)
        if l > 1:
            dZ = (dZ @ params[f"W{l}"].T) * (cache[l - 2][1] > 0)
    return grads


def torch_gradients(output: str):
    """torch autograd (float64, CPU) of the same network, or None when torch is not installed."""
    try:
        import torch
    except ImportError:
        return None, None

    def gradients(tparams, X, Y):
        names = list(tparams)
        L = len(names) // 2
        A = X
        for l in range(1, L + 1):
            A = A @ tparams[f"W{l}"] + tparams[f"b{l}"]
            if l < L:
                A = torch.relu(A)
        n = X.shape[0]
        if output == "softmax":
            loss = -(Y * torch.log_softmax(A, dim=1)).sum() / n
        else:
            loss = 0.5 * ((A - Y) ** 2).sum() / n
        return dict(zip(names, torch.autograd.grad(loss, [tparams[k] for k in names])))

    def convert(params, X, Y):
        tparams = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
        return tparams, torch.tensor(X, dtype=torch.float64), torch.tensor(Y, dtype=torch.float64)

    return gradients, convert


def _exported(derivation):
    """gradients() of the module `nnsteps export --to numpy` writes, executed in memory."""
    from nnsteps.derive.codegen import compile_module

    return compile_module(derivation).gradients


def _per_call(functions: dict, repeats: int, budget: float) -> dict:
    """Median seconds per call of each function, timed round-robin so that all share the same conditions."""
    numbers = {}
    for name, fn in functions.items():
        number, elapsed = 1, 0.0
        while elapsed < budget / 10 and number < 1 << 20:
            elapsed = timeit.timeit(fn, number=number)
            number *= 2 if elapsed < budget / 10 else 1
        numbers[name] = number
    samples = {name: [] for name in functions}
    for _ in range(repeats):
        for name, fn in functions.items():
            samples[name].append(timeit.timeit(fn, number=numbers[name]) / numbers[name])
    return {name: statistics.median(values) for name, values in samples.items()}


def gradient_functions(layers, batch: int, repeats: int, budget: float = 0.5) -> dict:
    """Seconds per gradient evaluation of the compiled, exported, hand-written and torch functions; and agreement."""
    from nnsteps.derive.derivation import derive
    from nnsteps.spec import spec_from_mapping

    derivation = derive(spec_from_mapping(network_mapping(layers)), check=False)
    output = "softmax" if derivation.spec.activations[-1] == "softmax" else "identity"
    rng = np.random.default_rng(7)
    params = {k: np.asarray(v, dtype=float) for k, v in derivation.params.items()}
    X = rng.uniform(0, 1, size=(batch, layers[0]))
    Y = np.eye(layers[-1])[rng.integers(0, layers[-1], batch)] if output == "softmax" else rng.normal(size=(batch, layers[-1]))
    compiled = derivation.gradient_function()
    exported = _exported(derivation)
    functions = {"compiled": lambda: compiled(params, X, Y), "exported": lambda: exported(params, X, Y),
                 "hand": lambda: hand_backprop(params, X, Y, output)}
    results = {name: fn() for name, fn in functions.items()}
    torch_fn, convert = torch_gradients(output)
    if torch_fn is not None:
        import torch

        tparams, tX, tY = convert(params, X, Y)
        functions["torch"] = lambda: torch_fn(tparams, tX, tY)
        results["torch"] = {k: v.detach().numpy() for k, v in functions["torch"]().items()}
        torch_threads = torch.get_num_threads()
    scale = max(float(np.abs(g).max()) for g in results["hand"].values()) or 1.0
    error = max(float(np.abs(result[k] - results["hand"][k]).max()) / scale for result in results.values() for k in result)
    timings = _per_call(functions, repeats, budget)
    timings["agree"] = error < 1e-9
    timings["relative_error"] = error
    if torch_fn is not None:
        timings["torch_threads"] = torch_threads
    return timings


if __name__ == "__main__":
    what, *rest = [json.loads(a) for a in sys.argv[1:]]
    if what == "derive":
        print(json.dumps(derivation_child(*rest)))
    elif what == "gradients":
        print(json.dumps(gradient_functions(*rest)))


def class_answers(pack: str, folder: str, count: int) -> None:
    """`count` answers files for `nnsteps grade`: in turn right, wrong, too coarse and malformed, over the variants."""
    import json
    import os

    variants = json.loads(open(os.path.join(pack, "teacher", "manifest.json"), encoding="utf-8").read())["variants"]
    os.makedirs(folder, exist_ok=True)
    for s in range(count):
        variant = variants[s % len(variants)]
        lines = [f'[meta]\nstudent = "Student {s}"\nvariant = {variant["variant"]}\n[answers]']
        for position, (name, text) in enumerate(variant["key"].items()):
            if "/" not in text and position % 3 == 0 and s % 4 in (1, 2):
                text = repr(float(text) * 1.3 + 0.01) if s % 4 == 1 else format(float(text), ".1g")
            lines.append(f'"{name}" = {text if "/" not in text else json.dumps(text)}')
        text = "\n".join(lines) + "\n"
        if s % 4 == 3:
            text = text.replace('"J" =', "J[1] =")  # malformed: an unquoted bracketed name
        with open(os.path.join(folder, f"student-{s:03d}.toml"), "w", encoding="utf-8") as stream:
            stream.write(text)
