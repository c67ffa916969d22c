"""Hypothesis: on random networks, symbolic gradients = independent NumPy backprop = finite differences."""

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from nnsteps.derive.derivation import derive
from nnsteps.derive.reference import finite_differences
from nnsteps.spec import spec_from_mapping

HIDDEN = ["identity", "relu", "leaky_relu", "sigmoid", "tanh", "softplus"]
KINKED = {"relu", "leaky_relu"}
SMALL = st.integers(-90, 90).map(lambda v: v / 100)  # two decimals, as a person would write them


@st.composite
def networks(draw):
    depth = draw(st.integers(1, 4))
    loss = draw(st.sampled_from(["squared_error", "cross_entropy", "binary_cross_entropy"]))
    widths = [draw(st.integers(1, 3)) for _ in range(depth + 1)]
    if loss == "squared_error":
        output = draw(st.sampled_from(HIDDEN + ["softmax"]))
    elif loss == "cross_entropy":
        output = draw(st.sampled_from(["softmax", "sigmoid"]))
    else:
        output = "sigmoid"
    if output == "softmax":
        widths[-1] = max(widths[-1], 2)
    activations = [draw(st.sampled_from(HIDDEN)) for _ in range(depth - 1)] + [output]
    n = draw(st.integers(1, 3))
    X = [[draw(SMALL) * 3 for _ in range(widths[0])] for _ in range(n)]
    if loss == "cross_entropy":
        Y = []
        for _ in range(n):
            hot = draw(st.integers(0, widths[-1] - 1))
            Y.append([1 if k == hot else 0 for k in range(widths[-1])])
    elif loss == "binary_cross_entropy":
        Y = [[draw(st.sampled_from([0, 0.25, 1])) for _ in range(widths[-1])] for _ in range(n)]
    else:
        Y = [[draw(SMALL) for _ in range(widths[-1])] for _ in range(n)]
    parameters = {}
    for l in range(1, depth + 1):
        parameters[f"W{l}"] = [[draw(SMALL) for _ in range(widths[l])] for _ in range(widths[l - 1])]
        parameters[f"b{l}"] = [draw(SMALL) / 3 for _ in range(widths[l])]
    return spec_from_mapping({
        "layers": widths, "activations": activations, "loss": loss,
        "half": draw(st.booleans()), "reduction": draw(st.sampled_from(["mean", "sum"])),
        "learning_rate": 0.1, "parameters": parameters, "data": {"X": X, "Y": Y},
    })


def _far_from_kinks(d) -> bool:
    # finite differences straddling a ReLU corner measure neither one-sided slope
    for l, name in enumerate(d.spec.activations, start=1):
        if name in KINKED and np.abs(d.forward.zs[l]).min() < 0.05:
            return False
    return True


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_symbolic_gradients_match_backprop_and_finite_differences(spec):
    d = derive(spec, check=False)
    assume(_far_from_kinks(d))
    checks = derive(spec).checks  # raises NumericalError on any disagreement
    params = {k: np.asarray(v, dtype=float) for k, v in d.params.items()}
    entries = [(c.name, c.index) for c in checks]
    fd = finite_differences(spec, params, d.X, d.Y, entries)
    scale = max(1.0, max(abs(c.backprop) for c in checks))
    for check in checks:
        assert abs(check.symbolic - check.backprop) <= 1e-10 * scale
        assert abs(check.symbolic - fd[(check.name, check.index)]) <= 1e-8 * scale, (check, fd[(check.name, check.index)])
        assert check.status == "ok"


@settings(max_examples=40, deadline=None)
@given(networks())
def test_compiled_gradient_function_matches_the_derivation(spec):
    d = derive(spec, check=False)
    grads = d.gradient_function()(d.params, d.X, d.Y)
    for name, value in d.backward.gradients.items():
        np.testing.assert_allclose(grads[name], value, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("layers", [[16, 32, 32, 10]])
def test_large_network_derives_per_layer(layers):
    spec = spec_from_mapping({"layers": layers, "activations": ["relu", "tanh", "softmax"], "loss": "cross_entropy",
                              "init": {"scheme": "he", "seed": 3},
                              "data": {"X": [[0.1 * k for k in range(16)]], "Y": [[1] + [0] * 9]}})
    d = derive(spec)
    assert len(d.all_gradients()) == spec.n_parameters
    assert sum(c.status == "ok" for c in d.checks) >= 400
