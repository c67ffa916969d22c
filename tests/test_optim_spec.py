"""The [optimizer], max_grad_norm and [regularization] contract: torch's names and defaults, one-line errors."""

from __future__ import annotations

import pytest

from nnsteps.derive.errors import SpecError, UnsupportedError
from nnsteps.derive.optim import RULES, build_rule, hyper_defaults
from nnsteps.spec import load_spec, spec_from_mapping

BASE = {"layers": [1, 1], "activations": ["identity"], "loss": "squared_error",
        "parameters": {"W1": [[0.5]], "b1": [0]}, "data": {"X": [[1]], "Y": [[2]]}}


def _spec(**extra):
    return spec_from_mapping(dict(BASE, **extra))


def test_torch_defaults():
    assert hyper_defaults(RULES["sgd"]) == {"momentum": 0, "dampening": 0, "nesterov": False, "weight_decay": 0}
    assert hyper_defaults(RULES["adagrad"]) == {"lr_decay": 0, "weight_decay": 0, "initial_accumulator_value": 0,
                                                "eps": 1e-10}
    assert hyper_defaults(RULES["rmsprop"]) == {"alpha": 0.99, "eps": 1e-8, "weight_decay": 0, "momentum": 0,
                                                "centered": False}
    assert hyper_defaults(RULES["adam"]) == {"betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0, "amsgrad": False}
    assert hyper_defaults(RULES["adamw"]) == {"betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.01,
                                              "amsgrad": False}


def test_no_optimizer_table_is_plain_gradient_descent():
    spec = load_spec("tutorial")
    assert spec.optimizer.name == "sgd" and spec.optimizer.settings == () and spec.max_grad_norm is None
    assert spec.l2 == 0 and build_rule(spec).state_names() == ()


def test_settings_reach_the_rule():
    rule = build_rule(_spec(optimizer={"name": "adam", "betas": [0.8, 0.9], "amsgrad": True}))
    assert rule.betas == (0.8, 0.9) and rule.amsgrad is True and rule.eps == 1e-8
    assert rule.state_names() == ("m", "v", "vmax")


@pytest.mark.parametrize("extra,field,message", [
    ({"optimizer": {"name": "adam", "momentum": 0.9}}, "optimizer.momentum", "adam has no hyper-parameter 'momentum'"),
    ({"optimizer": {"name": "sgd", "betas": [0.9, 0.99]}}, "optimizer.betas", "sgd has no hyper-parameter 'betas'"),
    ({"optimizer": {"name": "adma"}}, "optimizer.name", "unknown update rule 'adma'"),
    ({"optimizer": {"name": "adam", "betas": [0.9, 1.0]}}, "optimizer.betas", "entry 2"),
    ({"optimizer": {"name": "adam", "betas": [0.9]}}, "optimizer.betas", "list of 2 numbers"),
    ({"optimizer": {"name": "adam", "amsgrad": 1}}, "optimizer.amsgrad", "true or false"),
    ({"optimizer": {"name": "rmsprop", "eps": -1}}, "optimizer.eps", "at least 0"),
    ({"optimizer": {"name": "sgd", "nesterov": True}}, "optimizer.nesterov", "momentum > 0"),
    ({"optimizer": "adam"}, "optimizer", "must be a table"),
    ({"max_grad_norm": 0}, "max_grad_norm", "greater than 0"),
    ({"regularization": {"l2": -0.1}}, "regularization.l2", "at least 0"),
    ({"regularization": {"l1": 0.1}}, "regularization.l1", ""),
])
def test_bad_settings_name_the_field(extra, field, message):
    with pytest.raises(SpecError) as error:
        _spec(**extra)
    assert error.value.field == field and message in str(error.value) and "\n" not in str(error.value)


def test_exact_numbers_only_without_square_roots():
    for name in ("adagrad", "rmsprop", "adam", "adamw"):
        with pytest.raises(UnsupportedError, match="square root") as error:
            _spec(numbers="exact", optimizer={"name": name})
        assert error.value.field == "optimizer.name"
    with pytest.raises(UnsupportedError) as error:
        _spec(numbers="exact", max_grad_norm=1)
    assert error.value.field == "max_grad_norm"
    spec = _spec(numbers="exact", steps=3, optimizer={"name": "sgd", "momentum": 0.5, "nesterov": True},
                 regularization={"l2": 0.1})
    from nnsteps.derive.derivation import derive
    import sympy as sp

    assert isinstance(derive(spec).value("W1[1,1]@after"), sp.Rational)


ADAM_SPEC = dict(BASE, layers=[1, 2, 1], activations=["tanh", "identity"], steps=3, learning_rate=0.1,
                 max_grad_norm=0.5, optimizer={"name": "adam"}, regularization={"l2": 0.1},
                 parameters={"W1": [[0.5, -0.4]], "b1": [0.1, 0], "W2": [[0.3], [0.6]], "b2": [0]},
                 data={"X": [[1], [2]], "Y": [[2], [1]]})


def test_step_quantities_by_name_and_in_json():
    import math

    from nnsteps.derive.derivation import derive

    d = derive(spec_from_mapping(ADAM_SPEC))
    record = d.training.steps[0]
    g = record.gradients["W2"][0, 0] * record.clipping.coefficient
    m = 0.1 * g  # m_1 = (1 - beta1) g_1
    assert d.value("m_W2[1,1]@t1") == pytest.approx(m, rel=1e-14)
    assert d.value("mhat_W2[1,1]@t1") == pytest.approx(g, rel=1e-12)  # m_1 / (1 - 0.9) = g_1
    assert d.value("vhat_W2[1,1]@t1") == pytest.approx(g * g, rel=1e-10)
    step = 0.1 * g / (abs(g) + 1e-8)
    assert d.value("W2[1,1]@t1") == pytest.approx(0.3 - step, rel=1e-14)
    assert d.value("W2[1,1]@t3") == d.value("W2[1,1]@after")
    norm = math.sqrt(sum(float((v ** 2).sum()) for v in record.gradients.values()))
    assert d.value("gnorm@t1") == pytest.approx(norm, rel=1e-14)
    assert d.value("clip@t1") == pytest.approx(min(1, 0.5 / (norm + 1e-6)), rel=1e-14)
    with pytest.raises(UnsupportedError, match="adam keeps m, v, mhat, vhat"):
        d.value("buf_W2[1,1]@t1")
    document = d.to_json()
    assert document["optimizer"]["name"] == "adam" and document["optimizer"]["betas"] == [0.9, 0.999]
    assert len(document["steps"]) == 3 and len(document["history"]) == 4
    assert document["steps"][0]["state"]["W2"]["mhat"][0][0] == d.value("mhat_W2[1,1]@t1")
    assert document["steps"][1]["grad_norm"] == d.value("gnorm@t2")
    assert document["steps"][2]["params"] == document["updated"]
    # the L2 term is in J_total: the history's first entry is J + (lambda/2) sum ||W||^2
    plain = derive(spec_from_mapping({k: v for k, v in ADAM_SPEC.items() if k != "regularization"}))
    assert d.training.history[0] == pytest.approx(plain.training.history[0] + 0.05 * (0.25 + 0.16 + 0.09 + 0.36))


def test_plain_specs_keep_their_json():
    from nnsteps.derive.derivation import derive

    document = derive(load_spec("tutorial")).to_json()
    assert "steps" not in document and "optimizer" not in document


def test_spec_writer_keeps_the_training_tables():
    from nnsteps.spec_writer import spec_to_mapping, to_toml
    from nnsteps.input_text import parse_toml

    spec = spec_from_mapping(ADAM_SPEC)
    again = spec_from_mapping(parse_toml(to_toml(spec_to_mapping(spec)), "written", "spec"))
    assert (again.optimizer, again.max_grad_norm, again.l2) == (spec.optimizer, spec.max_grad_norm, spec.l2)
    assert "optimizer" not in spec_to_mapping(load_spec("tutorial"))


def test_exercises_ask_for_optimizer_states():
    from nnsteps.derive.names import ask_pattern
    from nnsteps.exercises import all_quantities

    spec = spec_from_mapping(ADAM_SPEC)
    names = {q.name for q in all_quantities(spec)}
    pattern = ask_pattern("mhat_W2[*,1]@t*")
    assert {n for n in names if pattern.match(n)} == {f"mhat_W2[{i},1]@t{t}" for i in (1, 2) for t in (1, 2, 3)}
    assert "gnorm@t3" in names and "buf_W2[1,1]@t1" not in names
    assert not any("@t" in q.name for q in all_quantities(load_spec("tutorial")))
