"""The cost history drawn by hand: an inline SVG line plot (HTML, Markdown) and the same as TikZ (LaTeX)."""

from __future__ import annotations

import math

from .numbers import format_number

WIDTH, HEIGHT = 480.0, 260.0
LEFT, RIGHT, TOP, BOTTOM = 76.0, 16.0, 16.0, 40.0
MID_Y = TOP + (HEIGHT - TOP - BOTTOM) / 2  # the y-axis label, turned upright, is centred here


def _ticks(low: float, high: float, count: int = 4) -> list[float]:
    """Round tick values covering [low, high]."""
    if high <= low:
        return [low]
    raw = (high - low) / count
    step = 10 ** math.floor(math.log10(raw))
    step *= next(m for m in (1, 2, 2.5, 5, 10) if m * step >= raw)
    first = math.ceil(low / step - 1e-9) * step
    ticks, value = [], first
    while value <= high + 1e-9 * step:
        ticks.append(round(value, 12))
        value += step
    return ticks


def _scale(history, others=()) -> tuple:
    """(values, low, high, x, y): the curve's values and the axes, ranging over `others` (a second curve) too."""
    values = [float(v) for v in history]
    shown = [v for v in values + [float(v) for v in others] if math.isfinite(v)] or [0.0]
    low, high = min(shown), max(shown)
    if high - low < 1e-12 * max(1.0, abs(high)):
        low, high = low - 0.5 * max(1.0, abs(low)) * 1e-3, high + 0.5 * max(1.0, abs(high)) * 1e-3
    pad = 0.05 * (high - low)
    low, high = low - pad, high + pad
    steps = max(1, len(values) - 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    x = lambda t: LEFT + plot_w * t / steps  # noqa: E731
    y = lambda v: TOP + plot_h * (high - v) / (high - low)  # noqa: E731
    return values, low, high, x, y


def _labelled_steps(values) -> range:
    """The steps that get an axis label: at most about ten, evenly spaced, starting at 0."""
    steps = len(values) - 1
    return range(0, steps + 1, max(1, math.ceil(steps / 10)))


def _svg_axis_labels(cost: str) -> list[str]:
    """`step` under the x axis, `cost J` up the y axis (the cost letter of the notation, in italics)."""
    return [f'<text x="{LEFT + (WIDTH - LEFT - RIGHT) / 2:g}" y="{HEIGHT - 6:g}" text-anchor="middle" '
            'font-size="12">step</text>',
            f'<text transform="translate(14 {MID_Y:g}) rotate(-90)" text-anchor="middle" font-size="12">cost '
            f'<tspan font-style="italic">{_letter(cost)}</tspan></text>']


def _tikz_axis_labels(cm, flip, cost: str) -> list[str]:
    return [rf"\node at ({cm(LEFT + (WIDTH - LEFT - RIGHT) / 2)},{flip(HEIGHT - 8)}) {{step}};",
            rf"\node[rotate=90] at ({cm(14)},{flip(MID_Y)}) {{cost \({_letter(cost)}\)}};"]


def _letter(cost: str) -> str:
    """The cost's letter of a notation profile (J or C); anything else is refused rather than printed."""
    if cost not in ("J", "C"):
        raise ValueError(f"the cost letter {cost!r} is not J or C")
    return cost


# the validation curve (dashed) and the early-stopping mark: SVG colour, TikZ colour
VALIDATION = ("#c0392b", "red!70!black")
STOP = ("#5f6b7a", "gray")


def cost_plot_svg(history, title: str = "Cost after each step", cost: str = "J", validation=(), stop=None,
                  best=None) -> str:
    """A self-contained <svg> line plot of the cost against the step, both axes labelled; with `validation`, the validation cost
    dashed beside it and a legend, with `stop`, a vertical mark at the step training stopped after,
    and with `best`, a ring on the best validation cost counted."""
    values, low, high, x, y = _scale(history, validation)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="cost-plot" viewBox="0 0 {WIDTH:g} {HEIGHT:g}" '
             f'width="{WIDTH:g}" height="{HEIGHT:g}" role="img" aria-label="{title}">',
             f'<title>{title}</title>',
             f'<rect x="{LEFT:g}" y="{TOP:g}" width="{WIDTH - LEFT - RIGHT:g}" height="{HEIGHT - TOP - BOTTOM:g}" '
             'fill="#fbfbfd" stroke="#9aa5b1"/>']
    for tick in _ticks(low, high):
        ty = y(tick)
        parts.append(f'<line x1="{LEFT - 4:g}" y1="{ty:.2f}" x2="{WIDTH - RIGHT:g}" y2="{ty:.2f}" stroke="#e4e7eb"/>')
        parts.append(f'<text x="{LEFT - 8:g}" y="{ty + 4:.2f}" text-anchor="end" font-size="11">{format_number(tick, 4)}</text>')
    for t in _labelled_steps(values):
        parts.append(f'<text x="{x(t):.2f}" y="{HEIGHT - BOTTOM + 16:g}" text-anchor="middle" font-size="11">{t}</text>')
    parts += _svg_axis_labels(cost)
    if validation:
        parts += _validation_svg(validation, stop, best, x, y)
    points = " ".join(f"{x(t):.2f},{y(v):.2f}" for t, v in enumerate(values))
    parts.append(f'<polyline points="{points}" fill="none" stroke="#2c5b82" stroke-width="2"/>')
    for t, v in enumerate(values):
        parts.append(f'<circle cx="{x(t):.2f}" cy="{y(v):.2f}" r="3" fill="#2c5b82"><title>step {t}: '
                     f'{format_number(v, 6)}</title></circle>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _validation_svg(validation, stop, best, x, y) -> list:
    """The stop mark, the dashed validation curve with its points, the best one ringed, the legend."""
    colour, grey = VALIDATION[0], STOP[0]
    parts = []
    if stop is not None:
        parts.append(f'<line x1="{x(stop):.2f}" y1="{TOP:g}" x2="{x(stop):.2f}" y2="{HEIGHT - BOTTOM:g}" '
                     f'stroke="{grey}" stroke-width="1.5" stroke-dasharray="2 3"/>')
        parts.append(f'<text x="{x(stop):.2f}" y="{TOP - 4:g}" text-anchor="end" font-size="11" '
                     f'fill="{grey}">stopped after step {stop}</text>')  # above the frame: clear of every curve
    right = WIDTH - RIGHT - 8
    points = " ".join(f"{x(t):.2f},{y(float(v)):.2f}" for t, v in enumerate(validation))
    parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2" stroke-dasharray="6 4"/>')
    parts += [f'<circle cx="{x(t):.2f}" cy="{y(float(v)):.2f}" r="3" fill="{colour}"><title>step {t}: validation '
              f'{format_number(float(v), 6)}</title></circle>' for t, v in enumerate(validation)]
    if best is not None:
        bx, by = x(best), y(float(validation[best]))
        parts.append(f'<circle cx="{bx:.2f}" cy="{by:.2f}" r="7" fill="none" stroke="{colour}" stroke-width="1.5"/>')
        ly = TOP + 62  # its key: a third legend row
        parts.append(f'<circle cx="{right - 88:g}" cy="{ly - 4:g}" r="6" fill="none" stroke="{colour}" stroke-width="1.5"/>')
        parts.append(f'<text x="{right - 70:g}" y="{ly:g}" font-size="11">best (step {best})</text>')
    for row, (label, dash, stroke) in enumerate((("training", "", "#2c5b82"), ("validation", ' stroke-dasharray="6 4"', colour))):
        ly = TOP + 30 + 16 * row
        parts.append(f'<line x1="{right - 100:g}" y1="{ly - 4:g}" x2="{right - 76:g}" y2="{ly - 4:g}" stroke="{stroke}" '
                     f'stroke-width="2"{dash}/>')
        parts.append(f'<text x="{right - 70:g}" y="{ly:g}" font-size="11">{label}</text>')
    return parts


def cost_plot_tikz(history, cost: str = "J", validation=(), stop=None, best=None) -> str:
    """The same plot as a tikzpicture (core TikZ only), 1 SVG unit = 0.02 cm."""
    values, low, high, x, y = _scale(history, validation)
    cm = lambda v: f"{v * 0.02:.3f}"  # noqa: E731
    flip = lambda v: f"{(HEIGHT - v) * 0.02:.3f}"  # noqa: E731
    lines = [r"\begin{tikzpicture}[font=\footnotesize]",
             rf"\draw[gray] ({cm(LEFT)},{flip(TOP)}) rectangle ({cm(WIDTH - RIGHT)},{flip(HEIGHT - BOTTOM)});"]
    for tick in _ticks(low, high):
        ty = y(tick)
        lines.append(rf"\draw[gray!30] ({cm(LEFT)},{flip(ty)}) -- ({cm(WIDTH - RIGHT)},{flip(ty)});")
        lines.append(rf"\node[anchor=east] at ({cm(LEFT - 4)},{flip(ty)}) {{\({format_number(tick, 4)}\)}};")
    for t in _labelled_steps(values):
        lines.append(rf"\node[anchor=north] at ({cm(x(t))},{flip(HEIGHT - BOTTOM + 2)}) {{{t}}};")
    lines += _tikz_axis_labels(cm, flip, cost)
    if validation:
        lines += _validation_tikz(validation, stop, best, x, y, cm, flip)
    points = " -- ".join(f"({cm(x(t))},{flip(y(v))})" for t, v in enumerate(values))
    lines.append(rf"\draw[thick, blue!60!black] {points};")
    for t, v in enumerate(values):
        lines.append(rf"\fill[blue!60!black] ({cm(x(t))},{flip(y(v))}) circle (1.5pt);")
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines) + "\n"


def _validation_tikz(validation, stop, best, x, y, cm, flip) -> list:
    """The same marks as _validation_svg in TikZ."""
    colour, grey = VALIDATION[1], STOP[1]
    lines = []
    if stop is not None:
        lines.append(rf"\draw[{grey}, dotted, thick] ({cm(x(stop))},{flip(TOP)}) -- ({cm(x(stop))},{flip(HEIGHT - BOTTOM)});")
        lines.append(rf"\node[anchor=south east, text={grey}] at ({cm(x(stop))},{flip(TOP - 1)}) "
                     rf"{{stopped after step {stop}}};")
    right = WIDTH - RIGHT - 28  # TeX's labels run wider than the SVG's
    points = " -- ".join(f"({cm(x(t))},{flip(y(float(v)))})" for t, v in enumerate(validation))
    lines.append(rf"\draw[thick, dashed, {colour}] {points};")
    lines += [rf"\fill[{colour}] ({cm(x(t))},{flip(y(float(v)))}) circle (1.5pt);" for t, v in enumerate(validation)]
    if best is not None:
        bx, by = cm(x(best)), flip(y(float(validation[best])))
        lines.append(rf"\draw[{colour}] ({bx},{by}) circle (3.5pt);")
        ly = TOP + 58  # its key: a third legend row
        lines.append(rf"\draw[{colour}] ({cm(right - 88)},{flip(ly)}) circle (3pt);")
        lines.append(rf"\node[anchor=west] at ({cm(right - 72)},{flip(ly)}) {{best (step {best})}};")
    for row, (label, style) in enumerate((("training", "blue!60!black"), ("validation", f"dashed, {colour}"))):
        ly = TOP + 26 + 16 * row
        lines.append(rf"\draw[thick, {style}] ({cm(right - 100)},{flip(ly)}) -- ({cm(right - 76)},{flip(ly)});")
        lines.append(rf"\node[anchor=west] at ({cm(right - 72)},{flip(ly)}) {{{label}}};")
    return lines


COLOURS = (("#2c5b82", "blue!60!black"), ("#b4441b", "red!70!black"), ("#2e7d32", "green!50!black"),
           ("#7b3fa0", "violet"), ("#8a6d00", "olive"), ("#00838f", "teal"), ("#6d4c41", "brown"),
           ("#37474f", "darkgray"))


def _layout(curves) -> tuple:
    """Shared axes of several curves: (tick label, y) pairs, (step, x) pairs, and per curve its (x, y) points."""
    _, low, high, _, y = _scale([v for curve in curves for v in curve.history])
    x = _scale(curves[0].history)[3]
    ticks = [(format_number(tick, 4), y(tick)) for tick in _ticks(low, high)]
    steps = [(t, x(t)) for t in _labelled_steps(curves[0].history)]
    return ticks, steps, [[(x(t), y(v)) for t, v in enumerate(curve.history)] for curve in curves]


def compare_plot_svg(curves, title: str = "Cost after each step, by update rule", cost: str = "J") -> str:
    """Several cost curves (derive/compare.Curve) on shared axes, with a legend; one colour per rule."""
    ticks, steps, lines = _layout(curves)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="compare-plot" viewBox="0 0 {WIDTH:g} {HEIGHT:g}" '
             f'width="{WIDTH:g}" height="{HEIGHT:g}" role="img" aria-label="{title}">', f'<title>{title}</title>',
             f'<rect x="{LEFT:g}" y="{TOP:g}" width="{WIDTH - LEFT - RIGHT:g}" height="{HEIGHT - TOP - BOTTOM:g}" '
             'fill="#fbfbfd" stroke="#9aa5b1"/>']
    parts += [f'<text x="{LEFT - 8:g}" y="{ty + 4:.2f}" text-anchor="end" font-size="11">{label}</text>'
              for label, ty in ticks]
    parts += [f'<text x="{tx:.2f}" y="{HEIGHT - BOTTOM + 16:g}" text-anchor="middle" font-size="11">{t}</text>'
              for t, tx in steps]
    parts += _svg_axis_labels(cost)
    for index, (curve, points) in enumerate(zip(curves, lines)):
        colour = COLOURS[index % len(COLOURS)][0]
        joined = " ".join(f"{px:.2f},{py:.2f}" for px, py in points)
        parts.append(f'<polyline points="{joined}" fill="none" stroke="{colour}" stroke-width="2"/>')
        label = curve.label.replace("&", "&amp;").replace("<", "&lt;")
        parts.append(f'<text x="{WIDTH - RIGHT - 6:g}" y="{TOP + 14 + 14 * index:g}" text-anchor="end" font-size="11" '
                     f'fill="{colour}">{label}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def compare_plot_tikz(curves, cost: str = "J") -> str:
    """The same as a tikzpicture, 1 SVG unit = 0.02 cm."""
    ticks, steps, lines = _layout(curves)
    cm = lambda v: f"{v * 0.02:.3f}"  # noqa: E731
    flip = lambda v: f"{(HEIGHT - v) * 0.02:.3f}"  # noqa: E731
    out = [r"\begin{tikzpicture}[font=\footnotesize]",
           rf"\draw[gray] ({cm(LEFT)},{flip(TOP)}) rectangle ({cm(WIDTH - RIGHT)},{flip(HEIGHT - BOTTOM)});"]
    out += [rf"\node[anchor=east] at ({cm(LEFT - 4)},{flip(ty)}) {{\({label}\)}};" for label, ty in ticks]
    out += [rf"\node[anchor=north] at ({cm(tx)},{flip(HEIGHT - BOTTOM + 2)}) {{{t}}};" for t, tx in steps]
    out += _tikz_axis_labels(cm, flip, cost)
    for index, (curve, points) in enumerate(zip(curves, lines)):
        colour = COLOURS[index % len(COLOURS)][1]
        out.append(rf"\draw[thick, {colour}] " + " -- ".join(f"({cm(px)},{flip(py)})" for px, py in points) + ";")
        label = "".join(c for c in curve.label if c.isalnum() or c in ",.=/ :_").replace("_", r"\_")
        out.append(rf"\node[anchor=east, text={colour}] at ({cm(WIDTH - RIGHT - 6)},{flip(TOP + 14 + 14 * index)}) "
                   rf"{{\texttt{{{label}}}}};")
    out.append(r"\end{tikzpicture}")
    return "\n".join(out) + "\n"
