"""Line plots of several curves, linear or log-scale in y: an inline SVG (HTML, Markdown) and the same as TikZ.

Used by the activation plots (a and a' against z) and by the gradient report (norms per layer, log scale).
Curve labels are escaped for each language; a value that is not finite, or not positive on a log axis, breaks
the curve there instead of being drawn.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

from .escape import tex_escape
from .numbers import format_number
from .plot import _ticks

WIDTH, PLOT_HEIGHT = 520.0, 250.0
LEFT, RIGHT, TOP, BOTTOM = 64.0, 16.0, 16.0, 44.0
LEGEND_ROW, LEGEND_COLUMNS = 18.0, 3
COLOURS = (("#2c5b82", "blue!60!black"), ("#c0392b", "red!70!black"), ("#2e8b57", "green!50!black"),
           ("#8e44ad", "violet"), ("#d68910", "orange!90!black"))
DASHES = (("", "solid"), ("6 4", "dashed"), ("2 3", "dotted"))


@dataclass(frozen=True)
class Series:
    """One curve: its legend label, its points, and its colour and dash (indices into COLOURS and DASHES)."""

    label: str
    xs: tuple
    ys: tuple
    colour: int = 0
    dash: int = 0


@dataclass(frozen=True)
class _Frame:
    """The axes of a plot: data ranges, and whether y is drawn as log10."""

    x_low: float
    x_high: float
    y_low: float
    y_high: float
    log_y: bool
    height: float

    def x(self, value: float) -> float:
        span = self.x_high - self.x_low or 1.0
        return LEFT + (WIDTH - LEFT - RIGHT) * (value - self.x_low) / span

    def y(self, value: float) -> float:
        span = self.y_high - self.y_low or 1.0
        return TOP + (PLOT_HEIGHT - TOP - BOTTOM) * (self.y_high - value) / span


def _shown(value, log_y: bool):
    """The plotted coordinate of a value, or None where the curve breaks."""
    value = float(value)
    if not math.isfinite(value) or (log_y and value <= 0):
        return None
    return math.log10(value) if log_y else value


def _runs(series: Series, log_y: bool) -> list[list[tuple[float, float]]]:
    """The unbroken pieces of a curve, in plotted coordinates."""
    runs, current = [], []
    for x, y in zip(series.xs, series.ys):
        shown = _shown(y, log_y)
        if shown is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append((float(x), shown))
    if current:
        runs.append(current)
    return runs


def _frame(curves: list, series: tuple, log_y: bool) -> _Frame:
    xs = [float(x) for s in series for x in s.xs] or [0.0, 1.0]
    ys = [y for runs in curves for run in runs for _, y in run] or [0.0, 1.0]
    low, high = min(ys), max(ys)
    if log_y:
        low, high = math.floor(low), math.ceil(high)
    if high - low < 1e-12:
        low, high = low - 0.5, high + 0.5
    if not log_y:
        pad = 0.05 * (high - low)
        low, high = low - pad, high + pad
    rows = math.ceil(len(series) / LEGEND_COLUMNS)
    return _Frame(min(xs), max(xs), low, high, log_y, PLOT_HEIGHT + rows * LEGEND_ROW + 4)


def _y_ticks(frame: _Frame) -> list[tuple[float, str, str]]:
    """(plotted value, SVG text, TeX math) of each y tick; decades on a log axis."""
    if frame.log_y:
        step = max(1, math.ceil((frame.y_high - frame.y_low) / 8))
        decades = range(int(frame.y_low), int(frame.y_high) + 1, step)
        return [(float(d), f"1e{d}", f"10^{{{d}}}") for d in decades]
    return [(t, format_number(t, 4), format_number(t, 4)) for t in _ticks(frame.y_low, frame.y_high)]


def _x_ticks(frame: _Frame) -> list[float]:
    whole = frame.x_high - frame.x_low <= 40 and float(frame.x_low).is_integer()
    if whole:  # layers: whole numbers, at most about ten labels
        step = max(1, math.ceil((frame.x_high - frame.x_low) / 10))
        return [float(v) for v in range(int(frame.x_low), int(frame.x_high) + 1, step)]
    return _ticks(frame.x_low, frame.x_high)


def _legend_place(index: int, frame: _Frame) -> tuple[float, float]:
    column, row = index % LEGEND_COLUMNS, index // LEGEND_COLUMNS
    return LEFT + column * (WIDTH - LEFT) / LEGEND_COLUMNS, PLOT_HEIGHT + 4 + row * LEGEND_ROW


def _marks(series: tuple, log_y: bool) -> tuple[_Frame, list]:
    """The frame and every mark of the plot in SVG units, the same for both languages:
    ("grid", y, svg text, tex text), ("xtick", x, text), ("curve", series, points), ("key", series, x, y)."""
    curves = [_runs(s, log_y) for s in series]
    frame = _frame(curves, series, log_y)
    marks: list = [("grid", frame.y(value), text, tex) for value, text, tex in _y_ticks(frame)]
    marks += [("xtick", frame.x(value), format_number(value, 4)) for value in _x_ticks(frame)]
    for index, (s, runs) in enumerate(zip(series, curves)):
        marks += [("curve", s, [(frame.x(x), frame.y(y)) for x, y in run]) for run in runs]
        marks.append(("key", s, *_legend_place(index, frame)))
    return frame, marks


_MID_X, _MID_Y = LEFT + (WIDTH - LEFT - RIGHT) / 2, TOP + (PLOT_HEIGHT - TOP - BOTTOM) / 2


def _stroke(s: Series) -> str:
    colour, dash = COLOURS[s.colour % len(COLOURS)][0], DASHES[s.dash % len(DASHES)][0]
    return f' stroke="{colour}" stroke-width="2"' + (f' stroke-dasharray="{dash}"' if dash else "")


# one row per kind of mark: its SVG elements
_SVG = {
    "grid": lambda _, ty, text, tex: [
        f'<line x1="{LEFT - 4:g}" y1="{ty:.2f}" x2="{WIDTH - RIGHT:g}" y2="{ty:.2f}" stroke="#e4e7eb"/>',
        f'<text x="{LEFT - 8:g}" y="{ty + 4:.2f}" text-anchor="end" font-size="11">{text}</text>'],
    "xtick": lambda _, tx, text: [
        f'<text x="{tx:.2f}" y="{PLOT_HEIGHT - BOTTOM + 16:g}" text-anchor="middle" font-size="11">{text}</text>'],
    "curve": lambda _, s, points: [
        f'<polyline points="{" ".join(f"{x:.2f},{y:.2f}" for x, y in points)}" fill="none"{_stroke(s)}/>'],
    "key": lambda _, s, lx, ly: [
        f'<line x1="{lx:.2f}" y1="{ly + 8:.2f}" x2="{lx + 24:.2f}" y2="{ly + 8:.2f}"{_stroke(s)}/>',
        f'<text x="{lx + 30:.2f}" y="{ly + 12:.2f}" font-size="11">{html.escape(s.label)}</text>'],
}


def line_plot_svg(series: tuple, title: str, x_label: str, y_label: str, log_y: bool = False) -> str:
    """A self-contained <svg> with one polyline per curve, axes, ticks and a legend below."""
    frame, marks = _marks(series, log_y)
    label = html.escape(title, quote=True)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="line-plot" viewBox="0 0 {WIDTH:g} {frame.height:g}" '
             f'width="{WIDTH:g}" height="{frame.height:g}" role="img" aria-label="{label}">',
             f"<title>{label}</title>",
             f'<rect x="{LEFT:g}" y="{TOP:g}" width="{WIDTH - LEFT - RIGHT:g}" height="{PLOT_HEIGHT - TOP - BOTTOM:g}" '
             'fill="#fbfbfd" stroke="#9aa5b1"/>',
             f'<text x="{_MID_X:g}" y="{PLOT_HEIGHT - 10:g}" text-anchor="middle" font-size="12">{html.escape(x_label)}</text>',
             f'<text transform="translate(14 {_MID_Y:g}) rotate(-90)" text-anchor="middle" '
             f'font-size="12">{html.escape(y_label)}</text>']
    for mark in marks:
        parts += _SVG[mark[0]](*mark)
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _style(s: Series) -> str:
    return f"thick, {COLOURS[s.colour % len(COLOURS)][1]}, {DASHES[s.dash % len(DASHES)][1]}"


def _tikz_rows(cm, flip) -> dict:
    """One row per kind of mark: its TikZ commands, with the page coordinates cm (x) and flip (y)."""
    return {
        "grid": lambda _, ty, text, tex: [
            rf"\draw[gray!30] ({cm(LEFT)},{flip(ty)}) -- ({cm(WIDTH - RIGHT)},{flip(ty)});",
            rf"\node[anchor=east] at ({cm(LEFT - 4)},{flip(ty)}) {{\({tex}\)}};"],
        "xtick": lambda _, tx, text: [
            rf"\node[anchor=north] at ({cm(tx)},{flip(PLOT_HEIGHT - BOTTOM + 2)}) {{\({text}\)}};"],
        "curve": lambda _, s, points: [
            rf"\draw[{_style(s)}] " + " -- ".join(f"({cm(x)},{flip(y)})" for x, y in points) + ";"
        ] if len(points) > 1 else [],
        "key": lambda _, s, lx, ly: [
            rf"\draw[{_style(s)}] ({cm(lx)},{flip(ly + 8)}) -- ({cm(lx + 24)},{flip(ly + 8)});",
            rf"\node[anchor=west] at ({cm(lx + 28)},{flip(ly + 8)}) {{{tex_escape(s.label)}}};"],
    }


def line_plot_tikz(series: tuple, title: str, x_label: str, y_label: str, log_y: bool = False) -> str:
    """The same plot as a tikzpicture (core TikZ only), 1 SVG unit = 0.02 cm."""
    frame, marks = _marks(series, log_y)
    cm = lambda v: f"{v * 0.02:.3f}"  # noqa: E731
    flip = lambda v: f"{(frame.height - v) * 0.02:.3f}"  # noqa: E731
    lines = [rf"\begin{{tikzpicture}}[font=\footnotesize] % {tex_escape(title)}",
             rf"\draw[gray] ({cm(LEFT)},{flip(TOP)}) rectangle ({cm(WIDTH - RIGHT)},{flip(PLOT_HEIGHT - BOTTOM)});",
             rf"\node at ({cm(_MID_X)},{flip(PLOT_HEIGHT - 12)}) {{{tex_escape(x_label)}}};",
             rf"\node[rotate=90] at ({cm(14)},{flip(_MID_Y)}) {{{tex_escape(y_label)}}};"]
    rows = _tikz_rows(cm, flip)
    for mark in marks:
        lines += rows[mark[0]](*mark)
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines) + "\n"
