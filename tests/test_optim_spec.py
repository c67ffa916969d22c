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
