"""Every catalogued mistake is reproduced and named on a network where it changes the number."""

from decimal import Decimal

import pytest

from nnsteps.answers import answers_from_mapping
from nnsteps.derive.derivation import derive
from nnsteps.derive.grading import grade
from nnsteps.derive.mistakes import CATALOGUE, MISTAKES, STEP_KINDS, lookup, problem_of, recompute
from nnsteps.derive.names import parse_quantity
from nnsteps.spec import load_spec, spec_from_mapping

# z^(1) = 1*1 - 1 = 0 exactly: ReLU'(0) decides whether the gradient reaches W1
RELU_AT_ZERO = {
    "name": "relu-at-zero", "layers": [1, 1, 1], "activations": ["relu", "identity"], "loss": "squared_error",
    "parameters": {"W1": [[1]], "b1": [-1], "W2": [[0.5]], "b2": [0.25]},
    "data": {"X": [[1]], "Y": [[2]]},
}



def _trained(name, optimizer, **extra):
    """A 2-2-1 network trained 3 steps on mini-batches of 2 by a rule of derive/optim/."""
    return {"name": name, "layers": [2, 2, 1], "activations": ["tanh", "sigmoid"], "loss": "squared_error",
            "learning_rate": 0.1, "steps": 3, "batch_size": 2, "optimizer": optimizer,
            "parameters": {"W1": [[0.5, -0.3], [0.2, 0.4]], "b1": [0.1, -0.1], "W2": [[0.7], [-0.6]], "b2": [0.05]},
            "data": {"X": [[1, 0], [0, 1], [1, 1]], "Y": [[1], [0], [1]]}, **extra}


ADAM = _trained("adam", {"name": "adam"})
ADAM_EPS = _trained("adam-eps", {"name": "adam", "eps": 0.01})
ADAMW = _trained("adamw", {"name": "adamw", "weight_decay": 0.5})
DAMPENED = _trained("dampened", {"name": "sgd", "momentum": 0.9, "dampening": 0.5})
NESTEROV = _trained("nesterov", {"name": "sgd", "momentum": 0.9, "nesterov": True}, learning_rate=5)
RMSPROP = _trained("rmsprop", {"name": "rmsprop"})
CLIPPED_L2 = _trained("clipped-l2", {"name": "sgd"}, max_grad_norm=0.05, regularization={"l2": 0.5})

# mistake -> (network, quantity whose number the mistake changes)
CASES = {
    "activation_derivative_omitted": ("tutorial", "delta1[1]"),
    "loss_gradient_sign": ("tutorial", "dx3[1]"),
    "reduction_dropped": ("tanh-sigmoid", "dW2[1,1]"),
    "reduction_doubled": ("tanh-sigmoid", "db2[1]"),
    "reduction_added": ("xor-softmax", "dW2[1,1]"),
    "half_dropped": ("tutorial", "J"),
    "half_doubled": ("tutorial", "dx3[1]"),
    "z_for_x": ("tanh-sigmoid", "z2[1]@3"),
    "weight_indices_swapped": ("tanh-sigmoid", "z1[2]"),
    "updated_weights_in_backward": ("xor-softmax", "delta1[1]@3"),
    "wrong_layer_x": ("tanh-sigmoid", "dW2[1,1]"),
    "softmax_elementwise": ("xor-softmax", "delta2[2]@2"),
    "sigmoid_derivative_one_minus_z": ("xor-softmax", "delta1[2]"),
    "derivative_from_z": ("tanh-sigmoid", "delta1[1]"),
    "relu_derivative_at_zero": (RELU_AT_ZERO, "dW1[1,1]"),
    "update_sign": ("tutorial", "W3[2,1]@after"),
    "activation_not_applied": ("tutorial", "x1[1]"),
    "activation_applied_twice": ("tanh-sigmoid", "x1[1]"),
    "wrong_activation": ("tanh-sigmoid", "x1[1]"),
    "bias_left_out": ("tanh-sigmoid", "z1[1]"),
    "weight_indices_swapped_in_one_sum": ("tanh-sigmoid", "z1[1]"),
    "bias_correction_omitted": (ADAM, "W2[1,1]@t1"),
    "bias_correction_power_off_by_one": (ADAM, "mhat_W2[1,1]@t2"),
    "eps_inside_sqrt": (ADAM_EPS, "W2[2,1]@t1"),
    "momentum_buffer_starts_at_zero": (DAMPENED, "buf_W2[1,1]@t1"),
    "nesterov_as_momentum": (NESTEROV, "W2[1,1]@t1"),
    "weight_decay_coupled_in_adamw": (ADAMW, "W2[1,1]@t2"),
    "rmsprop_squared_gradient_missing": (RMSPROP, "W2[1,1]@t1"),
    "clip_per_parameter": (CLIPPED_L2, "W1[1,1]@t1"),
    "l2_on_biases": (CLIPPED_L2, "db1[1]"),
    "l2_half_dropped": (CLIPPED_L2, "J"),
    "dropout_not_rescaled": ("dropout", "x1[1]@1"),
    "dropout_mask_ignored_in_backward": ("dropout", "dW1[1,2]"),
    "batchnorm_unbiased_variance": ("batchnorm", "zhat1[1]@1"),
    "batchnorm_batch_coupling_ignored": ("batchnorm", "delta1[1]@1"),
    "batchnorm_eps_outside_sqrt": ("batchnorm", "u1[1]@1"),
}

_DERIVATIONS = {}


def _derivation(network):
    key = network if isinstance(network, str) else network["name"]
    if key not in _DERIVATIONS:
        spec = load_spec(network) if isinstance(network, str) else spec_from_mapping(network)
        _DERIVATIONS[key] = derive(spec)
    return _DERIVATIONS[key]


def test_every_row_has_a_case():
    assert set(CASES) == set(CATALOGUE) and len(CATALOGUE) == len(MISTAKES)


def test_rows_are_data():
    for row in MISTAKES:
        assert row.name and row.description and row.affects
        assert set(row.affects) <= {"z", "x", "yhat", "J", "dx", "delta", "dW", "db", "W", "b",
                                    # dropout and batch norm (issue 14)
                                    "a", "zhat", "var", "u", "du", "da", "dgamma", "dbeta", "gamma", "beta"} | set(STEP_KINDS)


@pytest.mark.parametrize("name", list(CASES))
def test_mistake_is_reproduced_and_named(name):
    network, quantity = CASES[name]
    d = _derivation(network)
    row = CATALOGUE[name]
    assert row.applies(d.spec)
    q = parse_quantity(quantity, d.spec)
    true = float(d.quantity_value(q))
    mistaken = lookup(row.recompute(problem_of(d)), q, d.spec.depth)
    assert abs(mistaken - true) > 1e-3 * max(abs(true), 1e-6), "the mistake must change the number"
    written = Decimal(f"{mistaken:.6g}")
    answers = answers_from_mapping({"answers": {quantity: written}}, d.spec)
    graded = grade(d, answers).rows[0]
    assert not graded.right and graded.first_wrong and not graded.carried
    assert name in [diagnosis.name for diagnosis in graded.diagnoses]


def test_no_twist_reproduces_the_derivation():
    for network in ("tutorial", "xor-softmax", "tanh-sigmoid", "chain"):
        d = _derivation(network)
        values = recompute(problem_of(d))
        for name in ("J", "yhat[1]@1", "delta1[1]@1", "dW1[1,1]", "b1[1]@after"):
            q = parse_quantity(name, d.spec)
            assert lookup(values, q, d.spec.depth) == pytest.approx(float(d.quantity_value(q)), rel=1e-12, abs=1e-15)


def test_mistake_at_one_step_is_found_given_their_earlier_numbers():
    # delta2 right, delta1 computed without ReLU' from those: found by applying the mistake at layer 1 only
    d = _derivation("tutorial")
    row = CATALOGUE["activation_derivative_omitted"]
    local = row.recompute(problem_of(d), layers=frozenset({1}))
    value = lookup(local, parse_quantity("delta1[1]", d.spec), 3)
    answers = answers_from_mapping({"answers": {"delta2[2]": Decimal("-7.90988"), "delta1[1]": Decimal(f"{value:.5g}")}}, d.spec)
    rows = grade(d, answers).rows
    assert rows[0].right and not rows[1].right
    assert "activation_derivative_omitted" in [x.name for x in rows[1].diagnoses]
