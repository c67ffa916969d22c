"""The network diagram: one layout geometry drawn as inline SVG (HTML, Markdown) and as TikZ (LaTeX)."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from importlib import resources

from ..derive.activations import ACTIVATIONS
from ..derive.errors import SpecError
from .escape import one_line
from .geometry import COMPACT_LIMIT, R, SQ, Layout, layout, visible  # noqa: F401 (the diagram's geometry, re-exported)
from .numbers import format_number

TIKZ_LIBRARIES: tuple[str, ...] = ()  # core TikZ only: no \usetikzlibrary needed
DIAGRAM_SCRIPT_PATH = resources.files("nnsteps.templates") / "html" / "diagram.js"
DIGITS = 4  # significant digits of values in the figure
TIKZ_CM = 0.02  # 1 SVG unit = 0.02 cm in TikZ, so 12px text ~ \scriptsize
TEXT_WIDTH_CM = 15.5  # TikZ pictures wider than this are scaled down
SUP = str.maketrans("0123456789-()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁽⁾")
SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def diagram_script() -> str:
    """The text of templates/html/diagram.js, to inline at the end of <body>."""
    return DIAGRAM_SCRIPT_PATH.read_text(encoding="utf-8")


@dataclass(frozen=True)
class _Values:
    x: dict  # (l, k) -> neuron value for the sample
    z: dict  # (l, k) -> receptor value
    b: dict  # (l, k) -> bias
    w: dict  # (l, i, j) -> weight
    g: dict  # (l, i, j) -> dJ/dw over the batch
    delta: dict  # (l, k) -> dJ/dz for the sample
    cost: object


def _values(d, sample: int) -> _Values:
    n = d.X.shape[0]
    if not 1 <= sample <= n:
        raise SpecError("sample", f"the diagram sample must be between 1 and {n}, got {sample}")
    s, widths = sample - 1, d.spec.layers
    x, z, b, w, g, delta = {}, {}, {}, {}, {}, {}
    for l, n_l in enumerate(widths):
        for k in range(1, n_l + 1):
            x[l, k] = d.forward.xs[l][s][k - 1]
            if l:
                z[l, k] = d.forward.zs[l][s][k - 1]
                delta[l, k] = d.backward.deltas[l][s][k - 1]
                b[l, k] = d.params[f"b{l}"][k - 1]
                for i in range(1, widths[l - 1] + 1):
                    w[l, i, k] = d.params[f"W{l}"][i - 1][k - 1]
                    g[l, i, k] = d.backward.gradients[f"W{l}"][i - 1][k - 1]
    return _Values(x, z, b, w, g, delta, d.backward.cost)


def _num(value, digits: int = DIGITS) -> str:
    """Plain-text number with a real minus sign and 10^k for scientific notation."""
    text = format_number(value, digits)
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}×10{exponent.translate(SUP)}"
    return text.replace("-", "−")


def _num_tex(value) -> str:
    text = format_number(value, DIGITS)
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}\\cdot 10^{{{int(exponent)}}}"
    return text


def _plain(base: str, layer: int, *idx: int) -> str:
    """`w⁽²⁾₁,₃` for titles, where markup is not allowed."""
    return base + f"({layer})".translate(SUP) + ",".join(str(i).translate(SUB) for i in idx)


def _advance(text: str, size: float) -> float:
    """Estimated advance width of text in a DejaVu/Helvetica-like sans (em fractions per glyph)."""
    return size * sum(0.39 if c in "()" else 0.32 if c in ",." else 0.64 for c in text)


def _tspan(base: str, layer: int, idx: str, size: float) -> str:
    """SVG text for base^{(layer)}_{idx}: superscript and subscript stacked at one x, as in TeX."""
    sup, small = f"({layer})", size * 0.72
    return (f'<tspan font-style="italic">{escape(base)}</tspan><tspan font-size="{small:.1f}" dx="0.6" '
            f'dy="{-size * 0.42:.1f}">{sup}</tspan><tspan font-size="{small:.1f}" '
            f'dx="{-_advance(sup, small):.1f}" dy="{size * 0.72:.1f}">{idx}</tspan>'
            f'<tspan dy="{-size * 0.30:.1f}"></tspan>')


def _names(printer_labels) -> dict:
    names = {"x": "x", "z": "z", "w": "w", "J": "J"}
    names.update({k: v for k, v in (printer_labels or {}).items() if k in names and isinstance(v, str)})
    return names


def _layer_title(spec, l: int) -> tuple[str, str]:
    if l == 0:
        return f"Layer {l}", "input"
    act = {"relu": "ReLU", "leaky_relu": "leaky ReLU"}.get(spec.activations[l - 1], spec.activations[l - 1])
    marks = (", batch norm" if spec.batchnorm and l in spec.batchnorm.layers else "") + \
        (f", dropout p={float(spec.dropout.rate(l)):g}" if spec.dropout and l in spec.dropout.layers() else "")
    return f"Layer {l}", act.replace("_", " ") + marks + (", output" if l == spec.depth else "")


def dropped(spec, l: int, k: int, sample: int) -> bool:
    """Whether dropout's mask drops neuron k of layer l for the sample (the diagram crosses it out)."""
    return bool(spec.dropout and l in spec.dropout.layers() and spec.dropout.mask(l)[sample - 1][k - 1] == 0)


STYLE_PATH = resources.files("nnsteps.templates") / "html" / "diagram.css"
STYLE = "".join(line for line in STYLE_PATH.read_text(encoding="utf-8").splitlines(True) if not line.startswith("/*"))
STYLE = STYLE.replace("&", ".nnsteps-diagram").strip()  # & stands for the svg root


def network_svg(derivation, printer_labels: dict | None = None, sample: int = 1, given_only: bool = False,
                digits: int = DIGITS, deltas: bool = False) -> str:
    """Inline <svg> of the network with the values of one sample; `printer_labels` may rename the
    letters {"x", "z", "w", "J"} (e.g. {"x": "a", "J": "C"}). `given_only` (exercise sheets) shows the given
    numbers alone: inputs, weights and biases (above each receptor), nothing computed from them.
    The drawn labels have DIGITS significant digits; titles and tooltips have `digits`, the document's.
    The backward values δ below the neurons show with `deltas` (a static file), else on request (HTML)."""
    d, spec = derivation, derivation.spec
    n_samples = d.X.shape[0]

    def num(value):  # at the document's precision
        return _num(value, digits)

    lay, v, nm = layout(spec.layers), _values(derivation, sample), _names(printer_labels)
    show_values = not lay.compact
    # layers whose activation is vector-valued (softmax): there z_j feeds every x_k, for the path lighting
    vector = " ".join(str(l) for l, a in enumerate(spec.activations, 1) if ACTIVATIONS[a].vector)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="nnsteps-diagram{" nn-show-delta" if deltas else ""}" viewBox="0 0 {lay.width:.0f} '
           f'{lay.height:.0f}" width="{lay.width:.0f}" height="{lay.height:.0f}" role="img" '
           f'data-vector="{vector}" aria-label="{escape(one_line(spec.title or spec.name))}: network diagram, sample {sample}">',
           f"<style>\n{STYLE}\n</style>"]
    for l, row in enumerate(lay.nodes):  # layer titles
        title, sub = _layer_title(spec, l)
        out.append(f'<text class="nn-title" x="{row[0].x:.1f}" y="22" text-anchor="middle">{title}</text>'
                   f'<text class="nn-sub" x="{row[0].x:.1f}" y="38" text-anchor="middle">{escape(sub)}</text>')
    for e in lay.edges:
        key, name = (e.layer, e.i, e.j), _plain(nm["w"], e.layer, e.i, e.j)
        grad = "" if given_only else f"∂{nm['J']}/∂{name} = {num(v.g[key])}" + (" (batch)" if n_samples > 1 else "")
        out.append(f'<g class="nn-weight nn-el" id="nn-w{e.layer}-{e.i}-{e.j}" data-param="W{e.layer}[{e.i},{e.j}]" '
                   f'data-from="nn-x{e.layer - 1}-{e.i}" data-to="nn-x{e.layer}-{e.j}" tabindex="0" '
                   f'><title>{name} = {num(v.w[key])}{"; " + escape(grad) if grad else ""}</title>'
                   f'<line class="nn-line" x1="{e.x1:.1f}" y1="{e.y1:.1f}" x2="{e.x2:.1f}" y2="{e.y2:.1f}"/>'
                   f'<line class="nn-hit" x1="{e.x1:.1f}" y1="{e.y1:.1f}" x2="{e.x2:.1f}" y2="{e.y2:.1f}"/>')
        if e.label is not None:  # name just above the line, value just below, both turned along it
            t = e.label
            out.append(f'<g transform="translate({t.x:.1f} {t.y:.1f}) rotate({t.angle:.1f})">'
                       + "".join(f'<text class="nn-wl{cls}" y="-4" text-anchor="middle">'
                                 f'{_tspan(nm["w"], e.layer, f"{e.i},{e.j}", 10.5)}</text>'
                                 f'<text class="nn-wl nn-v{cls}" y="11" text-anchor="middle">{_num(v.w[key])}</text>'
                                 for cls in (" nn-halo", "")) + "</g>")
        out.append("</g>")
    cx, cy = lay.cost
    for n in lay.nodes[-1]:  # output neurons feed the cost J
        out.append(f'<line class="nn-cedge nn-el" id="nn-c{n.index}" data-from="nn-x{n.layer}-{n.index}" '
                   f'data-to="nn-J" x1="{n.x + R:.1f}" y1="{n.y:.1f}" x2="{cx - 28:.1f}" y2="{cy:.1f}"/>')
    for l, x, y in lay.ellipses:
        out.append(f'<text class="nn-title" x="{x:.1f}" y="{y + 6:.1f}" text-anchor="middle">⋮</text>')
    for row in lay.nodes:
        for n in row:
            l, k = n.layer, n.index
            if l:  # receptor square on the neuron's left; its value above it
                qx = n.x - R - SQ - 1
                delta = f"δ{_plain('', l, k)} = {num(v.delta[l, k])}"
                zt = f"{_plain(nm['z'], l, k)} = {num(v.z[l, k])}; bias {num(v.b[l, k])}; {delta}"
                if given_only:
                    zt = f"{_plain(nm['z'], l, k)}: bias {num(v.b[l, k])}"
                out.append(f'<g class="nn-receptor nn-el" id="nn-z{l}-{k}" data-layer="{l}" data-index="{k}" '
                           f'tabindex="0">'
                           f'<title>{zt}</title><rect x="{qx:.1f}" y="{n.y - SQ / 2:.1f}" width="{SQ:.0f}" '
                           f'height="{SQ:.0f}" rx="2"/><text class="nn-name" x="{qx + SQ / 2 - 2:.1f}" '
                           f'y="{n.y + 4:.1f}" text-anchor="middle">{_tspan(nm["z"], l, str(k), 11)}</text>')
                if show_values:
                    out.append(f'<text class="nn-val" x="{qx + SQ / 2:.1f}" y="{n.y - SQ / 2 - 5:.1f}" '
                               f'text-anchor="middle">{"b " + _num(v.b[l, k]) if given_only else _num(v.z[l, k])}</text>')
                    if not given_only:  # the backward value below the neuron, shown on request (the HTML toggle)
                        out.append(f'<text class="nn-val nn-delta" x="{n.x:.1f}" y="{n.y + R + 28:.1f}" '
                                   f'text-anchor="middle">δ = {_num(v.delta[l, k])}</text>')
                out.append("</g>")
            hidden = given_only and l > 0  # computed from the given numbers: left to the reader
            xt = _plain(nm['x'], l, k) if hidden else f"{_plain(nm['x'], l, k)} = {num(v.x[l, k])}"
            value = "" if hidden else f' data-value="{float(v.x[l, k]):.17g}"'  # 0 stops the impulses
            out.append(f'<g class="nn-neuron nn-el" id="nn-x{l}-{k}" data-layer="{l}" data-index="{k}"{value} '
                       f'tabindex="0"><title>{xt}</title><circle cx="{n.x:.1f}" cy="{n.y:.1f}" r="{R:.0f}"/>'
                       f'<text class="nn-name" x="{n.x - 2:.1f}" y="{n.y + 4:.1f}" text-anchor="middle">'
                       f'{_tspan(nm["x"], l, str(k), 13)}</text>')
            if dropped(spec, l, k, sample):  # crossed out: dropout's mask is 0 here for this sample
                out.append("".join(f'<line class="nn-dropped" x1="{n.x - a * R:.1f}" y1="{n.y - R:.1f}" '
                                   f'x2="{n.x + a * R:.1f}" y2="{n.y + R:.1f}" stroke="#e03131" stroke-width="2.5"/>'
                                   for a in (1, -1)))
            if show_values and not hidden:
                out.append(f'<text class="nn-val" x="{n.x:.1f}" y="{n.y + R + 14:.1f}" '
                           f'text-anchor="middle">{_num(v.x[l, k])}</text>')
            out.append("</g>")
    jname = escape(nm["J"])
    cost = "" if given_only else _num(v.cost)
    jt = jname if given_only else f"{jname} = {num(v.cost)} (the cost)"
    if n_samples > 1 and not given_only:
        jt = (f"{jname} = {num(v.cost)} (the cost of the batch of {n_samples} samples); "
              f"{jname}{str(sample).translate(SUB)} = {num(d.backward.sample_costs[sample - 1])} (sample {sample})")
    out.append(f'<g class="nn-cost nn-el" id="nn-J" tabindex="0"><title>{jt}</title>'
               f'<rect x="{cx - 28:.1f}" y="{cy - 16:.1f}" width="56" height="32" rx="6"/>'
               f'<text x="{cx:.1f}" y="{cy + 6:.1f}" text-anchor="middle" font-size="17" font-style="italic">'
               f'{jname}</text><text class="nn-val" x="{cx:.1f}" y="{cy + 32:.1f}" text-anchor="middle">'
               f'{cost}</text></g>')
    out.append("</svg>")
    return "\n".join(out)


def network_tikz(derivation, sample: int = 1) -> str:
    """A tikzpicture (core TikZ and xcolor only) of the same layout, labels in the tutorial notation."""
    spec = derivation.spec
    lay, v = layout(spec.layers), _values(derivation, sample)
    scale = min(1.0, TEXT_WIDTH_CM / (lay.width * TIKZ_CM))

    def p(x, y):  # SVG units; the picture's y axis points down like SVG's
        return f"({x:.1f},{y:.1f})"

    out = [f"\\begin{{tikzpicture}}[x={TIKZ_CM}cm,y=-{TIKZ_CM}cm,scale={scale:.3f},"
           "every node/.style={transform shape,inner sep=0.6pt}]",
           "\\definecolor{nnblue}{HTML}{4682B4}\\definecolor{nnedge}{HTML}{7B8794}"
           "\\definecolor{nnbox}{HTML}{E8F0F8}\\definecolor{nncost}{HTML}{B45309}"
           "\\definecolor{nnval}{HTML}{334E68}\\definecolor{nndelta}{HTML}{862E9C}"]
    for l, row in enumerate(lay.nodes):
        title, sub = _layer_title(spec, l)
        out.append(f"\\node[font=\\normalsize\\bfseries] at {p(row[0].x, 18)} {{{title}}};"
                   f"\\node[font=\\small,text=nnval] at {p(row[0].x, 36)} {{{sub}}};")
    for e in lay.edges:
        out.append(f"\\draw[nnedge,line width=0.5pt] {p(e.x1, e.y1)} -- {p(e.x2, e.y2)};")
    for e in lay.edges:
        if e.label is not None:  # rotate: SVG turns clockwise, TikZ counter-clockwise in its own frame
            t, key = e.label, (e.layer, e.i, e.j)
            out.append(f"\\begin{{scope}}[shift={{{p(t.x, t.y)}}},rotate={-t.angle:.1f}]"
                       f"\\node[fill=white,font=\\scriptsize,anchor=south] at (0,-1) "
                       f"{{$w^{{({e.layer})}}_{{{e.i},{e.j}}}$}};"
                       f"\\node[fill=white,font=\\scriptsize,text=nnval,anchor=north] at (0,1) "
                       f"{{${_num_tex(v.w[key])}$}};\\end{{scope}}")
    cx, cy = lay.cost
    for n in lay.nodes[-1]:
        out.append(f"\\draw[nncost,dashed] {p(n.x + R, n.y)} -- {p(cx - 28, cy)};")
    for l, x, y in lay.ellipses:
        out.append(f"\\node at {p(x, y)} {{$\\vdots$}};")
    for row in lay.nodes:
        for n in row:
            l, k = n.layer, n.index
            if l:
                qx = n.x - R - SQ - 1
                out.append(f"\\draw[nnblue!70!black,fill=nnbox] {p(qx, n.y - SQ / 2)} rectangle "
                           f"{p(qx + SQ, n.y + SQ / 2)};\\node[font=\\scriptsize] at {p(qx + SQ / 2, n.y)} "
                           f"{{$z^{{({l})}}_{{{k}}}$}};")
                if not lay.compact:
                    out.append(f"\\node[fill=white,font=\\scriptsize,text=nnval,anchor=south] at "
                               f"{p(qx + SQ / 2, n.y - SQ / 2 - 1)} {{${_num_tex(v.z[l, k])}$}};")
            out.append(f"\\draw[nnblue!70!black,fill=nnblue] {p(n.x, n.y)} circle[radius={R:.0f}];"
                       f"\\node[font=\\small,text=white] at {p(n.x, n.y)} {{$x^{{({l})}}_{{{k}}}$}};")
            if dropped(derivation.spec, l, k, sample):  # crossed out: dropped by dropout's mask for this sample
                out.append(f"\\draw[red,line width=1.2pt] {p(n.x - R, n.y - R)} -- {p(n.x + R, n.y + R)} "
                           f"{p(n.x + R, n.y - R)} -- {p(n.x - R, n.y + R)};")
            if not lay.compact:
                out.append(f"\\node[font=\\scriptsize,text=nnval,anchor=north] at {p(n.x, n.y + R + 2)} "
                           f"{{${_num_tex(v.x[l, k])}$}};")
                if l:  # the backward value dJ/dz under it, in violet
                    out.append(f"\\node[font=\\scriptsize,text=nndelta,anchor=north] at {p(n.x, n.y + R + 17)} "
                               f"{{$\\delta = {_num_tex(v.delta[l, k])}$}};")
    out.append(f"\\draw[nncost,fill=nncost!10,rounded corners=3pt] {p(cx - 28, cy - 16)} rectangle "
               f"{p(cx + 28, cy + 16)};"
               f"\\node at {p(cx, cy)} {{$J$}};\\node[font=\\scriptsize,text=nnval,anchor=north] at "
               f"{p(cx, cy + 18)} {{${_num_tex(v.cost)}$}};")
    out.append("\\end{tikzpicture}")
    return "\n".join(out)
