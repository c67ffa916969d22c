"""Every built-in example in Chromium: maths typeset without JavaScript, and nothing wider than a phone or desktop screen."""

import pytest

from nnsteps.pipeline import RenderOptions, render
from nnsteps.spec import builtin_names

from test_browser import browser, refuse_network  # noqa: F401 (browser: the shared Chromium fixture)

WIDTHS = (390, 1280)
# Each formula and the box that holds it: a formula wider than the screen must sit in a box that scrolls sideways
# (overflow-x auto/scroll, the box itself inside the screen); anything else poking past the right edge is a fault.
LAYOUT = """() => {
  const width = document.documentElement.clientWidth, faults = [];
  const scroller = (el) => { for (let e = el.parentElement; e; e = e.parentElement) {
    const o = getComputedStyle(e).overflowX; if (o === 'auto' || o === 'scroll') return e; } return null; };
  const describe = (el) => (el.closest('[id]') || {}).id + ' ' + el.textContent.slice(0, 60);
  for (const m of document.querySelectorAll('math')) {
    const r = m.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) faults.push('not laid out: ' + describe(m));
    if (r.right <= width + 0.5 && r.left >= -0.5) continue;
    const box = scroller(m);
    if (!box) { faults.push('overflows: ' + describe(m)); continue; }
    const b = box.getBoundingClientRect();
    if (b.right > width + 0.5 || b.left < -0.5) faults.push('box overflows: ' + describe(m));
  }
  return {faults, page: document.documentElement.scrollWidth - width,
          scrolling: Array.from(document.querySelectorAll('.math.display')).filter(e => e.scrollWidth > e.clientWidth + 1).length,
          displays: document.querySelectorAll('.math.display').length};
}"""
TYPESET = """() => ({
  math: document.querySelectorAll('math').length,
  boxes: document.querySelectorAll('.math').length,
  empty: Array.from(document.querySelectorAll('.math')).filter(e => { const m = e.querySelector('math');
    return !m || m.getBoundingClientRect().height === 0; }).length,
  errors: document.querySelectorAll('.katex-error').length,
  text: document.body.innerText,
})"""


@pytest.fixture(scope="module")
def documents(tmp_path_factory):
    """Each built-in example's HTML, rendered once for this module."""
    folder = tmp_path_factory.mktemp("html")
    return {name: next(p for p in render(name, folder / name, RenderOptions(formats=("html",))) if p.suffix == ".html")
            for name in builtin_names()}


def _open(browser, path, width: int, javascript: bool = True):
    context = browser.new_context(viewport={"width": width, "height": 900}, java_script_enabled=javascript)
    blocked = refuse_network(context)
    page = context.new_page()
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    assert blocked == []
    return context, page


@pytest.mark.parametrize("name", builtin_names())
def test_maths_typeset_without_javascript(browser, documents, name):
    context, page = _open(browser, documents[name], 1280, javascript=False)
    try:
        facts = page.evaluate(TYPESET)
    finally:
        context.close()
    assert facts["math"] > 20 and facts["math"] == facts["boxes"], facts["math"]
    assert facts["empty"] == 0 and facts["errors"] == 0
    for source in ("\\(", "\\[", "\\frac", "\\partial", "^{(", "\\begin"):
        assert source not in facts["text"], f"raw LaTeX {source!r} shows in {name}"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", builtin_names())
def test_no_formula_wider_than_the_screen(browser, documents, name, width):
    context, page = _open(browser, documents[name], width)
    try:
        facts = page.evaluate(LAYOUT)
    finally:
        context.close()
    assert facts["displays"] > 0
    assert facts["faults"] == [], facts["faults"][:5]
    assert facts["page"] <= 0, f"the page scrolls sideways by {facts['page']} px at {width} px"


def test_printed_formulas_are_not_clipped(browser, documents):
    """On paper nothing scrolls: the scroll boxes of wide formulas open up, and every section is laid out."""
    context, page = _open(browser, documents["tutorial"], 1280)
    try:
        page.emulate_media(media="print")
        styles = page.evaluate("""() => Array.from(document.querySelectorAll('.math.display, .math.long, section'),
            e => getComputedStyle(e).overflowX + ' ' + getComputedStyle(e).contentVisibility)""")
    finally:
        context.close()
    assert styles and set(styles) == {"visible visible"}, set(styles)
