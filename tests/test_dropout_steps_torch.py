"""Dropout over several training steps and mini-batches against PyTorch: a fresh mask at every step.

The masks are drawn here by the documented rule, written out independently of nnsteps (numpy default_rng(seed):
the worked pass's masks first, then one draw per later step, every layer with p > 0 in order; a given mask replaces
its draw). torch multiplies the same masks in (nn.Dropout in training mode with that mask), runs SGD or Adam
(torch.optim) on the same mini-batches, and every parameter after every step agrees within 1e-10, batch norm's
running statistics too. The JSON of `derive --json` reports the masks each step used.
"""

from __future__ import annotations

import numpy as np
import pytest

from nnsteps.derive.derivation import derive
from nnsteps.spec import spec_from_mapping
from test_regularizers_torch import torch  # noqa: F401  (the fixture: torch in float64, one thread)

ACTIVATIONS = {"tanh": "tanh", "sigmoid": "sigmoid", "relu": "relu"}


def random_mapping(seed: int) -> dict:
    """Dropout on random hidden layers, mini-batches or full batches, 2-4 steps, SGD or Adam, some masks given."""
    rng = np.random.default_rng(1000 + seed)
    depth = int(rng.integers(2, 4))
    layers = [int(rng.integers(1, 4))] + [int(rng.integers(2, 5)) for _ in range(depth)]
    n = int(rng.integers(3, 7))
    p = [float(rng.choice([0.0, 0.25, 0.5])) for _ in range(depth - 1)]
    if not any(p):
        p[0] = 0.5
    batch = int(rng.choice([0, 2, 3]))
    steps = int(rng.integers(2, 5))
    rows = n if batch == 0 or batch >= n else batch
    masks = {}
    for l, rate in enumerate(p, start=1):
        if rate and rng.random() < 0.4:  # the worked pass's mask given
            masks[f"x{l}"] = (rng.random((n, layers[l])) >= rate).astype(int).tolist()
        if rate and rng.random() < 0.4:  # step 2's mask given
            masks[f"x{l}@t2"] = (rng.random((rows, layers[l])) >= rate).astype(int).tolist()
    rule = str(rng.choice(["sgd", "adam"]))
    # batch norm with SGD only: the bias before batch norm has gradient 0 up to rounding, which Adam divides by its size
    normalized = [l for l in range(1, depth + 1) if rng.random() < 0.4] if rows >= 2 and rule == "sgd" else []
    parameters = {}
    for l in range(1, depth + 1):
        parameters[f"W{l}"] = rng.normal(0, 0.8, (layers[l - 1], layers[l])).round(6).tolist()
        parameters[f"b{l}"] = rng.normal(0, 0.3, layers[l]).round(6).tolist()
    mapping = {
        "layers": layers, "activations": [str(rng.choice(list(ACTIVATIONS))) for _ in range(depth - 1)] + ["identity"],
        "loss": "squared_error", "learning_rate": 0.1, "steps": steps, "batch_size": batch,
        "reduction": str(rng.choice(["mean", "sum"])),
        "optimizer": {"name": rule},
        "dropout": {"p": p, "masks": masks, "seed": int(rng.integers(0, 100))},
        "parameters": parameters,
        "data": {"X": rng.normal(0, 1, (n, layers[0])).round(6).tolist(),
                 "Y": rng.normal(0, 1, (n, layers[-1])).round(6).tolist()},
    }
    if normalized:
        mapping["batchnorm"] = {"layers": normalized}
    return mapping


def documented_masks(mapping: dict, steps: int) -> list[dict]:
    """The masks of steps 1..steps by the documented drawing rule, from the mapping alone."""
    p, sizes, n = mapping["dropout"]["p"], mapping["layers"], len(mapping["data"]["X"])
    batch = mapping.get("batch_size", 0)
    rows = n if batch == 0 or batch >= n else batch
    given = mapping["dropout"].get("masks", {})
    rng = np.random.default_rng(mapping["dropout"].get("seed", 0))

    def draw(count, suffix):
        result = {}
        for l, rate in enumerate(p, start=1):
            if rate > 0:
                keep = (rng.random((count, sizes[l])) >= rate).astype(float)
                result[f"x{l}"] = np.array(given[f"x{l}{suffix}"], dtype=float) if f"x{l}{suffix}" in given else keep
        return result

    worked = draw(n, "")
    result = [worked] if rows == n else []
    while len(result) < steps:
        result.append(draw(rows, f"@t{len(result) + 1}"))
    return result


def torch_trajectory(torch, mapping: dict, masks: list[dict]):
    """Parameters after each step and batch norm's running statistics, by torch autograd and torch.optim."""
    from nnsteps.derive.training import batches

    X, Y = np.array(mapping["data"]["X"]), np.array(mapping["data"]["Y"])
    depth, sizes = len(mapping["layers"]) - 1, mapping["layers"]
    params = {k: torch.tensor(np.array(v, dtype=float), requires_grad=True) for k, v in mapping["parameters"].items()}
    normalized = mapping.get("batchnorm", {}).get("layers", [])
    norms = {}
    for l in normalized:
        params[f"gamma{l}"] = torch.ones(sizes[l], requires_grad=True)
        params[f"beta{l}"] = torch.zeros(sizes[l], requires_grad=True)
        norms[l] = (torch.zeros(sizes[l]), torch.ones(sizes[l]))
    order = [name for l in range(1, depth + 1) for name in (f"W{l}", f"b{l}", f"gamma{l}", f"beta{l}") if name in params]
    kind = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}[mapping["optimizer"]["name"]]
    optimizer = kind([params[name] for name in order], lr=0.1)
    trajectory = []
    for rows, step in zip(batches(len(X), mapping["batch_size"], mapping["steps"]), masks):
        x, y = torch.tensor(X[rows]), torch.tensor(Y[rows])
        for l in range(1, depth + 1):
            z = x @ params[f"W{l}"] + params[f"b{l}"]
            if l in norms:  # BatchNorm1d in training mode, its running statistics updated in place
                z = torch.nn.functional.batch_norm(z, *norms[l], params[f"gamma{l}"], params[f"beta{l}"], True, 0.1, 1e-5)
            name = ACTIVATIONS.get(mapping["activations"][l - 1])
            x = getattr(torch, name)(z) if name else z
            if f"x{l}" in step:  # nn.Dropout in training mode with this step's mask
                x = x * torch.tensor(step[f"x{l}"]) / (1 - mapping["dropout"]["p"][l - 1])
        losses = ((x - y) ** 2).sum(dim=1)  # squared error without the 1/2
        cost = losses.mean() if mapping["reduction"] == "mean" else losses.sum()
        optimizer.zero_grad()
        cost.backward()
        optimizer.step()
        trajectory.append({k: v.detach().numpy().copy() for k, v in params.items()})
    return trajectory, {l: (m.numpy(), v.numpy()) for l, (m, v) in norms.items()}


@pytest.mark.parametrize("seed", range(24))
def test_steps_with_fresh_masks_match_torch(torch, seed):
    mapping = random_mapping(seed)
    mapping["half"] = False
    d = derive(spec_from_mapping(mapping))
    masks = documented_masks(mapping, mapping["steps"])
    for record, expected in zip(d.training.steps, masks):
        assert set(record.masks) == set(expected)
        for key, mask in expected.items():
            np.testing.assert_array_equal(np.array(record.masks[key], dtype=float), mask, err_msg=f"{key}@t{record.step}")
    trajectory, running = torch_trajectory(torch, mapping, masks)
    for t, params in enumerate(trajectory, start=1):
        for name, value in params.items():
            np.testing.assert_allclose(d.training.trajectory[t][name], value, rtol=0, atol=1e-10, err_msg=f"{name}@t{t}")
    for l, (mean, variance) in running.items():
        ours = d.running_statistics()[l]
        np.testing.assert_allclose(ours[0], mean, rtol=0, atol=1e-10)
        np.testing.assert_allclose(ours[1], variance, rtol=0, atol=1e-10)
    reported = d.to_json()["step_masks"]
    assert [entry["step"] for entry in reported] == list(range(1, mapping["steps"] + 1))
    for entry, expected in zip(reported, masks):
        assert {k: np.array(v, dtype=float).tolist() for k, v in entry["masks"].items()} == \
            {k: v.tolist() for k, v in expected.items()}


def test_nnsteps_train_steps_with_the_same_masks():
    """`nnsteps train` (the exported module's gradients) takes each step's masks: the same parameters as derive."""
    from nnsteps.commands.train import gradient_descent

    for seed in range(6):
        mapping = random_mapping(seed)
        mapping.pop("batchnorm", None)
        mapping["optimizer"] = {"name": "sgd"}
        d = derive(spec_from_mapping(mapping))
        params, _ = gradient_descent(d, mapping["steps"], every=0, say=lambda text: None)
        for name, value in params.items():
            np.testing.assert_allclose(value, np.asarray(d.training.trajectory[-1][name], dtype=float),
                                       rtol=0, atol=1e-12, err_msg=name)


def test_documents_show_the_masks_of_every_step(tmp_path):
    """The Training section and the dropout section print each step's masks, the ones training used."""
    from nnsteps.pipeline import documents

    mapping = random_mapping(3)
    mapping.update(steps=3, batch_size=2, optimizer={"name": "adam"})
    mapping["dropout"]["masks"] = {}
    mapping.pop("batchnorm", None)
    d = derive(spec_from_mapping(mapping))
    text = next(v for k, v in documents(d).items() if k.endswith(".md"))
    layer = next(l for l, p in enumerate(mapping["dropout"]["p"], start=1) if p > 0)
    for record in d.training.steps:
        rows = r" \\ ".join(" & ".join(str(int(v)) for v in row) for row in record.masks[f"x{layer}"])
        assert rows in text, f"step {record.step}"
    assert f"default\\_rng({mapping['dropout']['seed']})" in text
