"""The contour plot of `render --compare`: marching squares on known level sets, the cost lattice against an
independent NumPy cost, the paths of the rules, and the figure in SVG and TikZ (compiled by pdflatex)."""

from __future__ import annotations

import math
import subprocess

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from nnsteps.derive.compare import compare
from nnsteps.derive.derivation import derive
from nnsteps.derive.landscape import GRID, landscape, trained_entries
from nnsteps.pipeline import RenderOptions, documents, example_options
from nnsteps.render.contour_plot import axis_names, contour_plot_svg, contour_plot_tikz, levels
from nnsteps.render.contours import contour_lines
from nnsteps.spec import load_spec

AXIS = np.linspace(-2.0, 2.0, 41)


def _lattice(f):
    return [[f(x, y) for x in AXIS] for y in AXIS]


@pytest.mark.parametrize("radius", [0.5, 1.0, 1.7])
def test_a_circle_is_one_closed_line_on_the_circle(radius):
    lines = contour_lines(AXIS, AXIS, _lattice(lambda x, y: x * x + y * y), radius ** 2)
    assert len(lines) == 1
    line = lines[0]
    assert line[0] == line[-1] and len(line) > 20  # closed
    # linear interpolation of r^2 between lattice points: within a cell's curvature error of the true circle
    assert max(abs(math.hypot(x, y) - radius) for x, y in line) < 0.01
    angles = sorted(math.atan2(y, x) for x, y in line[:-1])
    assert max(b - a for a, b in zip(angles, angles[1:] + [angles[0] + 2 * math.pi])) < 0.5  # all the way round


@given(a=st.floats(-3, 3), b=st.floats(-3, 3), level=st.floats(-4, 4))
@settings(max_examples=60, deadline=None)
def test_a_plane_gives_points_exactly_on_its_level(a, b, level):
    f = lambda x, y: a * x + b * y  # noqa: E731  linear: interpolation along an edge is exact
    for line in contour_lines(AXIS, AXIS, _lattice(f), level):
        assert len(line) >= 2 and line[0] != line[-1]  # a plane's level set crosses the window, never closes
        assert all(abs(f(x, y) - level) < 1e-9 for x, y in line)


def test_a_saddle_gives_two_branches_and_a_level_outside_gives_none():
    grid = _lattice(lambda x, y: x * y)
    branches = contour_lines(AXIS, AXIS, grid, 0.5)
    assert len(branches) == 2 and all(x * y > 0 for line in branches for x, y in line)
    assert {np.sign(line[0][0]) for line in branches} == {1.0, -1.0}  # one branch in each quadrant
    assert contour_lines(AXIS, AXIS, grid, 10.0) == [] and contour_lines(AXIS, AXIS, grid, -10.0) == []


def test_cells_with_a_missing_corner_are_left_out():
    grid = _lattice(lambda x, y: x * x + y * y)
    grid[20][20] = math.nan  # the centre, inside the unit circle: the circle itself is untouched
    assert len(contour_lines(AXIS, AXIS, grid, 1.0)) == 1
    grid[20][30] = math.nan  # on the circle's right (x = 1): two cells' corners missing, the line opens there
    lines = contour_lines(AXIS, AXIS, grid, 1.0)
    assert len(lines) == 1 and lines[0][0] != lines[0][-1]


def test_levels_are_denser_near_the_least_cost():
    values = levels([[0.0, 1.0], [2.0, 4.0]], 1.0)
    assert len(values) == 10 and values[-1] == 1.0 and values[0] == pytest.approx(0.01)
    gaps = np.diff(values)
    assert all(g2 > g1 for g1, g2 in zip(gaps, gaps[1:]))
    assert levels([[1.0, 1.0]], 1.0) == []


@pytest.fixture(scope="module")
def descent():
    d = derive(load_spec("descent"))
    return d, compare(d, "sgd,momentum,adam")


def test_the_descent_example_trains_two_entries_and_its_rules_differ(descent):
    d, curves = descent
    assert trained_entries(d.spec, d.params) == (("W1", (0, 0)), ("b1", (0,)))
    assert all(len(c.path) == d.spec.steps + 1 and c.path[0] == (-1.0, 2.0) for c in curves)
    # the spec's own rule (sgd with momentum 0.9) is "momentum": the same path as the Training section
    assert curves[1].path[-1] == tuple(float(v) for v in (d.training.trajectory[-1]["W1"][0][0],
                                                          d.training.trajectory[-1]["b1"][0]))
    ends = [np.array(c.path[-1]) for c in curves]
    assert min(np.linalg.norm(a - b) for i, a in enumerate(ends) for b in ends[i + 1:]) > 0.3  # visibly apart


def test_the_lattice_is_the_cost_of_an_independent_numpy_model(descent):
    d, curves = descent
    lattice = landscape(d, [c.path for c in curves])
    assert len(lattice.xs) == len(lattice.ys) == GRID
    X, Y = np.asarray(d.X, dtype=float)[:, 0], np.asarray(d.Y, dtype=float)[:, 0]
    for r in (0, 7, GRID - 1):
        for c in (0, 19, GRID - 1):
            w, b = lattice.xs[c], lattice.ys[r]
            assert lattice.costs[r][c] == pytest.approx(0.5 * np.mean((w * X + b - Y) ** 2), rel=1e-12)
    points = [p for c in curves for p in c.path]
    assert lattice.xs[0] < min(p[0] for p in points) and lattice.xs[-1] > max(p[0] for p in points)
    assert lattice.ys[0] < min(p[1] for p in points) and lattice.ys[-1] > max(p[1] for p in points)


def test_more_than_two_trained_entries_draw_no_contour():
    d = derive(load_spec("adam"))
    curves = compare(d, "sgd,adam")
    assert all(c.path == () for c in curves) and landscape(d, [c.path for c in curves]) is None
    files = documents(d, RenderOptions(formats=("html", "md"), compare="sgd,adam"))
    assert "adam-contour.svg" not in files and "contour-plot" not in files["adam.html"]


def test_the_figure_names_its_axes_and_draws_every_path(descent, tmp_path, require_tools):
    d, curves = descent
    lattice = landscape(d, [c.path for c in curves])
    assert axis_names(lattice.entries, "tutorial") == (("w⁽¹⁾₁,₁", "w^{(1)}_{1,1}"), ("b⁽¹⁾₁", "b^{(1)}_{1}"))
    assert axis_names(lattice.entries, "nielsen")[0] == ("w¹₁₁", "w^{1}_{11}")
    svg = contour_plot_svg(lattice, curves, ("w⁽¹⁾₁,₁", "b<1>"))
    assert svg.count('stroke-width="2"/>') == 2 * len(curves)  # one path and one legend line per rule
    assert svg.count("<circle") == sum(len(c.path) for c in curves) + len(curves)
    assert svg.count('stroke="#b8c0c8"') >= 10 and "b&lt;1&gt;" in svg and "<b<1>" not in svg
    tikz = contour_plot_tikz(lattice, curves, (r"w^{(1)}_{1,1}", r"b^{(1)}_{1}"))
    assert tikz.count(r"\draw[thick") == 2 * len(curves) and r"\texttt{momentum}" in tikz
    require_tools("pdflatex")
    source = "\\documentclass{article}\n\\usepackage{tikz}\n\\begin{document}\n" + tikz + "\\end{document}\n"
    (tmp_path / "figure.tex").write_text(source)
    run = subprocess.run(["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", "figure.tex"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert run.returncode == 0, run.stdout[-2000:]


def test_the_example_renders_its_comparison_by_default_and_an_option_wins():
    assert example_options("descent", RenderOptions()).compare == "sgd,momentum,adam"
    assert example_options("descent", RenderOptions(compare="adam")).compare == "adam"
    assert example_options("adam", RenderOptions()).compare is None
    files = documents(derive(load_spec("descent")), example_options("descent", RenderOptions()))
    assert files["descent.md"].count("descent-contour.svg") == 1 and 'class="contour-plot"' in files["descent.html"]
    assert r"\(w^{(1)}_{1,1}\)" in files["descent.tex"]


def test_an_exact_spec_compares_rules_with_square_roots_in_float(descent):
    import dataclasses

    d, curves = descent
    exact = derive(dataclasses.replace(d.spec, numbers="exact"))
    again = compare(exact, "sgd,momentum,adam")
    for float_curve, exact_curve in zip(curves, again):
        assert np.allclose(exact_curve.history, float_curve.history, rtol=1e-12, atol=0)
        assert np.allclose(exact_curve.path, float_curve.path, rtol=1e-12, atol=1e-15)
