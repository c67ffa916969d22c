"""explain activations, explain initialization and report: the numbers, the --json contract, errors, goldens, tools."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from nnsteps.cli import main
from nnsteps.commands.explain import REGENERATE_TOPICS, TOPIC_GOLDENS
from nnsteps.derive.activation_facts import ELEMENTWISE, NEURON, _Settings, activation_facts
from nnsteps.derive.activations import ACTIVATIONS
from nnsteps.derive.backprop import _calculus
from nnsteps.derive.gradient_report import _backprop, as_json, report_runs
from nnsteps.derive.initialization import N_IN, N_OUT, measured_moments, variance_argument
from nnsteps.derive.model import GENERIC_Z
from nnsteps.spec import load_spec

GOLDEN = Path(__file__).resolve().parent / "golden" / "topics"
PDFLATEX = ["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error"]


# -- activations -------------------------------------------------------------
def test_activation_facts_come_from_the_derivation_rows():
    sigmoid, tanh, relu = (activation_facts(n) for n in ("sigmoid", "tanh", "relu"))
    assert sigmoid.derivative == _calculus(ACTIVATIONS["sigmoid"].form(GENERIC_Z, None)).activation_derivative
    assert sp.simplify(sigmoid.in_output - NEURON * (1 - NEURON)) == 0
    assert sp.simplify(tanh.in_output - (1 - NEURON**2)) == 0
    assert sigmoid.derivative_max == sp.Rational(1, 4) and tanh.derivative_max == 1
    assert (sigmoid.low, sigmoid.high, sigmoid.low_attained) == (0, 1, False)
    assert (relu.low, relu.high, relu.low_attained) == (0, sp.oo, True)
    assert relu.vanishes_on == sp.Interval(-sp.oo, 0) and sigmoid.vanishes_on == sp.S.EmptySet
    assert (sigmoid.at_zero, sigmoid.derivative_at_zero, tanh.derivative_at_zero) == (sp.Rational(1, 2), sp.Rational(1, 4), 1)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_plotted_curves_match_the_numpy_rows(name):
    facts = activation_facts(name)
    zs, values, slopes = facts.curves(points=41)
    zs, values, slopes = zs[zs != 0], values[zs != 0], slopes[zs != 0]  # the kink's one-sided convention aside
    row, settings = ACTIVATIONS[name], _Settings()
    np.testing.assert_allclose(values, row.numpy(zs, settings), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(slopes, row.numpy_backward(zs, values, np.ones_like(zs), settings), rtol=1e-9, atol=1e-12)


# -- the gradient report -------------------------------------------------------
def test_backprop_matches_finite_differences():
    spec = load_spec("tanh-sigmoid")
    rng = np.random.default_rng(3)
    layers = (spec.layers[0], 5, 4, spec.layers[-1])
    weights = [rng.normal(0, 0.7, (layers[l - 1], layers[l])) for l in range(1, len(layers))]
    biases = [rng.normal(0, 0.1, n) for n in layers[1:]]
    acts = ("tanh", "relu", spec.activations[-1])
    X, Y = np.array(spec.X, float), np.array(spec.Y, float)

    def cost(ws):
        x = X
        for W, b, a in zip(ws, biases, acts):
            x = ACTIVATIONS[a].numpy(x @ W + b, spec)
        from nnsteps.derive.losses import LOSSES
        return LOSSES[spec.loss].numpy(x, Y, spec).sum() / (len(X) if spec.reduction == "mean" else 1)

    _, grads, _ = _backprop(spec, acts, weights, biases, X, Y)
    for l, W in enumerate(weights):
        for index in np.ndindex(W.shape):
            up = [w.copy() for w in weights]
            down = [w.copy() for w in weights]
            up[l][index] += 1e-6
            down[l][index] -= 1e-6
            assert grads[l][index] == pytest.approx((cost(up) - cost(down)) / 2e-6, rel=1e-5, abs=1e-8)


def test_sigmoid_vanishes_and_relu_he_does_not():
    spec = load_spec("tutorial")
    runs = {(r.activation, r.init): r for r in report_runs(spec, [20], ["normal", "he"], ["sigmoid", "relu"], 32, 0)}
    sigmoid, relu = runs["sigmoid", "normal"], runs["relu", "he"]
    assert sigmoid.ratio <= 1e-6  # first layer's gradient norm at least 1e6 times smaller than the last's
    assert 1e-2 <= relu.ratio <= 1e2
    # the product of local factors explains the decay within an order of magnitude
    assert 0.1 <= sigmoid.predicted_ratio / sigmoid.delta_ratio <= 10
    assert all(n.slope_rms <= 0.25 for n in sigmoid.start[:-1])  # sigma' <= 1/4


def test_json_contract(capsys):
    assert main(["report", "--json", "--depths", "4", "--inits", "he", "--activations", "sigmoid,relu"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [(r["activation"], r["init"]) for r in data["runs"]] == [("sigmoid", "he"), ("relu", "he")]
    for run in data["runs"]:
        assert [layer["layer"] for layer in run["layers"]] == [1, 2, 3, 4]
        assert all(layer["delta_norm"] > 0 and layer["grad_norm"] > 0 for layer in run["layers"])
    runs = report_runs(load_spec("tutorial"), [4], ["he"], ["sigmoid", "relu"], 32, 0)
    assert as_json(runs)["runs"][0]["layers"] == data["runs"][0]["layers"]


def test_report_prints_both_figures(tmp_path):
    assert main(["report", "--depths", "20", "--to", "md", "-o", str(tmp_path)]) == 0
    text = (tmp_path / "tutorial-report.md").read_text()
    runs = {(r.activation, r.init): r for r in report_runs(load_spec("tutorial"), [20], ["normal", "he"],
                                                           ["sigmoid", "relu"], 32, 0)}
    from nnsteps.render.numbers import format_number

    for key in (("sigmoid", "normal"), ("relu", "he")):
        run = runs[key]
        for value in (run.start[0].grad_norm, run.start[-1].grad_norm):
            assert format_number(value, 3) in text


# -- initialization ---------------------------------------------------------------
def test_variance_argument():
    a = variance_argument()
    assert sp.simplify(a.xavier - 2 / (N_IN + N_OUT)) == 0 and sp.simplify(a.he - 2 / N_IN) == 0
    assert a.forward == 1 / N_IN and a.backward == 1 / N_OUT


@pytest.mark.parametrize("scheme", ["normal", "xavier", "he"])
def test_measured_variance_matches_the_prediction(scheme):
    for layer in measured_moments(load_spec("tanh-sigmoid"), scheme, 4000):
        assert layer.var_z == pytest.approx(layer.predicted_var_z, rel=0.1)
        assert abs(layer.mean_z) <= 0.1 * layer.var_z ** 0.5


# -- errors ---------------------------------------------------------------------
@pytest.mark.parametrize("argv, field", [
    (["report", "--inits", "uniform", "--json"], "--inits"),
    (["report", "--activations", "sigmod", "--json"], "--activations"),
    (["report", "--depths", "1", "--json"], "--depths"),
    (["report", "--depths", "five", "--json"], "--depths"),
    (["report", "--width", "0", "--json"], "--width"),
    (["report", "--to", "docx"], "--to"),
    (["explain", "activation"], "topic"),
    (["explain", "initialization", "--draws", "3"], "--draws"),
    (["render", "--with", "dropout"], "--with"),
])
def test_bad_options_are_one_line(argv, field, capsys, tmp_path):
    assert main(argv + ["-o", str(tmp_path / "out")] if argv[0] != "report" or "--json" not in argv else argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {field}: ") and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


# -- goldens and real tools -----------------------------------------------------
def _fresh(folder: Path) -> dict:
    for args in TOPIC_GOLDENS:
        assert main([*args, "-o", str(folder)]) == 0
    return {p.name: p.read_bytes() for p in folder.iterdir()}


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    folder = tmp_path_factory.mktemp("topics")
    return folder, _fresh(folder)


def test_topic_goldens(fresh):
    _, files = fresh
    golden = {p.name: p.read_bytes() for p in GOLDEN.iterdir()}
    assert sorted(files) == sorted(golden), f"tests/golden/topics/ is out of date: regenerate with `{REGENERATE_TOPICS}`"
    for name in files:
        assert files[name] == golden[name], f"tests/golden/topics/{name} differs: regenerate with `{REGENERATE_TOPICS}`"


def test_topic_pdfs_compile(fresh, require_tools):
    require_tools("pdflatex")
    folder, files = fresh
    for name in sorted(n for n in files if n.endswith(".tex")):
        run = subprocess.run([*PDFLATEX, name], cwd=folder, capture_output=True, text=True, errors="replace",
                             timeout=300, stdin=subprocess.DEVNULL)
        assert run.returncode == 0, f"pdflatex failed on {name}:\n{run.stdout[-3000:]}"
        assert (folder / name).with_suffix(".pdf").stat().st_size > 5000


def test_topic_html_in_chromium(fresh, require_tools):
    require_tools("/usr/bin/chromium", "python:playwright")
    from playwright.sync_api import sync_playwright

    from test_browser import ARGS, CHROMIUM

    folder, files = fresh
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for name in sorted(n for n in files if n.endswith(".html")):
                page = browser.new_page()
                errors = []
                page.on("pageerror", lambda error: errors.append(str(error)))
                page.goto((folder / name).as_uri())
                page.wait_for_load_state("load")
                # maths typeset at build time (issue 17): MathML elements, with JavaScript or without
                assert page.locator("math").count() > 0, name
                text = page.evaluate("document.body.innerText")
                assert text.count("\\(") + text.count("\\[") == 0, f"{name}: formulas left as TeX source"
                if name not in ("initialization.html", "tutorial.html"):  # tutorial.html: the worked example with torch
                    assert page.locator("svg.line-plot polyline").count() >= 2, name
                if name == "tutorial.html":
                    assert page.locator("pre.code").count() == 1 and "autograd (PyTorch)" in text, name
                assert not errors, errors
                page.close()
        finally:
            browser.close()


def test_hostile_spec_name_stays_text(tmp_path):
    text = (Path(__file__).resolve().parent.parent / "nnsteps" / "examples" / "tutorial.toml").read_text()
    hostile = r'<script>alert(1)</script> \\input{/etc/passwd} $x$ ../../evil'
    spec = tmp_path / "hostile.toml"
    spec.write_text(f"name = {json.dumps(hostile)}\n" + text)
    out = tmp_path / "out"
    assert main(["report", str(spec), "--depths", "2", "--steps", "1", "--to", "html,tex,md", "-o", str(out)]) == 0
    assert main(["explain", "initialization", str(spec), "--draws", "10", "--to", "html,tex,md", "-o", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert all("/" not in n and not n.startswith(".") for n in names) and not (tmp_path / "evil-report.html").exists()
    for page in out.glob("*.html"):
        assert "<script>alert" not in page.read_text()
    for tex in out.glob("*.tex"):
        assert r"\input{/etc" not in tex.read_text()
