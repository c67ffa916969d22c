"""`nnsteps exercises`: the [exercise] table, nice deterministic draws, answer keys that `check` accepts, manifests."""

import csv
import json

import numpy as np
import pytest

from nnsteps.cli import main
from nnsteps.derive.errors import SpecError
from nnsteps.exercises import DEFAULT, draw_variant, exercise_from_mapping, is_nice, questions
from nnsteps.spec import load_spec, spec_from_mapping

SPEC = """
title = "Exercise network"
layers = [2, 2, 1]
activations = ["relu", "identity"]
loss = "squared_error"
learning_rate = 0.1

[parameters]
W1 = [[0.1, 0.2], [0.3, 0.4]]
W2 = [[0.5], [0.6]]

[data]
X = [[1, 2], [3, 4]]
Y = [[1], [2]]

[exercise]
weights = [-0.9, 0.9]
biases = "keep"
inputs = [-3, 3]
targets = [0, 2]
decimals = 1
data_decimals = 0
margin = 0.1
ask = ["z1[*]", "x1[*]", "yhat[1]@*", "J", "dW*[*,*]", "W2[*,1]@after"]
"""


@pytest.fixture
def spec_file(tmp_path):
    path = tmp_path / "net.toml"
    path.write_text(SPEC)
    return path


def _run(*args):
    return main(["exercises", *map(str, args), "--no-progress"])


def test_exercise_table_is_parsed_and_validated(spec_file):
    spec = load_spec(spec_file)
    assert spec.exercise.biases is None and spec.exercise.data_decimals == 0 and spec.exercise.targets[1] == 2
    names = [q.name for q in questions(spec, spec.exercise)]
    assert names[:4] == ["z1[1]@1", "z1[2]@1", "x1[1]@1", "x1[2]@1"]
    assert "yhat[1]@2" in names and "J" in names and names[-1] == "W2[2,1]@after"
    for table, field in (({"weights": [1, -1]}, "exercise.weights"), ({"decimals": 9}, "exercise.decimals"),
                         ({"targets": "many"}, "exercise.targets"), ({"colour": 1}, "exercise.colour"),
                         ({"weights": [-0.01, 0.01]}, "exercise.weights")):
        with pytest.raises(SpecError) as error:
            exercise_from_mapping(table)
        assert error.value.field == field
    with pytest.raises(SpecError, match=r"exercise\.ask\[1\]"):
        questions(spec, exercise_from_mapping({"ask": ["z7[*]"]}))


def test_draws_are_deterministic_nice_and_distinct():
    spec = load_spec("tutorial")
    first = draw_variant(spec, DEFAULT, 5, 1)
    assert first == draw_variant(spec, DEFAULT, 5, 1)
    assert first != draw_variant(spec, DEFAULT, 5, 2) and first != draw_variant(spec, DEFAULT, 6, 1)
    for variant in range(1, 30):
        drawn = draw_variant(spec, DEFAULT, 5, variant)
        assert is_nice(drawn, DEFAULT)
        for matrix in drawn.weights:
            assert all(v != 0 and (v * 10).denominator == 1 for row in matrix for v in row)  # one decimal, nonzero
        X, W1, b1 = np.array(drawn.X, float), np.array(drawn.weights[0], float), np.array(drawn.biases[0], float)
        assert np.abs(X @ W1 + b1).min() >= 0.05  # ReLU receptors away from the kink


def test_files_are_deterministic_for_a_seed(spec_file, tmp_path):
    assert _run(spec_file, "--count", 3, "--seed", 11, "-o", tmp_path / "a", "--jobs", 2, "--format", "md") == 0
    assert _run(spec_file, "--count", 3, "--seed", 11, "-o", tmp_path / "b", "--jobs", 1, "--format", "md") == 0
    assert _run(spec_file, "--count", 3, "--seed", 12, "-o", tmp_path / "c", "--jobs", 1, "--format", "md") == 0
    for name in ("teacher/v001/spec.toml", "teacher/v003/answers.toml", "student/v002/exercise.md",
                 "student/v002/answers.toml", "teacher/v002/solution.md", "teacher/manifest.csv"):
        assert (tmp_path / "a" / name).read_text() == (tmp_path / "b" / name).read_text()
    assert (tmp_path / "a/teacher/v001/answers.toml").read_text() != (tmp_path / "c/teacher/v001/answers.toml").read_text()
    assert (tmp_path / "a/teacher/v001/spec.toml").read_text() != (tmp_path / "a/teacher/v002/spec.toml").read_text()


@pytest.mark.parametrize("network", ["tutorial", "xor-softmax", "chain", "SPEC", "dropout", "batchnorm"])
def test_each_key_passes_check_and_a_perturbed_key_fails(network, spec_file, tmp_path, capsys):
    source = spec_file if network == "SPEC" else network
    out = tmp_path / "out"
    assert _run(source, "--count", 3, "--seed", 1, "-o", out, "--jobs", 1, "--format", "md") == 0
    for variant in ("v001", "v002", "v003"):
        assert main(["check", str(out / "teacher" / variant / "spec.toml"), str(out / "teacher" / variant / "answers.toml")]) == 0
    key = (out / "teacher/v002/answers.toml").read_text().splitlines()
    line = next(i for i, text in enumerate(key) if text.startswith('"') and "yhat" in text or text.startswith('"x'))
    name, value = key[line].split(" = ")
    number = value.strip('"')
    key[line] = f'{name} = "{number}1"' if "/" in number else f"{name} = {float(number) + 0.5}"
    perturbed = tmp_path / "perturbed.toml"
    perturbed.write_text("\n".join(key) + "\n")
    capsys.readouterr()
    assert main(["check", str(out / "teacher/v002/spec.toml"), str(perturbed)]) == 1
    assert "first wrong step" in capsys.readouterr().out


def test_manifests(spec_file, tmp_path):
    out = tmp_path / "out"
    assert _run(spec_file, "--count", 4, "--seed", 2, "-o", out, "--jobs", 2, "--format", "md") == 0
    rows = list(csv.DictReader((out / "teacher/manifest.csv").open()))
    assert [r["variant"] for r in rows] == ["1", "2", "3", "4"] and rows[0]["answers"] == "teacher/v001/answers.toml"
    document = json.loads((out / "teacher/manifest.json").read_text())
    assert document["count"] == 4 and document["seed"] == 2
    assert set(document["variants"][0]["key"]) >= {"z1[1]", "J", "W2[2,1]@after"}
    for row in rows:
        for column in ("spec", "exercise", "blank", "solution", "answers"):
            assert (out / row[column]).is_file()


def test_exit_codes(spec_file, tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(SPEC.replace('ask = ["z1[*]"', 'ask = ["z9[*]"'))
    assert _run(bad, "--count", 2, "-o", tmp_path / "x") == 2
    assert "exercise.ask[1]" in capsys.readouterr().err
    wrong = tmp_path / "wrong.toml"
    wrong.write_text(SPEC.replace("margin = 0.1", "margin = -1"))
    assert _run(wrong, "--count", 2, "-o", tmp_path / "y") == 2
    with pytest.raises(SystemExit) as exit_:
        _run(spec_file, "--count", 0)
    assert exit_.value.code == 2


def test_impossible_margin_is_reported(tmp_path):
    path = tmp_path / "tight.toml"
    path.write_text(SPEC.replace("margin = 0.1", "margin = 100"))
    assert _run(path, "--count", 1, "-o", tmp_path / "z", "--jobs", 1) == 2


def test_cross_entropy_targets_are_one_hot():
    spec = load_spec("xor-softmax")
    for variant in range(1, 6):
        drawn = draw_variant(spec, DEFAULT, 0, variant)
        assert all(sorted(row) == [0, 1] for row in drawn.Y)
    with pytest.raises(SpecError, match="one-hot"):
        draw_variant(spec, exercise_from_mapping({"targets": [0, 1]}), 0, 1)


def test_spec_without_exercise_keeps_none():
    assert load_spec("tutorial").exercise is None
    spec = spec_from_mapping({"layers": [1, 1], "activations": ["identity"], "loss": "squared_error",
                              "parameters": {"W1": [[1]]}, "data": {"X": [[1]], "Y": [[1]]}, "exercise": {"decimals": 2}})
    assert spec.exercise.decimals == 2
