"""The document pipeline: worked-example records, HTML/TeX/Markdown content, escaping, options and writes."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from nnsteps.cli import main
from nnsteps.derive.derivation import derive
from nnsteps.derive.errors import SpecError, ToolMissingError
from nnsteps.pipeline import RenderOptions, documents, render
from nnsteps.render.numbers import format_number, latex_number
from nnsteps.render.steps import worked_example
from nnsteps.spec import load_spec, spec_from_mapping

SECTION_IDS = ("network", "forward", "cost", "output-layer", "hidden-layers", "backward-matrix", "update",
               "verification", "exercises")
ALLOWED_PACKAGES = {"amsmath", "amssymb", "bm", "xcolor", "booktabs", "geometry", "tikz"}


@pytest.fixture(scope="module")
def tutorial():
    return derive(load_spec("tutorial"))


@pytest.fixture(scope="module")
def tutorial_docs(tutorial):
    return documents(tutorial)


def test_key_numbers_in_every_format(tutorial_docs):
    for name in ("tutorial.html", "tutorial.tex", "tutorial.md"):
        text = tutorial_docs[name]
        if name.endswith(".html"):  # typeset maths: the text a reader sees, with MathML's minus sign as "-"
            text = re.sub(r"<[^>]+>", "", text).replace("\u2212", "-")
        for number in ("-0.314", "0.818", "0.0017178", "-2.77298", "6384.31", "-112.998", "0.072773"):
            assert number in text, (name, number)


def test_files_of_the_default_formats(tutorial_docs):
    paths = {f"tutorial-paths-{p}.svg" for p in ("W2-2-2", "b2-2", "W1-1-2", "W1-2-2", "b1-2")}  # 001's path figures
    assert set(tutorial_docs) == {"tutorial.html", "tutorial.tex", "tutorial.md", "tutorial-diagram.svg"} | paths
    assert tutorial_docs["tutorial-diagram.svg"].lstrip().startswith("<svg")
    assert "](tutorial-diagram.svg)" in tutorial_docs["tutorial.md"]


def test_sections_in_order_with_ids(tutorial, tutorial_docs):
    example = worked_example(tutorial)
    assert tuple(s.id for s in example.sections) == SECTION_IDS
    html, tex, md = (tutorial_docs[f"tutorial.{ext}"] for ext in ("html", "tex", "md"))
    positions = [html.index(f'<section id="{sid}">') for sid in SECTION_IDS]
    assert positions == sorted(positions)
    for sid in SECTION_IDS:
        assert f'href="#{sid}"' in html
        assert f"\\label{{{sid}}}" in tex
        assert f'<a id="{sid}"></a>' in md


def test_every_parameter_has_a_derivation_block(tutorial_docs):
    html = tutorial_docs["tutorial.html"]
    spec = load_spec("tutorial")
    for l in range(1, spec.depth + 1):
        for j in range(1, spec.layers[l] + 1):
            assert html.count(f'id="grad-b{l}-{j}"') == 1
            for i in range(1, spec.layers[l - 1] + 1):
                assert html.count(f'id="grad-W{l}-{i}-{j}"') == 1


def test_steps_hold_formula_numbers_and_value(tutorial):
    example = worked_example(tutorial)
    layer1 = next(item for item in example.sections[1].items if getattr(item, "id", "") == "forward-layer-1")
    step = layer1.items[0]
    assert step.lhs == "z^{(1)}_{1}"
    assert step.formula == "w^{(1)}_{1,1} x^{(0)}_{1} + w^{(1)}_{2,1} x^{(0)}_{2} + b^{(1)}_{1}"
    assert step.substituted == r"\left(-0.08\right) \times 6.1 + 0.02 \times 8.7 + 0"
    assert step.value == "-0.314"
    assert step.symbols == ("b1_1", "w1_1_1", "w1_2_1", "x0_1", "x0_2", "z1_1")


def test_relu_derivative_is_an_indicator(tutorial_docs):
    html = tutorial_docs["tutorial.html"]
    # a bold 1: neither amssymb nor KaTeX has a blackboard-bold digit (the HTML carries it typeset, as MathML)
    assert ('<mn mathvariant="bold">1</mn><mrow><mo>[</mo><msubsup><mi>z</mi><mn>2</mn><mn>(1)</mn></msubsup>'
            '<mo>&gt;</mo><mn>0</mn><mo>]</mo></mrow>') in html
    assert '<mi>max</mi><mo>⁡</mo><mrow><mo>{</mo><mn>0</mn><mo>,</mo><msubsup><mi>z</mi><mn>1</mn><mn>(1)</mn>' in html
    assert "\\max" not in html and "\\mathbf" not in html
    tex = tutorial_docs["tutorial.tex"]
    assert r"\mathbf{1}\left[z^{(1)}_{2} > 0\right]" in tex
    for text in tutorial_docs.values():
        assert "Heaviside" not in text and r"\theta\left(" not in text and "Piecewise" not in text


def test_html_is_self_contained(tutorial_docs):
    html = tutorial_docs["tutorial.html"]
    # maths typeset at build time: MathML, no KaTeX script, fonts or LaTeX delimiters left in the page
    assert "<math display=\"block\">" in html and html.count("<math") > 100
    assert "renderMathInElement" not in html and "katex" not in html and "@font-face" not in html
    page = html.split("<script>")[0]  # the text before the diagram's script
    assert "\\(" not in page and "\\[" not in page
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", html, re.I)
    assert not re.search(r"<script[^>]*\bsrc=|<link[^>]*\bhref=", html, re.I)
    assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", html, re.I)
    assert html.count("<script>") == 1 and "</html>" in html  # the diagram's script only


def test_tex_uses_only_the_allowed_packages(tutorial_docs):
    tex = tutorial_docs["tutorial.tex"]
    used = set()
    for group in re.findall(r"\\usepackage(?:\[[^\]]*\])?\{([^}]*)\}", tex):
        used |= {p.strip() for p in group.split(",")}
    assert used and used <= ALLOWED_PACKAGES
    assert "cancel" not in used and r"\begin{document}" in tex and tex.rstrip().endswith(r"\end{document}")
    assert "(((" not in tex and "((*" not in tex


def _spec(**changes):
    base = {"title": "Tutorial", "layers": [2, 2, 1], "activations": ["relu", "identity"], "loss": "squared_error",
            "parameters": {"W1": [[0.1, -0.2], [0.3, 0.4]], "b1": [0, 0.1], "W2": [[0.5], [-0.6]], "b2": [0]},
            "data": {"X": [[1, 2]], "Y": [[1]]}}
    base.update(changes)
    return spec_from_mapping(base, default_name=changes.get("name", "small"))


def test_user_text_is_escaped_everywhere():
    title = r"<script>alert(1)</script> \input{/etc/passwd} 100% & $x$_#"
    docs = documents(derive(_spec(title=title, name="evil")))
    html = docs["evil.html"]
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    tex = docs["evil.tex"]
    assert r"\input{" not in tex and r"\textbackslash{}input\{/etc/passwd\}" in tex
    assert r"100\% \& \$x\$\_\#" in tex
    md = docs["evil.md"]
    assert "<script>" not in md and r"\<script\>" in md


def test_summary_detail_on_a_large_network():
    rng = np.random.default_rng(0)
    spec = spec_from_mapping({
        "name": "big", "layers": [16, 32, 32, 10], "activations": ["relu", "relu", "softmax"], "loss": "cross_entropy",
        "init": {"scheme": "he", "seed": 1, "decimals": 3},
        "data": {"X": rng.normal(size=(4, 16)).round(2).tolist(), "Y": np.eye(10)[[1, 3, 5, 7]].tolist()},
    })
    d = derive(spec)
    example = worked_example(d)
    assert example.detail == "summary"
    docs = documents(d)
    html, tex = docs["big.html"], docs["big.tex"]
    assert len(html) < 1_500_000 and len(tex) < 150_000 and len(docs["big.md"]) < 150_000
    assert 3 <= html.count('id="grad-') <= 9  # a few representative parameters per layer
    assert r"\cdots" in tex and r"\ddots" in tex  # large matrices are shown with dots
    assert "he scheme" in html
    for equation in re.findall(r"\\\[(.*?)\\\]", tex, re.S):
        assert len(equation) < 6000


def test_notation_profiles_change_the_symbols(tutorial):
    texts = {n: documents(tutorial, RenderOptions(formats=("tex",), notation=n))["tutorial.tex"]
             for n in ("tutorial", "nielsen", "matrix")}
    # the TikZ diagram labels in tutorial notation whatever the profile; the text must follow the profile
    texts = {n: re.sub(r"\\begin\{tikzpicture\}.*?\\end\{tikzpicture\}", "", t, flags=re.S) for n, t in texts.items()}
    assert "z^{(1)}_{2}" in texts["tutorial"] and "w^{(3)}_{2,1}" in texts["tutorial"]
    assert "a^{1}_{2}" in texts["nielsen"] and "w^{3}_{12}" in texts["nielsen"]  # w^l_{jk}: indices swap
    assert r"\frac{\partial C}{\partial" in texts["nielsen"] and "w^{(3)}_{2,1}" not in texts["nielsen"]
    assert r"\left(\mathbf{A}_{1}\right)_{2}" in texts["matrix"] and r"d\mathbf{Z}_{2}" in texts["matrix"]
    assert "Nielsen" in texts["nielsen"] and "NumPy code" in texts["matrix"]
    for text in texts.values():
        assert "-2.77298" in text  # same derivation, same numbers


def test_exact_mode_prints_fractions():
    md = documents(derive(load_spec("chain")), RenderOptions(formats=("md",)))["chain.md"]
    assert r"\frac{17}{20}" in md and r"-\frac{11}{200}" in md


def test_several_steps_draw_the_cost_history():
    docs = documents(derive(load_spec("tanh-sigmoid")))
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="cost-plot"' in docs["tanh-sigmoid.html"]
    assert "](tanh-sigmoid-cost.svg)" in docs["tanh-sigmoid.md"]
    assert docs["tanh-sigmoid-cost.svg"].count("<circle") == 6
    # the diagram, the cost plot and one path figure per worked hidden-layer gradient (6)
    assert docs["tanh-sigmoid.tex"].count(r"\begin{tikzpicture}") == 2 + 6


def test_solutions_collapsed_in_html_and_at_the_end_elsewhere(tutorial_docs):
    html, tex, md = (tutorial_docs[f"tutorial.{ext}"] for ext in ("html", "tex", "md"))
    assert html.count("<details>") >= 3 and "<summary>Solution</summary>" in html
    assert tex.index(r"\section*{Solutions}") > tex.index(r"\label{exercises}")
    assert md.index("## Solutions") > md.index('<a id="exercises"></a>')
    assert "0.075546" in html  # w^(3)_{2,1} after a step with twice the learning rate


def test_number_formatting():
    assert format_number(-0.314) == "-0.314" and format_number(6384.3141) == "6384.31"
    assert format_number(1.2345678e-7) == "1.23457e-7" and format_number(1234567.0) == "1.23457e6"
    assert format_number(2.0 / 3, digits=3) == "0.667"
    assert latex_number(1.5e-9) == r"1.5 \times 10^{-9}"
    import sympy as sp
    assert latex_number(sp.Rational(-157, 500)) == r"-\frac{157}{500}" and format_number(sp.Integer(3)) == "3"


def test_digits_option(tutorial):
    tex = documents(tutorial, RenderOptions(formats=("tex",), digits=3))["tutorial.tex"]
    assert "-2.77" in tex and "-2.77298" not in tex


def test_bad_options_name_the_flag(tutorial):
    with pytest.raises(SpecError, match="--notation"):
        documents(tutorial, RenderOptions(notation="greek"))
    with pytest.raises(SpecError, match="--to"):
        documents(tutorial, RenderOptions(formats=("docx",)))


def test_render_writes_atomically(tmp_path):
    written = render("chain", tmp_path, RenderOptions(formats=("md", "html")))
    assert sorted(p.name for p in written) == ["chain-diagram.svg", "chain-paths-W1-1-1.svg", "chain-paths-b1-1.svg",
                                               "chain.html", "chain.md"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    before = (tmp_path / "chain.md").read_bytes()
    broken = tmp_path / "templates" / "md"
    broken.mkdir(parents=True)
    (broken / "document.md").write_text("{% for %}", encoding="utf-8")
    with pytest.raises(Exception):
        render("chain", tmp_path, RenderOptions(formats=("md",), templates=tmp_path / "templates"))
    assert (tmp_path / "chain.md").read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_user_templates_come_first(tmp_path):
    (tmp_path / "html").mkdir()
    (tmp_path / "html" / "document.html").write_text("<p>{{ example.title }}: {{ example.sections|length }}</p>\n")
    html = documents(derive(load_spec("chain")), RenderOptions(formats=("html",), templates=tmp_path))["chain.html"]
    assert html == "<p>A one-neuron-per-layer chain: 9</p>\n"


def test_pdf_needs_pdflatex(monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(ToolMissingError, match="apt-get install texlive-latex-base"):
        render("chain", tmp_path, RenderOptions(formats=("pdf",)))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_pdf_compiles(tmp_path):
    written = render("xor-softmax", tmp_path, RenderOptions(formats=("pdf",)))
    assert [p.name for p in written] == ["xor-softmax.pdf"]
    assert (tmp_path / "xor-softmax.pdf").read_bytes()[:5] == b"%PDF-"


def test_cli_render(tmp_path, capsys):
    assert main(["render", "chain", "-o", str(tmp_path), "--to", "md", "--detail", "summary"]) == 0
    assert (tmp_path / "chain.md").is_file() and (tmp_path / "chain-diagram.svg").is_file()
    assert "chain.md" in capsys.readouterr().out
    assert main(["render", "nope-not-here", "-o", str(tmp_path)]) == 2


def test_repr_html_shows_the_document(tutorial):
    import nnsteps

    d = nnsteps.Network.from_file("chain").derive()
    html = d._repr_html_()
    assert html.startswith('<div class="nnsteps-notebook') and "A one-neuron-per-layer chain" in html
    assert "<iframe" not in html and "<script" not in html and "<math" in html  # issue 17: no iframe, no KaTeX copy
    assert Path(nnsteps.__file__).parent.joinpath("network.py").is_file()


def test_derive_does_not_import_the_renderer():
    import subprocess
    import sys

    code = ("import sys; from nnsteps.derive.derivation import derive; from nnsteps.spec import load_spec; "
            "derive(load_spec('chain')); print('jinja2' in sys.modules, any(m.startswith('nnsteps.render.') "
            "and m != 'nnsteps.render.numbers' for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
