"""The worked backward pass as tutorial 001 writes it: dJ/dw = chain = numbers, one aligned block of local factors,
the loss-derivative step, vanishing gradients in one line with their cause, and the small path figures."""

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings, strategies as st

from nnsteps.derive.derivation import derive
from nnsteps.derive.reference import reference_gradients
from nnsteps.render.backward import local_block
from nnsteps.render.context import Context
from nnsteps.render.pathdiagram import path_marks, path_svg, path_tikz
from nnsteps.render.records import Figure, Math, Step, Vanished
from nnsteps.render.steps import worked_example
from nnsteps.spec import builtin_names, load_spec, spec_from_mapping

SVG = "{http://www.w3.org/2000/svg}"


def _walk(items):
    for item in items:
        yield item
        yield from _walk(getattr(item, "items", ()))


def _all(example):
    for section in example.sections:
        yield from _walk(section.items)


@pytest.fixture(scope="module")
def tutorial():
    d = derive(load_spec("tutorial"))
    return d, worked_example(d)


def _anchor_gradient(d, anchor: str) -> float:
    # grad-W2-1-3 -> W2[0, 2]; grad-b1-2 -> b1[1], read from the independent NumPy backprop
    params = {k: np.asarray(v, dtype=float) for k, v in d.params.items()}
    grads = reference_gradients(d.spec, params, d.X, d.Y)
    kind, layer, *idx = re.match(r"grad-([Wb])(\d+)-(\d+)(?:-(\d+))?$", anchor).groups()
    index = tuple(int(i) - 1 for i in idx if i)
    return float(grads[f"{kind}{layer}"][index])


def test_tutorial_vanishing_gradients_are_zero_and_the_others_are_worked(tutorial):
    d, example = tutorial
    vanished = [item for item in _all(example) if isinstance(item, Vanished)]
    zero = [a for v in vanished for a in v.anchors]
    worked = [item.id for item in _all(example) if item.kind == "group" and item.id.startswith("grad-")]
    assert len(zero) + len(worked) == d.spec.n_parameters == 20 and not set(zero) & set(worked)
    for anchor in zero:  # the oracle: NumPy backprop, not the rows
        assert _anchor_gradient(d, anchor) == 0.0, anchor
    for anchor in worked:
        assert _anchor_gradient(d, anchor) != 0.0, anchor
    assert len(zero) == 13
    lines = [v.text.plain() for v in vanished]
    # the cause is read off the numbers: the neurons switched off by ReLU for this sample
    assert any(line.startswith("ReLU off: x^{(1)}_{1} = 0") and "these 3 gradients are 0" in line for line in lines)
    assert any("x^{(2)}_{1} = 0" in line and "these 4 gradients" in line for line in lines)
    assert all("z^{(" in line and "-0." in line for line in lines)  # the receptor's number says why it is off


def test_chain_product_has_its_left_side_and_factors_one_block(tutorial):
    d, example = tutorial
    group = next(item for item in _all(example) if getattr(item, "id", "") == "grad-W3-2-1")
    blocks = [item for item in group.items if isinstance(item, Math)]
    assert len(blocks) == 1 and blocks[0].latex.startswith(r"\begin{aligned}")
    # one row per local factor, each aligned at its "=", the first with d/dx [loss]
    assert blocks[0].latex.count("&=") >= 3
    assert r"\frac{\partial }{\partial x^{(3)}_{1}}\left[\frac{\left(x^{(3)}_{1} - y_{1}\right)^{2}}{2}\right]" in blocks[0].latex
    step = next(item for item in group.items if isinstance(item, Step))
    assert step.lhs == r"\frac{\partial J}{\partial w^{(3)}_{2,1}}"
    assert step.latex.index(r"\frac{\partial J}{\partial x^{(3)}_{1}}") > step.latex.index(step.lhs)
    assert step.value == "-2.77298"


@pytest.mark.parametrize("name", builtin_names())
def test_the_written_loss_derivative_is_the_factor(name):
    # the bracket d/dx [loss] printed before each dJ/dx factor is what the derivation's factor equals
    d = derive(load_spec(name))
    L = d.spec.depth
    for path in d.paths(f"b{L}[1]"):
        factor = path.factors[0]
        assert factor.kind == "dJ/dx"
        assert sp.simplify(sp.diff(d.cost, factor.denominator) - factor.form) == 0


def test_local_block_numbers_multiply_to_the_gradient(tutorial):
    d, _ = tutorial
    ctx = Context(d)
    (path,) = d.paths("W3[2,1]")
    block = local_block(ctx, path.factors, 1)
    values = [float(v) for v in re.findall(r"= (-?[\d.]+)(?= \\\\| \\end)", block.latex)]
    assert np.isclose(np.prod(values), float(d.value("dW3[2,1]")), rtol=1e-5)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), widths=st.lists(st.integers(1, 3), min_size=2, max_size=3))
def test_vanished_lines_are_exact_zeros_on_random_relu_networks(seed, widths):
    layers = [2] + widths + [1]
    rng = np.random.default_rng(seed)
    spec = spec_from_mapping({"layers": layers, "activations": ["relu"] * len(widths) + ["identity"],
                              "loss": "squared_error", "init": {"scheme": "he", "seed": seed},
                              "data": {"X": rng.normal(size=(2, 2)).round(2).tolist(), "Y": [[1.0], [0.0]]}})
    d = derive(spec, check=False)
    example = worked_example(d, detail="full")
    for item in _all(example):
        if isinstance(item, Vanished):
            for anchor in item.anchors:
                assert _anchor_gradient(d, anchor) == 0.0, (anchor, item.text.plain())


def test_path_marks_are_the_weights_downstream_of_the_parameter(tutorial):
    d, example = tutorial
    marks = path_marks(d.paths("W1[1,2]"))
    assert marks[0] == "p:w1-1-2"
    weights = {m for m in marks if m.startswith("w")}
    # every weight leaving neuron x^(1)_2, and every weight of the layers after
    assert weights == {"w2-2-1", "w2-2-2", "w3-1-1", "w3-2-1"}
    assert {"x0-1", "x1-2", "z1-2", "x3-1", "c1", "J"} <= set(marks) and "x1-1" not in marks
    svg = path_svg(d.spec.layers, marks, "paths")
    root = ET.fromstring(svg)
    coloured = [line for line in root.iter(SVG + "line") if line.get("stroke") in ("#dd6b20", "#c92a2a")]
    assert len(coloured) == len(weights) + 1 + 1  # the path weights, the parameter, the edge to J
    tikz = path_tikz(d.spec.layers, marks)
    assert tikz.count("nnon,line width=1.6pt") == len(weights) and tikz.count("nnparam,line width=2.2pt") == 1


def test_path_figures_only_for_worked_hidden_gradients_and_bounded(tutorial):
    d, example = tutorial
    figures = [item for item in _all(example) if isinstance(item, Figure) and item.name.startswith("paths-")]
    assert {f.name for f in figures} == {"paths-W2-2-2", "paths-b2-2", "paths-W1-1-2", "paths-W1-2-2", "paths-b1-2"}
    summary = worked_example(d, detail="summary")
    assert not [item for item in _all(summary) if isinstance(item, Figure) and item.name.startswith("paths-")]


def test_documents_carry_the_path_figures(tmp_path):
    from nnsteps.pipeline import RenderOptions, documents

    out = documents(derive(load_spec("tutorial")), RenderOptions(formats=("html", "tex", "md")))
    assert out["tutorial.tex"].count(r"\definecolor{nnon}") == 5
    assert out["tutorial.html"].count('class="nnsteps-paths"') == 5
    assert "![paths W1 1 2](tutorial-paths-W1-1-2.svg)" in out["tutorial.md"]
    ET.fromstring(out["tutorial-paths-W1-1-2.svg"])
