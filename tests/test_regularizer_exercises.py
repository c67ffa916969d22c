"""Exercises on dropout and batch-norm networks: the masks on the sheet (redrawn per variant), batch-norm questions
(batch statistics, zhat, the gamma/beta gradients, dJ/du) whose keys match NumPy and `check`, specs written back whole."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from nnsteps.cli import main
from nnsteps.derive.derivation import derive
from nnsteps.exercises import DEFAULT, draw_variant, questions
from nnsteps.spec import load_spec, spec_from_mapping
from nnsteps.spec_writer import spec_to_mapping, to_toml


def test_variants_redraw_the_masks_and_keep_a_neuron_in_every_row():
    spec = load_spec("dropout")
    masks = set()
    for variant in range(1, 9):
        drawn = draw_variant(spec, DEFAULT, 3, variant)
        mask = drawn.dropout.mask(1)
        assert all(any(row) for row in mask) and all(v in (0, 1) for row in mask for v in row)
        masks.add(mask)
        assert spec_from_mapping(tomllib.loads(to_toml(spec_to_mapping(drawn)), parse_float=Decimal)) == drawn
    assert len(masks) > 1  # not the example's mask every time


def test_the_sheet_shows_the_masks_and_the_key_passes_check(tmp_path):
    out = tmp_path / "pack"
    assert main(["exercises", "dropout", "--count", "2", "--seed", "4", "-o", str(out), "--jobs", "1",
                 "--format", "md", "--no-progress", "--questions", "all"]) == 0
    for variant in ("v001", "v002"):
        spec = load_spec(out / "teacher" / variant / "spec.toml")
        rows = r" \\ ".join(" & ".join(str(int(v)) for v in row) for row in spec.dropout.mask(1))
        assert rows in (out / "student" / variant / "exercise.md").read_text()
        key = (out / "teacher" / variant / "answers.toml").read_text()
        assert '"a1[1]"' in key and '"da1[1]"' in key  # the output before dropout and its gradient are asked
        assert main(["check", str(out / "teacher" / variant / "spec.toml"),
                     str(out / "teacher" / variant / "answers.toml")]) == 0


def test_batchnorm_questions_match_numpy_and_check(tmp_path):
    out = tmp_path / "pack"
    assert main(["exercises", "batchnorm", "--count", "2", "--seed", "2", "-o", str(out), "--jobs", "1",
                 "--format", "md", "--no-progress", "--questions", "short", "du1[*]@*", "u1[*]@*"]) == 0
    for variant in ("v001", "v002"):
        spec = load_spec(out / "teacher" / variant / "spec.toml")
        key = tomllib.loads((out / "teacher" / variant / "answers.toml").read_text())["answers"]
        for name in ("mu1[1]", "var1[1]", "zhat1[1]", "dgamma1[1]", "dbeta1[1]", "du1[2]@3", "u1[3]@2"):
            assert name in key, name
        # the batch statistics by NumPy from the variant's own numbers
        X, W1, b1 = (np.array(v, dtype=float) for v in (spec.X, spec.weights[0], spec.biases[0]))
        z = X @ W1 + b1
        eps = float(spec.batchnorm.eps)
        zhat = (z - z.mean(axis=0)) / np.sqrt(z.var(axis=0) + eps)
        gamma, beta = np.array(dict(spec.batchnorm.gamma)[1], float), np.array(dict(spec.batchnorm.beta)[1], float)
        assert abs(float(key["mu1[1]"]) - z[:, 0].mean()) < 1e-9
        assert abs(float(key["var1[1]"]) - z[:, 0].var()) < 1e-9
        assert abs(float(key["zhat1[1]"]) - zhat[0, 0]) < 1e-9
        assert abs(float(key["u1[3]@2"]) - (gamma[2] * zhat[1, 2] + beta[2])) < 1e-9
        assert main(["check", str(out / "teacher" / variant / "spec.toml"),
                     str(out / "teacher" / variant / "answers.toml")]) == 0


def test_batchnorm_groups_cover_the_new_quantities():
    spec = load_spec("batchnorm")
    names = {q.name for q in questions(spec, DEFAULT, ask=("forward", "backward", "gradients", "update"))}
    assert {"mu1[2]", "var1[3]", "zhat1[1]@1", "u1[2]@1", "du1[1]@1", "dgamma1[1]", "dbeta1[3]",
            "gamma1[1]@after", "beta1[2]@after"} <= names
    order = [q.name for q in questions(spec, DEFAULT, ask=("backward",))]
    assert order.index("du1[1]@1") < order.index("delta1[1]@1")  # dJ/du before dJ/dz through batch norm


@pytest.mark.parametrize("samples", [2, 4])
def test_batchnorm_packs_over_two_to_four_samples(samples, tmp_path):
    """A ReLU layer after batch norm: variants keep u (the activation's input) off the kink; check accepts every key."""
    text = (Path(__file__).parents[1] / "nnsteps/examples/batchnorm.toml").read_text()
    rows = [[1.0, 2.0], [0.5, -1.0], [-1.5, 0.5], [0.0, 1.0]][:samples]
    text = text.replace("X = [[1.0, 2.0], [0.5, -1.0], [-1.5, 0.5]]", f"X = {rows}")
    text = text.replace("Y = [[1.0], [-0.5], [0.25]]", f"Y = {[[1.0], [-0.5], [0.25], [0.0]][:samples]}")
    path = tmp_path / "bn.toml"
    path.write_text(text.replace('activations = ["tanh", "identity"]', 'activations = ["relu", "identity"]'))
    out = tmp_path / "pack"
    assert main(["exercises", str(path), "--count", "2", "--seed", "5", "-o", str(out), "--jobs", "1",
                 "--format", "md", "--no-progress", "--questions", "all"]) == 0
    for variant in ("v001", "v002"):
        spec = load_spec(out / "teacher" / variant / "spec.toml")
        assert spec.n_samples == samples
        d = derive(spec)
        assert np.abs(np.asarray(d.forward.records[("u", 1)], dtype=float)).min() >= float(DEFAULT.margin)
        assert main(["check", str(out / "teacher" / variant / "spec.toml"),
                     str(out / "teacher" / variant / "answers.toml")]) == 0
