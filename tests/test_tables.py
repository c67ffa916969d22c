"""Each activation and loss row: SymPy derivative = hand-written NumPy derivative = finite differences."""

import numpy as np
import pytest
import sympy as sp

from nnsteps.derive.activations import ACTIVATIONS
from nnsteps.derive.backprop import _calculus
from nnsteps.derive.losses import LOSSES
from nnsteps.derive.model import GENERIC_Z
from nnsteps.spec import spec_from_mapping

SPEC = spec_from_mapping({
    "layers": [1, 1], "activations": ["identity"], "loss": "squared_error", "alpha": 0.05,
    "custom": {"expression": "z / (1 + abs(z))"},
    "parameters": {"W1": [[1]]}, "data": {"X": [[1]], "Y": [[1]]},
})
POINTS = np.array([[-2.3, -0.7, -0.01, 0.02, 0.5, 1.9, 3.1]])
ELEMENTWISE = [name for name, row in ACTIVATIONS.items() if not row.vector]


def central(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_activation_row_derivative_agrees_three_ways(name):
    row = ACTIVATIONS[name]
    form = row.form(GENERIC_Z, SPEC)
    numpy_value = row.numpy(POINTS, SPEC)
    sympy_value = sp.lambdify(GENERIC_Z, form, "numpy")(POINTS) + 0 * POINTS
    np.testing.assert_allclose(sympy_value, numpy_value, rtol=1e-12, atol=1e-12)
    derivative = sp.lambdify(GENERIC_Z, _calculus(form).activation_derivative, "numpy")(POINTS) + 0 * POINTS
    by_hand = row.numpy_backward(POINTS, numpy_value, np.ones_like(POINTS), SPEC)
    by_difference = central(lambda z: row.numpy(z, SPEC), POINTS)
    np.testing.assert_allclose(derivative, by_hand, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(derivative, by_difference, rtol=1e-6, atol=1e-8)


def test_readable_derivatives_in_terms_of_the_output():
    a = sp.Symbol("a", real=True)
    sigmoid = _calculus(ACTIVATIONS["sigmoid"].form(GENERIC_Z, SPEC)).derivative_in_output
    tanh = _calculus(ACTIVATIONS["tanh"].form(GENERIC_Z, SPEC)).derivative_in_output
    assert sp.expand(sigmoid - a * (1 - a)) == 0
    assert sp.expand(tanh - (1 - a**2)) == 0
    relu = _calculus(ACTIVATIONS["relu"].form(GENERIC_Z, SPEC)).activation_derivative
    assert isinstance(relu, sp.Piecewise) and not relu.has(sp.Heaviside)
    assert relu.subs(GENERIC_Z, 0) == 0 and relu.subs(GENERIC_Z, 2) == 1


def test_softmax_jacobian_agrees_with_finite_differences():
    row = ACTIVATIONS["softmax"]
    zs = sp.symbols("z1:4", real=True)
    forms = row.form(list(zs), SPEC)
    point = np.array([[0.3, -1.2, 0.8]])
    x = row.numpy(point, SPEC)
    for k in range(3):
        upstream = np.zeros_like(point)
        upstream[0, k] = 1.0  # row k of the Jacobian: d x_k / d z_m
        by_hand = row.numpy_backward(point, x, upstream, SPEC)
        symbolic = [float(sp.diff(forms[k], zs[m]).subs(dict(zip(zs, point[0])))) for m in range(3)]
        for m in range(3):
            step = np.zeros_like(point)
            step[0, m] = 1e-6
            difference = (row.numpy(point + step, SPEC) - row.numpy(point - step, SPEC))[0, k] / 2e-6
            assert symbolic[m] == pytest.approx(by_hand[0, m], abs=1e-10)
            assert symbolic[m] == pytest.approx(difference, abs=1e-8)


@pytest.mark.parametrize("name", list(LOSSES))
@pytest.mark.parametrize("half", [True, False])
def test_loss_row_gradient_agrees_three_ways(name, half):
    row = LOSSES[name]
    spec = spec_from_mapping({"layers": [1, 1], "activations": ["identity"], "loss": "squared_error", "half": half,
                              "parameters": {"W1": [[1]]}, "data": {"X": [[1]], "Y": [[1]]}})
    yhat = np.array([[0.2, 0.7, 0.1]])
    y = np.array([[0.0, 1.0, 0.0]])
    ps, ts = sp.symbols("p1:4", positive=True), sp.symbols("t1:4", real=True)
    form = row.form(list(ps), list(ts), spec)
    values = {**dict(zip(ps, yhat[0])), **dict(zip(ts, y[0]))}
    assert float(form.subs(values)) == pytest.approx(row.numpy(yhat, y, spec)[0], rel=1e-12)
    by_hand = row.numpy_gradient(yhat, y, spec)[0]
    for k in range(3):
        step = np.zeros_like(yhat)
        step[0, k] = 1e-6
        difference = (row.numpy(yhat + step, y, spec) - row.numpy(yhat - step, y, spec))[0] / 2e-6
        symbolic = float(sp.diff(form, ps[k]).subs(values))
        assert symbolic == pytest.approx(by_hand[k], rel=1e-12, abs=1e-12)
        assert symbolic == pytest.approx(difference, rel=1e-6, abs=1e-8)
