"""The activation functions explained: per activation its formula, derivative, plot, range and values at 0."""

from __future__ import annotations

import sympy as sp

from ..derive.activation_facts import ELEMENTWISE, NEURON, ActivationFacts, activation_facts
from ..derive.model import GENERIC_Z
from .article import Article
from .lineplot import Series, line_plot_svg, line_plot_tikz
from .records import M, Figure, Group, Math, Paragraph, Section, Table, text


def _anchor(name: str) -> str:
    """A label safe in HTML ids, TeX labels and file names: activation-leaky-relu."""
    return "activation-" + name.replace("_", "-")


def _tex(expression: sp.Expr, neuron: str | None = None) -> str:
    names = {GENERIC_Z: "z"} if neuron is None else {NEURON: neuron}
    return sp.latex(expression, symbol_names=names)


def _range(facts: ActivationFacts) -> str:
    left = "[" if facts.low_attained else "("
    return rf"\left{left}{_tex(facts.low)},\ {_tex(facts.high)}\right)"


def _vanishing(facts: ActivationFacts) -> tuple:
    """Where a'(z) = 0: on a set of z, or only in a limit, or never."""
    limits = [side for side, value in (("z \\to -\\infty", facts.derivative_low), ("z \\to +\\infty", facts.derivative_high))
              if value == 0]
    if facts.vanishes_on != sp.S.EmptySet:
        return ("exactly 0 for ", M(rf"z \in {sp.latex(facts.vanishes_on)}"),
                ": no gradient flows back through a neuron whose receptor is there")
    if limits:
        return ("never exactly 0, but tends to 0 as ", M(r"\text{ and }".join(limits)),
                ": a saturated neuron passes almost no gradient back")
    return ("never 0: the smallest value is ", M(_tex(sp.Min(facts.derivative_low, facts.derivative_high))),
            ", so every neuron passes gradient back")


def activation_figure(facts: ActivationFacts) -> tuple[str, str]:
    """(SVG, TikZ) of a(z) and a'(z) for z in [-5, 5]."""
    zs, values, slopes = facts.curves()
    series = (Series(f"{facts.name}(z)", tuple(zs), tuple(values), colour=0),
              Series(f"{facts.name}'(z)", tuple(zs), tuple(slopes), colour=1, dash=1))
    title = f"{facts.name} and its derivative"
    return line_plot_svg(series, title, "z", "value"), line_plot_tikz(series, title, "z", "value")


def activation_group(facts: ActivationFacts) -> Group:
    """The block of one activation."""
    a = facts.latex
    items = [Math(rf"{a}(z) = {_tex(facts.form)}"),
             Paragraph(text("Its derivative, as SymPy derives it (the same ", M(r"\frac{\partial x}{\partial z}"),
                            " the worked examples use):")),
             Math(rf"{a}'(z) = {_tex(facts.derivative)}")]
    if facts.in_output is not None:
        items += [Paragraph(text("Written in the neuron's own output ", M(rf"x = {a}(z)"),
                                 ", which the forward pass has already computed:")),
                  Math(rf"{a}'(z) = {_tex(facts.in_output, rf'{a}(z)')} = {_tex(facts.in_output, 'x')}")]
    items += [
        Figure(_anchor(facts.name), text("The activation ", M(rf"{a}(z)"), " (solid) and its derivative ",
                                                M(rf"{a}'(z)"), " (dashed) for ", M(r"-5 \le z \le 5"), ".")),
        Table((text("property"), text("value")), (
            (text("range of ", M(rf"{a}(z)")), text(M(_range(facts)))),
            (text("value at 0"), text(M(rf"{a}(0) = {_tex(facts.at_zero)}"))),
            (text("derivative at 0"), text(M(rf"{a}'(0) = {_tex(facts.derivative_at_zero)}"))),
            (text("largest derivative"), text(M(rf"\sup_z {a}'(z) = {_tex(facts.derivative_max)}"))),
            (text("derivative vanishes"), text(*_vanishing(facts))),
        ), "lp"),
    ]
    return Group(_anchor(facts.name), text(facts.name, " ", M(rf"{a}")), tuple(items))


def activations_section(names=ELEMENTWISE, number: int = 1) -> tuple[Section, dict]:
    """The section (one group per activation) and its figures, for a standalone document or a worked example."""
    groups, figures = [], {}
    for name in dict.fromkeys(names):
        facts = activation_facts(name)
        groups.append(activation_group(facts))
        figures[_anchor(name)] = activation_figure(facts)
    intro = Paragraph(text(
        "Each neuron applies its activation to its receptor: ", M("x = a(z)"), ". Backpropagation multiplies by ",
        M("a'(z)"), " at every layer it passes, so the size of the derivative decides how much gradient reaches the "
        "layers below. Every formula and number here comes from the activation rows the derivation uses."))
    return Section("activations", number, "Activation functions", (intro, *groups)), figures


def activations_article(names=ELEMENTWISE) -> Article:
    """`nnsteps explain activations`: the standalone document, one numbered section per activation."""
    section, figures = activations_section(names)
    intro, *groups = section.items
    sections = tuple(Section(group.id, number, name, group.items)
                     for number, (group, name) in enumerate(zip(groups, dict.fromkeys(names)), start=1))
    summary = text(intro.text, " The sigmoid's derivative is at most ", M(r"\tfrac14"),
                   "; tanh's is at most 1, and ReLU's is 0 or 1.")
    return Article("activations", "Activation functions", summary, sections,
                   "Generated by nnsteps explain activations.", figures)
