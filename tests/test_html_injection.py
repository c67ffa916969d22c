"""Hostile titles, names and file names in HTML, loaded in Chromium: no script of theirs runs, none of ours breaks,
the text shows literally, and only the maths nnsteps wrote is typeset (MathML made at build time; never user text)."""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings

from nnsteps.derive.derivation import derive
from nnsteps.pipeline import RenderOptions, documents, file_stem
from nnsteps.render.escape import printable

from test_browser import browser, refuse_network  # noqa: F401 (browser: the shared Chromium fixture)
from test_injection import ALL_KNOWN, HOSTILE, PARAMS, X, Y, hostile_spec

# Every payload that would run if it ever became markup: each sets a flag the test reads back.
SCRIPTS = ("</script><script>window.PWNED=1;document.title='PWNED'</script>", "<img src=x onerror='window.PWNED=1'>",
           "<svg onload='window.PWNED=1'></svg>", "<!--", "]]>", "<style>body{display:none}</style>",
           r"\(\rule{40em}{40em}\color{red}{\Huge SPOOFED}\)", r"\[\href{javascript:window.PWNED=1}{x}\]", "$$x$$")
PAYLOAD = "".join(SCRIPTS) + ALL_KNOWN
FACTS = """() => ({
  pwned: window.PWNED === 1 || document.title === 'PWNED',
  title: document.title,
  h1: document.querySelector('h1').textContent,
  userMath: document.querySelectorAll('h1 math, header .summary code math, footer code math, td code math').length,
  math: document.querySelectorAll('math').length,
  strayMath: Array.from(document.querySelectorAll('math')).filter(e => !e.parentElement.closest('.math')).length,
  errors: document.querySelectorAll('.katex-error').length,
  untypeset: Array.from(document.querySelectorAll('.math')).filter(e => !e.querySelector('math')).length,
  scripts: document.scripts.length,
  styles: document.querySelectorAll('style').length,
  overflow: document.documentElement.scrollWidth - window.innerWidth,
  h1Right: document.querySelector('h1').getBoundingClientRect().right,
  ready: document.readyState === 'complete',
})"""


def load(browser, path: Path) -> dict:
    """The page's facts once loaded; every request outside file: is refused and counted."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    blocked, errors = refuse_network(context), []
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("dialog", lambda dialog: (errors.append("dialog " + dialog.message), dialog.dismiss()))
    try:
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        facts = page.evaluate(FACTS)
    finally:
        context.close()
    facts.update(blocked=blocked, pageErrors=errors)
    return facts


def words(text: str) -> list[str]:
    """Text as a browser shows it: control characters gone, runs of white space one space."""
    return printable(text).split()


def assert_inert(facts: dict, heading: str, baseline: dict) -> None:
    assert facts["pageErrors"] == [] and facts["blocked"] == [] and facts["ready"] and facts["errors"] == 0, facts
    assert not facts["pwned"]
    assert words(facts["h1"]) == words(heading)  # the title is literal text
    assert words(facts["title"]) == words(heading)
    assert facts["userMath"] == 0 and facts["strayMath"] == 0  # user text is never typeset
    assert facts["untypeset"] == 0 and facts["math"] == baseline["math"] > 0  # our maths all typeset, nothing more
    assert (facts["scripts"], facts["styles"]) == (baseline["scripts"], baseline["styles"])  # nothing injected
    assert facts["overflow"] <= baseline["overflow"] and facts["h1Right"] <= 1280  # nothing drawn past the page


def _document(spec, folder: Path) -> Path:
    html = documents(derive(spec), RenderOptions(formats=("html",)))[f"{file_stem(spec.name)}.html"]
    path = folder / "doc.html"
    path.write_text(html, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def baseline(browser, tmp_path_factory):
    return load(browser, _document(hostile_spec("Plain", "plain"), tmp_path_factory.mktemp("plain")))


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(HOSTILE, HOSTILE)
@example(PAYLOAD, "n" + PAYLOAD)
@example("Plain", PAYLOAD)
def test_rendered_document_shows_hostile_text_literally(browser, baseline, title, name):
    spec = hostile_spec(title, name)
    with tempfile.TemporaryDirectory() as tmp:
        facts = load(browser, _document(spec, Path(tmp)))
    assert_inert(facts, spec.title or spec.name, baseline)


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "nnsteps", *map(str, args)], capture_output=True, text=True, cwd=cwd)


def test_exercise_sheet_and_solution_show_hostile_text_literally(browser, tmp_path):
    facts = {}
    for key, title in (("plain", "Plain"), ("evil", PAYLOAD)):
        spec = tmp_path / f"{key}.json"
        spec.write_text(json.dumps({"title": title, "name": "x" + PAYLOAD[:40], "layers": [2, 2, 1],
                                    "activations": ["relu", "identity"], "loss": "squared_error",
                                    "parameters": PARAMS, "data": {"X": X, "Y": Y}}))
        run = _cli("exercises", spec, "--count", "1", "--jobs", "1", "--no-progress", "-o", tmp_path / key, cwd=tmp_path)
        assert run.returncode == 0, run.stderr
        facts[key] = {name: load(browser, tmp_path / key / part / "v001" / f"{name}.html")
                      for name, part in (("exercise", "student"), ("solution", "teacher"))}
    for name in ("exercise", "solution"):  # a variant's title is the spec's, with ", variant 1"
        assert_inert(facts["evil"][name], PAYLOAD + ", variant 1", facts["plain"][name])


def test_check_report_shows_hostile_text_literally(browser, tmp_path):
    answers_name = r"\(\rule{40em}{40em}\) $x$ <b>answers.toml"
    (tmp_path / answers_name).write_text('[answers]\n"z1[1]" = 0.123\n"J" = "1/7"\n')
    facts = {}
    for key, title in (("plain", "Plain"), ("evil", PAYLOAD)):
        spec = tmp_path / f"{key}.json"
        spec.write_text(json.dumps({"title": title, "name": key, "layers": [2, 2, 1], "activations": ["relu", "identity"],
                                    "loss": "squared_error", "parameters": PARAMS, "data": {"X": X, "Y": Y}}))
        report = tmp_path / f"{key}.html"
        run = _cli("check", spec, answers_name, "--report", report, cwd=tmp_path)
        assert run.returncode == 1, run.stderr  # both answers are wrong: graded, not refused
        facts[key] = load(browser, report)
    assert_inert(facts["evil"], f"Check of {answers_name} against {PAYLOAD}", facts["plain"])
