"""The [dropout] and [batchnorm] contract: one-line errors naming the field, exact dropout, float-only batch norm."""

from __future__ import annotations

import copy
import subprocess
import sys

import numpy as np
import pytest
import sympy as sp

from nnsteps.derive.derivation import derive
from nnsteps.derive.errors import SpecError, UnsupportedError
from nnsteps.derive.layers import build_rows
from nnsteps.spec import spec_from_mapping

BASE = {
    "layers": [2, 3, 2, 1], "activations": ["relu", "relu", "identity"], "loss": "squared_error",
    "dropout": {"p": [0.5, 0.0], "masks": {"x1": [[1, 0, 1], [0, 1, 1]]}},
    "batchnorm": {"layers": [1], "eps": 1e-5, "momentum": 0.1},
    "parameters": {"W1": [[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]], "W2": [[0.7, -0.8], [0.9, 0.1], [-0.2, 0.3]],
                   "W3": [[0.5], [-0.4]], "gamma1": [1.0, 2.0, 0.5], "beta1": [0.0, 0.1, -0.1]},
    "data": {"X": [[1.0, 2.0], [0.5, -1.0]], "Y": [[1.0], [0.0]]},
}


NO_BATCHNORM = (("batchnorm", None), ("parameters.gamma1", None), ("parameters.beta1", None))


def with_changes(*changes) -> dict:
    mapping = copy.deepcopy(BASE)
    for path, value in changes:
        *parents, last = path.split(".")
        table = mapping
        for key in parents:
            table = table[key]
        if value is None:
            del table[last]
        else:
            table[last] = value
    return mapping


@pytest.mark.parametrize("changes, field, message", [
    ((("dropout.p", [0.5]),), "dropout.p", "1 given"),
    ((("dropout.p", [1.0, 0.0]),), "dropout.p[1]", "[0, 1)"),
    ((("dropout.masks", {"x1": [[1, 0, 1]]}),), "dropout.masks.x1", "needs 2 rows"),
    ((("dropout.masks", {"x1": [[1, 0, 2], [0, 1, 1]]}),), "dropout.masks.x1[1]", "0 (dropped) or 1"),
    ((("dropout.masks", {"x2": [[1, 0], [0, 1]], "x1": [[1, 0, 1], [0, 1, 1]]}),), "dropout.masks.x2", "no dropout"),
    ((("dropout.masks", {"h1": []}),), "dropout.masks.h1", "unknown field"),
    ((("dropout.masks", {"x1@s2": []}),), "dropout.masks.x1@s2", "x1@t2"),
    ((("steps", 2), ("dropout.masks.x1@t3", [[1, 0, 1], [0, 1, 1]])), "dropout.masks.x1@t3", "not a training step 1..2"),
    ((("steps", 2), ("dropout.masks.x1@t1", [[1, 0, 1], [0, 1, 1]])), "dropout.masks.x1@t1", "give its mask as x1"),
    ((("steps", 2), ("dropout.masks.x1@t2", [[1, 0, 1]])), "dropout.masks.x1@t2", "needs 2 rows"),
    ((("steps", 2), ("dropout.masks.x1@t2", [[1, 0], [1, 1]])), "dropout.masks.x1@t2", "of 3 entries"),
    ((("steps", 2), ("dropout.masks.x1@t2", [[1, 0, 1], [3, 1, 1]])), "dropout.masks.x1@t2[2]", "0 (dropped) or 1"),
    ((("steps", 2), ("dropout.masks.x2@t2", [[1, 0], [0, 1]])), "dropout.masks.x2@t2", "no dropout"),
    ((("steps", 2), ("batch_size", 1), ("dropout.masks.x1@t2", [[1, 0, 1], [0, 1, 1]]), *NO_BATCHNORM),
     "dropout.masks.x1@t2", "needs 1 row (one per sample of the step's batch)"),
    ((("dropout.seed", -1),), "dropout.seed", "at least 0"),
    ((("dropout.rate", 0.5),), "dropout.rate", "unknown field"),
    ((("batchnorm.layers", [1, 4]),), "batchnorm.layers[1]", "from 1 to 3"),
    ((("batchnorm.eps", 0),), "batchnorm.eps", "greater than 0"),
    ((("batchnorm.momentum", 1.5),), "batchnorm.momentum", "[0, 1]"),
    ((("parameters.gamma1", [1.0]),), "parameters.gamma1", "3 neurons"),
    ((("parameters.gamma2", [1.0, 1.0]),), "parameters.gamma2", "unknown field"),
    ((("data.X", [[1.0, 2.0]]), ("data.Y", [[1.0]]), ("dropout", None)), "batchnorm", "at least 2 samples"),
])
def test_bad_tables_name_their_field(changes, field, message):
    with pytest.raises(SpecError) as error:
        spec_from_mapping(with_changes(*changes))
    assert error.value.field == field and message in str(error.value) and "\n" not in str(error.value)


def test_batchnorm_refuses_exact_numbers():
    with pytest.raises(UnsupportedError, match="exact") as error:
        spec_from_mapping(with_changes(("numbers", "exact")))
    assert error.value.field == "batchnorm"


def test_cli_error_is_one_line_with_exit_code_2(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('layers = [2, 2, 1]\nactivations = ["relu", "identity"]\nloss = "squared_error"\n'
                    '[dropout]\np = [1.5]\n[init]\nseed = 1\n[data]\nX = [[1, 2]]\nY = [[1]]\n')
    result = subprocess.run([sys.executable, "-m", "nnsteps", "derive", str(path)], capture_output=True, text=True)
    assert result.returncode == 2 and result.stderr.strip() == "error: dropout.p[1]: 1.5 must lie in [0, 1) (the probability of dropping a neuron)"


def test_rows_are_inserted_in_order():
    rows = build_rows(spec_from_mapping(BASE))
    assert [(row.kind, row.layer) for row in rows.layers] == [
        ("dense", 1), ("batchnorm", 1), ("activation", 1), ("dropout", 1),
        ("dense", 2), ("activation", 2), ("dense", 3), ("activation", 3)]
    assert rows.parameters() == ("W1", "b1", "gamma1", "beta1", "W2", "b2", "W3", "b3")


def test_drawn_masks_come_from_the_seed():
    mapping = with_changes(("dropout.masks", None), ("dropout.seed", 7), *NO_BATCHNORM)
    spec = spec_from_mapping(mapping)
    keep = np.random.default_rng(7).random((2, 3)) >= 0.5
    assert spec.dropout.drawn == (1,) and np.array_equal(np.array(spec.dropout.mask(1), dtype=float), keep)
    assert spec_from_mapping(mapping) == spec  # the same seed draws the same mask


def test_exact_dropout_keeps_rationals_and_rescales_kept_neurons():
    mapping = with_changes(*NO_BATCHNORM, ("numbers", "exact"), ("dropout.p", [0.25, 0]))
    d = derive(spec_from_mapping(mapping))
    mask, before = d.forward.records[("mask", 1)], d.forward.records[("a", 1)]
    assert all(isinstance(v, sp.Rational) for v in np.ravel(d.backward.gradients["W1"]))
    # a kept neuron times 1/(1 - 1/4) = 4/3, a dropped one 0
    assert (d.forward.xs[1] == before * mask * sp.Rational(4, 3)).all()
    assert d.forward.xs[1][0, 1] == 0 and d.forward.xs[1][0, 0] == before[0, 0] * sp.Rational(4, 3)


def test_batchnorm_forward_normalizes_each_neuron_over_the_batch():
    d = derive(spec_from_mapping(BASE))
    records = d.forward.records
    z, zhat, u = d.forward.zs[1], records[("zhat", 1)], records[("u", 1)]
    np.testing.assert_allclose(records[("mu", 1)], z.mean(axis=0), atol=1e-15)
    np.testing.assert_allclose(records[("var", 1)], z.var(axis=0), atol=1e-15)  # biased (ddof 0)
    np.testing.assert_allclose(zhat, (z - z.mean(axis=0)) / np.sqrt(z.var(axis=0) + 1e-5), atol=1e-13)
    np.testing.assert_allclose(u, np.array([1.0, 2.0, 0.5]) * zhat + np.array([0.0, 0.1, -0.1]), atol=1e-13)
    payload = d.to_json()
    assert {"gamma1", "beta1"} <= set(payload["gradients"]) and {"gamma1", "beta1"} <= set(payload["updated"])
    assert set(payload["batchnorm"]["1"]) == {"mean", "variance", "zhat", "u", "running_mean", "running_variance"}


def test_gamma_and_beta_train_even_with_frozen_biases():
    d = derive(spec_from_mapping(with_changes(("update_biases", False),)))
    first, last = d.training.trajectory[0], d.training.trajectory[-1]
    assert (first["b1"] == last["b1"]).all() and not (first["beta1"] == last["beta1"]).all()


def test_exported_module_and_matrix_form_carry_both_rows():
    from nnsteps.spec import load_spec

    for name in ("dropout", "batchnorm"):
        d = derive(load_spec(name))
        params = {k: np.asarray(v, dtype=float) for k, v in d.params.items()}
        exported = d.gradient_function()(params, np.asarray(d.X, dtype=float), np.asarray(d.Y, dtype=float))
        assert set(exported) == set(d.backward.gradients)
        for key, value in exported.items():
            np.testing.assert_allclose(value, np.asarray(d.backward.gradients[key], dtype=float), rtol=0, atol=1e-12)
    kinds = {e.kind for e in derive(load_spec("batchnorm")).matrix_form()}
    assert {"batch_mean", "batch_variance", "normalized", "batchnorm_output", "batchnorm_delta",
            "gamma_gradient", "beta_gradient"} <= kinds
    assert {"dropout_output", "dropout_delta"} <= {e.kind for e in derive(load_spec("dropout")).matrix_form()}


def test_batch_coupling_sum_equals_the_closed_form():
    from nnsteps.derive.batch_coupling import batch_coupling
    from nnsteps.spec import load_spec

    d = derive(load_spec("batchnorm"))
    for k in (1, 2, 3):
        for s in (1, 2, 3):
            c = batch_coupling(d, 1, k, s)
            assert len(c.factors) == 3 and abs(c.total - c.closed_form) < 1e-12
            # the samples couple: every other sample's dJ/du contributes to this sample's delta
            assert all(f != 0 for f in c.factors)


def test_documents_show_the_sum_over_the_batch_and_the_masks():
    from nnsteps.pipeline import documents
    from nnsteps.spec import load_spec

    md = next(v for k, v in documents(derive(load_spec("batchnorm"))).items() if k.endswith(".md"))
    assert "as the sum over the 3 samples of the batch" in md and "Both give the same number" in md
    assert r"\gamma^{(1)}_{1}" in md  # the verification table names gamma
    md = next(v for k, v in documents(derive(load_spec("dropout"))).items() if k.endswith(".md"))
    assert "Inverted dropout with p = 0.5" in md and "Mask of sample 1 (as given)" in md
