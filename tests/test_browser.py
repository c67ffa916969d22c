"""Headless Chromium over the HTML documents: maths typeset, diagram present and interactive, no network."""

import os

import pytest

from nnsteps.derive.derivation import derive
from nnsteps.render.diagram import diagram_script, network_svg
from nnsteps.spec import builtin_names, load_spec

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
LOCAL = ("file:", "data:", "about:", "blob:")

# A client point on the weight's visible line where a real click lands on that weight (not on a crossing one).
CLICK_POINT = """(w) => {
  const line = w.querySelector('line.nn-line'), m = line.getScreenCTM(), svg = w.ownerSVGElement;
  const a = ['x1', 'y1', 'x2', 'y2'].map(k => parseFloat(line.getAttribute(k)));
  for (const s of [0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8, 0.15, 0.85]) {
    const p = svg.createSVGPoint(); p.x = a[0] + s * (a[2] - a[0]); p.y = a[1] + s * (a[3] - a[1]);
    const q = p.matrixTransform(m), hit = document.elementFromPoint(q.x, q.y);
    if (hit && hit.closest('.nn-weight') === w) return [q.x, q.y];
  }
  return null;
}"""
IN_VIEW = "(el) => { const r = el.getBoundingClientRect(); return r.bottom > 0 && r.top < window.innerHeight; }"


@pytest.fixture(scope="module")
def browser(require_tools):
    require_tools(CHROMIUM, "python:playwright")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def refuse_network(context) -> list:
    """Let the context's file:, data:, about: and blob: requests through; refuse every other one and list it."""
    blocked = []

    def route(request_route):
        url = request_route.request.url
        if url.startswith(LOCAL):
            request_route.continue_()
        else:
            blocked.append(url)
            request_route.abort()

    context.route("**/*", route)
    return blocked


@pytest.fixture
def page(browser):
    """A page whose every non-file request is refused and recorded in page.blocked; errors in page.errors."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    tab = context.new_page()
    tab.blocked, tab.errors = refuse_network(context), []
    tab.on("pageerror", lambda error: tab.errors.append(str(error)))
    yield tab
    context.close()


def _click_neuron(page):
    svg = page.locator("svg.nnsteps-diagram").first
    svg.scroll_into_view_if_needed()
    svg.locator(".nn-neuron").first.locator("circle").click()
    page.wait_for_function("() => document.querySelector('svg.nnsteps-diagram').classList.contains('animating')"
                           " && document.querySelectorAll('svg.nnsteps-diagram .impulse').length > 0", timeout=3000)


def _click_weight(page):
    """Click (for real) a weight whose derivation anchor exists; check the paths light up and the page scrolls."""
    weights = page.locator("svg.nnsteps-diagram").first.locator(".nn-weight")
    target_of = ("(w) => { const m = /^W(\\d+)\\[(\\d+),(\\d+)\\]$/.exec(w.dataset.param);"
                 " return m ? 'grad-W' + m[1] + '-' + m[2] + '-' + m[3] : null; }")
    for n in range(weights.count()):
        weight = weights.nth(n)
        target = weight.evaluate(target_of)
        if page.locator(f"[id='{target}']").count():
            break
    else:
        pytest.fail("no weight has a derivation anchor grad-W{l}-{i}-{j} in the page")
    weight.scroll_into_view_if_needed()
    point = weight.evaluate(CLICK_POINT)
    assert point, "the weight line is covered everywhere"
    page.mouse.move(*point)
    tip = page.locator(".nn-tooltip")
    tip.wait_for(state="visible", timeout=2000)
    assert "∂" in tip.inner_text()
    before = page.evaluate("window.scrollY")
    page.mouse.click(*point)
    assert page.locator("svg.nnsteps-diagram .highlight").count() >= 2
    anchor = page.locator(f"[id='{target}']")
    page.wait_for_function(f"() => {{ const el = document.getElementById('{target}');"
                           f" return ({IN_VIEW})(el); }}", timeout=4000)
    assert page.evaluate("window.scrollY") != before or anchor.evaluate(IN_VIEW)
    return weight


def test_diagram_script_on_a_bare_page(page, tmp_path):
    """The diagram alone (no document): impulses, exact chain-rule paths, scrolling, and a screenshot."""
    svg = network_svg(derive(load_spec("tutorial")))
    html = (f"<!doctype html><meta charset='utf-8'><body style='margin:24px'>{svg}"
            "<div style='height:2400px'></div><h3 id='grad-W1-1-2'>W1[1,2]</h3><div style='height:1200px'></div>"
            f"<script>{diagram_script()}</script></body>")
    (tmp_path / "bare.html").write_text(html, encoding="utf-8")
    page.goto((tmp_path / "bare.html").as_uri())
    page.locator("svg.nnsteps-diagram").screenshot(path=str(tmp_path / "tutorial-diagram.png"))
    _click_neuron(page)
    assert page.locator("circle.impulse").count() == 3  # x^(0)_1 fires along its 3 weights
    page.wait_for_function("() => !document.querySelector('svg').classList.contains('animating')", timeout=15000)
    assert page.locator(".impulse").count() == 0
    _click_weight(page)
    lit = sorted(page.evaluate("Array.from(document.querySelectorAll('.highlight'), e => e.id)"))
    assert lit == sorted(["nn-w1-1-2", "nn-x0-1", "nn-z1-2", "nn-x1-2", "nn-w2-2-1", "nn-w2-2-2", "nn-z2-1",
                          "nn-x2-1", "nn-z2-2", "nn-x2-2", "nn-w3-1-1", "nn-w3-2-1", "nn-z3-1", "nn-x3-1",
                          "nn-c1", "nn-J"])
    page.keyboard.press("Escape")
    assert page.locator(".highlight").count() == 0 and page.locator("svg.nn-dim").count() == 0
    assert not page.errors and not page.blocked


def _render_html(name, folder):
    """The document pipeline's HTML for a built-in example, written into folder."""
    try:
        from nnsteps.pipeline import RenderOptions, render
    except ModuleNotFoundError as error:
        if error.name != "nnsteps.pipeline":
            raise
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but nnsteps.pipeline (the document pipeline) is missing", pytrace=False)
        pytest.skip("nnsteps.pipeline not written yet")
    written = render(name, folder, RenderOptions(formats=("html",)))
    return next(path for path in written if path.suffix == ".html")


@pytest.mark.parametrize("name", builtin_names())
def test_document_renders_offline(name, page, tmp_path):
    html = _render_html(name, tmp_path)
    page.goto(html.as_uri())
    page.wait_for_load_state("load")
    assert page.locator(".katex-error").count() == 0
    assert page.locator(".math math").count() > 0  # typeset at build time (MathML)
    text = page.evaluate("document.body.innerText")
    unrendered = text.count("\\(") + text.count("\\[")
    assert unrendered == 0, f"{unrendered} formulas left as TeX source"
    assert page.locator("svg.nnsteps-diagram").count() >= 1
    _click_neuron(page)
    _click_weight(page)
    assert not page.errors, page.errors
    assert page.blocked == [], f"network requests attempted: {page.blocked}"


def test_diagram_by_keyboard_back_link_stopped_impulses_and_deltas(page, tmp_path):
    """Tab to a weight, Enter jumps to its derivation, the back link returns to that weight; the tooltip has the
    text's digits; impulses stop at neurons whose output is 0; the backward values appear on request."""
    page.goto(_render_html("tutorial", tmp_path).as_uri())
    svg = page.locator("svg.nnsteps-diagram").first
    hint = page.locator("svg.nnsteps-diagram + .nn-hint")
    assert hint.count() == 1 and "Tab" in hint.inner_text() and "click" in hint.inner_text()
    for _ in range(400):  # weights are reachable by Tab, in the page's order
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "nn-w3-2-1":
            break
    else:
        pytest.fail("Tab never reached the weight w3-2-1")
    focused = page.locator("#nn-w3-2-1 line.nn-line")
    assert focused.evaluate("(l) => getComputedStyle(l).strokeWidth") == "3.5px"  # a visible focus
    tip = page.locator(".nn-tooltip")
    tip.wait_for(state="visible", timeout=2000)
    gradient = tip.inner_text().split("= ")[-1].replace("−", "-")
    assert gradient == "-2.77298"  # six digits, as --digits 6 (the default) prints them
    assert gradient[1:] in page.locator("#grad-W3-2-1").inner_text()
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => ({IN_VIEW})(document.getElementById('grad-W3-2-1'))", timeout=4000)
    assert page.evaluate("document.activeElement.className") == "nn-back"
    assert page.locator("#grad-W3-2-1 .nn-back").count() == 1
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => ({IN_VIEW})(document.querySelector('svg.nnsteps-diagram'))", timeout=4000)
    assert page.evaluate("document.activeElement.id") == "nn-w3-2-1"
    # a neuron whose output is 0 receives the impulse but sends none on
    page.evaluate("""() => { window.fired = new Set(); window.stopped = new Set();
      new MutationObserver(ms => ms.forEach(m => { const c = m.target.classList;
        if (c.contains('nn-neuron') && c.contains('impulse')) fired.add(m.target.id);
        if (c.contains('nn-stopped')) stopped.add(m.target.id); }))
      .observe(document.querySelector('svg.nnsteps-diagram'), {attributes: true, subtree: true,
                                                               attributeFilter: ['class']}); }""")
    page.locator("#nn-x0-1").focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => window.fired.has('nn-x3-1')", timeout=15000)
    page.wait_for_function("() => !document.querySelector('svg.nnsteps-diagram').classList.contains('animating')",
                           timeout=15000)
    assert sorted(page.evaluate("Array.from(window.fired)")) == ["nn-x0-1", "nn-x1-2", "nn-x2-2", "nn-x3-1"]
    assert sorted(page.evaluate("Array.from(window.stopped)")) == ["nn-x1-1", "nn-x1-3", "nn-x2-1"]
    # the backward values, on request
    delta = svg.locator(".nn-delta").first
    assert not delta.is_visible()
    toggle = page.locator(".nn-toggle")
    toggle.click()
    assert delta.is_visible() and toggle.get_attribute("aria-pressed") == "true"
    assert "δ = −7.91" in svg.locator(".nn-delta").all_text_contents()
    assert not page.errors, page.errors


def test_descent_draws_its_contour_plot(page, tmp_path):
    """The built-in --compare example: the contour plot is laid out, with every rule's path inside its frame."""
    page.goto(_render_html("descent", tmp_path).as_uri())
    page.wait_for_load_state("load")
    plot = page.locator("figure.contour-plot svg.contour-plot")
    assert plot.count() == 1
    box = plot.bounding_box()
    assert box["width"] > 300 and box["height"] > 250
    box_of = "(b => ({x: b.x, y: b.y, width: b.width, height: b.height}))"
    frame = page.evaluate(f"() => {box_of}(document.querySelector('svg.contour-plot rect').getBBox())")
    paths = page.evaluate("() => [...document.querySelectorAll('svg.contour-plot polyline[stroke-width=\"2\"]')]"
                          f".map(p => {box_of}(p.getBBox()))")
    assert len(paths) == 3
    for b in paths:
        assert frame["x"] <= b["x"] and b["x"] + b["width"] <= frame["x"] + frame["width"]
        assert frame["y"] <= b["y"] and b["y"] + b["height"] <= frame["y"] + frame["height"]
    assert not page.errors
