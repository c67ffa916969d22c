"""Maths typeset at build time (render/mathml.py): KaTeX's MathML made smaller with the same layout, and the formula
cache between runs (render/mathcache.py), which only ever saves time and cannot inject markup."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nnsteps.render import mathcache, mathml
from nnsteps.render.mathcache import FormulaCache, is_plain_mathml


def test_compaction_keeps_the_layout_and_drops_the_rest():
    aligned = mathml.mathml(r"\begin{aligned} z^{(1)}_{1} &= w x + b \\ &= -0.3 \end{aligned}", True)
    assert aligned.startswith('<math display="block"><mtable ') and aligned.endswith("</mtable></math>")
    assert "annotation" not in aligned and "semantics" not in aligned and "xmlns" not in aligned
    assert "<mstyle" not in aligned and '<mtd displaystyle="true">' in aligned  # cell styles merged into the cell
    assert "<msubsup><mi>z</mi><mn>1</mn><mn>(1)</mn></msubsup>" in aligned  # a layer number as one <mn>
    assert '<mo>=</mo><mn>−0.3</mn>' in aligned  # a unary minus is part of its number, as TeX spaces it
    inline = mathml.mathml(r"\max\left\{0, \left(-0.417\right)\right\} + \frac{\partial J}{\partial b}")
    assert inline.startswith("<math><mi>max</mi>")  # the lone <mrow> around the whole formula unwrapped
    assert "<mo>{</mo><mn>0</mn><mo>,</mo><mn>(−0.417)</mn>" not in inline  # braces around plain tokens: not stretched
    assert '<mo stretchy="false">{</mo><mn>0</mn><mo>,</mo><mn>(−0.417)</mn><mo stretchy="false">}</mo>' in inline
    assert "<mi>x</mi><mo>−</mo><mn>3</mn>" in mathml.mathml("x - 3")  # a binary minus stays an operator
    assert "<mi>∂</mi>" in inline and "fence=" not in inline


def test_katex_errors_show_and_user_commands_do_not_run():
    bad = mathml.mathml(r"\frac{1}{")
    assert 'class="katex-error"' in bad and "<script" not in bad
    untrusted = mathml.mathml(r"\href{javascript:alert(1)}{x} \htmlClass{a}{b} \url{http://x}")
    assert "javascript:" not in untrusted.replace("\\href{javascript:", "") and "href=" not in untrusted


def test_vendored_katex_version_names_the_cache():
    source = Path(mathml.__file__).parent.parent / "templates" / "html" / "vendor" / "katex.min.js"
    if not source.is_file():  # installed as a wheel: the packaged copy
        from importlib import resources
        source = resources.files("nnsteps.templates").joinpath("html", "vendor", "katex.min.js")
    assert f'version:"{mathml.KATEX_VERSION}"' in source.read_text(encoding="utf-8")


def test_cache_round_trip_and_poison(tmp_path, monkeypatch):
    monkeypatch.setenv(mathcache.CACHE_ENV, str(tmp_path))
    cache = FormulaCache("k")
    good = mathml.mathml("x^{2}")
    cache.put("x^{2}", False, good)
    cache.put("bad", False, '<span class="katex-error">x</span>')  # never kept
    cache.save()
    again = FormulaCache("k")
    assert again.get("x^{2}", False) == good and again.get("x^{2}", True) is None and again.get("bad", False) is None
    # a file changed by someone else: anything but plain MathML is ignored, and a broken file is no error
    path = tmp_path / "mathml-k.json"
    for text in ('{"i|a": "<math><script>alert(1)</script></math>", "i|b": "<math><mi onclick=\\"x\\">b</mi></math>"}',
                 '{"i|c": "<math><mi>c</mi></math><img src=x>"}', "not json", "[1, 2]"):
        path.write_text(text, encoding="utf-8")
        poisoned = FormulaCache("k")
        assert all(poisoned.get(k, False) is None for k in "abc")
    assert is_plain_mathml(good) and not is_plain_mathml("<math><mi>a</mi></math><b>")


def test_cache_off_and_unwritable_folder(tmp_path, monkeypatch):
    monkeypatch.setenv(mathcache.CACHE_ENV, "off")
    assert mathcache.folder() is None and FormulaCache("k").get("x", False) is None
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv(mathcache.CACHE_ENV, str(blocker / "sub"))  # cannot be made: saving is skipped quietly
    cache = FormulaCache("k")
    cache.put("x", False, "<math><mi>x</mi></math>")
    cache.save()
    assert not (blocker / "sub").exists()


@pytest.mark.parametrize("cache", ["off", "warm"])
def test_documents_are_the_same_with_or_without_the_cache(tmp_path, cache):
    env = {**os.environ, mathcache.CACHE_ENV: "off" if cache == "off" else str(tmp_path / "cache")}
    outputs = []
    for run in ("first", "second"):
        out = tmp_path / run
        subprocess.run([sys.executable, "-m", "nnsteps", "render", "chain", "--to", "html", "-o", str(out)],
                       check=True, env=env, capture_output=True)
        outputs.append((out / "chain.html").read_bytes())
    assert outputs[0] == outputs[1]
    if cache == "warm":
        files = sorted((tmp_path / "cache").iterdir())  # the formulas, and the compiled templates (templatecache)
        assert [f.name for f in files] == [f"mathml-katex{mathml.KATEX_VERSION}-{mathml.COMPACTION}.json", "templates"]
        entries = json.loads(files[0].read_text(encoding="utf-8"))
        # what KaTeX typeset is kept; formulas filled in from their shape's are not (made again in microseconds)
        assert any(k.startswith("i|") for k in entries) and not any(k.startswith("f") for k in entries)
        assert re.search(rb"<math", outputs[0]) and files[0].stat().st_size > 1000


@pytest.mark.parametrize("name", ["tutorial", "xor-softmax", "tanh-sigmoid", "chain"])
def test_shared_templates_give_exactly_what_kaTeX_gives(name, monkeypatch):
    """Typesetting a formula's shape once (numbers as placeholders) changes no byte of any built-in document."""
    from nnsteps.derive.derivation import derive
    from nnsteps.pipeline import RenderOptions, documents
    from nnsteps.spec import load_spec

    options = RenderOptions(formats=("html",))
    d = derive(load_spec(name))
    shared = documents(d, options)
    monkeypatch.setattr(mathml, "mathml", lambda latex, display=False: mathml.typeset(str(latex), bool(display)))
    assert documents(d, options) == shared
