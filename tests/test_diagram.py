"""The network diagram: shared layout geometry, inline SVG, TikZ, compact form for wide layers."""

import re
import subprocess
import xml.etree.ElementTree as ET

import pytest

from nnsteps.derive.derivation import derive
from nnsteps.derive.errors import SpecError
from nnsteps.render import diagram, geometry
from nnsteps.render.diagram import TIKZ_LIBRARIES, diagram_script, layout, network_svg, network_tikz
from nnsteps.spec import builtin_names, load_spec, spec_from_mapping

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def tutorial():
    return derive(load_spec("tutorial"))


@pytest.fixture(scope="module")
def wide():
    spec = spec_from_mapping({"layers": [16, 32, 32, 10], "activations": ["relu", "relu", "softmax"],
                              "loss": "cross_entropy", "init": {"scheme": "he", "seed": 1},
                              "data": {"X": [[k / 10 for k in range(16)]], "Y": [[1] + [0] * 9]}})
    return derive(spec, check=False)


def _text(el) -> str:
    return "".join(el.itertext())


def test_tutorial_svg_structure_labels_and_values(tutorial):
    svg = network_svg(tutorial)
    root = ET.fromstring(svg)  # well-formed XML, usable as a standalone .svg file
    assert root.tag == SVG + "svg" and root.get("viewBox").startswith("0 0 ")
    assert not re.search(r'(href|src)=|url\(|@import', svg), "no external references"
    weights = root.findall(f".//{SVG}g[@class='nn-weight nn-el']")
    assert len(weights) == 6 + 6 + 2
    assert len(root.findall(f".//{SVG}line[@class='nn-line']")) == 14
    params = {w.get("data-param") for w in weights}
    assert {"W1[1,1]", "W1[2,3]", "W2[3,2]", "W3[2,1]"} <= params
    w = root.find(f".//{SVG}g[@data-param='W1[2,3]']")
    assert (w.get("id"), w.get("data-from"), w.get("data-to")) == ("nn-w1-2-3", "nn-x0-2", "nn-x1-3")
    neurons = root.findall(f".//{SVG}g[@class='nn-neuron nn-el']")
    assert [(n.get("data-layer"), n.get("data-index")) for n in neurons][:3] == [("0", "1"), ("0", "2"), ("1", "1")]
    assert len(neurons) == 8 and len(root.findall(f".//{SVG}g[@class='nn-receptor nn-el']")) == 6
    text = _text(root)
    for value in ("6.1", "8.7", "−0.314", "0.818", "−0.417", "−0.07362", "0.02454", "0.001718", "6384",
                  "−0.08", "0.07", "(1)", "(3)"):
        assert value in text, value
    neuron = root.find(f".//{SVG}g[@id='nn-x1-2']")
    assert _text(neuron.find(SVG + "title")) == "x⁽¹⁾₂ = 0.818"  # plain Unicode where markup is not allowed
    assert _text(neuron.find(SVG + "text")) == "x(1)2"  # tspans: x, superscript (1), subscript 2
    # gradient on hover: a <title> for readers without JS, which the script turns into the styled tooltip
    w3 = root.find(f".//{SVG}g[@data-param='W3[2,1]']")
    grad = diagram._num(tutorial.backward.gradients["W3"][1][0])
    assert _text(w3.find(SVG + "title")) == f"w⁽³⁾₂,₁ = 0.07; ∂J/∂w⁽³⁾₂,₁ = {grad}"
    assert root.get("data-vector") == ""
    # every element is reachable by keyboard; neurons carry their value (0 stops the impulses)
    for g in root.iter(SVG + "g"):
        if "nn-el" in (g.get("class") or ""):
            assert g.get("tabindex") == "0", g.get("id")
    assert float(root.find(f".//{SVG}g[@id='nn-x1-1']").get("data-value")) == 0.0


def test_titles_carry_the_documents_precision_and_the_deltas(tutorial):
    root = ET.fromstring(network_svg(tutorial, digits=6))
    w3 = root.find(f".//{SVG}g[@data-param='W3[2,1]']")
    assert _text(w3.find(SVG + "title")).endswith("= −2.77298")  # the text's 6 digits, not the drawing's 4
    receptor = _text(root.find(f".//{SVG}g[@id='nn-z2-2']/{SVG}title"))
    assert receptor == "z⁽²⁾₂ = 0.02454; bias 0; δ⁽²⁾₂ = −7.90988"
    deltas = [_text(t) for t in root.iter(SVG + "text") if "nn-delta" in (t.get("class") or "")]
    assert len(deltas) == 6 and "δ = −7.91" in deltas  # one per receptor, hidden until asked for


def test_svg_is_deterministic_and_sample_aware():
    d1, d2 = derive(load_spec("xor-softmax")), derive(load_spec("xor-softmax"))
    assert network_svg(d1) == network_svg(d2) and network_tikz(d1) == network_tikz(d2)
    assert network_svg(d1, sample=2) != network_svg(d1, sample=1)
    assert ET.fromstring(network_svg(d1)).get("data-vector") == "2"  # softmax output layer
    with pytest.raises(SpecError):
        network_svg(d1, sample=5)


def test_printer_labels_rename_letters(tutorial):
    svg = network_svg(tutorial, printer_labels={"x": "a", "J": "C"})
    assert '<tspan font-style="italic">a</tspan>' in svg and '<tspan font-style="italic">x</tspan>' not in svg
    assert "∂C/∂w" in svg and "a⁽⁰⁾₁ = 6.1" in svg


def test_geometry_labels_do_not_overlap(tutorial):
    lay = layout(tutorial.spec.layers)
    assert lay == layout((2, 3, 2, 1)) and not lay.compact
    assert [len(row) for row in lay.nodes] == [2, 3, 2, 1]
    labels = [e.label for e in lay.edges]
    assert all(label is not None for label in labels)
    boxes = [geometry._box(t.x, t.y, geometry.LW, geometry.LH, t.angle) for t in labels]
    for a in range(len(boxes)):
        for b in range(a + 1, len(boxes)):
            assert not geometry._overlap(boxes[a], boxes[b]), (lay.edges[a], lay.edges[b])
    for e in lay.edges:  # every line runs left to right, from a circle rim to its receptor square
        assert e.x1 < e.x2 and e.label and min(e.x1, e.x2) < e.label.x < max(e.x1, e.x2)


def test_compact_form_for_wide_layers(wide):
    lay = layout(wide.spec.layers)
    assert lay.compact
    assert [[n.index for n in row] for row in lay.nodes] == [[1, 2, 3, 16], [1, 2, 3, 32], [1, 2, 3, 32],
                                                             list(range(1, 11))]
    assert len(lay.ellipses) == 3 and all(e.label is None for e in lay.edges)
    assert len(lay.edges) == 4 * 4 + 4 * 4 + 4 * 10
    svg = network_svg(wide)
    root = ET.fromstring(svg)
    assert svg.count("⋮") == 3 and 'class="nn-val"' not in svg.split("nn-J")[0]
    assert len(root.findall(f".//{SVG}g[@class='nn-weight nn-el']")) == 72
    assert root.find(f".//{SVG}g[@id='nn-x1-32']") is not None and root.find(f".//{SVG}g[@id='nn-x1-4']") is None
    assert len(svg) < 150_000 and svg.count("<title>") == 72 + 22 + 18 + 1  # weights, neurons, receptors, J
    tikz = network_tikz(wide)
    assert tikz.count("\\vdots") == 3 and "$x^{(1)}_{32}$" in tikz


def test_tikz_matches_layout_and_notation(tutorial):
    tikz = network_tikz(tutorial)
    assert tikz.startswith("\\begin{tikzpicture}") and tikz.rstrip().endswith("\\end{tikzpicture}")
    assert tikz.count("\\draw[nnedge") == 14 and TIKZ_LIBRARIES == ()
    for text in ("$x^{(0)}_{1}$", "$z^{(2)}_{1}$", "$w^{(1)}_{2,3}$", "$-0.314$", "$0.001718$", "$J$", "ReLU"):
        assert text in tikz, text
    assert "\\usetikzlibrary" not in tikz and "\\usepackage" not in tikz


def test_script_is_packaged():
    script = diagram_script()
    assert diagram.DIAGRAM_SCRIPT_PATH.is_file()
    for word in ("animating", "impulse", "highlight", "grad-W", "data-from", "data-vector"):
        assert word in script


@pytest.mark.parametrize("name", builtin_names())
def test_tikz_compiles_with_pdflatex(name, tmp_path, require_tools):
    require_tools("pdflatex")
    libraries = "".join(f"\\usetikzlibrary{{{lib}}}" for lib in TIKZ_LIBRARIES)
    (tmp_path / "figure.tex").write_text(
        "\\documentclass{article}\\usepackage[margin=2.5cm]{geometry}\\usepackage{tikz}" + libraries +
        "\n\\begin{document}\n" + network_tikz(derive(load_spec(name))) + "\n\\end{document}\n", encoding="utf-8")
    run = subprocess.run(["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error",
                          "figure.tex"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-3000:]
    assert (tmp_path / "figure.pdf").stat().st_size > 1000
    assert "Overfull \\hbox" not in (tmp_path / "figure.log").read_text(errors="replace")
