"""Every update rule, with every hyper-parameter, clipping, L2 and mini-batches, against torch.optim and
torch.nn.utils.clip_grad_norm_ over several steps at 1e-12 in float64, and against a NumPy transcription of the
torch documentation's pseudo-code that does not use nnsteps."""

from __future__ import annotations

import importlib.util
import math

import numpy as np
import pytest

from nnsteps.derive.derivation import derive
from nnsteps.spec import spec_from_mapping

# (rule, hyper-parameters): every hyper-parameter of every rule away from its default at least once
RULES = [
    ("sgd", {}), ("sgd", {"momentum": 0.9}), ("sgd", {"momentum": 0.8, "dampening": 0.3}),
    ("sgd", {"momentum": 0.9, "nesterov": True}), ("sgd", {"momentum": 0.5, "weight_decay": 0.1}),
    ("adagrad", {}), ("adagrad", {"lr_decay": 0.1, "initial_accumulator_value": 0.2}),
    ("adagrad", {"weight_decay": 0.05, "eps": 1e-3}),
    ("rmsprop", {}), ("rmsprop", {"centered": True}), ("rmsprop", {"momentum": 0.7, "alpha": 0.9}),
    ("rmsprop", {"centered": True, "momentum": 0.5, "weight_decay": 0.1, "eps": 1e-4}),
    ("adam", {}), ("adam", {"amsgrad": True}), ("adam", {"weight_decay": 0.1, "betas": [0.8, 0.99]}),
    ("adam", {"amsgrad": True, "eps": 1e-3, "weight_decay": 0.05}),
    ("adamw", {}), ("adamw", {"amsgrad": True, "weight_decay": 0.2}), ("adamw", {"weight_decay": 0, "betas": [0.5, 0.9]}),
]
# (max_grad_norm, l2, batch_size, update_biases): full batch plain; clipped mini-batches with L2; frozen biases
TRAINING = [(None, 0, 0, True), (0.3, 0.05, 2, True), (5.0, 0.1, 1, False)]
STEPS = 5

X = [[0.5, -1.0], [1.5, 0.3], [-0.7, 0.8]]
Y = [[1.0, 0.0], [0.0, 1.0], [0.3, 0.6]]
W1 = [[0.3, -0.2, 0.5], [0.1, 0.4, -0.6]]
W2 = [[0.7, -0.3], [-0.5, 0.2], [0.4, 0.6]]


def _mapping(rule, hyper, clip, l2, batch, biases) -> dict:
    mapping = {"layers": [2, 3, 2], "activations": ["tanh", "sigmoid"], "loss": "squared_error", "half": True,
               "learning_rate": 0.1, "steps": STEPS, "batch_size": batch, "update_biases": biases,
               "optimizer": {"name": rule, **hyper},
               "parameters": {"W1": W1, "b1": [0.1, -0.1, 0.05], "W2": W2, "b2": [0.02, -0.03]},
               "data": {"X": X, "Y": Y}}
    if clip is not None:
        mapping["max_grad_norm"] = clip
    if l2:
        mapping["regularization"] = {"l2": l2}
    return mapping


def _torch():
    if importlib.util.find_spec("torch") is None:
        from conftest import _require

        _require("python:torch")  # fails under CI=true, skips outside CI
    import torch

    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)
    return torch


def _torch_trajectory(torch, rule, hyper, clip, l2, batch, biases) -> list[dict]:
    params = {"W1": W1, "b1": [0.1, -0.1, 0.05], "W2": W2, "b2": [0.02, -0.03]}
    tensors = {k: torch.tensor(v, requires_grad=biases or k[0] == "W") for k, v in params.items()}
    moving = [t for k, t in tensors.items() if t.requires_grad]
    kwargs = dict(hyper)
    if "betas" in kwargs:
        kwargs["betas"] = tuple(kwargs["betas"])
    optimizer = {"sgd": torch.optim.SGD, "adagrad": torch.optim.Adagrad, "rmsprop": torch.optim.RMSprop,
                 "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[rule](moving, lr=0.1, **kwargs)
    Xt, Yt = torch.tensor(X), torch.tensor(Y)
    size = 3 if batch == 0 else batch
    result = []
    for t in range(STEPS):
        rows = [(t * size + i) % 3 for i in range(size)]
        x, y = Xt[rows], Yt[rows]
        out = torch.sigmoid(torch.tanh(x @ tensors["W1"] + tensors["b1"]) @ tensors["W2"] + tensors["b2"])
        cost = (0.5 * ((out - y) ** 2).sum(dim=1)).mean()
        if l2:
            cost = cost + l2 / 2 * ((tensors["W1"] ** 2).sum() + (tensors["W2"] ** 2).sum())
        optimizer.zero_grad()
        cost.backward()
        if clip is not None:
            torch.nn.utils.clip_grad_norm_(moving, clip)
        optimizer.step()
        result.append({k: v.detach().numpy().copy() for k, v in tensors.items()})
    return result


def _numpy_trajectory(rule, hyper, clip, l2, batch, biases) -> list[dict]:
    """The torch documentation's algorithms written out in NumPy, with a hand-written backward pass."""
    p = {"W1": np.array(W1), "b1": np.array([0.1, -0.1, 0.05]), "W2": np.array(W2), "b2": np.array([0.02, -0.03])}
    names = [k for k in p if biases or k[0] == "W"]
    h = {**{"momentum": 0, "dampening": 0, "nesterov": False, "weight_decay": 0, "lr_decay": 0,
              "initial_accumulator_value": 0, "eps": {"adagrad": 1e-10}.get(rule, 1e-8), "alpha": 0.99,
              "centered": False, "betas": (0.9, 0.999), "amsgrad": False},
         **({"weight_decay": 0.01} if rule == "adamw" else {}), **hyper}
    lr, wd = 0.1, h["weight_decay"]
    state = {k: {"a": np.zeros_like(p[k]) + (h["initial_accumulator_value"] if rule == "adagrad" else 0),
                 "b": np.zeros_like(p[k]), "c": np.zeros_like(p[k]), "vmax": np.zeros_like(p[k]), "buf": None}
             for k in names}
    Xa, Ya, size, result = np.array(X), np.array(Y), 3 if batch == 0 else batch, []
    for t in range(1, STEPS + 1):
        rows = [((t - 1) * size + i) % 3 for i in range(size)]
        x, y = Xa[rows], Ya[rows]
        a1 = np.tanh(x @ p["W1"] + p["b1"])
        out = 1 / (1 + np.exp(-(a1 @ p["W2"] + p["b2"])))
        d2 = (out - y) * out * (1 - out) / len(rows)
        d1 = (d2 @ p["W2"].T) * (1 - a1 ** 2)
        g = {"W2": a1.T @ d2 + l2 * p["W2"], "b2": d2.sum(0), "W1": x.T @ d1 + l2 * p["W1"], "b1": d1.sum(0)}
        if clip is not None:
            norm = math.sqrt(sum(float((g[k] ** 2).sum()) for k in names))
            g = {k: v * min(1.0, clip / (norm + 1e-6)) for k, v in g.items()}
        for k in names:
            s, grad, theta = state[k], g[k], p[k]
            if rule == "adamw":
                theta = theta * (1 - lr * wd)
            elif wd:
                grad = grad + wd * theta
            if rule == "sgd":
                if h["momentum"]:
                    s["buf"] = grad.copy() if s["buf"] is None else h["momentum"] * s["buf"] + (1 - h["dampening"]) * grad
                    grad = grad + h["momentum"] * s["buf"] if h["nesterov"] else s["buf"]
                theta = theta - lr * grad
            elif rule == "adagrad":
                s["a"] = s["a"] + grad ** 2
                theta = theta - lr / (1 + (t - 1) * h["lr_decay"]) * grad / (np.sqrt(s["a"]) + h["eps"])
            elif rule == "rmsprop":
                al = h["alpha"]
                s["a"] = al * s["a"] + (1 - al) * grad ** 2
                v = s["a"]
                if h["centered"]:
                    s["c"] = al * s["c"] + (1 - al) * grad
                    v = v - s["c"] ** 2
                denominator = np.sqrt(v) + h["eps"]
                if h["momentum"]:
                    s["b"] = h["momentum"] * s["b"] + grad / denominator
                    theta = theta - lr * s["b"]
                else:
                    theta = theta - lr * grad / denominator
            else:
                b1, b2 = h["betas"]
                s["a"] = b1 * s["a"] + (1 - b1) * grad
                s["b"] = b2 * s["b"] + (1 - b2) * grad ** 2
                v = s["b"]
                if h["amsgrad"]:
                    s["vmax"] = np.maximum(s["vmax"], s["b"])
                    v = s["vmax"]
                m_hat, v_hat = s["a"] / (1 - b1 ** t), v / (1 - b2 ** t)
                theta = theta - lr * m_hat / (np.sqrt(v_hat) + h["eps"])
            p[k] = theta
        result.append({k: v.copy() for k, v in p.items()})
    return result


@pytest.mark.parametrize("training", TRAINING, ids=["full", "clip-l2-batch2", "clip-l2-batch1-frozen"])
@pytest.mark.parametrize("rule,hyper", RULES, ids=[f"{r}-{'-'.join(h) or 'defaults'}" for r, h in RULES])
def test_rule_matches_torch_and_numpy(rule, hyper, training):
    torch = _torch()
    derivation = derive(spec_from_mapping(_mapping(rule, hyper, *training)), check=False)
    ours = derivation.training.trajectory[1:]
    expected = _torch_trajectory(torch, rule, hyper, *training)
    transcribed = _numpy_trajectory(rule, hyper, *training)
    assert len(ours) == STEPS
    for t in range(STEPS):
        for name in ("W1", "b1", "W2", "b2"):
            np.testing.assert_allclose(ours[t][name], expected[t][name], rtol=0, atol=1e-12,
                                       err_msg=f"{rule} {hyper} {training} step {t + 1} {name} vs torch")
            np.testing.assert_allclose(transcribed[t][name], expected[t][name], rtol=0, atol=1e-12,
                                       err_msg=f"{rule} {hyper} {training} step {t + 1} {name}: numpy vs torch")
    assert any(not np.allclose(ours[-1][k], derivation.params[k]) for k in ("W1", "W2"))  # training moved


def test_clipping_records_torch_norm_and_coefficient():
    torch = _torch()
    derivation = derive(spec_from_mapping(_mapping("sgd", {}, 0.05, 0, 0, True)), check=False)
    first = derivation.training.steps[0]
    tensors = []
    for name in ("W1", "b1", "W2", "b2"):
        tensor = torch.zeros(np.shape(first.gradients[name]), requires_grad=True)
        tensor.grad = torch.tensor(np.asarray(first.gradients[name], dtype=float))
        tensors.append(tensor)
    norm = float(torch.nn.utils.clip_grad_norm_(tensors, 0.05))
    assert first.clipping.norm == pytest.approx(norm, rel=1e-14)
    assert 0 < first.clipping.coefficient < 1
    for name, tensor in zip(("W1", "b1", "W2", "b2"), tensors):  # torch's clipped gradient = c * ours
        np.testing.assert_allclose(first.clipping.coefficient * np.asarray(first.gradients[name], dtype=float),
                                   tensor.grad.numpy(), rtol=0, atol=1e-15)


@pytest.mark.parametrize("rule,hyper", RULES, ids=[f"{r}-{'-'.join(h) or 'defaults'}" for r, h in RULES])
def test_exported_module_carries_the_rules_state(rule, hyper):
    """The exported NumPy module's init_state/step (printed from the rule's SymPy formulas) retrace the derivation."""
    from nnsteps.derive.codegen import compile_module
    from nnsteps.derive.training import batches

    for training in TRAINING[1:]:  # clipped mini-batches with L2 (the full-batch case prints the same formulas)
        derivation = derive(spec_from_mapping(_mapping(rule, hyper, *training)), check=False)
        module = compile_module(derivation)
        params = {k: np.asarray(v, dtype=float) for k, v in derivation.params.items()}
        state = module.init_state(params)
        for t, rows in enumerate(batches(3, derivation.spec.batch_size, STEPS), start=1):
            params, state = module.step(params, np.asarray(derivation.X)[rows], np.asarray(derivation.Y)[rows], state)
            for name, value in params.items():
                np.testing.assert_allclose(value, derivation.training.trajectory[t][name], rtol=0, atol=1e-12)
