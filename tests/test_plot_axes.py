"""Every plot labels both axes, in SVG and TikZ: the cost plot, the comparison of update rules, the line plots."""

import xml.etree.ElementTree as ET
from types import SimpleNamespace

import pytest

from nnsteps.render.lineplot import Series, line_plot_svg, line_plot_tikz
from nnsteps.render.plot import compare_plot_svg, compare_plot_tikz, cost_plot_svg, cost_plot_tikz

SVG = "{http://www.w3.org/2000/svg}"
HISTORY = (2.5, 1.25, 0.75, 0.5)


def _axis_labels(svg: str) -> tuple[str, str]:
    """(x label, y label): the text under the plot and the text turned upright."""
    texts = list(ET.fromstring(svg).iter(f"{SVG}text"))
    upright = [t for t in texts if "rotate(-90)" in t.get("transform", "")]
    under = [t for t in texts if t.get("font-size") == "12" and t not in upright]
    assert len(upright) == 1 and len(under) == 1
    return "".join(under[0].itertext()), "".join(upright[0].itertext())


@pytest.mark.parametrize("cost", ["J", "C"])
def test_cost_plot_axes(cost):
    assert _axis_labels(cost_plot_svg(HISTORY, cost=cost)) == ("step", f"cost {cost}")
    tikz = cost_plot_tikz(HISTORY, cost=cost)
    assert "{step};" in tikz and rf"\node[rotate=90]" in tikz and rf"{{cost \({cost}\)}};" in tikz


def test_compare_plot_axes():
    curves = [SimpleNamespace(label="sgd", history=HISTORY), SimpleNamespace(label="adam", history=(2.5, 1.0, 0.5, 0.2))]
    assert _axis_labels(compare_plot_svg(curves)) == ("step", "cost J")
    assert r"{cost \(J\)};" in compare_plot_tikz(curves) and "{step};" in compare_plot_tikz(curves)


def test_line_plot_axes():
    series = (Series("tanh", (0.0, 1.0, 2.0), (0.0, 0.76, 0.96)),)
    assert _axis_labels(line_plot_svg(series, "activations", "z", "value")) == ("z", "value")
    tikz = line_plot_tikz(series, "activations", "z", "value")
    assert "{z};" in tikz and r"\node[rotate=90]" in tikz and "{value};" in tikz


def test_a_cost_letter_is_never_printed_unchecked():
    with pytest.raises(ValueError):
        cost_plot_svg(HISTORY, cost="<script>")
