"""The gradient report: norms of delta and of the weight gradients per layer, for deep versions of a network."""

from __future__ import annotations

import math

from ..derive.activation_facts import activation_facts
from ..derive.gradient_report import Run
from .article import Article
from .lineplot import Series, line_plot_svg, line_plot_tikz
from .numbers import format_number
from .records import M, Figure, Math, Paragraph, Section, Table, text

INIT_TEX = {"normal": r"\mathcal{N}(0, s^2)", "xavier": r"\mathcal{N}\!\left(0, \tfrac{2}{n_{in} + n_{out}}\right)",
            "he": r"\mathcal{N}\!\left(0, \tfrac{2}{n_{in}}\right)"}


def _number(value: float) -> str:
    return format_number(value, 3) if math.isfinite(value) else ("diverged" if math.isnan(value) else "overflow")


def _label(run: Run) -> str:
    return f"{run.activation} + {run.init}"


def _figure(runs, depth: int, pick, title: str, y_label: str) -> tuple[str, str]:
    series = tuple(Series(_label(r), tuple(range(1, len(pick(r)) + 1)), tuple(pick(r)), colour=c, dash=d)
                   for r, (c, d) in _styles(runs) if r.depth == depth)
    return line_plot_svg(series, title, "layer", y_label, log_y=True), line_plot_tikz(series, title, "layer", y_label, log_y=True)


def _styles(runs):
    """A colour per activation and a dash per initialization, the same in every plot."""
    activations = list(dict.fromkeys(r.activation for r in runs))
    inits = list(dict.fromkeys(r.init for r in runs))
    return [(r, (activations.index(r.activation), inits.index(r.init))) for r in runs]


def _summary_table(runs) -> Table:
    header = tuple(text(*cell) for cell in (
        ("activation",), ("init",), ("depth",), (M(r"\lVert \partial J/\partial W^{(1)}\rVert "),),
        (M(r"\lVert \partial J/\partial W^{(L)}\rVert "),), ("ratio",), (M(r"\lVert \delta^{(1)}\rVert  / \lVert \delta^{(L)}\rVert "),),
        ("product of factors",)))
    rows = tuple((text(r.activation), text(r.init), text(str(r.depth)), text(_number(r.start[0].grad_norm)),
                  text(_number(r.start[-1].grad_norm)), text(_number(r.ratio)), text(_number(r.delta_ratio)),
                  text(_number(r.predicted_ratio))) for r in runs)
    return Table(header, rows, "llrrrrrr")


def _factor_table(run: Run) -> Table:
    header = (text("layer ", M("l")), text(M(r"\operatorname{rms} a'(z^{(l)})")),
              text(M(r"\sqrt{n_l \operatorname{Var}(w^{(l+1)})}")), text("factor"), text("product down to ", M("l")),
              text(M(r"\lVert \delta^{(l)}\rVert  / \lVert \delta^{(L)}\rVert ")))
    rows, product = [], 1.0
    for norms in reversed(run.start[:-1]):
        factor = norms.slope_rms * norms.weight_gain
        product *= factor
        rows.append((text(str(norms.layer)), text(_number(norms.slope_rms)), text(_number(norms.weight_gain)),
                      text(_number(factor)), text(_number(product)),
                      text(_number(norms.delta_norm / run.start[-1].delta_norm if run.start[-1].delta_norm else math.nan))))
    return Table(header, tuple(rows), "rrrrrr")


def _headline(runs) -> list:
    """The two figures the report is about: sigmoid with normal init against ReLU with He, at the largest depth."""
    deepest = max(r.depth for r in runs)
    items = []
    for activation, init, verdict in (("sigmoid", "normal", "vanishing"), ("relu", "he", "healthy")):
        found = [r for r in runs if (r.activation, r.init, r.depth) == (activation, init, deepest)]
        for r in found:
            times = 1 / r.ratio if r.ratio and math.isfinite(r.ratio) else math.nan
            items.append(Paragraph(text(
                f"{activation} with {init} initialization, {deepest} layers ({verdict}): the first layer's gradient "
                "norm is ", M(rf"\lVert \partial J/\partial W^{{(1)}}\rVert  = {_number(r.start[0].grad_norm)}"),
                ", the last layer's ", M(rf"\lVert \partial J/\partial W^{{(L)}}\rVert  = {_number(r.start[-1].grad_norm)}"),
                f": the first is {_number(times)} times smaller than the last.")))
    return items


def report_article(spec_name: str, runs: tuple, steps: int, learning_rate: float) -> Article:
    """`nnsteps report`: the document."""
    depths = list(dict.fromkeys(r.depth for r in runs))
    width = runs[0].width
    sigmoid_max = activation_facts("sigmoid").derivative_max
    method = Section("method", 1, "What is measured", (
        Paragraph(text(f"Each deep version of the network keeps its inputs, outputs, output activation, loss and data, "
                       f"and has L − 1 hidden layers of {width} neurons with the chosen activation. Weights are drawn by "
                       "the chosen rule, biases start at 0. Backpropagation runs the delta recursion in NumPy:")),
        Math(r"\delta^{(l)} = \left(\delta^{(l+1)} {W^{(l+1)}}^{\top}\right) \odot a'\!\left(z^{(l)}\right), \quad "
             r"\frac{\partial J}{\partial W^{(l)}} = {x^{(l-1)}}^{\top} \delta^{(l)}"),
        Paragraph(text("Each step down multiplies the norm of δ by about ",
                       M(r"\operatorname{rms} a'(z^{(l)}) \cdot \sqrt{n_l \operatorname{Var}(w^{(l+1)})}"),
                       " (the weights spread a vector's squared norm by ", M(r"n_l \operatorname{Var}(w)"),
                       " on average). The sigmoid's derivative is at most ",
                       M(rf"\sigma'(z) \le {format_number(sigmoid_max)}"), ", so every sigmoid layer shrinks δ by at "
                       "least a factor 4 unless the weights grow it back; ReLU's derivative is 1 on the active half, "
                       "which He's variance 2/n compensates. Initializations: ",
                       *[piece for init in dict.fromkeys(r.init for r in runs)
                         for piece in (f"{init} ", M(INIT_TEX[init]), "; ")],
                       "the normal std s is the spec's [init] scale, or 0.1.")),
    ))
    summary_items = [*_headline(runs), _summary_table(runs),
                     Paragraph(text("ratio: first layer's gradient norm over the last's; product of factors: the "
                                    "product of the local factors above over layers 1 to L − 1, which predicts ",
                                    M(r"\lVert \delta^{(1)}\rVert  / \lVert \delta^{(L)}\rVert "), "."))]
    sections = [method, Section("summary", 2, "At initialization", tuple(summary_items))]
    figures = {}
    for number, depth in enumerate(depths, start=3):
        items = []
        for name, pick, title, caption in (
                ("grad", lambda r: [n.grad_norm for n in r.start], "weight gradient norm", "at initialization"),
                ("delta", lambda r: [n.delta_norm for n in r.start], "delta norm", "at initialization"),
                ("trained", lambda r: [n.grad_norm for n in r.trained], "weight gradient norm",
                 f"after {steps} steps of gradient descent with learning rate {format_number(learning_rate)}")):
            key = f"{name}-{depth}"
            figures[key] = _figure(runs, depth, pick, f"{title} per layer, {depth} layers", title)
            items.append(Figure(key, text(f"The {title} per layer of the {depth}-layer networks, {caption} "
                                          "(log scale; a missing point overflowed or diverged).")))
        first = next(r for r in runs if r.depth == depth)
        items += [Paragraph(text(f"The local factors of {first.activation} with {first.init} initialization, "
                                 "from the top down:")), _factor_table(first)]
        sections.append(Section(f"depth-{depth}", number, f"{depth} layers", tuple(items)))
    summary = text(f"How the gradient's size changes from the last layer to the first in deep versions of {spec_name}, "
                   "for each activation and initialization, and the product of local derivative factors behind it.")
    return Article("report", f"Vanishing and exploding gradients: {spec_name}", summary, tuple(sections),
                   f"Generated by nnsteps report from the spec {spec_name}.", figures)
