"""Exercises asking for training steps: which answers can be short decimals (read from the rules' formulas), draws
that make them short, and the sheet's note; checked against exact rational arithmetic."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import pytest
import sympy as sp

from nnsteps.cli import main
from nnsteps.derive.derivation import derive
from nnsteps.derive.netspec import OptimizerSpec
from nnsteps.derive.optim import build_rule
from nnsteps.derive.optim.decimals import finite_decimal, polynomial_network, short_decimals
from nnsteps.derive.optim.sgd import SGD
from nnsteps.exercises import answer_key, draw_variant, questions
from nnsteps.spec import spec_from_mapping
from nnsteps.step_numbers import SHORT_DIGITS, significant_digits, split_steps

NETWORK = {
    "layers": [2, 2, 1], "activations": ["relu", "identity"], "loss": "squared_error", "half": True,
    "reduction": "mean", "learning_rate": 0.1, "steps": 2,
    "parameters": {"W1": [[0.5, -0.3], [0.2, 0.4]], "b1": [0.1, -0.1], "W2": [[0.7], [-0.6]], "b2": [0.05]},
    "data": {"X": [[1, 0], [0, 1]], "Y": [[1], [0]]},
}
ADAM_ASK = ["m_W2[*,*]@t1", "v_W2[1,1]@t1", "mhat_W2[1,1]@t1", "vhat_W2[1,1]@t1", "mhat_W2[1,1]@t2", "W2[1,1]@t1"]


def _spec(optimizer: dict, ask=None, **changes):
    mapping = dict(NETWORK, optimizer=optimizer, **changes)
    if ask:
        mapping["exercise"] = {"ask": ask}
    return spec_from_mapping(mapping, default_name="steps")


def _table(optimizer: dict, steps: int = 2, **changes) -> dict:
    spec = _spec(optimizer, **changes)
    return short_decimals(build_rule(spec), steps, polynomial_network(spec, spec.n_samples))


def test_finite_decimals_and_significant_digits():
    assert finite_decimal(Fraction(3, 40)) and finite_decimal(7) and not finite_decimal(Fraction(1, 3))
    assert [significant_digits(v) for v in (0.0000144, 120.0, 0.1 + 0.2, -2.5, 0.0)] == [3, 2, 1, 2, 0]
    assert significant_digits(1 / 3) > SHORT_DIGITS and significant_digits(2 ** 0.5) > SHORT_DIGITS


def test_the_table_follows_the_formulas():
    momentum = _table({"name": "sgd", "momentum": 0.9, "nesterov": True}, 3)
    assert all(momentum[(name, t)] for name in ("g", "buf", "theta") for t in (1, 2, 3))
    adam = _table({"name": "adam"})
    assert adam[("m", 1)] and adam[("v", 1)] and adam[("mhat", 1)] and adam[("vhat", 1)]  # 1 - 0.9 = 0.1
    assert not adam[("theta", 1)]  # sqrt(v-hat) + eps
    assert not adam[("g", 2)] and not adam[("m", 2)] and not adam[("mhat", 2)]  # the gradient at theta_1
    assert not _table({"name": "adam", "amsgrad": True})[("vhat", 1)]  # max(v, v_max): not a polynomial
    rmsprop = _table({"name": "rmsprop", "momentum": 0.5})
    assert rmsprop[("v", 1)] and not rmsprop[("buf", 1)]
    assert not any(_table({"name": "sgd", "momentum": 0.9}, activations=["sigmoid", "identity"]).get(("buf", t))
                   for t in (1, 2))  # exp in the network: no gradient is a finite decimal
    assert not _table({"name": "sgd", "momentum": 0.9}, data={"X": [[1, 0], [0, 1], [1, 1]],
                                                            "Y": [[1], [0], [1]]})[("g", 1)]  # a mean over 3


def test_momentum_states_are_exact_decimals_in_exact_arithmetic():
    spec = _spec({"name": "sgd", "momentum": 0.9}, numbers="exact")
    d = derive(spec)
    for record in d.training.steps:
        for name, state in record.state.items():
            for value in sp.Matrix(state["buf"]):
                assert finite_decimal(Fraction(int(value.p), int(value.q))), (name, record.step, value)


def test_adam_draws_make_the_short_answers_short_and_the_sheet_says_which_cannot_be(tmp_path):
    spec = _spec({"name": "adam"}, ADAM_ASK)
    asked = questions(spec, spec.exercise)
    short, never = split_steps(spec, asked)
    assert [q.name for q in never] == ["W2[1,1]@t1", "mhat_W2[1,1]@t2"]
    for variant in (1, 2, 3):
        drawn = draw_variant(spec, spec.exercise, 7, variant)
        assert drawn == draw_variant(spec, spec.exercise, 7, variant)
        key = answer_key(derive(drawn), questions(drawn, spec.exercise))
        for q in short:
            value = float(key[q.name])
            assert value != 0 and significant_digits(value) <= SHORT_DIGITS, (variant, q.name, value)
        # m-hat = m / (1 - 0.9) and v-hat = v / (1 - 0.999) at step 1, exactly
        g = Fraction(key["m_W2[1,1]@t1"]) * 10
        assert Fraction(key["mhat_W2[1,1]@t1"]) == g and Fraction(key["vhat_W2[1,1]@t1"]) == g * g
    folder = tmp_path / "spec.toml"
    folder.write_text(_toml(spec))
    assert main(["exercises", str(folder), "--count", "1", "--format", "html", "--jobs", "1", "--no-progress",
                 "-o", str(tmp_path / "pack")]) == 0
    sheet = next((tmp_path / "pack").rglob("exercise.html")).read_text()
    assert "<strong>Training steps:</strong> m_W2[1,1]@t1, m_W2[2,1]@t1" in sheet
    assert "W2[1,1]@t1, mhat_W2[1,1]@t2: not short decimals" in sheet


def _toml(spec) -> str:
    from nnsteps.spec_writer import spec_to_mapping, to_toml

    return to_toml(spec_to_mapping(dataclasses.replace(spec, exercise=None))) + \
        "\n[exercise]\nask = [" + ", ".join(f'"{a}"' for a in ADAM_ASK) + "]\n"


def test_sgd_momentum_steps_a_scalar():
    rule = SGD(0.1, momentum=0.9)
    theta, state = rule.step("w", 1.0, 0.5, {})
    assert state["buf"] == 0.5 and theta == pytest.approx(0.95)
    assert rule.step("w", theta, 0.5, state)[1]["buf"] == pytest.approx(0.95)
    assert OptimizerSpec("sgd", ()).name == "sgd"
