"""Bad inputs: each gives one line naming the field, exit code 2, and leaves the output folder untouched."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

GOOD = {
    "title": "t", "layers": [2, 2, 1], "activations": ["relu", "identity"], "loss": "squared_error",
    "parameters": {"W1": [[0.1, 0.2], [0.3, -0.4]], "b1": [0, 0], "W2": [[0.5], [0.6]], "b2": [0]},
    "data": {"X": [[1, 2]], "Y": [[1]]},
}


def variant(**changes):
    spec = json.loads(json.dumps(GOOD))
    for dotted, value in changes.items():
        target, *path, last = dotted.split("__")
        node = spec
        for key in [target, *path]:
            node = node[key]
        if value is DELETE:
            del node[last]
        else:
            node[last] = value
    return spec


DELETE = object()


def top(**changes):
    spec = json.loads(json.dumps(GOOD))
    for key, value in changes.items():
        if value is DELETE:
            del spec[key]
        else:
            spec[key] = value
    return spec


CASES = {
    # name: (spec as dict or raw text with suffix, expected substring of the one-line message)
    "invalid_toml": (("toml", "layers = [2, 2\n"), "error: spec: "),
    "invalid_json": (("json", '{"layers": [2, 2],}'), "invalid JSON at line 1"),
    "missing_layers": (top(layers=DELETE), "error: layers: missing"),
    "missing_data": (top(data=DELETE), "error: data: missing"),
    "unknown_field": (top(learnig_rate=0.1), "error: learnig_rate: unknown field (did you mean 'learning_rate'?)"),
    "unknown_activation": (top(activations=["rellu", "identity"]), "error: activations[1]: unknown activation 'rellu' (did you mean 'relu'"),
    "unknown_loss": (top(loss="mse"), "error: loss: unknown loss 'mse'"),
    "one_layer": (top(layers=[2]), "error: layers: [2] has fewer than 2 entries"),
    "zero_size": (top(layers=[2, 0, 1]), "error: layers[1]: size 0 must be a whole number of at least 1"),
    "negative_size": (top(layers=[2, -2, 1]), "error: layers[1]: size -2"),
    "too_many_activations": (top(activations=["relu", "relu", "identity"]), "error: activations: 3 given, but layers [2, 2, 1] have 2"),
    "weight_shape": (variant(parameters__W2=[[0.5, 1], [0.6, 1]]), "error: parameters.W2: shape 2x2, but layers [2, 2, 1] need 2x1"),
    "bias_length": (variant(parameters__b1=[0, 0, 0]), "error: parameters.b1: 3 values, but layer 1 has 2 neurons"),
    "x_width": (variant(data__X=[[1, 2, 3]]), "error: data.X: shape 1x3, but 2 inputs (layers[0]) need 1x2"),
    "y_width": (variant(data__Y=[[1, 2]]), "error: data.Y: shape 1x2, but 1 outputs (layers[-1]) need 1x1"),
    "y_rows": (variant(data__Y=[[1], [2]]), "error: data.Y: 2 rows, but data.X has 1"),
    "empty_data": (variant(data__X=[], data__Y=[]), "error: data.X: no samples"),
    "nan_input": (("toml", 'layers = [1, 1]\nactivations = ["identity"]\nloss = "squared_error"\n[parameters]\nW1 = [[1]]\n[data]\nX = [[nan]]\nY = [[1]]\n'),
                  "error: data.X[1][1]: NaN is not finite"),
    "inf_weight": (("toml", 'layers = [1, 1]\nactivations = ["identity"]\nloss = "squared_error"\n[parameters]\nW1 = [[inf]]\n[data]\nX = [[1]]\nY = [[1]]\n'),
                   "error: parameters.W1[1][1]: Infinity is not finite"),
    "string_number": (variant(parameters__W1=[["a", 0.2], [0.3, -0.4]]), "error: parameters.W1[1][1]: 'a' is not a number"),
    "missing_weights": (variant(parameters__W2=DELETE), "error: parameters.W2: missing"),
    "softmax_one_neuron": (top(activations=["relu", "softmax"]), "error: activations[2]: softmax on a layer of 1 neuron"),
    "softmax_hidden": (top(layers=[2, 2, 2], activations=["softmax", "identity"]), "error: activations[1]: softmax is supported on the output layer only"),
    "ce_target_range": (top(loss="cross_entropy", activations=["relu", "sigmoid"], data={"X": [[1, 2]], "Y": [[2]]}),
                        "error: data.Y[1]: cross_entropy targets must lie in [0, 1]"),
    "ce_rows_sum": (top(layers=[2, 2, 2], activations=["relu", "softmax"], loss="cross_entropy",
                        parameters={"W1": [[0.1, 0.2], [0.3, -0.4]], "W2": [[0.5, 1], [0.6, 1]]},
                        data={"X": [[1, 2]], "Y": [[0.5, 0.6]]}), "error: data.Y[1]: cross_entropy targets must sum to 1"),
    "bce_log_zero": (top(layers=[1, 1], activations=["sigmoid"], loss="binary_cross_entropy",
                         parameters={"W1": [[100]]}, data={"X": [[-9]], "Y": [[1]]}),
                     "error: data.X[1]: yhat[1]@1 is exactly 0 in float64"),
    "softmax_overflow_log_zero": (top(layers=[1, 2], activations=["softmax"], loss="cross_entropy",
                                      parameters={"W1": [[1000, -1000]]}, data={"X": [[1]], "Y": [[0, 1]]}),
                                  "error: data.X[1]: yhat[2]@1 is exactly 0 in float64"),
    "learning_rate_zero": (top(learning_rate=0), "error: learning_rate: 0.0 must be greater than 0"),
    "learning_rate_negative": (top(learning_rate=-0.1), "error: learning_rate: -0.1 must be greater than 0"),
    "steps_negative": (top(steps=-1), "error: steps: -1 must be a whole number of at least 0"),
    "steps_string": (top(steps="3"), "error: steps: '3' must be a whole number"),
    "exact_sigmoid": (top(numbers="exact", activations=["sigmoid", "identity"]), "error: activations[1]: sigmoid has irrational values"),
    "exact_cross_entropy": (top(numbers="exact", loss="binary_cross_entropy", activations=["relu", "sigmoid"]), "error: activations[2]: sigmoid"),
    "bad_reduction": (top(reduction="average"), "error: reduction: 'average' must be one of mean, sum"),
    "bad_init_field": (top(parameters=DELETE, init={"schema": "he"}), "error: init.schema: unknown field (did you mean 'scheme'"),
    "bad_init_scheme": (top(parameters=DELETE, init={"scheme": "glorot"}), "error: init.scheme: 'glorot' must be one of normal, xavier, he"),
    "unknown_parameter": (variant(parameters__W3=[[1]]), "error: parameters.W3: unknown field"),
    "custom_without_expression": (top(activations=["custom", "identity"]), "error: custom.expression: activation 'custom' needs"),
}


def write_spec(folder: Path, spec) -> Path:
    if isinstance(spec, tuple):
        suffix, text = spec
        path = folder / f"spec.{suffix}"
        path.write_text(text)
    else:
        path = folder / "spec.json"
        path.write_text(json.dumps(spec))
    return path


def snapshot(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in folder.iterdir()} if folder.exists() else {}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_gives_one_line_and_writes_nothing(case, tmp_path):
    spec, expected = CASES[case]
    path = write_spec(tmp_path, spec)
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("unchanged")
    before = snapshot(out)
    result = subprocess.run([sys.executable, "-m", "nnsteps", "derive", str(path)], capture_output=True, text=True, cwd=out)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert expected in lines[0], lines[0]
    assert snapshot(out) == before


def test_missing_file_and_unknown_builtin(tmp_path):
    for source, expected in ((str(tmp_path / "nope.toml"), "no such file and no built-in example"),
                             ("tutorail", "did you mean 'tutorial'?")):
        result = subprocess.run([sys.executable, "-m", "nnsteps", "derive", source], capture_output=True, text=True)
        assert result.returncode == 2 and expected in result.stderr, result.stderr


def test_unreadable_file(tmp_path):
    path = tmp_path / "binary.toml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    result = subprocess.run([sys.executable, "-m", "nnsteps", "derive", str(path)], capture_output=True, text=True)
    assert result.returncode == 2 and "error: spec: " in result.stderr and "cannot read" in result.stderr


def test_sample_out_of_range():
    result = subprocess.run([sys.executable, "-m", "nnsteps", "derive", "--sample", "5"], capture_output=True, text=True)
    assert result.returncode == 2 and result.stderr.strip() == "error: --sample: 5 is out of range 1..1"


def test_debug_shows_the_traceback():
    result = subprocess.run([sys.executable, "-m", "nnsteps", "--debug", "derive", "--sample", "5"], capture_output=True, text=True)
    assert result.returncode != 0 and "Traceback" in result.stderr
