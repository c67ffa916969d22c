"""Tutorial 001's small path figures: the network's layout with the chain-rule paths to one parameter highlighted."""

from __future__ import annotations

import re
from html import escape

from ..derive.names import symbol_quantity
from .diagram import TIKZ_CM, _plain
from .geometry import R, SQ, layout

PATH_WIDTH_PX = 340  # the SVG's shown width; its viewBox is the main diagram's
PATH_WIDTH_CM = 7.0  # the TikZ picture's width
ON, OFF, PARAM = "#dd6b20", "#cbd2d9", "#c92a2a"  # path, rest of the network, the parameter itself
PREFIX = "paths-"


def path_marks(paths) -> tuple[str, ...]:
    """Element keys on the paths, as the main diagram names them: x1-2 (neuron), z1-2 (receptor),
    w2-2-1 (weight), c1 (edge from output neuron 1 to J), J; the parameter comes first, marked `p:`."""
    marks: list[str] = []

    def add(key: str):
        if key not in marks:
            marks.append(key)

    for path in paths:
        for factor in path.factors:
            num, den = symbol_quantity(factor.numerator), symbol_quantity(factor.denominator)
            if factor.kind == "dJ/dx":
                add("J"), add(f"c{den.indices[0]}"), add(f"x{den.layer}-{den.indices[0]}")
            elif factor.kind == "dx/dz":
                add(f"x{num.layer}-{num.indices[0]}"), add(f"z{den.layer}-{den.indices[0]}")
                if num.indices != den.indices:  # a vector activation: z_k feeds x_m, the pair is on the path
                    add(f"x{den.layer}-{den.indices[0]}")
            elif factor.kind == "dz/dx":
                add(f"z{num.layer}-{num.indices[0]}"), add(f"x{den.layer}-{den.indices[0]}")
                add(f"w{num.layer}-{den.indices[0]}-{num.indices[0]}")
            elif factor.kind == "dz/dw":
                weight = den
                add(f"z{num.layer}-{num.indices[0]}")
                add(f"p:w{weight.layer}-{weight.indices[0]}-{weight.indices[1]}")
                add(f"x{weight.layer - 1}-{weight.indices[0]}")
            elif factor.kind == "dz/db":
                add(f"z{num.layer}-{num.indices[0]}"), add(f"p:z{num.layer}-{num.indices[0]}")
    return tuple(sorted(marks, key=lambda m: not m.startswith("p:")))


def _shapes(widths, marks):
    """The figure once, for both drawing languages: (shape, state, coordinates), state "param", "on" or "off";
    the path's lines come after the others so they are drawn on top."""
    lay = layout(widths)
    on = {m[2:] if m.startswith("p:") else m for m in marks}
    parameter = next((m[2:] for m in marks if m.startswith("p:")), "")

    def state(key):
        return "param" if key == parameter else "on" if key in on else "off"

    edges = [("line", state(f"w{e.layer}-{e.i}-{e.j}"), (e.x1, e.y1, e.x2, e.y2)) for e in lay.edges]
    shapes = sorted(edges, key=lambda shape: shape[1] != "off")
    cx, cy = lay.cost
    shapes += [("cost-line", state(f"c{n.index}"), (n.x + R, n.y, cx - 28, cy)) for n in lay.nodes[-1]]
    for row in lay.nodes:
        for n in row:
            if n.layer:
                shapes.append(("receptor", state(f"z{n.layer}-{n.index}"), (n.x - R - SQ - 1, n.y - SQ / 2)))
            shapes.append(("neuron", state(f"x{n.layer}-{n.index}"), (n.x, n.y)))
    shapes += [("dots", "off", (x, y)) for _, x, y in lay.ellipses]
    shapes.append(("cost", state("J"), (cx, cy)))
    return lay, shapes


SVG_COLOUR = {"param": PARAM, "on": ON, "off": OFF}
SVG_WIDTH = {"param": 7, "on": 5, "off": 2}
TIKZ_WIDTH = {"param": 2.2, "on": 1.6, "off": 0.5}


def path_svg(widths, marks, label: str) -> str:
    """A small static <svg>: the paths in orange, the parameter in red, the rest of the network pale."""
    lay, shapes = _shapes(widths, marks)
    height = PATH_WIDTH_PX * lay.height / lay.width
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="nnsteps-paths" viewBox="0 0 {lay.width:.0f} '
           f'{lay.height:.0f}" width="{PATH_WIDTH_PX}" height="{height:.0f}" role="img" '
           f'aria-label="{escape(label)}">']
    for shape, state, c in shapes:
        colour, width = SVG_COLOUR[state], SVG_WIDTH[state]
        if shape in ("line", "cost-line"):
            dash = ' stroke-dasharray="8 5"' if shape == "cost-line" else ""
            out.append(f'<line x1="{c[0]:.1f}" y1="{c[1]:.1f}" x2="{c[2]:.1f}" y2="{c[3]:.1f}" stroke="{colour}" '
                       f'stroke-width="{width}"{dash}/>')
        elif shape == "receptor":
            out.append(f'<rect x="{c[0]:.1f}" y="{c[1]:.1f}" width="{SQ:.0f}" height="{SQ:.0f}" '
                       f'fill="{"#fff" if state == "off" else "#ffe8cc"}" stroke="{colour}" stroke-width="{width - 1}"/>')
        elif shape == "neuron":
            out.append(f'<circle cx="{c[0]:.1f}" cy="{c[1]:.1f}" r="{R:.0f}" fill="{colour}"/>')
        elif shape == "dots":
            out.append(f'<text x="{c[0]:.1f}" y="{c[1] + 10:.1f}" text-anchor="middle" font-size="40">⋮</text>')
        else:
            out.append(f'<rect x="{c[0] - 28:.1f}" y="{c[1] - 16:.1f}" width="56" height="32" rx="6" fill="#fff4e6" '
                       f'stroke="{colour}" stroke-width="3"/><text x="{c[0]:.1f}" y="{c[1] + 9:.1f}" '
                       f'text-anchor="middle" font-size="26" font-style="italic" font-family="serif">J</text>')
    out.append("</svg>")
    return "\n".join(out)


def path_tikz(widths, marks) -> str:
    """The same figure as a tikzpicture (core TikZ and xcolor), PATH_WIDTH_CM wide."""
    lay, shapes = _shapes(widths, marks)
    scale = PATH_WIDTH_CM / (lay.width * TIKZ_CM)

    def p(x, y):
        return f"({x:.1f},{y:.1f})"

    out = [f"\\begin{{tikzpicture}}[x={TIKZ_CM}cm,y=-{TIKZ_CM}cm,scale={scale:.3f}]",
           f"\\definecolor{{nnon}}{{HTML}}{{{ON[1:]}}}\\definecolor{{nnoff}}{{HTML}}{{{OFF[1:]}}}"
           f"\\definecolor{{nnparam}}{{HTML}}{{{PARAM[1:]}}}"]
    for shape, state, c in shapes:
        colour = "nn" + state
        if shape in ("line", "cost-line"):
            dash = ",dashed" if shape == "cost-line" else ""
            out.append(f"\\draw[{colour}{dash},line width={TIKZ_WIDTH[state]}pt] {p(c[0], c[1])} -- {p(c[2], c[3])};")
        elif shape == "receptor":
            out.append(f"\\draw[{colour},fill={'white' if state == 'off' else 'nnon!20'},line width=1pt] "
                       f"{p(c[0], c[1])} rectangle {p(c[0] + SQ, c[1] + SQ)};")
        elif shape == "neuron":
            out.append(f"\\fill[{colour}] {p(*c)} circle[radius={R:.0f}];")
        elif shape == "dots":
            out.append(f"\\node at {p(*c)} {{$\\vdots$}};")
        else:
            out.append(f"\\draw[{colour},fill=nnon!10,rounded corners=2pt,line width=1pt] {p(c[0] - 28, c[1] - 16)} "
                       f"rectangle {p(c[0] + 28, c[1] + 16)};\\node[font=\\tiny] at {p(*c)} {{$J$}};")
    out.append("\\end{tikzpicture}")
    return "\n".join(out)


def _label(marks) -> str:
    """Plain text for screen readers: "The chain-rule paths from J to w⁽²⁾₂,₁" (markup is not allowed there)."""
    kind, layer, *idx = [p for p in re.split(r"(\d+)|-", marks[0][2:]) if p]  # "w2-2-1" -> w, 2, 2, 1
    name = _plain({"w": "w", "z": "b"}[kind], int(layer), *(int(i) for i in idx))
    return f"The chain-rule paths from J to {name}, highlighted in the network"


def _figures_in(items):
    for item in items:
        if item.kind == "figure" and item.name.startswith(PREFIX):
            yield item
        yield from _figures_in(getattr(item, "items", ()))


def path_figures(spec, example) -> dict:
    """name -> (SVG, TikZ) of every path figure the worked example shows."""
    drawn = {}
    for section in example.sections:
        for figure in _figures_in(section.items):
            drawn[figure.name] = (path_svg(spec.layers, figure.marks, _label(figure.marks)),
                                  path_tikz(spec.layers, figure.marks))
    return drawn
