"""Compiled templates kept between runs (render/templatecache.py): reused only for the same source, options and
versions, only from a private folder, and any broken file means compiling again."""

import os

import jinja2
import pytest

from nnsteps.render import mathcache
from nnsteps.render.environment import _build
from nnsteps.render.templatecache import SUBFOLDER, fingerprint, template_cache


def _env(sources: dict, **options) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.DictLoader(sources), **options)
    env.bytecode_cache = template_cache(env)
    return env


def _no_compiling(env: jinja2.Environment) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("compiled again instead of loading the cached code")
    env.compile = refuse


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(mathcache.CACHE_ENV, str(tmp_path))
    return tmp_path / SUBFOLDER


def test_second_environment_loads_the_code_and_renders_the_same(cache_dir):
    sources = {"a.txt": "{% for i in range(n) %}{{ i * 2 }},{% endfor %}"}
    first = _env(sources).get_template("a.txt").render(n=4)
    assert first == "0,2,4,6," and len(list(cache_dir.iterdir())) == 1
    assert oct(cache_dir.stat().st_mode & 0o777) == oct(0o700)
    again = _env(sources)
    _no_compiling(again)
    assert again.get_template("a.txt").render(n=4) == first


def test_packaged_documents_are_the_same_from_the_cache(cache_dir):
    from nnsteps.derive.derivation import derive
    from nnsteps.render.markdown import render_markdown
    from nnsteps.render.steps import worked_example
    from nnsteps.spec import load_spec

    from nnsteps.pipeline import _figures

    derivation = derive(load_spec("chain"))
    example = worked_example(derivation, "tutorial", None)
    names = {name: f"chain-{name}.svg" for name in _figures(derivation, example, "tutorial")["svg"]}  # paths too
    texts = []
    for run in range(2):
        env = _build("md", None)
        env.bytecode_cache = template_cache(env)
        if run:
            _no_compiling(env)
        texts.append(render_markdown(example, env, names))
    assert texts[0] == texts[1] and "chain" in texts[0]


def test_changed_source_or_options_compile_again(cache_dir):
    assert _env({"a.txt": "{{ x }}"}).get_template("a.txt").render(x=1) == "1"
    assert _env({"a.txt": "[{{ x }}]"}).get_template("a.txt").render(x=1) == "[1]"  # same name, new source
    # other syntax, autoescaping, finalize or filters change the compiled code: another fingerprint, another header
    base = _env({"a.txt": "{{ x }}"})
    variants = [_env({}, variable_start_string="(((", variable_end_string=")))"), _env({}, autoescape=True),
                _env({}, finalize=str), _env({}, trim_blocks=True)]
    with_filter = _env({})
    with_filter.filters["extra"] = jinja2.pass_context(lambda context, value: value)
    variants.append(with_filter)
    prints = {fingerprint(env) for env in [base, *variants]}
    assert len(prints) == len(variants) + 1
    assert fingerprint(base) == fingerprint(_env({"b.txt": "other"}))  # the templates themselves are not options


def test_broken_file_or_shared_folder_means_compiling_again(cache_dir):
    sources = {"a.txt": "{{ x + 1 }}"}
    assert _env(sources).get_template("a.txt").render(x=1) == "2"
    (cached,) = cache_dir.iterdir()
    data = cached.read_bytes()
    cached.write_bytes(data[:-20])  # truncated code
    assert _env(sources).get_template("a.txt").render(x=1) == "2"
    cached.write_bytes(data)
    os.chmod(cache_dir, 0o777)  # anyone may write there: the file is not trusted (nor written)
    try:
        env = _env(sources)
        compiled = []
        original = env.compile
        env.compile = lambda *a, **k: compiled.append(1) or original(*a, **k)
        assert env.get_template("a.txt").render(x=1) == "2" and compiled == [1]
    finally:
        os.chmod(cache_dir, 0o700)


def test_cache_off_or_unwritable_folder(tmp_path, monkeypatch):
    monkeypatch.setenv(mathcache.CACHE_ENV, "off")
    assert template_cache(jinja2.Environment()) is None
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv(mathcache.CACHE_ENV, str(blocker / "sub"))  # cannot be made: compiled each time, no error
    assert _env({"a.txt": "{{ 2 }}"}).get_template("a.txt").render() == "2"
    assert not (blocker / "sub").exists()
