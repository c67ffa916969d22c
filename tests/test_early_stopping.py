"""Early stopping: nnsteps' histories and stop step against an independent NumPy oracle (its own training loop and its
own patience bookkeeping), Hypothesis over patience and min_delta, exact rationals, the errors, train, JSON, torch."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from nnsteps.commands.train import gradient_descent
from nnsteps.derive.derivation import derive
from nnsteps.derive.early_stopping import EarlyStopping, check
from nnsteps.derive.torch_export import torch_script
from nnsteps.spec import builtin_text, load_spec, spec_from_mapping
from nnsteps.input_text import parse_toml

EXAMPLE = parse_toml(builtin_text("early-stopping"), "early-stopping", "spec")


def _mapping(**changes) -> dict:
    """The built-in example as a plain mapping (floats), with some fields changed."""
    plain = json.loads(json.dumps(EXAMPLE, default=float))
    for key, value in changes.items():
        if key in ("X_val", "Y_val", "X", "Y"):
            plain["data"][key] = value
        elif value is None:
            plain.pop(key, None)
        else:
            plain[key] = value
    return plain


# -- the oracle: a 1-hidden-layer network trained by full-batch gradient descent, written from the formulas -------------
def _oracle(mapping: dict, exact: bool = False) -> dict:
    """J = 1/n sum_s 1/2 ||yhat_s - y_s||^2, x1 = a(X W1 + b1), yhat = x1 W2 + b2; theta <- theta - eta dJ/dtheta;
    V_t = J on the validation samples after step t; stop when `patience` steps in a row bring no V_t below
    best - min_delta. The hidden activation is tanh (float) or the identity (exact)."""
    number = Fraction if exact else float
    as_array = lambda rows: np.array([[number(v) for v in row] for row in rows], dtype=object if exact else float)  # noqa
    p = mapping["parameters"]
    W1, b1, W2, b2 = (as_array(p["W1"]), as_array([p["b1"]])[0], as_array(p["W2"]), as_array([p["b2"]])[0])
    data = mapping["data"]
    X, Y, Xv, Yv = (as_array(data[k]) for k in ("X", "Y", "X_val", "Y_val"))
    act = (lambda z: z) if exact else np.tanh
    slope = (lambda x: np.ones_like(x)) if exact else (lambda x: 1 - x * x)
    eta = number(mapping["learning_rate"])

    def cost(X, Y):
        out = act(X @ W1 + b1) @ W2 + b2
        return sum(sum((o - y) * (o - y) for o, y in zip(row_o, row_y)) for row_o, row_y in zip(out, Y)) / (2 * len(X))

    rule = mapping.get("early_stopping")
    patience = rule["patience"] if rule else None
    min_delta = number(rule.get("min_delta", 0)) if rule else 0
    history, history_val = [cost(X, Y)], [cost(Xv, Yv)]
    best_index, stopped_at = None, None  # index into history_val of the best counted cost
    for t in range(1, mapping["steps"] + 1):
        hidden = act(X @ W1 + b1)
        d2 = (hidden @ W2 + b2 - Y) / len(X)  # dJ/dyhat
        d1 = (d2 @ W2.T) * slope(hidden)
        W1, b1, W2, b2 = W1 - eta * (X.T @ d1), b1 - eta * d1.sum(axis=0), W2 - eta * (hidden.T @ d2), b2 - eta * d2.sum(axis=0)
        history.append(cost(X, Y))
        history_val.append(cost(Xv, Yv))
        if best_index is None or history_val[t] < history_val[best_index] - min_delta:
            best_index = t
        if patience is not None and t - best_index >= patience:  # the steps since the best one all failed
            stopped_at = t
            break
    return {"history": history, "history_val": history_val, "stopped_at": stopped_at, "best_step": best_index,
            "W2": W2}


def _compare(mapping: dict, exact: bool = False) -> tuple:
    d = derive(spec_from_mapping(mapping), check=False)
    expected = _oracle(mapping, exact)
    assert d.training.stopped_at == expected["stopped_at"]
    assert d.training.best_step == expected["best_step"]
    if exact:
        assert list(d.training.history) == expected["history"] and list(d.training.history_val) == expected["history_val"]
    else:
        np.testing.assert_allclose(np.asarray(d.training.history, dtype=float), expected["history"], rtol=1e-12)
        np.testing.assert_allclose(np.asarray(d.training.history_val, dtype=float), expected["history_val"], rtol=1e-12)
    np.testing.assert_allclose(np.asarray(d.training.trajectory[-1]["W2"], dtype=float),
                               np.asarray(expected["W2"], dtype=float), rtol=1e-12)
    return d, expected


def test_the_example_stops_early_as_the_oracle_does():
    d, expected = _compare(_mapping())
    assert d.training.stopped_at == 10 < d.spec.steps and d.training.best_step == 7
    assert len(d.training.trajectory) == 11 and len(d.training.history_val) == 11  # the parameters of the last step
    # step 8's cost is lower than step 7's, but by less than min_delta: not an improvement
    assert d.training.history_val[7] - float(d.spec.early_stopping.min_delta) < d.training.history_val[8] < \
        d.training.history_val[7]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(patience=st.integers(1, 6), min_delta=st.sampled_from([0, 1e-5, 1e-4, 0.0005, 0.001, 0.003, 0.01, 0.05]),
       rate=st.sampled_from([0.05, 0.15, 0.4]), steps=st.integers(1, 30))
def test_patience_and_min_delta_against_the_oracle(patience, min_delta, rate, steps):
    _compare(_mapping(early_stopping={"patience": patience, "min_delta": min_delta}, learning_rate=rate, steps=steps))


def _reference_rule(costs, patience, min_delta):
    """The rule over a sequence of validation costs, written as Lightning's callback keeps its state."""
    best, best_step, wait = math.inf, None, 0
    for t, value in enumerate(costs, start=1):
        if value - (-min_delta) < best:  # Lightning: monitor_op(current - min_delta, best), min_delta negated for "min"
            best, best_step, wait = value, t, 0
        else:
            wait += 1
            if wait >= patience:
                return t, best_step
    return None, best_step


@given(costs=st.lists(st.floats(0, 10, allow_nan=False), min_size=1, max_size=40), patience=st.integers(1, 8),
       min_delta=st.floats(0, 1))
def test_the_decision_matches_lightnings_bookkeeping(costs, patience, min_delta):
    rule, watched, stopped = EarlyStopping(patience, Fraction(min_delta)), None, None
    for t, value in enumerate(costs, start=1):
        watched = check(rule, watched, t, float(value))
        if watched.stop:
            stopped = t
            break
    assert (stopped, watched.best_step) == _reference_rule(costs, patience, float(Fraction(min_delta)))


def test_exact_rationals():
    # a linear chain trained on y = 2x, validated on y = x: the validation cost falls, then rises as the fit goes on
    mapping = {"layers": [1, 1, 1], "activations": ["identity", "identity"], "loss": "squared_error",
               "numbers": "exact", "learning_rate": "0.1", "steps": 8,
               "early_stopping": {"patience": 2, "min_delta": Fraction(1, 1000)},
               "parameters": {"W1": [[Fraction(1, 2)]], "b1": [0], "W2": [[Fraction(1, 2)]], "b2": [0]},
               "data": {"X": [[1], [2]], "Y": [[2], [4]], "X_val": [[1], [3]], "Y_val": [[1], [3]]}}
    mapping["learning_rate"] = Fraction(1, 10)
    d, expected = _compare(mapping, exact=True)
    assert d.training.stopped_at is not None and d.training.stopped_at < 8
    assert all(type(c).__name__ == "Rational" or type(c).__name__ == "Integer" for c in d.training.history_val)


def test_validation_data_alone_is_watched_and_never_stops():
    d = derive(spec_from_mapping(_mapping(early_stopping=None)), check=False)
    assert d.training.stopped_at is None and len(d.training.history_val) == d.spec.steps + 1
    document = d.to_json()
    assert document["stopped_at"] is None and len(document["history_val"]) == 41 and document["best_step"] >= 1


def test_json_names_the_histories_and_the_stop():
    out = subprocess.run([sys.executable, "-m", "nnsteps", "derive", "early-stopping", "--json"], capture_output=True,
                         text=True, check=True).stdout
    document = json.loads(out)
    assert document["stopped_at"] == 10 and document["best_step"] == 7
    assert len(document["history"]) == len(document["history_val"]) == 11
    assert "history_val" not in derive(load_spec("tanh-sigmoid"), check=False).to_json()  # plain specs: unchanged


def test_train_prints_both_costs_and_the_stop():
    lines = []
    d = derive(load_spec("early-stopping"))
    params, costs = gradient_descent(d, 40, every=1, say=lines.append)
    assert lines[0].startswith("Iteration 0: Loss = 0.277139, validation = 0.137190")
    assert lines[-2].startswith("Iteration 10: ") and lines[-2].endswith("(final)")
    assert lines[-1] == ("stopped early after step 10: validation cost did not improve by more than 0.0005 for 3 "
                         f"steps; best {d.training.history_val[7]:.6f} at step 7")
    np.testing.assert_allclose(params["W1"], d.training.trajectory[-1]["W1"], rtol=1e-13)


@pytest.mark.parametrize("changes, field", [
    ({"X_val": None, "Y_val": None}, "early_stopping"),
    ({"early_stopping": {"patience": 0}}, "early_stopping.patience"),
    ({"early_stopping": {"patience": 2.5}}, "early_stopping.patience"),
    ({"early_stopping": {"min_delta": 0.1}}, "early_stopping.patience"),
    ({"early_stopping": {"patience": 3, "min_delta": -0.001}}, "early_stopping.min_delta"),
    ({"early_stopping": {"patience": 3, "delta": 0.1}}, "early_stopping.delta"),
    ({"early_stopping": 3}, "early_stopping"),
    ({"X_val": [[1.0, 2.0]], "Y_val": [[0.5]]}, "data.X_val"),
    ({"Y_val": [[0.5]]}, "data.Y_val"),
    ({"Y_val": [[0.5, 1.0]] * 4}, "data.Y_val"),
    ({"X_val": None}, "data.X_val"),
    ({"X_val": [["a"]] * 4}, "data.X_val[1][1]"),
])
def test_bad_settings_are_one_line_naming_the_field(changes, field, tmp_path):
    mapping = _mapping()
    for key, value in changes.items():
        if key in ("X_val", "Y_val"):
            if value is None:
                del mapping["data"][key]
            else:
                mapping["data"][key] = value
        else:
            mapping[key] = value
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(mapping))
    result = subprocess.run([sys.executable, "-m", "nnsteps", "render", str(path), "-o", str(tmp_path / "out")],
                            capture_output=True, text=True)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert f"{field}:" in result.stderr and not (tmp_path / "out").exists()


def test_dropout_with_validation_data_is_refused():
    mapping = _mapping(dropout={"p": [0.5], "seed": 1})
    with pytest.raises(Exception, match="data.X_val"):
        spec_from_mapping(mapping)


def test_the_plot_shows_both_curves_and_the_stop():
    from nnsteps.render.plot import cost_plot_svg, cost_plot_tikz

    d = derive(load_spec("early-stopping"), check=False)
    marks = {"validation": d.training.history_val, "stop": d.training.stopped_at, "best": d.training.best_step}
    svg, tikz = cost_plot_svg(d.training.history, **marks), cost_plot_tikz(d.training.history, **marks)
    assert svg.count("<polyline") == 2 and "validation" in svg and "training" in svg and "stopped after step 10" in svg
    assert "best (step 7)" in svg and "best (step 7)" in tikz
    assert ">cost <tspan" in svg and ">step</text>" in svg  # both axes labelled
    assert "dashed" in tikz and "stopped after step 10" in tikz and "{validation}" in tikz
    plain = cost_plot_svg(d.training.history)
    assert plain.count("<polyline") == 1 and "validation" not in plain


def test_the_document_works_the_rule():
    from nnsteps.pipeline import RenderOptions, documents

    md = documents(derive(load_spec("early-stopping")), RenderOptions(formats=("md",)))["early-stopping.md"]
    assert "| 10 | $0.0136014$ | $0.0135001$ | 3 | stop: 3 steps without improvement = patience |" in md
    assert "no improvement: $V_{8} \\ge B - \\delta = 0.0130001$" in md
    assert "Training stopped after step 10 of at most 40" in md and "After 10 steps the cost went from" in md


def test_the_torch_script_stops_at_the_same_step(tmp_path, require_tools):
    require_tools("python:torch")
    d = derive(load_spec("early-stopping"))
    path = tmp_path / "net.py"
    path.write_text(torch_script(d))
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    printed = []
    gradient_descent(d, d.spec.steps, every=1, say=printed.append)
    assert out.stdout.splitlines()[:-1] == printed and "torch and nnsteps agree" in out.stdout
