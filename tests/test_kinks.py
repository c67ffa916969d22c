"""The cross-check excuses a finite-difference disagreement as a kink only where a receptor meets a corner."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnsteps.derive import reference
from nnsteps.derive.derivation import derive
from nnsteps.derive.errors import NumericalError, UnsupportedError
from nnsteps.derive.kinks import corner_functions
from nnsteps.spec import spec_from_mapping

# Sample 1 is x = (1, 0.125). Receptor z_11 = 0.5 - 4 * 0.125 + 0 = 0 exactly (at the corner); receptor
# z_12 = 0.25 - 2 * 0.125 + 0.0006 = 0.0006, within the step: moving W1[1,2] or b1[2] by 2h = 0.002 crosses 0,
# moving W1[2,2] (= -2, so h = 0.002) moves it by only 0.125 * 0.004 = 0.0005 < 0.0006. Sample 2 is far from 0.
X = [[1, 0.125], [0.5, 0.25]]
NEAR = {"W1": [[0.5, 0.25], [-4, -2]], "b1": [0, 0.0006], "W2": [[0.7], [0.4]], "b2": [0.1]}


def _network(activations, parameters=NEAR, X=X, expression=None, alpha=0.01):
    mapping = {"layers": [2, 2, 1], "activations": activations, "loss": "squared_error", "alpha": alpha,
               "parameters": parameters, "data": {"X": X, "Y": [[1], [0]]}}
    if expression is not None:
        mapping["custom"] = {"expression": expression}
    return spec_from_mapping(mapping)


def _kinks(checks) -> set:
    return {(c.name, c.index) for c in checks if c.status == "kink"}


def _crossing_first_layer(parameters, X, corner=0.0) -> set:
    """Independently: the first-layer parameters whose stencil theta +- 2h moves some receptor z_ik across `corner`."""
    X, W, b = np.asarray(X, float), np.asarray(parameters["W1"], float), np.asarray(parameters["b1"], float)
    Z = X @ W + b - corner
    found = set()
    for (j, k), w in np.ndenumerate(W):  # dz_ik / dW_jk = x_ij: z moves by up to 2h |x_ij|
        if np.any(np.abs(Z[:, k]) <= 2e-3 * max(1.0, abs(w)) * np.abs(X[:, j])):
            found.add(("W1", (j, k)))
    for k, value in enumerate(b):  # dz_ik / db_k = 1
        if np.any(np.abs(Z[:, k]) <= 2e-3 * max(1.0, abs(value))):
            found.add(("b1", (k,)))
    return found


@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
def test_a_receptor_at_or_near_zero_is_a_kink_for_exactly_the_parameters_whose_stencil_crosses_it(activation):
    checks = derive(_network([activation, "identity"])).checks
    expected = {("W1", (0, 0)), ("W1", (1, 0)), ("b1", (0,)), ("W1", (0, 1)), ("b1", (1,))}
    assert _crossing_first_layer(NEAR, X) == expected  # the hand count above
    assert _kinks(checks) == expected
    assert all(c.status == "ok" for c in checks if (c.name, c.index) not in expected)
    assert reference.kinks_crossed(_network([activation, "identity"]), _arrays(NEAR), np.asarray(X, float),
                                   "W1", (0, 0)) == ((1, 1, 1),)  # layer 1, sample 1, neuron 1 (1-based)


def _arrays(parameters) -> dict:
    return {name: np.asarray(value, dtype=float) for name, value in parameters.items()}


def _off_by(monkeypatch, spec, name, index, amount):
    """Both gradients wrong by the same amount (so they agree with each other), the finite differences right."""
    d = derive(spec, check=False)
    symbolic = {k: np.array(v, dtype=float) for k, v in d.backward.gradients.items()}
    symbolic[name][index] += amount
    real = reference.reference_gradients

    def off(*args):
        result = real(*args)
        result[name][index] += amount
        return result

    monkeypatch.setattr(reference, "reference_gradients", off)
    return lambda: reference.cross_check(spec, symbolic, d.params, d.X, d.Y)


FAR = {"W1": [[0.5, 0.25], [0.3, -0.2]], "b1": [0.1, 0.2], "W2": [[0.7], [0.4]], "b2": [0.1]}  # every |z| >= 0.2


@pytest.mark.parametrize("activations", [["relu", "identity"], ["leaky_relu", "relu"], ["custom", "identity"]])
def test_a_disagreement_with_no_receptor_near_a_corner_fails(monkeypatch, activations):
    spec = _network(activations, FAR, expression="max(z, 0.2*z)")
    assert all(c.status == "ok" for c in derive(spec).checks)
    check = _off_by(monkeypatch, spec, "W1", (1, 0), 1e-3)
    with pytest.raises(NumericalError, match=r"^gradients\.W1: entry \[2,1\]: symbolic \S+ but finite differences "
                                             r"\S+ \(a difference of -0\.001; -0\.001 with a step 4 times smaller\), "
                                             r"and no receptor meets a kink of its activation within the step$"):
        check()


def test_a_corner_elsewhere_in_the_network_does_not_excuse_a_parameter_that_does_not_move_it(monkeypatch):
    spec = _network(["relu", "identity"])  # z_11 sits at 0, but W2 does not move any ReLU receptor
    check = _off_by(monkeypatch, spec, "W2", (1, 0), 1e-3)
    with pytest.raises(NumericalError, match=r"^gradients\.W2: entry \[2,1\]: .* \(a difference of -0\.001;"):
        check()
    assert reference.kinks_crossed(spec, _arrays(NEAR), np.asarray(X, float), "W2", (1, 0)) == ()


@pytest.mark.parametrize("expression, corner, centred_disagrees", [
    ("abs(z)", 0.0, False), ("max(z, 0.2*z)", 0.0, True), ("min(z, 0.5)", 0.5, True),
    ("tanh(z) + abs(z - 0.5)", 0.5, True),
])
def test_custom_activations_have_kinks_where_their_pieces_meet(expression, corner, centred_disagrees):
    parameters = {**NEAR, "b1": [corner, 0.0006 + corner]}  # the same receptors, moved onto the corner
    checks = derive(_network(["custom", "identity"], parameters, expression=expression)).checks
    crossing = _crossing_first_layer(parameters, X, corner)
    near = {("W1", (0, 1)), ("b1", (1,))}  # the stencils that move z_12 = corner + 0.0006 across the corner
    at = {("W1", (0, 0)), ("W1", (1, 0)), ("b1", (0,))}  # the stencils centred on z_11 = corner
    assert crossing == near | at
    # Centred exactly on the V of a bare abs(z), the neuron's output is |t| - even in the shift t - and the central
    # stencil sees only the odd part of the cost: it measures the symbolic value sign(0) = 0, nothing to excuse.
    # Slopes 1 and 0.2 (or 1 and 0), or a V added to tanh (|t| times the odd tanh part in the squared error), disagree.
    assert _kinks(checks) == (near | at if centred_disagrees else near)
    assert all(c.status == "ok" for c in checks if (c.name, c.index) not in _kinks(checks))


def test_corner_functions_are_rows_and_a_missing_row_is_refused():
    spec = _network(["custom", "identity"], FAR, expression="z / (1 + abs(z)) + max(z, 1, 2*z)")
    z = np.array([-1.0, 0.0, 0.5, 1.0])
    zeros = {float(z[k]) for g in corner_functions("custom", spec)(z) for k in np.nonzero(g == 0)[0]}
    assert zeros == {0.0, 0.5, 1.0}  # abs(z) at 0; max(1, z, 2 z): z = 2 z at 0, 1 = 2 z at 0.5, 1 = z at 1
    assert corner_functions("tanh", spec)(z) == ()
    assert [tuple(g) for g in corner_functions("relu", spec)(z)] == [tuple(z)]
    with pytest.raises(UnsupportedError, match="elu"):
        corner_functions("elu", spec)


def test_a_smooth_disagreement_from_a_coarse_step_is_remeasured_with_a_smaller_one():
    # a'(z) reaches 45 at 0: the five-point error at h = 1e-3 is 6e-3 on b1[1], past the tolerance 4.8e-4; at h/2
    # it is 16 times smaller (O(h^4)). No corner anywhere, so this is a step too coarse, not a wrong gradient.
    spec = spec_from_mapping({"layers": [2, 3, 1], "activations": "custom", "loss": "squared_error",
                              "custom": {"expression": "+".join(f"tanh({k}*z)" for k in range(1, 10))},
                              "init": {"seed": 3}, "data": {"X": [[0.3, -0.2], [0.1, 0.4]], "Y": [[0.5], [-0.1]]}})
    d = derive(spec, check=False)
    params = _arrays(d.params)
    coarse = reference.finite_differences(spec, params, d.X, d.Y, [("b1", (0,))])[("b1", (0,))]
    finer = reference.finite_differences(spec, params, d.X, d.Y, [("b1", (0,))], shrink=2)[("b1", (0,))]
    symbolic = float(d.backward.gradients["b1"][0])
    assert abs(coarse - symbolic) > 1e-3 and 10 < abs(coarse - symbolic) / abs(finer - symbolic) < 20
    assert reference.kinks_crossed(spec, params, np.asarray(d.X, float), "b1", (0,)) == ()
    check = next(c for c in derive(spec).checks if (c.name, c.index) == ("b1", (0,)))
    assert check.status == "ok" and check.finite_difference == finer


# -- Hypothesis: a "kink" verdict always has a receptor within the stencil of 0 ----------------------------------------

GRID = st.sampled_from([-1, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75, 1])  # exact sums: receptors often exactly 0
BIAS = st.sampled_from([0, 0.25, -0.25, 0.0005, -0.0015, 0.5])


@st.composite
def kinky_networks(draw):
    depth = draw(st.integers(1, 3))
    widths = [draw(st.integers(1, 3)) for _ in range(depth + 1)]
    hidden = st.sampled_from(["relu", "leaky_relu"])
    activations = [draw(hidden) for _ in range(depth - 1)] + [draw(st.sampled_from(["relu", "leaky_relu", "identity"]))]
    parameters = {}
    for l in range(1, depth + 1):
        parameters[f"W{l}"] = [[draw(GRID) for _ in range(widths[l])] for _ in range(widths[l - 1])]
        parameters[f"b{l}"] = [draw(BIAS) for _ in range(widths[l])]
    n = draw(st.integers(1, 3))
    return spec_from_mapping({
        "layers": widths, "activations": activations, "loss": "squared_error",
        "alpha": draw(st.sampled_from([0.01, 0.5])), "parameters": parameters,
        "data": {"X": [[draw(GRID) for _ in range(widths[0])] for _ in range(n)],
                 "Y": [[draw(GRID) for _ in range(widths[-1])] for _ in range(n)]},
    })


def _receptors(spec, params, X):
    """The test's own forward pass: the receptors of every ReLU or leaky ReLU layer."""
    x, found = X, []
    alpha = float(spec.alpha)
    for l, name in enumerate(spec.activations, start=1):
        z = x @ params[f"W{l}"] + params[f"b{l}"]
        if name != "identity":
            found.append(z)
        x = np.maximum(z, 0.0) if name == "relu" else np.where(z > 0, z, alpha * z) if name != "identity" else z
    return found


def _meets_zero(spec, params, X, name, index) -> bool:
    """Does some ReLU receptor reach 0 as params[name][index] sweeps theta - 2h .. theta + 2h (161 points)?"""
    base = params[name][index]
    h = 1e-3 * max(1.0, abs(base))
    paths = []
    for t in np.linspace(-2 * h, 2 * h, 161):
        moved = {k: v.copy() for k, v in params.items()}
        moved[name][index] = base + t
        paths.append(_receptors(spec, moved, X))
    for layer in range(len(paths[0])):
        path = np.stack([p[layer] for p in paths])  # (161, samples, neurons)
        moving = np.ptp(path, axis=0) > 0
        crossing = (path.min(axis=0) <= 1e-12) & (path.max(axis=0) >= -1e-12)
        if np.any(moving & crossing):
            return True
    return False


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kinky_networks())
def test_every_kink_verdict_has_a_receptor_within_the_stencil_of_zero(spec):
    d = derive(spec)  # a disagreement that no corner explains would raise NumericalError
    params = {k: np.asarray(v, dtype=float) for k, v in d.params.items()}
    X = np.asarray(d.X, dtype=float)
    for check in d.checks:
        if check.status == "kink":
            assert _meets_zero(spec, params, X, check.name, check.index), check
