"""The cost's contour plot over two trained parameters, with each rule's trajectory (`render --compare`).

The lattice of J comes from derive/landscape.py; its level sets from render/contours.py. Levels are spaced
as c_k = J_min + (J_top - J_min) (k / LEVELS)^2 up to the highest cost J_top met on a path, so that a quadratic
bowl shows evenly spaced ellipses.
Every mark is laid out once in SVG units; the SVG (HTML, Markdown) and the TikZ (LaTeX) draw the same marks.
Trajectory colours are those of the cost curves (render/plot.py), so one legend reads both figures.
"""

from __future__ import annotations

import html
import math

from .contours import contour_lines
from .escape import tex_escape
from .numbers import format_number
from .plot import COLOURS, _ticks

WIDTH, HEIGHT = 520.0, 360.0
LEFT, TOP, SIDE = 72.0, 16.0, 300.0  # the square plot area: [LEFT, LEFT + SIDE] x [TOP, TOP + SIDE]
KEY_X, KEY_ROW = LEFT + SIDE + 20.0, 18.0
LEVELS = 10
TITLE = "Contour lines of the cost with each update rule's path"


def levels(costs, top: float) -> list[float]:
    """LEVELS values from the lattice's least finite cost up to top (the highest cost on a path), denser near the least."""
    finite = [v for row in costs for v in row if math.isfinite(v)]
    low = min(finite, default=top)
    if not math.isfinite(top) or top - low <= 1e-12 * max(1.0, abs(top)):
        return []
    return [low + (top - low) * (k / LEVELS) ** 2 for k in range(1, LEVELS + 1)]


def _marks(landscape, curves) -> list:
    """("level", points), ("xtick", x, text), ("ytick", y, text), ("path", colour index, points), ("key", index, y, label)."""
    xs, ys = landscape.xs, landscape.ys
    px = lambda x: LEFT + SIDE * (x - xs[0]) / (xs[-1] - xs[0])  # noqa: E731
    py = lambda y: TOP + SIDE * (ys[-1] - y) / (ys[-1] - ys[0])  # noqa: E731
    top = max((v for curve in curves for v in curve.history if math.isfinite(v)), default=math.nan)
    marks: list = [("level", [(px(x), py(y)) for x, y in line])
                   for level in levels(landscape.costs, top) for line in contour_lines(xs, ys, landscape.costs, level)]
    marks += [("xtick", px(t), format_number(t, 4)) for t in _ticks(xs[0], xs[-1], 5)]
    marks += [("ytick", py(t), format_number(t, 4)) for t in _ticks(ys[0], ys[-1], 5)]
    for index, curve in enumerate(curves):
        points = [(px(x), py(y)) for x, y in curve.path if math.isfinite(x) and math.isfinite(y)]
        marks.append(("path", index, points))
        marks.append(("key", index, TOP + 8 + KEY_ROW * index, curve.label))
    return marks


def contour_plot_svg(landscape, curves, names) -> str:
    """A self-contained <svg>; names are the two axes' labels as plain text (e.g. w⁽¹⁾₁,₁ and b⁽¹⁾₁)."""
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="contour-plot" viewBox="0 0 {WIDTH:g} {HEIGHT:g}" '
             f'width="{WIDTH:g}" height="{HEIGHT:g}" role="img" aria-label="{TITLE}">', f"<title>{TITLE}</title>",
             f'<rect x="{LEFT:g}" y="{TOP:g}" width="{SIDE:g}" height="{SIDE:g}" fill="#fbfbfd" stroke="#9aa5b1"/>',
             f'<text x="{LEFT + SIDE / 2:g}" y="{HEIGHT - 10:g}" text-anchor="middle" font-size="13" '
             f'font-style="italic">{html.escape(names[0])}</text>',
             f'<text transform="translate(16 {TOP + SIDE / 2:g}) rotate(-90)" text-anchor="middle" font-size="13" '
             f'font-style="italic">{html.escape(names[1])}</text>']
    for mark in _marks(landscape, curves):
        kind = mark[0]
        if kind == "level":
            joined = " ".join(f"{x:.1f},{y:.1f}" for x, y in mark[1])
            parts.append(f'<polyline points="{joined}" fill="none" stroke="#b8c0c8" stroke-width="1"/>')
        elif kind == "xtick":
            parts.append(f'<text x="{mark[1]:.2f}" y="{TOP + SIDE + 16:g}" text-anchor="middle" font-size="11">{mark[2]}</text>')
        elif kind == "ytick":
            parts.append(f'<text x="{LEFT - 6:g}" y="{mark[1] + 4:.2f}" text-anchor="end" font-size="11">{mark[2]}</text>')
        elif kind == "path":
            colour = COLOURS[mark[1] % len(COLOURS)][0]
            joined = " ".join(f"{x:.2f},{y:.2f}" for x, y in mark[2])
            parts.append(f'<polyline points="{joined}" fill="none" stroke="{colour}" stroke-width="2"/>')
            parts += [f'<circle cx="{x:.2f}" cy="{y:.2f}" r="{4 if t == 0 else 2.5:g}" fill="{colour}"/>'
                      for t, (x, y) in enumerate(mark[2])]
        else:
            colour, y = COLOURS[mark[1] % len(COLOURS)][0], mark[2]
            parts.append(f'<line x1="{KEY_X:g}" y1="{y:g}" x2="{KEY_X + 22:g}" y2="{y:g}" stroke="{colour}" stroke-width="2"/>')
            parts.append(f'<circle cx="{KEY_X + 11:g}" cy="{y:g}" r="2.5" fill="{colour}"/>')
            parts.append(f'<text x="{KEY_X + 28:g}" y="{y + 4:g}" font-size="11">{html.escape(mark[3])}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def contour_plot_tikz(landscape, curves, names) -> str:
    """The same as a tikzpicture (core TikZ only), 1 SVG unit = 0.02 cm; names are the axes' labels as TeX maths."""
    cm = lambda v: f"{v * 0.02:.3f}"  # noqa: E731
    flip = lambda v: f"{(HEIGHT - v) * 0.02:.3f}"  # noqa: E731
    at = lambda x, y: f"({cm(x)},{flip(y)})"  # noqa: E731
    out = [rf"\begin{{tikzpicture}}[font=\footnotesize] % {TITLE}",
           rf"\draw[gray] {at(LEFT, TOP)} rectangle {at(LEFT + SIDE, TOP + SIDE)};",
           rf"\node at {at(LEFT + SIDE / 2, HEIGHT - 10)} {{\({names[0]}\)}};",
           rf"\node[rotate=90] at {at(16, TOP + SIDE / 2)} {{\({names[1]}\)}};"]
    for mark in _marks(landscape, curves):
        kind = mark[0]
        if kind == "level" and len(mark[1]) > 1:
            out.append(r"\draw[gray!40] " + " -- ".join(at(x, y) for x, y in mark[1]) + ";")
        elif kind == "xtick":
            out.append(rf"\node[anchor=north] at {at(mark[1], TOP + SIDE + 2)} {{\({mark[2]}\)}};")
        elif kind == "ytick":
            out.append(rf"\node[anchor=east] at {at(LEFT - 4, mark[1])} {{\({mark[2]}\)}};")
        elif kind == "path" and mark[2]:
            colour = COLOURS[mark[1] % len(COLOURS)][1]
            if len(mark[2]) > 1:
                out.append(rf"\draw[thick, {colour}] " + " -- ".join(at(x, y) for x, y in mark[2]) + ";")
            out += [rf"\fill[{colour}] {at(x, y)} circle ({0.08 if t == 0 else 0.05}cm);" for t, (x, y) in enumerate(mark[2])]
        elif kind == "key":
            colour, y = COLOURS[mark[1] % len(COLOURS)][1], mark[2]
            out.append(rf"\draw[thick, {colour}] {at(KEY_X, y)} -- {at(KEY_X + 22, y)};")
            out.append(rf"\fill[{colour}] {at(KEY_X + 11, y)} circle (0.05cm);")
            out.append(rf"\node[anchor=west] at {at(KEY_X + 26, y)} {{\texttt{{{tex_escape(mark[3])}}}}};")
    out.append(r"\end{tikzpicture}")
    return "\n".join(out) + "\n"


def axis_names(entries, notation: str) -> tuple:
    """((plain text, TeX), ...) of the two trained entries as the notation prints them: w⁽¹⁾₁,₁ and w^{(1)}_{1,1}."""
    from .diagram import SUB, SUP
    from .printer import PROFILES

    names = []
    for name, index in entries:
        one_based = [i + 1 for i in index]
        if name[0] in "Wb" and name[1:].isdigit():
            kind, layer = name[0].lower(), int(name[1:])
            tex = PROFILES[notation].scalar(kind, layer, *one_based)
            if kind == "w" and notation == "nielsen":
                one_based.reverse()  # w^l_{jk}: j in layer l, k in layer l-1
            digits = ("," if notation != "nielsen" else "").join(str(i) for i in one_based)
            plain = {"tutorial": f"{kind}" + f"({layer})".translate(SUP) + digits.translate(SUB),
                     "nielsen": f"{kind}" + str(layer).translate(SUP) + digits.translate(SUB),
                     "matrix": f"({kind.upper() if kind == 'w' else kind}{str(layer).translate(SUB)})"
                               + digits.translate(SUB)}[notation]
        else:  # batch norm's gamma and beta: the parameter's name and its entry
            plain = f"{name}[{','.join(map(str, one_based))}]"
            tex = rf"\text{{{tex_escape(plain)}}}"
        names.append((plain, tex))
    return tuple(names)
