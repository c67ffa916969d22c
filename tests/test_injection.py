"""Hostile titles, names and file names in every output language, each output then used as a user would.

Python: the exported module is imported in a subprocess, and `gradient_function()` compiles no user text.
TeX: the exported formulas are \\input into a wrapper and compiled by pdflatex; `render --to pdf` compiles.
HTML: documents, exercise sheets and check reports are loaded in Chromium (see test_html_injection.py).
Markdown and SVG: one-line headings, fenced code spans, well-formed XML.
TOML: specs and answers files written by nnsteps read back exactly.
"""

import json
import re
import subprocess
import sys
import tempfile
import tomllib
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from nnsteps.answers import answers_toml
from nnsteps.commands.export import latex_formulas
from nnsteps.commands.train import trained_toml
from nnsteps.derive import codegen
from nnsteps.derive.codegen import numpy_module
from nnsteps.derive.derivation import derive
from nnsteps.pipeline import RenderOptions, documents, file_stem, render
from nnsteps.render.escape import md_code, md_escape, one_line, tex_escape
from nnsteps.spec import load_spec, spec_from_mapping
from nnsteps.spec_writer import spec_to_mapping, to_toml

# What a red team tried, and what breaks each output language when pasted raw.
KNOWN = [
    'x"""\nimport os; os.system("touch PWNED")\n"""', "'''", "C:\\x", r"\input{/etc/passwd}",
    "\r\\input{/etc/passwd}", "\n\n", "\u007f", "</script><script>window.PWNED=1;document.title='PWNED'</script>",
    r"\(\rule{40em}{40em}\color{red}{\Huge SPOOFED}\)", "{{ 7*7 }}", "$x$", "]]>", "<!--", "\u2028", "\u2029",
    "\u0085", "\x0b\x0c", "\x00\x1b[31m", "%", "\\", "`", "```", '"\n[meta]\nevil = 1\n"', "\\u0041", "\\n",
    '<img src=x onerror="window.PWNED=1">', "\\immediate\\write18{touch PWNED}", "\\\\", "#", "^^M", "\ufeff",
]
ALL_KNOWN = "".join(KNOWN)
# known payloads mixed with any text (control characters, quotes, backslashes, newlines included)
HOSTILE = st.lists(st.sampled_from(KNOWN) | st.text(max_size=12), min_size=1, max_size=4).map("".join)
PAIRS = st.lists(st.tuples(HOSTILE, HOSTILE), min_size=2, max_size=4)
KNOWN_PAIRS = [(ALL_KNOWN, "n" + ALL_KNOWN), ("C:\\x", "a\n\nb"), ("", 'x"""\nimport os\n"""'), ("\u007f", "\r")]
X, Y = [[1.0, 2.0], [-0.5, 0.25]], [[0.5], [0.1]]
PARAMS = {"W1": [[0.1, -0.2], [0.3, 0.4]], "b1": [0.05, -0.05], "W2": [[0.5], [-0.6]], "b2": [0.1]}


def hostile_spec(title: str, name: str, **changes):
    mapping = {"title": title, "name": name, "layers": [2, 2, 1], "activations": ["tanh", "sigmoid"],
               "loss": "squared_error", "parameters": PARAMS, "data": {"X": X, "Y": Y}, "steps": 2}
    mapping.update(changes)
    return spec_from_mapping(mapping)


def files_in(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def nnsteps_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "nnsteps", *map(str, args)], capture_output=True, text=True, cwd=cwd)


# -- Python --------------------------------------------------------------------
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PAIRS)
@example(KNOWN_PAIRS)
def test_exported_module_imports_and_runs_nothing(pairs):
    with tempfile.TemporaryDirectory() as tmp:
        modules, work = Path(tmp, "modules"), Path(tmp, "work")
        modules.mkdir()
        work.mkdir()
        for i, (title, name) in enumerate(pairs):
            (modules / f"g{i}.py").write_text(numpy_module(derive(hostile_spec(title, name))), encoding="utf-8")
        script = (f"import importlib, json, sys\nsys.path.insert(0, {str(modules)!r})\nout = []\n"
                  f"for i in range({len(pairs)}):\n"
                  "    m = importlib.import_module(f'g{i}')\n"
                  f"    out.append([m.TITLE, m.NAME, m.cost({PARAMS!r}, {X!r}, {Y!r})])\n"
                  "print(json.dumps(out))\n")
        run = subprocess.run([sys.executable, "-B", "-c", script], cwd=work, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        assert files_in(work) == [] and files_in(modules) == [f"g{i}.py" for i in range(len(pairs))]
        out = json.loads(run.stdout)
        expected_cost = float(derive(hostile_spec("t", "n")).backward.cost)
        for (title, name), (got_title, got_name, cost) in zip(pairs, out):
            assert (got_title, got_name) == (title, name)  # the title and name are data, read back exactly
            assert cost == pytest.approx(expected_cost, rel=1e-12)


def test_gradient_function_compiles_no_user_text(monkeypatch):
    compiled = []

    def spy(source, filename, mode):
        compiled.append((source, filename))
        return compile(source, filename, mode)

    monkeypatch.setattr(codegen, "compile", spy, raising=False)  # the module's `compile` shadows the builtin
    hostile = derive(hostile_spec(ALL_KNOWN, "n" + ALL_KNOWN))
    plain = derive(hostile_spec("", "network"))
    gradients = hostile.gradient_function()
    plain.gradient_function()
    (hostile_source, hostile_file), (plain_source, plain_file) = compiled
    assert hostile_source == plain_source and hostile_file == plain_file == "<nnsteps_export>"
    assert "TITLE" not in hostile_source and "os.system" not in hostile_source
    reference = plain.gradient_function()(plain.params, plain.X, plain.Y)
    for key, value in gradients(hostile.params, hostile.X, hostile.Y).items():
        np.testing.assert_array_equal(value, reference[key])


def test_network_api_in_a_subprocess_writes_nothing(tmp_path):
    spec = tmp_path / "evil.json"
    spec.write_text(json.dumps({"title": 'x"""\nimport os; os.system("id > pwned")\n"""', "name": "C:\\x\n",
                                "layers": [2, 1], "activations": ["sigmoid"], "loss": "squared_error",
                                "parameters": {"W1": [[0.5], [-0.5]], "b1": [0]},
                                "data": {"X": [[1, 2]], "Y": [[0.5]]}}))
    script = ("import nnsteps\nd = nnsteps.Network.from_file('evil.json').derive()\n"
              "g = d.gradient_function()(d.params, d.X, d.Y)\nprint(float(g['W1'][0, 0]))\n")
    run = subprocess.run([sys.executable, "-B", "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert files_in(tmp_path) == ["evil.json"]
    d = derive(load_spec(spec))
    assert float(run.stdout) == pytest.approx(d.value("dW1[1,1]"), rel=1e-12)
    exported = nnsteps_cli("export", spec, "--to", "numpy", "-o", tmp_path / "g.py")
    assert exported.returncode == 0, exported.stderr
    run = subprocess.run([sys.executable, "-B", "-c", "import g; print(g.TITLE)"], cwd=tmp_path,
                         capture_output=True, text=True)
    assert run.returncode == 0 and run.stdout.startswith('x"""'), run.stderr
    assert files_in(tmp_path) == ["evil.json", "g.py"]


def test_custom_activation_reaches_the_module_only_as_printed_sympy(tmp_path):
    from nnsteps.derive.reference import reference_gradients

    spec = hostile_spec(ALL_KNOWN, "custom", activations=["custom", "identity"],
                        custom={"expression": "max(z, 0.5*z) + min(z, 1) + z/(1 + abs(z))"})
    d = derive(spec)
    source = numpy_module(d)
    docstrings = [line for line in source.splitlines() if line.startswith('    """')]
    assert docstrings and all(line.count('"""') == 2 and "\\" not in line for line in docstrings)
    (tmp_path / "g.py").write_text(source, encoding="utf-8")
    script = ("import json, numpy, g\n"
              f"params = {{k: numpy.asarray(v) for k, v in {PARAMS!r}.items()}}\nout = g.gradients(params, {X!r}, {Y!r})\n"
              "print(json.dumps({k: v.tolist() for k, v in out.items()}))\n")
    run = subprocess.run([sys.executable, "-B", "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr  # max/min print as functools.reduce: the module imports functools
    exported, compiled = json.loads(run.stdout), d.gradient_function()(d.params, d.X, d.Y)
    reference = reference_gradients(spec, d.params, d.X, d.Y)
    for key, value in compiled.items():
        np.testing.assert_allclose(exported[key], value, rtol=1e-12)
        np.testing.assert_allclose(value, reference[key], rtol=1e-5, atol=1e-8)


# -- TeX -----------------------------------------------------------------------
PDFLATEX = ["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error"]
# tex_escape's output: plain characters, escaped specials and a few text macros with empty groups
SAFE_TEX = re.compile(r"(?:[^\\{}$&#%_^~\n\r\x00-\x1f\x7f]|\\[{}$&#%_]|\\text[a-z]+\{\}|\\ldots\{\}|\\\(\\times\\\)|~)*")  # ~ is a no-break space


@settings(max_examples=200, deadline=None)
@given(HOSTILE)
def test_tex_escape_gives_one_line_of_inert_text(text):
    escaped = tex_escape(text)
    assert SAFE_TEX.fullmatch(escaped), escaped
    assert "\n" not in md_escape(text) and "\r" not in md_escape(text)
    code = md_code(text)
    fence = re.match("`+", code).group()
    assert code.endswith(fence) and fence not in code[len(fence):-len(fence)] and "\n" not in code


def _pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PAIRS)
@example(KNOWN_PAIRS)
def test_exported_latex_compiles_when_input_and_reads_no_file(require_tools, pairs):
    require_tools("pdflatex", "pdftotext")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for i, (title, name) in enumerate(pairs):
            text = latex_formulas(derive(hostile_spec(title, name)))
            assert all(line.startswith("%") for line in text.splitlines()[:3])  # the header stays three comments
            (folder / f"f{i}.tex").write_text(text, encoding="utf-8")
        inputs = "\n".join(rf"\input{{f{i}}}" for i in range(len(pairs)))
        (folder / "main.tex").write_text("\\documentclass{article}\n\\usepackage{amsmath,amssymb,bm}\n"
                                         f"\\begin{{document}}\n{inputs}\n\\end{{document}}\n", encoding="utf-8")
        run = subprocess.run([*PDFLATEX, "main.tex"], cwd=folder, capture_output=True, text=True, errors="replace")
        log = (folder / "main.log").read_text(errors="replace")
        assert run.returncode == 0, log[-2000:]
        assert "root:x:0" not in _pdf_text(folder / "main.pdf") and "root:x:0" not in log
        assert "/etc/passwd" not in log and "PWNED" not in files_in(folder)


@pytest.mark.parametrize("name", ["na\n\nme $x$ {{ 7*7 }} \\(", "\r\\input{/etc/passwd}\r"])  # short: a file stem
def test_render_pdf_with_hostile_title_and_name(require_tools, name, tmp_path):
    require_tools("pdflatex", "pdftotext")
    written = render(hostile_spec("T\n\nx " + ALL_KNOWN, name), tmp_path, RenderOptions(formats=("pdf",)))
    assert [p.name for p in written] == [f"{file_stem(name)}.pdf"]
    text = _pdf_text(written[0])
    assert "root:x:0" not in text and "SPOOFED" in text and "input{/etc/passwd}" in text  # printed, not run
    assert not (tmp_path / "PWNED").exists() and not Path("PWNED").exists()


# -- Markdown, SVG and the TeX source ----------------------------------------------
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(HOSTILE, HOSTILE)
@example(ALL_KNOWN, "n" + ALL_KNOWN)
def test_markdown_tex_and_svg_hold_user_text_as_text(title, name):
    spec = hostile_spec(title, name)
    docs = documents(derive(spec), RenderOptions(formats=("md", "tex")))
    stem, shown = file_stem(spec.name), spec.title or spec.name
    md, tex = docs[f"{stem}.md"], docs[f"{stem}.tex"]
    assert md.split("\n", 2)[:2] == [f"# {md_escape(shown)}", ""]  # the heading is one line, then a blank
    assert f"Generated by nnsteps from the spec {md_code(spec.name)} (" in md
    assert f"\n\\title{{{tex_escape(shown)}}}\n" in tex and f"\\texttt{{{tex_escape(spec.name)}}}" in tex
    svg = ET.fromstring(docs[f"{stem}-diagram.svg"])  # well-formed XML, whatever the title holds
    assert svg.get("aria-label") == f"{one_line(shown)}: network diagram, sample 1"


# -- TOML ------------------------------------------------------------------------
@settings(max_examples=150, deadline=None)
@given(HOSTILE, HOSTILE)
@example("\u007f", "a\nb")
@example('"""', "'''")
def test_toml_written_by_nnsteps_reads_back_exactly(title, name):
    spec = hostile_spec(title, name)
    mapping = spec_to_mapping(spec)
    header = f"variant 1 of {name}, seed 3"
    loaded = tomllib.loads(to_toml(mapping, header=header), parse_float=Decimal)
    assert (loaded["title"], loaded["name"]) == (title, name)
    assert spec_from_mapping(loaded) == spec
    meta = {"spec": "spec.toml", "source": name, "seed": 3, "variant": 1}
    key = {"z1[1]": "0.5", "W2[2,1]": "-157/500", "J": "1e-05"}
    answers = tomllib.loads(answers_toml(key, meta, f"Answer key of {header}.\nCheck with nnsteps"))
    assert answers == {"meta": meta, "answers": {"z1[1]": 0.5, "W2[2,1]": "-157/500", "J": 1e-05}}
    params = {k: np.asarray(v, dtype=float) for k, v in PARAMS.items()}
    trained = tomllib.loads(trained_toml(mapping, params, f"{title}: trained"), parse_float=Decimal)
    assert (trained["title"], trained["name"]) == (title, name)


def test_train_and_exercises_write_toml_that_reads_back(tmp_path):
    spec = tmp_path / "evil.json"
    title, name = "T\u007f\n[meta]\nx = 1 \u0085\u2028", "n\nevil = 1\n[answers]\n\"J\" = 0"
    mapping = {"title": title, "name": name, "layers": [2, 2, 1], "activations": ["relu", "identity"],
               "loss": "squared_error", "parameters": PARAMS, "data": {"X": X, "Y": Y}}
    spec.write_text(json.dumps(mapping))
    trained = tmp_path / "trained.toml"
    run = nnsteps_cli("train", spec, "--steps", "3", "-o", trained)
    assert run.returncode == 0, run.stderr
    assert (load_spec(trained).title, load_spec(trained).name) == (title, name)
    assert nnsteps_cli("derive", trained).returncode == 0
    out = tmp_path / "ex"
    run = nnsteps_cli("exercises", spec, "--count", "1", "--jobs", "1", "--format", "md", "--no-progress", "-o", out)
    assert run.returncode == 0, run.stderr
    answers = tomllib.loads((out / "teacher" / "v001" / "answers.toml").read_text(encoding="utf-8"))
    assert set(answers) == {"meta", "answers"} and answers["meta"]["source"] == name
    assert set(answers["meta"]) == {"spec", "source", "seed", "variant"}
    assert load_spec(out / "teacher" / "v001" / "spec.toml").title.startswith(title)  # "..., variant 1"
    graded = nnsteps_cli("check", out / "teacher" / "v001" / "spec.toml", out / "teacher" / "v001" / "answers.toml")
    assert graded.returncode == 0, graded.stdout + graded.stderr
