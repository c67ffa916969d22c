"""`nnsteps export --to torch`: the exported script runs in PyTorch, prints the costs `nnsteps train` prints, and its
autograd gradients and trained parameters agree with nnsteps at 1e-10, for every built-in example and more."""

from __future__ import annotations

import contextlib
from fractions import Fraction
import io
import runpy
import subprocess
import sys

import pytest

from nnsteps.commands.train import gradient_descent
from nnsteps.derive.derivation import derive
from nnsteps.derive.errors import UnsupportedError
from nnsteps.derive.torch_export import torch_script
from nnsteps.spec import builtin_names, load_spec, spec_from_mapping

BUILT_IN = tuple(builtin_names())

VARIANTS = {
    # leaky ReLU and a custom activation, binary cross-entropy, frozen biases, mini-batches over several steps
    "leaky-custom-bce": {
        "layers": [2, 3, 2, 1], "activations": ["leaky_relu", "custom", "sigmoid"], "loss": "binary_cross_entropy",
        "alpha": 0.1, "custom": {"expression": "z*tanh(z) + max(z, 0)/2"}, "update_biases": False,
        "batch_size": 2, "steps": 4, "learning_rate": 0.3, "reduction": "sum",
        "parameters": {"W1": [[0.3, -0.2, 0.5], [0.1, 0.4, -0.6]], "b1": [0.05, -0.05, 0.1],
                       "W2": [[0.6, -0.1], [-0.4, 0.2], [0.3, 0.7]], "b2": [0.1, -0.2], "W3": [[0.5], [-0.8]], "b3": [0.0]},
        "data": {"X": [[0.5, 1.0], [-1.0, 0.2], [0.8, -0.6]], "Y": [[1.0], [0.0], [1.0]]},
    },
    "softplus-squared-nohalf": {
        "layers": [1, 2, 2], "activations": ["softplus", "identity"], "loss": "squared_error", "half": False,
        "steps": 3, "learning_rate": 0.05,
        "parameters": {"W1": [[0.7, -1.2]], "b1": [0.1, 0.3], "W2": [[0.5, -0.5], [1.5, 0.2]], "b2": [0.0, 0.1]},
        "data": {"X": [[0.3], [-0.7]], "Y": [[0.2, 0.9], [0.4, -0.1]]},
    },
    # batch norm on both hidden layers, mini-batches of 2 over 4 steps with Adam: the running statistics move per step.
    # The biases are frozen: a bias right before batch norm has gradient 0, and the ~1e-17 of rounding that both
    # sides leave in it Adam divides by sqrt(v) + eps, which makes it a step of ~1e-10 that differs between them.
    "batchnorm-minibatch-adam": {
        "layers": [2, 3, 2, 1], "activations": ["relu", "sigmoid", "identity"], "loss": "squared_error", "batch_size": 2, "steps": 4,
        "learning_rate": 0.05, "optimizer": {"name": "adam"}, "regularization": {"l2": 0.1}, "update_biases": False,
        "batchnorm": {"layers": [1, 2], "eps": 0.001, "momentum": 0.3},
        "parameters": {"W1": [[0.3, -0.2, 0.5], [0.1, 0.4, -0.6]], "b1": [0.05, -0.05, 0.1],
                       "W2": [[0.6, -0.1], [-0.4, 0.2], [0.3, 0.7]], "b2": [0.1, -0.2], "W3": [[0.5], [-0.8]], "b3": [0.0],
                       "gamma1": [1.5, 0.5, 1.0], "beta2": [0.2, -0.3]},
        "data": {"X": [[0.5, 1.0], [-1.0, 0.2], [0.8, -0.6], [0.1, 0.3]], "Y": [[1.0], [0.0], [1.0], [0.5]]},
    },
    # dropout on two hidden layers (one mask drawn from the seed), batch norm between, frozen biases
    "dropout-two-layers-batchnorm": {
        "layers": [2, 4, 3, 2], "activations": ["tanh", "relu", "softmax"], "loss": "cross_entropy",
        "update_biases": False, "steps": 3, "learning_rate": 0.2, "reduction": "sum",
        "dropout": {"p": [0.25, 0.5], "masks": {"x1": [[1, 0, 1, 1], [0, 1, 1, 1], [1, 1, 0, 1]]}, "seed": 3},
        "batchnorm": {"layers": [2]},
        "parameters": {"W1": [[0.3, -0.2, 0.5, 0.1], [0.1, 0.4, -0.6, 0.2]], "b1": [0.05, -0.05, 0.1, 0.0],
                       "W2": [[0.6, -0.1, 0.2], [-0.4, 0.2, 0.1], [0.3, 0.7, -0.5], [0.2, 0.2, 0.2]], "b2": [0.1, -0.2, 0.0],
                       "W3": [[0.5, -0.5], [-0.8, 0.3], [0.4, 0.1]], "b3": [0.0, 0.1]},
        "data": {"X": [[0.5, 1.0], [-1.0, 0.2], [0.8, -0.6]], "Y": [[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]},
    },
}


def _execute(source: str, tmp_path, name: str) -> tuple[int, str]:
    """Run a generated script as `python script.py` would, in this process (torch is imported once)."""
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            runpy.run_path(str(path), run_name="__main__")
            status = 0
        except SystemExit as stop:
            status = stop.code or 0
    return status, out.getvalue()


def _run(source: str, tmp_path, name: str) -> str:
    status, out = _execute(source, tmp_path, name)
    assert status == 0, out
    return out


@pytest.mark.parametrize("name", BUILT_IN)
def test_built_in_examples_agree_with_torch(name, tmp_path, require_tools):
    require_tools("python:torch")
    if name == "tutorial":  # once through the command line
        export = subprocess.run([sys.executable, "-m", "nnsteps", "export", name, "--to", "torch", "-o",
                                 str(tmp_path / "net.py")], capture_output=True, text=True)
        assert export.returncode == 0, export.stderr
        source = (tmp_path / "net.py").read_text()
    else:
        source = torch_script(derive(load_spec(name)))
    out = _run(source, tmp_path, "run")
    assert "torch and nnsteps agree" in out
    # the costs are those `nnsteps train` prints, step by step
    printed = []
    gradient_descent(derive(load_spec(name)), load_spec(name).steps, every=1, say=printed.append)
    assert printed and [line for line in out.splitlines() if line.startswith(("Iteration", "stopped early"))] == printed


@pytest.mark.parametrize("name", list(VARIANTS))
def test_other_rows_and_settings_agree_with_torch(name, tmp_path, require_tools):
    require_tools("python:torch")
    d = derive(spec_from_mapping(VARIANTS[name], name))
    out = _run(torch_script(d), tmp_path, name)
    assert "torch and nnsteps agree" in out


def test_a_disagreement_is_reported_and_fails(tmp_path, require_tools):
    require_tools("python:torch")
    d = derive(load_spec("tutorial"))
    source = torch_script(d).replace("TOLERANCE = 1e-10", "TOLERANCE = -1.0")  # nothing can agree within it
    status, out = _execute(source, tmp_path, "strict")
    assert status == 1 and "torch and nnsteps DISAGREE" in out


def test_user_text_is_only_data(tmp_path, require_tools):
    require_tools("python:torch")
    hostile = '"""\nimport os; os.system("echo pwned")\n#\\'
    mapping = {**VARIANTS["softplus-squared-nohalf"], "title": hostile}
    d = derive(spec_from_mapping(mapping, "evil\nname"))
    source = torch_script(d)
    assert "pwned\")\n" not in source.replace(repr(hostile), "")
    out = _run(source, tmp_path, "hostile")
    assert "pwned" not in out and "torch and nnsteps agree" in out


def test_an_unknown_row_kind_or_rule_is_an_error():
    from nnsteps.derive import torch_export

    d = derive(load_spec("tutorial"))
    saved = torch_export.TORCH_OPTIMIZERS.pop("sgd")
    try:
        with pytest.raises(UnsupportedError, match="no PyTorch translation of the update rule 'sgd'"):
            torch_script(d)
    finally:
        torch_export.TORCH_OPTIMIZERS["sgd"] = saved


OPTIMIZERS = [
    ("sgd", (("momentum", Fraction(9, 10)), ("nesterov", True)), {}),
    ("sgd", (("momentum", Fraction(9, 10)), ("dampening", Fraction(1, 2)), ("weight_decay", Fraction(1, 10))),
     {"l2": Fraction(1, 10)}),
    ("adagrad", (("lr_decay", Fraction(1, 10)),), {"max_grad_norm": Fraction(1, 2)}),
    ("rmsprop", (("centered", True), ("momentum", Fraction(1, 2))), {"l2": Fraction(1, 10)}),
    ("adam", (), {"max_grad_norm": Fraction(1, 2), "l2": Fraction(1, 10)}),
    ("adamw", (("amsgrad", True),), {}),
]


@pytest.mark.parametrize("name, settings, extra", OPTIMIZERS, ids=lambda v: v if isinstance(v, str) else None)
def test_update_rules_clipping_and_l2_agree_with_torch(name, settings, extra, tmp_path, require_tools):
    """Issue 13's rules become their torch.optim optimizers, clipping clip_grad_norm_, L2 a term of the cost."""
    require_tools("python:torch")
    from dataclasses import replace

    from nnsteps.derive.netspec import OptimizerSpec

    spec = replace(load_spec("adam"), optimizer=OptimizerSpec(name, settings), **extra)
    out = _run(torch_script(derive(spec)), tmp_path, name)
    assert "torch and nnsteps agree" in out and len([l for l in out.splitlines() if l.startswith("Iteration")]) > 2


def test_layers_without_a_torch_translation_are_refused():
    from nnsteps.derive import torch_export

    saved = torch_export.TORCH_MODULES.pop("dropout")
    try:
        with pytest.raises(UnsupportedError, match="no PyTorch translation of the layer kind 'dropout'"):
            torch_script(derive(load_spec("dropout")))
    finally:
        torch_export.TORCH_MODULES["dropout"] = saved


@pytest.mark.parametrize("change, why", [
    ("momentum=0.1,", "momentum=0.2,"),  # another momentum moves only the running statistics: the final check sees it
    ("self.scale * (a * self.mask)", "a"),  # nn.Dropout's mask ignored: the gradients differ
])
def test_running_statistics_and_masks_are_compared(change, why, tmp_path, require_tools):
    """The script compares batch norm's running mean and variance with nnsteps', and really applies the mask."""
    require_tools("python:torch")
    name = "batchnorm" if "momentum" in change else "dropout"
    source = torch_script(derive(load_spec(name)))
    assert change in source
    status, out = _execute(source.replace(change, why, 1), tmp_path, name)
    assert status == 1 and "torch and nnsteps DISAGREE" in out
