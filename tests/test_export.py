"""`nnsteps export`: the generated NumPy module agrees with the derivation; LaTeX holds the formulas; expansion refuses big nets."""

import importlib.util
import subprocess
import sys

import numpy as np
import pytest

from nnsteps.derive.codegen import numpy_module
from nnsteps.derive.derivation import MAX_EXPANDED_PARAMETERS, derive
from nnsteps.derive.errors import UnsupportedError
from nnsteps.derive.reference import reference_gradients
from nnsteps.spec import load_spec, spec_from_mapping

NETWORKS = {
    "softmax_ce": ([3, 4, 3], ["relu", "softmax"], "cross_entropy", "sum"),
    "sigmoid_bce": ([2, 3, 2], ["tanh", "sigmoid"], "binary_cross_entropy", "mean"),
    "relu_se": ([3, 5, 4, 2], ["relu", "relu", "identity"], "squared_error", "mean"),
    "tanh_se": ([2, 4, 1], ["tanh", "tanh"], "squared_error", "sum"),
    "leaky_softplus": ([2, 3, 3, 1], ["leaky_relu", "softplus", "sigmoid"], "squared_error", "mean"),
}


def _targets(loss: str, rng, n: int, width: int) -> np.ndarray:
    if loss == "cross_entropy":
        return np.eye(width)[rng.integers(0, width, n)]
    if loss == "binary_cross_entropy":
        return rng.uniform(0.05, 0.95, size=(n, width)).round(2)
    return rng.normal(size=(n, width)).round(3)


def _spec(key: str, seed: int = 0):
    layers, activations, loss, reduction = NETWORKS[key]
    rng = np.random.default_rng(seed)
    X, Y = rng.normal(size=(3, layers[0])).round(3), _targets(loss, rng, 3, layers[-1])
    return spec_from_mapping({"layers": layers, "activations": activations, "loss": loss, "reduction": reduction,
                              "init": {"scheme": "xavier", "seed": seed}, "data": {"X": X.tolist(), "Y": Y.tolist()}})


def _load(path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("key", sorted(NETWORKS))
def test_generated_module_matches_the_derivation_on_random_inputs(key, tmp_path):
    spec = _spec(key)
    d = derive(spec)
    source = numpy_module(d)
    assert "nnsteps" not in "".join(line for line in source.splitlines() if "import" in line)
    path = tmp_path / f"grads_{key}.py"
    path.write_text(source)
    module = _load(path, f"grads_{key}")
    assert module.LAYERS == tuple(spec.layers) and module.LOSS == spec.loss
    compiled = d.gradient_function()
    rng = np.random.default_rng(1)
    for trial in range(3):
        params = {name: rng.normal(scale=0.8, size=np.shape(value)) for name, value in d.params.items()}
        n = (1, 5, 17)[trial]
        X = rng.normal(size=(n, spec.layers[0]))
        Y = _targets(spec.loss, rng, n, spec.layers[-1])
        forward = d.compiled.forward(params, X)
        np.testing.assert_allclose(module.forward(params, X), forward.xs[-1], rtol=1e-12, atol=1e-14)
        assert module.cost(params, X, Y) == pytest.approx(float(d.compiled.cost(params, X, Y)), rel=1e-12)
        generated, derived = module.gradients(params, X, Y), compiled(params, X, Y)
        independent = reference_gradients(spec, params, X, Y)
        assert list(generated) == list(derived)
        for name in derived:
            np.testing.assert_allclose(generated[name], derived[name], rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(generated[name], independent[name], rtol=1e-8, atol=1e-10)


def test_generated_module_runs_without_nnsteps(tmp_path):
    path = tmp_path / "grads.py"
    result = subprocess.run([sys.executable, "-m", "nnsteps", "export", "xor-softmax", "--to", "numpy", "-o", str(path)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grads.py"]  # atomic write: no temporary left behind
    script = ("import sys; sys.modules['nnsteps'] = None\n"  # importing nnsteps would now fail
              f"sys.path.insert(0, {str(tmp_path)!r}); import numpy as np, grads\n"
              "X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float); Y = np.array([[0, 1], [1, 0], [1, 0], [0, 1]], float)\n"
              "p = {'W1': np.array([[.1, .2, .3], [.4, .5, .6]]), 'b1': np.array([.7, .8, .9]),\n"
              "     'W2': np.array([[.1, .2], [.3, .4], [.5, .6]]), 'b2': np.array([.7, .8])}\n"
              "print(repr(grads.cost(p, X, Y))); print(repr(float(grads.gradients(p, X, Y)['W1'][0, 0])))\n")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    cost, w11 = (float(v) for v in run.stdout.split())
    d = derive(load_spec("xor-softmax"))
    assert cost == pytest.approx(float(d.backward.cost), rel=1e-12)
    assert w11 == pytest.approx(d.value("dW1[1,1]"), rel=1e-10)


def test_header_states_network_and_loss():
    source = numpy_module(derive(load_spec("tutorial")))
    head = source.split('"""')[1]
    assert "[2, 3, 2, 1]" in head and "relu" in head and "identity" in head
    assert "squared_error" in head and "1/2" in head and "mean" in head
    for name in ("def forward(params, X)", "def gradients(params, X, Y)", "def cost(params, X, Y)"):
        assert name in source


def _latex(*args) -> str:
    result = subprocess.run([sys.executable, "-m", "nnsteps", "export", *args], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_latex_holds_the_formulas():
    text = _latex("tutorial", "--to", "latex")
    assert r"z^{(1)}_{1} &= w^{(1)}_{1,1} x^{(0)}_{1} + w^{(1)}_{2,1} x^{(0)}_{2} + b^{(1)}_{1}" in text
    assert r"\delta^{(3)}_{1} &= x^{(3)}_{1} - y_{1}" in text
    assert r"\frac{\partial \mathcal{L}}{\partial w^{(3)}_{2,1}} &= \delta^{(3)}_{1} x^{(2)}_{2}" in text
    assert r"\frac{\partial \mathcal{L}}{\partial b^{(2)}_{1}} &= \delta^{(2)}_{1}" in text
    assert text.count(r"\frac{\partial \mathcal{L}}{\partial") == 20  # every parameter of 2-3-2-1
    assert r"\mathbf{Z}^{(1)}" in text and r"\mathbf{W}^{(1)}" in text  # the matrix form
    assert text.count(r"\begin{align*}") == text.count(r"\end{align*}") == 5
    assert text.count(r"{\allowdisplaybreaks") == 5  # each block may run over pages
    assert "6384" not in text and "0.08" not in text  # formulas only, no numbers
    softmax = _latex("xor-softmax", "--to", "latex")
    assert r"\delta^{(2)}_{1} &=" in softmax and r"= x^{(2)}_{1} - y_{1}" in softmax  # SymPy's simplification


@pytest.mark.parametrize("spec", ["chain", "identity-3-4-4-2"])
def test_latex_expanded_compiles_within_the_page(spec, tmp_path, require_tools):
    # the expanded gradients break between terms: pdflatex sets them without a line wider than the plain article's
    require_tools("pdflatex")
    if spec != "chain":
        path = tmp_path / f"{spec}.toml"
        path.write_text('layers = [3, 4, 4, 2]\nactivations = ["identity", "identity", "identity"]\n'
                        'loss = "squared_error"\n[init]\nseed = 2\n[data]\nX = [[0.1, 0.2, 0.3]]\nY = [[1, 0]]\n')
        spec = str(path)
    (tmp_path / "formulas.tex").write_text(_latex(spec, "--to", "latex", "--expanded"))
    (tmp_path / "doc.tex").write_text("\\documentclass{article}\n\\usepackage{amsmath,amssymb,bm}\n"
                                      "\\begin{document}\n\\input{formulas.tex}\n\\end{document}\n")
    run = subprocess.run(["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                         cwd=tmp_path, capture_output=True, text=True, errors="replace", timeout=600,
                         stdin=subprocess.DEVNULL)
    assert run.returncode == 0, run.stdout[-3000:]
    log = (tmp_path / "doc.log").read_text(errors="replace")
    assert "fully expanded" in (tmp_path / "formulas.tex").read_text()
    assert "Overfull" not in log and "Dimension too large" not in log


def test_latex_expanded_refused_when_it_cannot_be_typeset(tmp_path):
    # a ReLU's expansion nests cases, a sigmoid's a long sum in an exponent: no line can hold them
    out = tmp_path / "formulas.tex"
    result = subprocess.run([sys.executable, "-m", "nnsteps", "export", "tutorial", "--to", "latex", "--expanded",
                             "-o", str(out)], capture_output=True, text=True)
    assert result.returncode == 2 and not out.exists()
    assert result.stderr.count("\n") == 1 and "--expanded" in result.stderr and "W1[1,1]" in result.stderr


def test_latex_expanded_refused_above_the_parameter_limit(tmp_path):
    path = tmp_path / "big.toml"
    path.write_text('layers = [4, 8, 8, 3]\nactivations = ["tanh", "tanh", "softmax"]\nloss = "cross_entropy"\n'
                    "[init]\nseed = 1\n[data]\nX = [[0.1, 0.2, 0.3, 0.4]]\nY = [[1, 0, 0]]\n")
    out = tmp_path / "formulas.tex"
    result = subprocess.run([sys.executable, "-m", "nnsteps", "export", str(path), "--to", "latex", "--expanded", "-o", str(out)],
                            capture_output=True, text=True)
    assert result.returncode == 2 and f"up to {MAX_EXPANDED_PARAMETERS}" in result.stderr, result.stderr
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["big.toml"]


def test_expanded_gradient_refused_above_the_documented_size():
    small = derive(load_spec("tutorial"))  # 20 parameters
    expanded = small.gradient("W3[2,1]", expand=True)
    values = {s: small.symbol_value(s) for s in expanded.free_symbols}
    assert float(expanded.xreplace(values)) == pytest.approx(small.value("dW3[2,1]"), rel=1e-12)
    layers = [3, 4, 4, 2]  # 46 parameters: still expanded
    spec = spec_from_mapping({"layers": layers, "activations": ["tanh", "tanh", "identity"], "loss": "squared_error",
                              "init": {"seed": 2}, "data": {"X": [[0.1, 0.2, 0.3]], "Y": [[1, 0]]}})
    assert spec.n_parameters <= MAX_EXPANDED_PARAMETERS
    assert derive(spec).gradient("W1[1,1]", expand=True).free_symbols
    big = derive(_spec("relu_se"))  # 3-5-4-2: 54 parameters, under the limit
    big.gradient("b1[1]", expand=True)
    over = derive(spec_from_mapping({"layers": [4, 8, 8, 3], "activations": ["tanh", "tanh", "softmax"],
                                     "loss": "cross_entropy", "init": {"seed": 1},
                                     "data": {"X": [[0.1, 0.2, 0.3, 0.4]], "Y": [[1, 0, 0]]}}))
    assert over.spec.n_parameters > MAX_EXPANDED_PARAMETERS
    with pytest.raises(UnsupportedError, match="fully expanded"):
        over.gradient("W1[1,1]", expand=True)
    assert over.gradient("W1[1,1]") == over.net.delta(1, 1) * over.net.x(0, 1)  # the layered formula stays available


def test_fast_gradient_formulas_equal_sympy_products():
    d = derive(_spec("softmax_ce"), check=False)
    formulas = d.all_gradients()
    net, sizes = d.net, d.spec.layers
    expected = {}
    for l in range(1, d.spec.depth + 1):
        for j in range(1, sizes[l] + 1):
            for i in range(1, sizes[l - 1] + 1):
                expected[net.w(l, i, j)] = net.delta(l, j) * net.x(l - 1, i)
            expected[net.b(l, j)] = net.delta(l, j) * 1
    assert list(formulas) == list(expected)
    for parameter, formula in formulas.items():
        assert formula == expected[parameter] and hash(formula) == hash(expected[parameter])
        assert formula.args == expected[parameter].args
