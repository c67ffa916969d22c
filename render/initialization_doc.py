"""Weight initialization explained: the variance argument as SymPy works it, then checked on the user's network."""

from __future__ import annotations

import sympy as sp

from ..derive.initialization import MEAN_W, MEAN_X, N_IN, N_OUT, VAR_W, VAR_X, measured_moments, variance_argument
from .article import Article
from .lineplot import Series, line_plot_svg, line_plot_tikz
from .numbers import format_number
from .records import M, Figure, Math, Paragraph, Section, Table, text

_NAMES = {N_IN: r"n_{\text{in}}", N_OUT: r"n_{\text{out}}", VAR_W: r"\operatorname{Var}(w)",
          VAR_X: r"\operatorname{Var}(x)", MEAN_X: r"\mathrm{E}[x]", MEAN_W: r"\mathrm{E}[w]",
          sp.Symbol("sigma", positive=True): r"\sigma"}
SCHEMES = ("normal", "xavier", "he")


def _tex(expression: sp.Expr) -> str:
    return sp.latex(expression, symbol_names=_NAMES)


def derivation_section(number: int = 1) -> Section:
    """The symbolic argument, every right-hand side printed from SymPy's result."""
    a = variance_argument()
    var = r"\operatorname{Var}"
    items = (
        Paragraph(text("Assumptions: the weights ", M("w_i"), " and the inputs ", M("x_i"), " of a neuron are "
                       "independent of each other; the weights have mean 0 and a common variance; the biases start "
                       "at 0; the inputs are identically distributed. The receptor is ",
                       M(r"z = \sum_{i=1}^{n_{\text{in}}} w_i x_i + b"), ".")),
        Paragraph(text("One product of independent factors, from ", M(r"\mathrm{E}[u^2] = \operatorname{Var}(u) + "
                                                                         r"\mathrm{E}[u]^2"), ":")),
        Math(rf"{var}(w x) = \mathrm{{E}}[w^2]\,\mathrm{{E}}[x^2] - \mathrm{{E}}[w]^2\,\mathrm{{E}}[x]^2 = {_tex(a.product)}"),
        Paragraph(text("With ", M(r"\mathrm{E}[w] = 0"), ": ", M(rf"{var}(w x) = {_tex(a.product_zero_mean_w)}"),
                       ", and when the inputs have mean 0 too (tanh around 0, centred data): ",
                       M(rf"{var}(w x) = {_tex(a.product_zero_means)}"), ". Variances of independent terms add, so")),
        Math(rf"{var}(z) = {_tex(a.receptor)}"),
        Paragraph(text("Forward: the receptors keep the variance of the inputs, ", M(rf"{var}(z) = {var}(x)"),
                       ", when ", M(rf"{var}(w) = {_tex(a.forward)}"), ". Backward: ",
                       M(r"\delta^{(l-1)}_i = a'(z_i) \sum_{j=1}^{n_{\text{out}}} w_{ij} \delta^{(l)}_j"),
                       " sums ", M(r"n_{\text{out}}"), " terms, and with ", M(r"a'(z) \approx 1"),
                       " near 0 the deltas keep their variance when ", M(rf"{var}(w) = {_tex(a.backward)}"), ".")),
        Paragraph(text("Xavier (Glorot and Bengio) cannot have both unless ", M(r"n_{\text{in}} = n_{\text{out}}"),
                       "; it takes the average fan ", M(r"\tfrac{1}{2}(n_{\text{in}} + n_{\text{out}})"), ":")),
        Math(rf"{var}(w)_{{\text{{Xavier}}}} = {_tex(a.xavier)}"),
        Paragraph(text("He (for ReLU): the inputs of the next layer are ", M(r"x = \operatorname{ReLU}(z)"),
                       ", no longer of mean 0, so the formula needs ", M(r"\mathrm{E}[x^2]"), ". For ",
                       M(r"z \sim \mathcal{N}(0, \sigma^2)"), " SymPy integrates ",
                       M(rf"\mathrm{{E}}[\operatorname{{ReLU}}(z)^2] = \int_0^\infty t^2 \varphi_\sigma(t)\,dt = "
                         rf"{_tex(a.relu_second_moment)}"),
                       ": ReLU halves the second moment. Keeping ",
                       M(rf"{var}(z^{{(l+1)}}) = n_{{\text{{in}}}} {var}(w) \tfrac{{\sigma^2}}{{2}} = \sigma^2"), " gives")),
        Math(rf"{var}(w)_{{\text{{He}}}} = {_tex(a.he)}"),
    )
    return Section("derivation", number, "The variance argument", items)


def _fmt(value: float) -> str:
    return format_number(value, 4)


def _draws(spec, draws: int) -> tuple[dict, float]:
    """(scheme -> the measured moments per layer, the normal std): the spec's [init] scale (or 0.1) and seed."""
    scale = float(spec.init.scale) if spec.init is not None and spec.init.scale is not None else 0.1
    seed = spec.init.seed if spec.init is not None else 0
    return {scheme: measured_moments(spec, scheme, draws, scale, seed) for scheme in SCHEMES}, scale


def variance_figure(moments: dict) -> tuple[str, str]:
    """(SVG, TikZ): Var(z) per layer, measured (solid) and predicted (dashed), one colour per rule."""
    series = []
    for colour, (scheme, layers) in enumerate(moments.items()):
        xs = tuple(m.layer for m in layers)
        series += [Series(f"{scheme} measured", xs, tuple(m.var_z for m in layers), colour=colour),
                   Series(f"{scheme} predicted", xs, tuple(m.predicted_var_z for m in layers), colour=colour, dash=1)]
    title = "Var(z) per layer, measured and predicted"
    return (line_plot_svg(tuple(series), title, "layer", "Var(z)", log_y=True),
            line_plot_tikz(tuple(series), title, "layer", "Var(z)", log_y=True))


def check_section(spec, draws: int, number: int = 2, moments: dict | None = None) -> Section:
    """Per layer, for each rule: measured mean and variance of z and x, and the predicted Var(z)."""
    moments, scale = _draws(spec, draws) if moments is None else moments
    header = (text("layer"), text("activation"), text(M(r"\operatorname{Var}(w)")), text(M(r"\overline{z}")),
              text(M(r"\operatorname{Var}(z)"), " measured"), text(M(r"\operatorname{Var}(z)"), " predicted"),
              text(M(r"\overline{x}")), text(M(r"\operatorname{Var}(x)")))
    items = [Paragraph(text(
        f"The network of the spec {spec.name} (layers {', '.join(map(str, spec.layers))}), its weights drawn {draws} "
        "times by each rule with biases 0, on the spec's inputs. The measured moments pool every draw, sample and "
        "neuron of a layer; the prediction is ", M(r"n_{\text{in}} \operatorname{Var}(w)\, \mathrm{E}[(x^{(l-1)})^2]"),
        " with ", M(r"\mathrm{E}[(x^{(l-1)})^2]"), f" measured on the layer below. The normal rule's std is {scale:g}."))]
    items.append(Figure("variance", text("Variance of the receptors per layer for each rule: measured over the "
                                         "draws (solid) and predicted (dashed), log scale.")))
    for scheme, layers in moments.items():
        rows = tuple((text(str(m.layer)), text(m.activation), text(_fmt(m.var_w)), text(_fmt(m.mean_z)),
                      text(_fmt(m.var_z)), text(_fmt(m.predicted_var_z)), text(_fmt(m.mean_x)), text(_fmt(m.var_x)))
                     for m in layers)
        items += [Paragraph(text(f"{scheme}:")), Table(header, rows, "rlrrrrrr")]
    return Section("check", number, "Checked on the network", tuple(items))


def initialization_article(spec, draws: int = 2000) -> Article:
    """`nnsteps explain initialization SPEC`: the document."""
    summary = text("Why the initial weights' variance matters, why Xavier takes ", M(r"\tfrac{2}{n_{in} + n_{out}}"),
                   " and He takes ", M(r"\tfrac{2}{n_{in}}"), ", worked in SymPy and checked on the network ",
                   spec.name, ".")
    moments = _draws(spec, draws)
    return Article("initialization", "Weight initialization", summary,
                   (derivation_section(1), check_section(spec, draws, 2, moments)),
                   f"Generated by nnsteps explain initialization from the spec {spec.name}.",
                   {"variance": variance_figure(moments[0])})
