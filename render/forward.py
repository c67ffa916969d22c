"""Sections 1-3 of a worked example: the network, the forward pass neuron by neuron and in matrices, the cost."""

from __future__ import annotations

from .context import Context, symbols
from .geometry import COMPACT_LIMIT
from .explain import FORWARD, matrix_steps
from .notation import activation_table, init_sentence, loss_sentences, notation_table, reduction, training_sentence, words
from .operands import DOTS, Term, product, signed_sum
from .regularizers import forward_layer_steps, given_items, special_layers
from .records import Figure, Group, M, Math, Paragraph, Section, Step, side_by_side, text

MAX_TERMS = 8  # longer receptor sums are shown with dots


def diagram_caption(ctx: Context):
    """What the diagram shows, exactly: whose values, where, and which cost is in the J box."""
    w, n = words(ctx), ctx.spec.n_samples
    cost = text("the box ", M(ctx.J), f" holds the cost of the whole batch of {n} samples, not of sample 1"
                 if n > 1 else " holds the cost")
    if max(ctx.spec.layers) > COMPACT_LIMIT:  # wide layers: no numbers drawn
        return text(f"The network: {w.x}s ", M(ctx.s("x", "l", "k")), f" (circles), {w.z}s ", M(ctx.s("z", "l", "k")),
                    " (squares) and weights (lines); wide layers are drawn as 1, 2, 3, …, n and the numbers are "
                    "left to the HTML version's tooltips.")
    return text(f"The network with the numbers of sample 1: each {w.x} ", M(ctx.s("x", "l", "k")),
                f" below its circle and its backward value ", M(f"{ctx.s('delta', 'l', 'k')} = {ctx.partial(ctx.J, ctx.s('z', 'l', 'k'))}"),
                f" under it (violet; in the HTML on request), each {w.z} ", M(ctx.s("z", "l", "k")), " above its square, "
                "the weights before training along their lines; ", cost, ".")


def network_section(ctx: Context) -> Section:
    spec, L = ctx.spec, ctx.spec.depth
    sizes = ", ".join(str(n) for n in spec.layers[1:])
    items = [
        Figure("diagram", diagram_caption(ctx)),
        Paragraph(text(f"The network has {spec.layers[0]} input{'s' if spec.layers[0] != 1 else ''} and {L} "
                       f"layer{'s' if L != 1 else ''} of {sizes} neurons ({spec.n_parameters} parameters). "
                       f"This document uses {words(ctx).profile}:")),
        notation_table(ctx),
        activation_table(ctx),
    ]
    for piece in loss_sentences(ctx):
        items.append(Paragraph(piece) if not isinstance(piece, str) else Math(piece))
    items.append(Paragraph(training_sentence(ctx)))
    init = init_sentence(ctx)
    if init is not None:
        items.append(Paragraph(init))
    items.append(Paragraph(text(f"The data: {spec.n_samples} sample{'s' if spec.n_samples != 1 else ''}, one per row, "
                                "inputs and targets:")))
    items += [Math(m) for m in side_by_side([f"{ctx.m('X', 0)} = {ctx.matrix(ctx.d.X)}", f"{ctx.m('Y')} = {ctx.matrix(ctx.d.Y)}"])]
    items.append(Paragraph(text("The parameters before training (weights in rows by sending neuron, biases as columns):")))
    for l in range(1, L + 1):
        weights, biases = ctx.d.params[f"W{l}"], ctx.d.params[f"b{l}"]
        items += [Math(m) for m in side_by_side([f"{ctx.m('W', l)} = {ctx.matrix(weights)}",
                                                  f"{ctx.m('b', l)} = {ctx.matrix(biases, column=True)}"])]
    items += given_items(ctx)  # dropout's masks, batch norm's eps, gamma and beta
    return Section("network", 1, "The network", tuple(items))


def _product(ctx: Context, w, x, sample: int | None) -> str:
    """w x as symbols, or its numbers multiplied."""
    if sample is None:
        return f"{ctx.tex(w)} {ctx.tex(x)}"
    return product([ctx.value(v, sample) for v in (w, x)], ctx.digits)


def _shown_terms(terms: list) -> list:
    return terms if len(terms) <= MAX_TERMS else terms[:3] + [None] + terms[-1:]


def receptor_step(ctx: Context, layer: int, k: int, sample: int = 1) -> Step:
    # z^(l)_k = sum_i w^(l)_{i,k} x^(l-1)_i + b^(l)_k, each term printed in index order
    equation = ctx.d.net.receptor(layer, k)
    pairs, bias = list(equation.terms[:-1]), equation.terms[-1]
    shown = _shown_terms(pairs)
    formula = " + ".join(r"\cdots" if p is None else _product(ctx, *p, None) for p in shown) + f" + {ctx.tex(bias)}"
    # a product's factors carry their own parentheses, so only the bias can bring a sign to the sum
    terms = [DOTS if p is None else Term(_product(ctx, *p, sample)) for p in shown]
    numbers = signed_sum(terms + [ctx.sample_numbers(sample)[bias]], ctx.digits)
    value = ctx.value(equation.lhs, sample)
    return Step(ctx.tex(equation.lhs), formula, numbers, ctx.num(value),
                symbols(equation.lhs, equation.rhs))


def neuron_step(ctx: Context, layer: int, k: int, sample: int = 1) -> Step:
    # x^(l)_k = a(z^(l)_k)
    equation = ctx.d.net.neuron(layer, k)
    return ctx.step(equation.lhs, equation.rhs, sample, value=ctx.value(equation.lhs, sample))


def general_forward(ctx: Context) -> Math:
    s, a = ctx.s, ctx.profile.activation
    n_prev = "n^{(l-1)}" if ctx.notation == "tutorial" else "n^{l-1}" if ctx.notation == "nielsen" else "n_{l-1}"
    receptor = f"{s('z', 'l', 'k')} = \\sum_{{i=1}}^{{{n_prev}}} {s('w', 'l', 'i', 'k')} {s('x', 'l-1', 'i')} + {s('b', 'l', 'k')}"
    neuron = f"{s('x', 'l', 'k')} = {a}\\left({s('z', 'l', 'k')}\\right)"
    return Math(f"{receptor}, \\qquad {neuron}")


def forward_section(ctx: Context, neurons) -> Section:
    spec, d, L = ctx.spec, ctx.d, ctx.spec.depth
    w = words(ctx)
    first = ctx.row(d.X[0])
    items = [
        Paragraph(text(f"Each {w.z} adds up the weighted values of the previous layer and its bias; each {w.x} "
                       f"applies the activation function to its {w.z}:")),
        general_forward(ctx),
        Paragraph(text(f"Neuron by neuron for sample 1, the input ", M(f"{ctx.names('x', 0)} = {first}"), ":")),
    ]
    for l in range(1, L + 1):
        shown = neurons(l)
        steps = [receptor_step(ctx, l, k) for k in shown]
        if l in special_layers(spec):  # batch norm and dropout sit between the receptor and the layer's output
            steps += forward_layer_steps(ctx, l, shown)
        else:
            steps += [neuron_step(ctx, l, k) for k in shown]
        omitted = spec.layers[l] - len(shown)
        if omitted:
            steps.append(Paragraph(text(f"The other {omitted} neurons of layer {l} follow the same pattern; "
                                        "the matrix form below has them all.")))
        title = text(f"Layer {l}: {w.z}s and {w.x}s ({spec.activations[l - 1].replace('_', ' ')})")
        items.append(Group(f"forward-layer-{l}", title, tuple(steps), tuple(sorted({n for s in steps if isinstance(s, Step) for n in s.symbols}))))
    items.append(Paragraph(text("The same computation for all samples at once: row s of each matrix is sample s.")))
    matrix = matrix_steps(ctx, FORWARD)
    items.append(Group("forward-matrix", text("Matrix form"), tuple(matrix)))
    return Section("forward", 2, "Forward pass", tuple(items))


def sample_cost(ctx: Context, sample: int | str) -> str:
    return f"{ctx.J}_{{{sample}}}"


def cost_section(ctx: Context, samples) -> Section:
    spec, d = ctx.spec, ctx.d
    n = spec.n_samples
    items = [Paragraph(text(f"The cost of each sample, from its outputs ", M(ctx.s("x", spec.depth, "k")),
                            " and targets ", M("y_{k}"), ":"))]
    for s in samples:
        items.append(ctx.step(sample_cost(ctx, s), d.cost, s, value=ctx.number(d.backward.sample_costs[s - 1])))
    omitted = n - len(samples)
    if omitted:
        items.append(Paragraph(text(f"The other {omitted} sample{'s are' if omitted != 1 else ' is'} computed the same way.")))
    r, r_words = reduction(ctx)
    shown = [str(s) for s in range(1, n + 1)] if n <= 6 else ["1", "2", r"\cdots", str(n)]
    terms = " + ".join(s if s == r"\cdots" else sample_cost(ctx, s) for s in shown)
    numbers = signed_sum([DOTS if s == r"\cdots" else ctx.number(d.backward.sample_costs[int(s) - 1]) for s in shown], ctx.digits)
    wrap = (lambda t: rf"{r}\left({t}\right)") if r and n > 1 else (lambda t: f"{r} {t}".strip())  # noqa: E731
    items.append(Paragraph(text(f"The batch cost is {r_words}:")))
    items.append(Step(ctx.J, wrap(terms), wrap(numbers), ctx.num(ctx.number(d.backward.cost))))
    return Section("cost", 3, "The cost", tuple(items))
