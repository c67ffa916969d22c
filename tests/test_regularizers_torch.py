"""Dropout and batch norm against PyTorch (nn.Dropout's mask applied by hand, nn.BatchNorm1d in training mode).

Random networks, batch sizes and placements: gradients of every parameter (gamma, beta included), the parameters
after SGD steps and batch norm's running mean and variance agree with torch autograd within 1e-10.
"""

from __future__ import annotations

import numpy as np
import pytest

from nnsteps.derive.derivation import derive
from nnsteps.spec import spec_from_mapping

ACTIVATIONS = ("tanh", "sigmoid", "identity", "relu")
TORCH_ACTIVATIONS = {"tanh": "tanh", "sigmoid": "sigmoid", "identity": None, "relu": "relu"}


@pytest.fixture(scope="module")
def torch(require_tools):
    require_tools("python:torch")
    import torch

    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)
    return torch


def random_mapping(seed: int) -> dict:
    """A random network with dropout and batch norm on random layers, masks drawn by hand, a random batch size."""
    rng = np.random.default_rng(seed)
    depth = int(rng.integers(2, 4))
    layers = [int(rng.integers(1, 4))] + [int(rng.integers(2, 5)) for _ in range(depth)]
    n = int(rng.integers(3, 7))
    activations = [str(rng.choice(ACTIVATIONS)) for _ in range(depth)]
    normalized = sorted({int(l) for l in rng.integers(1, depth + 1, size=int(rng.integers(1, depth + 1)))})
    dropped = [float(rng.choice([0.0, 0.25, 0.5])) for _ in range(depth - 1)]
    mini = rng.random() < 0.5
    parameters = {}
    for l in range(1, depth + 1):
        parameters[f"W{l}"] = rng.normal(0, 0.8, (layers[l - 1], layers[l])).round(6).tolist()
        parameters[f"b{l}"] = rng.normal(0, 0.3, layers[l]).round(6).tolist()
        if l in normalized:
            parameters[f"gamma{l}"] = rng.uniform(0.5, 1.5, layers[l]).round(6).tolist()
            parameters[f"beta{l}"] = rng.normal(0, 0.3, layers[l]).round(6).tolist()
    masks = {f"x{l}": (rng.random((n, layers[l])) >= p).astype(int).tolist()
             for l, p in enumerate(dropped, start=1) if p > 0}
    return {
        "layers": layers, "activations": activations, "loss": "squared_error", "learning_rate": 0.1,
        "steps": int(rng.integers(1, 4)), "batch_size": 3 if mini and n >= 5 else 0,
        "reduction": str(rng.choice(["mean", "sum"])),
        "dropout": {"p": dropped, "masks": masks},
        "batchnorm": {"layers": normalized, "eps": 1e-5, "momentum": float(rng.choice([0.1, 0.3]))},
        "parameters": parameters,
        "data": {"X": rng.normal(0, 1, (n, layers[0])).round(6).tolist(),
                 "Y": rng.normal(0, 1, (n, layers[-1])).round(6).tolist()},
    }


class TorchNet:
    """The same network in torch: Linear -> BatchNorm1d -> activation -> mask / (1 - p)."""

    def __init__(self, torch, spec, params):
        self.torch, self.spec = torch, spec
        self.params = {k: torch.tensor(np.asarray(v, dtype=float), requires_grad=True) for k, v in params.items()}
        bn = spec.batchnorm
        self.norms = {}
        for l in (bn.layers if bn else ()):
            norm = torch.nn.BatchNorm1d(spec.layers[l], eps=float(bn.eps), momentum=float(bn.momentum))
            norm.train()
            self.norms[l] = norm

    def loss(self, rows, masks=None):
        torch, spec = self.torch, self.spec
        x = torch.tensor(np.asarray(spec.X, dtype=float)[rows])
        y = torch.tensor(np.asarray(spec.Y, dtype=float)[rows])
        for l in range(1, spec.depth + 1):
            z = x @ self.params[f"W{l}"] + self.params[f"b{l}"]
            if l in self.norms:  # the module's affine parameters replaced by ours (gradients reach them)
                norm = self.norms[l]
                z = torch.nn.functional.batch_norm(z, norm.running_mean, norm.running_var, self.params[f"gamma{l}"],
                                                   self.params[f"beta{l}"], True, norm.momentum, norm.eps)
            name = TORCH_ACTIVATIONS[spec.activations[l - 1]]
            x = getattr(torch, name)(z) if name else z
            if spec.dropout and l in spec.dropout.layers():
                mask = torch.tensor(np.asarray(spec.dropout.mask(l), dtype=float)[rows] if masks is None
                                    else np.asarray(masks[f"x{l}"], dtype=float))
                x = x * mask / (1 - float(spec.dropout.rate(l)))  # nn.Dropout in training mode, with this mask
        losses = 0.5 * ((x - y) ** 2).sum(dim=1)
        return losses.mean() if spec.reduction == "mean" else losses.sum()

    def gradients(self, rows, masks=None):
        for p in self.params.values():
            p.grad = None
        self.loss(rows, masks).backward()
        return {k: p.grad.numpy().copy() for k, p in self.params.items()}

    def step(self, rows, rate, masks=None):
        grads = self.gradients(rows, masks)
        with self.torch.no_grad():
            for k, p in self.params.items():
                p -= rate * self.torch.tensor(grads[k])


@pytest.mark.parametrize("seed", range(30))
def test_gradients_steps_and_running_statistics_match_torch(torch, seed):
    spec = spec_from_mapping(random_mapping(seed))
    d = derive(spec)
    model = TorchNet(torch, spec, d.params)
    n = spec.n_samples
    expected = model.gradients(np.arange(n))
    assert set(expected) == set(d.backward.gradients)
    # the derivation's own cross-check (independent backprop, finite differences) covered every entry, gamma and beta too
    assert {c.name for c in d.checks} == set(expected)
    assert all(c.status in ("ok", "kink") for c in d.checks)
    for name, value in expected.items():
        np.testing.assert_allclose(d.backward.gradients[name], value, rtol=0, atol=1e-10, err_msg=name)
    model = TorchNet(torch, spec, d.params)  # fresh running statistics
    from nnsteps.derive.training import batches

    for rows, record in zip(batches(n, spec.batch_size, spec.steps), d.training.steps):
        model.step(rows, float(spec.learning_rate), record.masks)  # a fresh mask per step (tests/test_dropout_steps_torch.py)
    for name, value in model.params.items():
        np.testing.assert_allclose(d.training.trajectory[-1][name], value.detach().numpy(), rtol=0, atol=1e-10,
                                   err_msg=name)
    running = d.running_statistics()
    for l, norm in model.norms.items():
        np.testing.assert_allclose(running[l][0], norm.running_mean.numpy(), rtol=0, atol=1e-10)
        np.testing.assert_allclose(running[l][1], norm.running_var.numpy(), rtol=0, atol=1e-10)


def test_nn_dropout_uses_the_same_inverted_scaling(torch):
    """nn.Dropout itself: its output divided by the input is 0 or 1/(1-p), the mask our rows take as given."""
    torch.manual_seed(0)
    layer = torch.nn.Dropout(p=0.25)
    layer.train()
    out = layer(torch.ones(50, 4))
    assert set(np.unique(out.numpy()).round(12)) <= {0.0, round(1 / 0.75, 12)}
    assert 0 < (out == 0).sum() < out.numel()
