"""The built-in examples reproduce the reference tutorials' numbers."""

import json
import subprocess
import sys

import pytest
import sympy as sp

import nnsteps


@pytest.fixture(scope="module")
def tutorial():
    return nnsteps.Network.from_file("tutorial").derive()


def test_tutorial_001_example_1(tutorial):
    d = tutorial
    assert [d.value(f"z1[{k}]") for k in (1, 2, 3)] == pytest.approx([-0.314, 0.818, -0.417], abs=1e-12)
    assert [d.value(f"z2[{k}]") for k in (1, 2)] == pytest.approx([-0.07362, 0.02454], abs=1e-12)
    assert d.value("z3[1]") == pytest.approx(0.0017178, abs=1e-12)
    assert d.value("dW3[2,1]") == pytest.approx(-2.77298, abs=1e-5)
    assert d.value("J") == pytest.approx(6384.306, abs=1e-3)
    # one gradient-descent step with learning rate 0.001
    assert d.value("W3[2,1]@after") == pytest.approx(0.07 + 0.001 * 2.77298, abs=1e-6)
    assert all(c.status == "ok" for c in d.checks) and len(d.checks) == d.spec.n_parameters


def test_tutorial_gradient_formulas(tutorial):
    d, net = tutorial, tutorial.net
    assert d.gradient("W3[2,1]") == net.delta(3, 1) * net.x(2, 2)
    assert d.gradient("b2[1]") == net.delta(2, 1)
    assert d.delta(3, 1) == net.x(3, 1) - net.y(1)  # identity output, half squared error
    paths = d.paths("W1[2,2]")
    assert len(paths) == 2  # through z2_1 and z2_2, then the single output
    total = sum(d.evaluate(p.form) for p in paths)
    assert total == pytest.approx(d.value("dW1[2,2]"), rel=1e-12)
    assert [f.kind for f in paths[0].factors] == ["dJ/dx", "dx/dz", "dz/dx", "dx/dz", "dz/dx", "dx/dz", "dz/dw"]


def test_tutorial_000_xor_softmax_forward_and_output_delta():
    d = nnsteps.Network.from_file("xor-softmax").derive()
    assert [d.value("yhat[1]@1"), d.value("yhat[2]@1")] == pytest.approx([0.42387, 0.57613], abs=1e-5)
    # dZ2 = A2 - Y: SymPy simplifies softmax + cross-entropy
    for k in (1, 2):
        assert d.delta(2, k) == d.net.x(2, k) - d.net.y(k)
        for s in range(1, 5):
            assert d.value(f"delta2[{k}]@{s}") == pytest.approx(d.value(f"yhat[{k}]@{s}") - d.value(f"y[{k}]@{s}"), abs=1e-14)
    kinds = [e.kind for e in d.matrix_form()]
    assert kinds[:5] == ["receptor", "neuron", "receptor", "neuron", "output_delta"]
    assert str(d.matrix_form()[4].rhs) == "X2 - Y"


def test_sigmoid_binary_cross_entropy_simplifies():
    net = nnsteps.Network(layers=[2, 1], activations=["sigmoid"], loss="binary_cross_entropy",
                          parameters={"W1": [[0.5], [-0.25]]}, data={"X": [[1, 2]], "Y": [[1]]})
    d = net.derive()
    assert d.delta(1, 1) == d.net.x(1, 1) - d.net.y(1)


def test_chain_is_exact_in_rationals():
    d = nnsteps.Network.from_file("chain").derive()
    assert d.exact
    assert d.value("z1[1]@1") == sp.Rational(17, 20)  # 0.5 * 1.5 + 0.1
    assert isinstance(d.value("dW1[1,1]"), sp.Rational)
    # mean over the two samples of the per-sample gradients delta1 * x0
    per_sample = [d.value(f"delta1[1]@{s}") * d.value(f"x0[1]@{s}") for s in (1, 2)]
    assert d.value("dW1[1,1]") == sum(per_sample) / 2
    assert d.gradient("W1[1,1]", expand=True).free_symbols == {d.net.w(2, 1, 1), d.net.x(0, 1), d.net.b(2, 1),
                                                               d.net.w(1, 1, 1), d.net.b(1, 1), d.net.y(1)}


def test_tutorial_exact_mode_gives_rationals():
    spec = nnsteps.load_spec("tutorial")
    from dataclasses import replace

    d = nnsteps.Network(replace(spec, numbers="exact")).derive()
    assert d.value("z1[1]") == sp.Rational(-157, 500)
    assert d.value("z3[1]") == sp.Rational(17178, 10**7)
    assert d.value("dW3[2,1]") == (sp.Rational(17178, 10**7) - 113) * sp.Rational(2454, 10**5)


def test_cli_derive_json_shape():
    out = subprocess.run([sys.executable, "-m", "nnsteps", "derive", "tutorial", "--json"],
                         capture_output=True, text=True, check=True).stdout
    data = json.loads(out)
    assert list(data) == ["layers", "activations", "loss", "cost", "samples", "gradients", "updated", "history"]
    assert data["layers"] == [2, 3, 2, 1] and data["activations"] == ["relu", "relu", "identity"]
    assert data["cost"] == pytest.approx(6384.306, abs=1e-3)
    assert list(data["samples"][0]) == ["x", "z", "delta"]
    assert data["samples"][0]["z"]["1"] == pytest.approx([-0.314, 0.818, -0.417])
    assert len(data["history"]) == 2 and data["history"][0] == data["cost"]
    assert data["gradients"]["W3"][1][0] == pytest.approx(-2.77298, abs=1e-5)


def test_cli_derive_table_and_examples():
    table = subprocess.run([sys.executable, "-m", "nnsteps", "derive"], capture_output=True, text=True, check=True).stdout
    for text in ("z1[1]@1  -0.314", "z3[1]@1  0.0017178", "dW3[2,1]  -2.77298"):
        assert text in table
    listing = subprocess.run([sys.executable, "-m", "nnsteps", "examples"], capture_output=True, text=True, check=True).stdout
    assert {"tutorial", "xor-softmax", "chain", "tanh-sigmoid"} <= {line.split()[0] for line in listing.splitlines()}


def test_cli_error_is_one_line_with_exit_code_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('layers = [2, 2]\nactivations = ["relu"]\nloss = "squared_error"\n'
                   '[parameters]\nW1 = [[1, 2, 3], [4, 5, 6]]\n[data]\nX = [[1, 2]]\nY = [[1, 2]]\n')
    result = subprocess.run([sys.executable, "-m", "nnsteps", "derive", str(bad)], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip() == "error: parameters.W1: shape 2x3, but layers [2, 2] need 2x2"
