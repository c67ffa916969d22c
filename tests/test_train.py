"""`nnsteps train`: gradient descent with the compiled gradients, cost printed every K steps, trained spec written back."""

import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest

from nnsteps.commands.train import gradient_descent, trained_toml
from nnsteps.derive.derivation import derive
from nnsteps.derive.errors import NumericalError
from nnsteps.spec import load_spec, spec_from_mapping


def _train(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "nnsteps", "train", *args], capture_output=True, text=True, cwd=cwd)


def test_same_steps_as_the_derivation_training():
    d = derive(load_spec("tanh-sigmoid"))  # its spec takes 5 steps
    lines = []
    params, costs = gradient_descent(d, d.spec.steps, every=1, say=lines.append)
    for name, value in d.training.trajectory[-1].items():
        np.testing.assert_allclose(params[name], value, rtol=1e-13, atol=1e-15)
    assert costs == pytest.approx([float(c) for c in d.training.history], rel=1e-12)
    assert lines[0].startswith("Iteration 0: Loss = ") and lines[-1].endswith("(final)") and len(lines) == 6


def test_minibatches_follow_the_spec_batch_size():
    mapping = {"layers": [2, 3, 2], "activations": ["sigmoid", "softmax"], "loss": "cross_entropy", "reduction": "sum",
               "learning_rate": 0.5, "batch_size": 3, "steps": 7, "update_biases": False, "init": {"seed": 4},
               "data": {"X": [[0, 0], [0, 1], [1, 0], [1, 1]], "Y": [[0, 1], [1, 0], [1, 0], [0, 1]]}}
    d = derive(spec_from_mapping(mapping))
    params, _ = gradient_descent(d, 7, every=0, say=lambda text: None)
    for name, value in d.training.trajectory[-1].items():
        np.testing.assert_allclose(params[name], value, rtol=1e-13, atol=1e-15)
    np.testing.assert_array_equal(params["b1"], np.asarray(d.params["b1"], dtype=float))  # update_biases = false


def test_cli_prints_every_k_and_writes_a_loadable_spec(tmp_path):
    out = tmp_path / "trained.toml"
    result = _train("xor-softmax", "--steps", "300", "--every", "100", "-o", str(out))
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("Iteration")]
    assert [line.split(":")[0] for line in lines] == ["Iteration 0", "Iteration 100", "Iteration 200", "Iteration 300"]
    losses = [float(line.split("= ")[1].split()[0]) for line in lines]
    assert losses[-1] < losses[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trained.toml"]
    original, trained = load_spec("xor-softmax"), load_spec(str(out))
    for field in ("layers", "activations", "loss", "reduction", "learning_rate", "steps", "X", "Y", "title", "half"):
        assert getattr(trained, field) == getattr(original, field), field
    assert trained.weights != original.weights
    d = derive(original)
    params, _ = gradient_descent(d, 300, every=0, say=lambda text: None)
    for l in (1, 2):  # decimals written with repr: they read back as exactly the same floats
        assert np.array_equal(np.array(trained.weights[l - 1], dtype=float), params[f"W{l}"])
        assert np.array_equal(np.array(trained.biases[l - 1], dtype=float), params[f"b{l}"])
    again = derive(trained)  # the trained network derives (and renders) next
    assert float(again.backward.cost) == pytest.approx(losses[-1], abs=1e-6)


def test_trained_toml_keeps_fields_and_drops_init():
    mapping = {"title": "t", "layers": [1, 1], "activations": ["identity"], "loss": "squared_error",
               "init": {"seed": 3}, "data": {"X": [[1]], "Y": [[2]]}, "custom": {"expression": "z"}}
    text = trained_toml(mapping, {"W1": np.array([[0.1 + 0.2]]), "b1": np.array([1e-20])}, "header")
    assert text.startswith("# header\n") and "[init]" not in text and "[custom]" in text
    assert "W1 = [[0.30000000000000004]]" in text and "b1 = [1e-20]" in text
    spec = load_spec_text(text)
    assert spec.weights[0][0][0] == Fraction("0.30000000000000004") and float(spec.biases[0][0]) == 1e-20


def load_spec_text(text: str):
    import tomllib
    from decimal import Decimal

    return spec_from_mapping(tomllib.loads(text, parse_float=Decimal))


def test_divergence_is_an_error_and_writes_nothing(tmp_path):
    path = tmp_path / "fast.toml"
    path.write_text('layers = [1, 1]\nactivations = ["identity"]\nloss = "squared_error"\nlearning_rate = 50\n'
                    "[parameters]\nW1 = [[1.0]]\nb1 = [0]\n[data]\nX = [[3.0]]\nY = [[1.0]]\n")
    with pytest.raises(NumericalError, match="learning_rate"):
        gradient_descent(derive(load_spec(str(path))), 400, every=0, say=lambda text: None)
    out = tmp_path / "trained.toml"
    result = _train(str(path), "--steps", "400", "-o", str(out))
    assert result.returncode == 2 and "learning_rate" in result.stderr and not out.exists()


def test_render_command_reads_the_trained_spec(tmp_path):
    from importlib import util

    if util.find_spec("nnsteps.commands.render") is None:
        pytest.skip("nnsteps render is not available in this checkout yet")
    out = tmp_path / "trained.toml"
    assert _train("tutorial", "--steps", "20", "-o", str(out)).returncode == 0
    result = subprocess.run([sys.executable, "-m", "nnsteps", "render", str(out), "--to", "md", "-o", str(tmp_path / "doc")],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
