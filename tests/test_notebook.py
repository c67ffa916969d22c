"""A real notebook, run by nbclient in a fresh kernel: the displays of a Derivation (HTML without an iframe or KaTeX,
LaTeX, Markdown), of a Path, a MatrixEquation, a quantity's value and a graded answers file."""

import json

import pytest

CELLS = {
    "derivation": "import nnsteps\nd = nnsteps.Network.from_file('tutorial').derive()\nd",
    "path": "d.paths('W1[1,2]')[0]",
    "matrix": "d.matrix_form()[0]",
    "quantity": "d.quantity('dW3[2,1]')",
    "grade": ("from nnsteps.answers import answers_from_mapping\nfrom nnsteps.derive.grading import grade\n"
              "grade(d, answers_from_mapping({'answers': {'z1[2]': 0.9, 'dW3[2,1]': -2.77}}, d.spec))"),
}
MAX_HTML = 150_000  # bytes of the tutorial's HTML display (issue 17)


@pytest.fixture(scope="module")
def outputs(require_tools):
    """Each cell's display data (mime type -> text), after running the notebook in a fresh python3 kernel."""
    require_tools("python:nbclient", "python:nbformat", "python:ipykernel")
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in CELLS.values()])
    NotebookClient(notebook, timeout=300, kernel_name="python3").execute()
    result = {}
    for key, cell in zip(CELLS, notebook.cells):
        assert [o for o in cell.outputs if o.output_type == "error"] == [], cell.outputs
        shown = [o for o in cell.outputs if o.output_type == "execute_result"]
        assert len(shown) == 1, (key, cell.outputs)
        result[key] = dict(shown[0].data)
    result["notebook bytes"] = len(nbformat.writes(notebook).encode("utf-8"))
    return result


def test_derivation_html_is_small_and_typeset(outputs):
    html = outputs["derivation"]["text/html"]
    assert len(html.encode("utf-8")) <= MAX_HTML, len(html)
    assert "<iframe" not in html and "<script" not in html and "katex" not in html.lower()
    assert html.count("<math") > 50 and "\\frac" not in html and "\\(" not in html  # typeset, not LaTeX source
    assert "mathjax_ignore" in html  # Jupyter's MathJax leaves it (and any user text in it) alone
    assert "Tutorial example 1" in html and 'class="nnsteps-diagram' in html
    # the whole notebook stays about one display large: no KaTeX copy, no iframe document
    assert outputs["notebook bytes"] < MAX_HTML + 20_000


def test_derivation_latex_and_markdown(outputs):
    data = outputs["derivation"]
    latex, markdown = data["text/latex"], data["text/markdown"]
    assert latex.startswith("$$") and latex.endswith("$$") and r"J = 6384.31" in latex
    assert r"\delta^{(l)}_{k} = \left(\sum_{m} w^{(l+1)}_{k,m}" in latex
    assert "**Tutorial example 1**" in markdown and "| parameter | gradient | value |" in markdown
    assert r"| $w^{(3)}_{2,1}$ | $\frac{\partial J}{\partial w^{(3)}_{2,1}}$ | -2.77298 |" in markdown
    assert data["text/plain"] == "Derivation('tutorial', layers=[2, 3, 2, 1], 20 parameters, 1 sample, J=6384.31)"


def test_path_matrix_equation_and_quantity(outputs):
    path = outputs["path"]
    assert path["text/plain"] == "Path(J -> x3_1 -> z3_1 -> x2_1 -> z2_1 -> x1_2 -> z1_2 -> w1_1_2)"
    assert path["text/latex"].startswith(r"$\frac{\partial J}{\partial x^{(3)}_{1}}") and "Fraction" not in str(path)
    matrix = outputs["matrix"]
    assert matrix["text/latex"] == r"$\mathbf{Z}^{(1)} = \mathbf{X}^{(0)} \mathbf{W}^{(1)} + \mathbf{1}_{n} {\mathbf{b}^{(1)}}^{\top}$"
    assert matrix["text/plain"].startswith("MatrixEquation(receptor, layer 1: Z1 = ")
    quantity = outputs["quantity"]
    assert quantity["text/plain"] == "dW3[2,1] = -2.77298"
    assert quantity["text/latex"] == r"$\frac{\partial J}{\partial w^{(3)}_{2,1}} = -2.77298$"


def test_graded_answers(outputs):
    grade = outputs["grade"]
    assert grade["text/plain"] == "Grade('tutorial': 1 of 2 right, first wrong z1[2])"
    markdown = grade["text/markdown"]
    assert markdown.startswith("**1 of 2 right**; first wrong step: `z1[2]`")
    assert "| `z1[2]` | 0.9 | 0.818 | ✗ |" in markdown and "| `dW3[2,1]` | -2.77 | -2.77298 | ✓ |" in markdown
    json.dumps(grade)  # plain strings only
