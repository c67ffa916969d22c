"""The engine of rows: registries that raise on a miss, one loop that takes a new row kind (also one coupling the
samples of a batch), update rules with state, and mistakes that are rewrites of rows."""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

import numpy as np
import pytest

from nnsteps.derive import passes
from nnsteps.derive.derivation import derive
from nnsteps.derive.netspec import OptimizerSpec
from nnsteps.derive.layers import LAYERS, NetworkRows, build_rows, layer_class
from nnsteps.derive.layers.base import Layer
from nnsteps.derive.mistakes import MISTAKES, correct_recipe, problem_of
from nnsteps.derive.mistakes.recompute import HandKernels
from nnsteps.derive.optim import RULES, build_rule, rule_class
from nnsteps.derive.optim.base import UpdateRule
from nnsteps.derive.training import descend, update
from nnsteps.render.explain import UnknownKind
from nnsteps.render.explain.update import update_explainer
from nnsteps.spec import load_spec


def test_registries_raise_on_a_miss():
    assert set(LAYERS) == {"dense", "activation", "dropout", "batchnorm"}
    assert set(RULES) == {"sgd", "adagrad", "rmsprop", "adam", "adamw"}
    with pytest.raises(KeyError, match="no layer row of kind 'layernorm'"):
        layer_class("layernorm")
    with pytest.raises(KeyError, match="no update rule 'lion'"):
        rule_class("lion")
    with pytest.raises(UnknownKind, match="no explainer for the update rule 'lion'"):
        update_explainer("lion")


def test_rows_of_a_spec_in_forward_order():
    rows = build_rows(load_spec("tutorial"))
    assert [(row.kind, row.layer) for row in rows.layers] == [
        ("dense", 1), ("activation", 1), ("dense", 2), ("activation", 2), ("dense", 3), ("activation", 3)]
    assert rows.parameters() == ("W1", "b1", "W2", "b2", "W3", "b3")
    assert [row.output for row in rows.layers if row.kind == "activation"] == [False, False, True]


@dataclass(frozen=True)
class BatchCentering(Layer):
    """A test row whose derivative couples the samples: c = z - mean_s(z), so dJ/dz = g - mean_s(g)."""

    kind = "centering"

    def forward(self, run, z):
        centred = z - z.mean(axis=0, keepdims=True)
        return run.record("z", self.layer, centred)  # the activation after it reads z^(l)

    def backward(self, run, upstream):
        return upstream - upstream.mean(axis=0, keepdims=True)


def _cost(rows, params, X, Y, spec):
    run = passes.ArrayRun(HandKernels(spec), params, Y)
    return float(passes.cost(rows, run, passes.forward(rows, run, X))), run


def test_a_new_row_coupling_the_samples_runs_through_the_same_loop():
    spec = load_spec("xor-softmax")
    d = derive(spec)
    problem = problem_of(d)
    base = build_rows(spec)
    # dense 1 -> centering 1 -> activation 1 -> ...: one more row, no change to the loop
    rows = NetworkRows(base.layers[:1] + (BatchCentering(1),) + base.layers[1:], base.loss)
    params = {k: v.copy() for k, v in problem.params.items()}
    _, run = _cost(rows, params, problem.X, problem.Y, spec)
    passes.backward(rows, run)
    analytic = run.value("grad", "W1")
    h, numeric = 1e-6, np.zeros_like(params["W1"])
    for index in np.ndindex(params["W1"].shape):
        for sign in (1, -1):
            moved = {k: v.copy() for k, v in params.items()}
            moved["W1"][index] += sign * h
            numeric[index] += sign * _cost(rows, moved, problem.X, problem.Y, spec)[0] / (2 * h)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)
    # and the centering changed the gradient: it is not the plain network's
    assert not np.allclose(analytic, d.backward.gradients["W1"])


@dataclass(frozen=True)
class HeavyBall(UpdateRule):
    """A test rule with state: v_t = mu v_{t-1} + g_t, theta_t = theta_{t-1} - eta v_t."""

    name = "heavy_ball"
    mu: float = 0.9

    def state_names(self):
        return ("v",)

    def step(self, name, theta, gradient, state):
        velocity = self.mu * state.get("v", 0.0) + gradient
        return theta - self.rate * velocity, {"v": velocity}


def test_training_carries_a_rule_state_from_step_to_step():
    spec = load_spec("tutorial")
    d = derive(spec)
    params = {k: np.asarray(v, dtype=float) for k, v in d.params.items()}
    X, Y = np.asarray(d.X, dtype=float), np.asarray(d.Y, dtype=float)
    rule = HeavyBall(0.1)
    trajectory = list(descend(d.compiled.gradients, rule, params, X, Y, spec, steps=3))
    # by hand: v1 = g0, v2 = mu v1 + g1, v3 = mu v2 + g2
    expected, velocity = dict(params), {}
    for _ in range(3):
        grads = d.compiled.gradients(expected, X, Y)
        for name in expected:
            velocity[name] = 0.9 * velocity.get(name, 0.0) + grads[name]
            expected[name] = expected[name] - 0.1 * velocity[name]
    for name in params:
        np.testing.assert_allclose(trajectory[-1][name], expected[name], rtol=1e-12)


def test_sgd_row_is_the_derivation_training():
    d = derive(load_spec("tanh-sigmoid"))
    rule = build_rule(d.spec)
    assert rule.formulas()  # a SymPy formula for the worked update
    after, state = update(rule, d.params, d.backward.gradients, {}, lambda name: True)
    for name, value in after.items():
        np.testing.assert_array_equal(value, d.training.trajectory[1][name])
    assert state == {name: {} for name in after}


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m.name)
def test_every_mistake_is_a_rewrite_of_rows(mistake):
    examples = [load_spec(name) for name in ("tanh-sigmoid", "tutorial", "xor-softmax", "dropout", "batchnorm")]
    examples += [replace(spec, reduction="sum") for spec in examples]
    adam = load_spec("adam")  # issue 13: the rules, clipping and L2 bring their own mistakes
    examples += [adam, replace(adam, l2=Fraction(1, 10)), replace(adam, optimizer=OptimizerSpec("rmsprop"))]
    examples += [replace(adam, optimizer=OptimizerSpec(name, settings)) for name, settings in (
        ("adamw", (("weight_decay", Fraction(1, 2)),)), ("sgd", (("momentum", Fraction(9, 10)), ("nesterov", True))),
        ("sgd", (("momentum", Fraction(9, 10)), ("dampening", Fraction(1, 2)))))]
    spec = next(spec for spec in examples if mistake.applies(spec))
    correct = correct_recipe(spec)
    rewritten = mistake.rewrite(correct, lambda layer: True, spec)
    assert rewritten != correct  # it changes a row or the rule, nothing else
    assert [row.kind for row in rewritten.rows.layers] == [row.kind for row in correct.rows.layers]


@pytest.mark.parametrize("name", ["tutorial", "tanh-sigmoid", "xor-softmax", "chain"])
def test_exported_module_updates_with_the_spec_rule(name):
    from nnsteps.derive.codegen import compile_module
    from nnsteps.derive.training import batches

    d = derive(load_spec(name))
    module = compile_module(d)
    assert module.UPDATE_RULE == d.rule.name == "sgd"
    params = {k: np.asarray(v, dtype=float) for k, v in d.params.items()}
    X, Y = np.asarray(d.X, dtype=float), np.asarray(d.Y, dtype=float)
    rows = batches(len(X), d.spec.batch_size, 1)[0]
    after = module.step(params, X[rows], Y[rows])
    assert d.spec.steps >= 1
    for key in params:  # the first step of the derivation's own training
        np.testing.assert_allclose(after[key], np.asarray(d.training.trajectory[1][key], dtype=float),
                                   rtol=1e-12, atol=1e-15)
    frozen = module.update(params, {k: np.ones_like(v) for k, v in params.items()}, eta=0.5)
    for key in params:  # every weight moves by -eta g; a bias only when the spec trains the biases
        moved = key[0] == "W" or d.spec.update_biases
        np.testing.assert_array_equal(frozen[key], params[key] - 0.5 if moved else params[key])
