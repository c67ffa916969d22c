"""Sections 4-6: the chain rule at the output layer, paths and deltas in hidden layers, the backward matrix form."""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..derive.backprop import Factor
from ..derive.errors import UnsupportedError
from .context import Context, symbols
from .explain import BACKWARD, matrix_steps
from .forward import sample_cost
from .notation import reduction
from .operands import DOTS, Term, product, signed_sum
from .vanishing import causes, vanished
from .regularizers import backward_note, special_layers
from .pathdiagram import PREFIX, path_marks
from .records import LINE_WIDTH, Figure, Group, M, Math, Paragraph, Section, Step, text, visible_width

SHOWN_PATHS = {"full": 8, "summary": 4}  # paths written out per parameter
ENUMERATED_PATHS = {"full": 4096, "summary": 64}  # beyond this the paths are only counted
FIGURES_PER_LAYER = 6  # path figures per hidden layer, so large networks stay bounded
LOSS_SHOWN_OUTPUTS = 3  # d/dx [loss] is written out when the output layer has at most this many neurons


def parameter(ctx: Context, layer: int, i: int | None, j: int):
    """(symbol, derive name, anchor id)."""
    net = ctx.d.net
    if i is None:
        return net.b(layer, j), f"b{layer}[{j}]", f"grad-b{layer}-{j}"
    return net.w(layer, i, j), f"W{layer}[{i},{j}]", f"grad-W{layer}-{i}-{j}"


def path_count(ctx: Context, layer: int) -> int:
    sizes, L = ctx.spec.layers, ctx.spec.depth
    outputs = sizes[L] if ctx.d.net.activation(L).vector else 1
    return outputs * int(np.prod([sizes[l] for l in range(layer + 1, L + 1)], dtype=object))


def _cost_tex(ctx: Context, symbol, sample: int) -> str:
    """J for one sample: J_s when the batch has several samples."""
    if symbol == ctx.d.net.J and ctx.spec.n_samples > 1:
        return sample_cost(ctx, sample)
    return ctx.tex(symbol)


def partial(ctx: Context, factor: Factor, sample: int) -> str:
    return ctx.partial(_cost_tex(ctx, factor.numerator, sample), factor.denominator)


def factor_step(ctx: Context, factor: Factor, sample: int) -> Step:
    return ctx.step(partial(ctx, factor, sample), factor.form, sample)


def path_product(ctx: Context, factors, sample: int, parameter_symbol=None) -> tuple[Step, object]:
    """One chain-rule path: product of partials = product of local forms = product of numbers = value.

    With the parameter given (its only path) the left side is dJ/dparameter, as in dJ/dw = dJ/dx dx/dz dz/dw = ...
    """
    values = [ctx.value(f.form, sample) for f in factors]
    value = sp.Mul(*values) if ctx.d.exact else float(np.prod(values))
    chain = " ".join(partial(ctx, f, sample) for f in factors)
    forms = r" \cdot ".join(ctx.printer.factor(f.form) for f in factors)
    nodes = [factors[0].numerator] + [f.denominator for f in factors]
    if parameter_symbol is None:
        step = Step(chain, forms, product(values, ctx.digits), ctx.num(ctx.number(value)), symbols(*nodes))
    else:
        lhs = ctx.partial(_cost_tex(ctx, ctx.d.net.J, sample), parameter_symbol)
        step = Step(lhs, forms, product(values, ctx.digits), ctx.num(ctx.number(value)), symbols(*nodes),
                    expansion=chain)
    return step, value


def loss_derivative(ctx: Context, factor: Factor) -> str:
    """d/dx^(L)_k [loss of one sample], the derivative the factor dJ/dx^(L)_k is (blank for wide outputs)."""
    if factor.kind != "dJ/dx" or ctx.spec.layers[ctx.spec.depth] > LOSS_SHOWN_OUTPUTS:
        return ""
    return rf"{ctx.partial('', factor.denominator)}\left[{ctx.tex(ctx.d.cost)}\right]"


def aligned_rows(lhs: str, parts) -> list[str]:
    """Rows of an aligned block for lhs = part = part ...: one row when it fits, else one part per row."""
    kept: list[str] = []
    for part in parts:
        if part and (not kept or part != kept[-1]) and part != lhs:
            kept.append(part)
    if visible_width(lhs + "".join(kept)) + 3 * len(kept) <= LINE_WIDTH:
        return [f"{lhs} &= " + " = ".join(kept)]
    return [f"{lhs} &= {kept[0]}"] + [f"&= {part}" for part in kept[1:]]


def local_block(ctx: Context, factors, sample: int) -> Math:
    """The local derivatives of one path in one aligned block: each with its formula, numbers and value."""
    rows, touched = [], set()
    for factor in factors:
        step = factor_step(ctx, factor, sample)
        rows += aligned_rows(step.lhs, (loss_derivative(ctx, factor), step.formula, step.substituted, step.value))
        touched |= set(step.symbols)
    return Math(r"\begin{aligned} " + r" \\ ".join(rows) + r" \end{aligned}", tuple(sorted(touched)))


def delta_route(ctx: Context, layer: int, i: int | None, j: int, sample: int) -> Step:
    """dJ/dw^(l)_{i,j} = delta^(l)_j x^(l-1)_i (or dJ/db = delta), as the derivation gives it."""
    symbol, name, _ = parameter(ctx, layer, i, j)
    gradient = ctx.d.gradient(name)
    lhs = ctx.partial(_cost_tex(ctx, ctx.d.net.J, sample), symbol)
    return ctx.step(lhs, gradient, sample)


def batch_step(ctx: Context, layer: int, i: int | None, j: int) -> Step:
    """The batch gradient: r times the sum of the per-sample gradients."""
    symbol, name, _ = parameter(ctx, layer, i, j)
    n = ctx.spec.n_samples
    gradient = ctx.d.gradient(name)
    shown = list(range(1, n + 1)) if n <= 6 else [1, 2, None, n]
    numbers = signed_sum([DOTS if s is None else ctx.value(gradient, s) for s in shown], ctx.digits)
    terms = " + ".join(r"\cdots" if s is None else ctx.partial(sample_cost(ctx, s), symbol) for s in shown)
    r, _ = reduction(ctx)
    wrap = (lambda t: rf"{r}\left({t}\right)") if r else (lambda t: t)  # noqa: E731
    value = ctx.d.value(("dW" if i is not None else "db") + name[1:])
    return Step(ctx.partial(ctx.J, symbol), wrap(terms), wrap(numbers), ctx.num(value), symbols(symbol))


def path_figure(ctx: Context, symbol, anchor: str, paths) -> Figure:
    """001's small diagram of one parameter's chain-rule paths."""
    many = len(paths) > 1
    caption = text(f"The {len(paths) if many else ''} chain-rule path{'s' if many else ''} from ".replace("  ", " "),
                   M(ctx.J), " to ", M(ctx.tex(symbol)), " highlighted; the parameter in red.")
    return Figure(PREFIX + anchor[len("grad-"):], caption, path_marks(paths))


def parameter_group(ctx: Context, layer: int, i: int | None, j: int, sample: int = 1, figure: bool = False) -> Group:
    """Every chain-rule path to one parameter, then the same through the delta, showing the two agree.

    With `figure`, the group opens with the small diagram of its paths (hidden layers, full detail)."""
    symbol, name, anchor = parameter(ctx, layer, i, j)
    items: list = []
    count = path_count(ctx, layer)
    total, paths = 0, None
    if count <= ENUMERATED_PATHS[ctx.detail]:
        try:
            paths = ctx.d.paths(name)
        except UnsupportedError:
            paths = None
    if paths is not None:
        if figure:
            items.append(path_figure(ctx, symbol, anchor, paths))
        shown = SHOWN_PATHS[ctx.detail]
        if count > 1:
            items.append(Paragraph(text(f"{count} chain-rule paths lead from ", M(ctx.J), " to ", M(ctx.tex(symbol)),
                                        "; each is a product of local derivatives" +
                                        (f" (the first {shown} are written out):" if count > shown else ":"))))
        for number, path in enumerate(paths, start=1):
            # the only path is the derivative itself: its product gets the left side dJ/dparameter
            step, value = path_product(ctx, path.factors, sample, symbol if count == 1 else None)
            total += value
            if number > shown:
                continue
            if count > 1:
                items.append(Paragraph(text(f"Path {number}: ", M(r" \to ".join(ctx.tex(node) for node in path.nodes)))))
            if layer == ctx.spec.depth:  # the output layer: each local factor with its formula and value
                items.append(local_block(ctx, path.factors, sample))
            items.append(step)
        if count > 1:
            values = [ctx.number(_path_value(ctx, p, sample)) for p in paths[:shown]] + ([DOTS] if count > shown else [])
            items.append(Paragraph(text("Adding the paths:")))
            items.append(Step(ctx.partial(_cost_tex(ctx, ctx.d.net.J, sample), symbol), signed_sum(values, ctx.digits), "",
                              ctx.num(ctx.number(total))))
    else:
        items.append(Paragraph(text(f"{count} chain-rule paths lead to ", M(ctx.tex(symbol)),
                                    "; rather than listing them, the delta recursion below adds them up layer by layer.")))
    route = delta_route(ctx, layer, i, j, sample)
    items.append(Paragraph(text("Through the delta ", M(ctx.s("delta", layer, j)), ", computed once for all its parameters:")))
    items.append(route)
    if paths is not None:
        delta_value = ctx.value(ctx.d.gradient(name), sample)
        agree = abs(float(total) - float(delta_value)) <= 1e-9 * max(1.0, abs(float(delta_value)))
        verdict = "Both routes give the same number, " if agree else "The two routes differ: "
        items.append(Paragraph(text(verdict, M(ctx.num(ctx.number(delta_value))), ".")))
    if ctx.spec.n_samples > 1:
        items.append(Paragraph(text(f"Over the batch of {ctx.spec.n_samples} samples:")))
        items.append(batch_step(ctx, layer, i, j))
    title = text("Gradient of ", M(ctx.tex(symbol)))
    return Group(anchor, title, tuple(items), symbols(symbol))


def parameter_groups(ctx: Context, layer: int, parameters) -> list:
    """The derivations of a layer's parameters; those that vanish for a shared reason say so in one line each."""
    found = {}
    if path_count(ctx, layer) <= ENUMERATED_PATHS[ctx.detail]:
        for i, j in parameters:
            name = parameter(ctx, layer, i, j)[1]
            if ctx.d.value(("dW" if i is not None else "db") + name[1:]) != 0:  # e.g. an L2 term keeps it alive
                continue
            reasons = causes(ctx, name, ENUMERATED_PATHS[ctx.detail])
            if reasons:
                found[i, j] = reasons
    lines = vanished(ctx, found, lambda p: ctx.partial(ctx.J, parameter(ctx, layer, *p)[0]),
                     lambda p: parameter(ctx, layer, *p)[2])
    worked = [(i, j) for i, j in parameters if (i, j) not in found]
    figures = ctx.full and layer < ctx.spec.depth  # 001's path figures: hidden layers, where every step is worked
    return lines + [parameter_group(ctx, layer, i, j, figure=figures and n < FIGURES_PER_LAYER)
                    for n, (i, j) in enumerate(worked)]


def _path_value(ctx: Context, path, sample: int):
    values = [ctx.value(f.form, sample) for f in path.factors]
    return sp.Mul(*values) if ctx.d.exact else float(np.prod(values))


def output_delta_step(ctx: Context, k: int, sample: int = 1) -> Step:
    formula = ctx.d.delta_formula(ctx.spec.depth, k)
    return ctx.step(formula.symbol, formula.simplified, sample, value=ctx.value(formula.symbol, sample))


def hidden_delta_step(ctx: Context, layer: int, k: int, sample: int = 1) -> Step:
    # delta^(l)_k = (sum_m delta^(l+1)_m w^(l+1)_{k,m}) a'(z^(l)_k), printed term by term in m
    formula = ctx.d.delta_formula(layer, k)
    local = formula.terms[0][2].form
    terms = [(t[0].form, t[1].form) for t in formula.terms]
    shown = terms if len(terms) <= 8 else terms[:3] + [None] + terms[-1:]
    sym = " + ".join(r"\cdots" if t is None else f"{ctx.tex(t[0])} {ctx.tex(t[1])}" for t in shown)
    # each term is a product whose factors carry their own parentheses: it brings no sign to the sum
    num = signed_sum([DOTS if t is None else Term(product([ctx.value(v, sample) for v in t], ctx.digits)) for t in shown],
                     ctx.digits)
    local_number = product([ctx.value(local, sample)], ctx.digits)
    return Step(ctx.tex(formula.symbol), rf"\left({sym}\right) \cdot {ctx.printer.factor(local)}",
                rf"\left({num}\right) \times {local_number}",
                ctx.num(ctx.value(formula.symbol, sample)), symbols(formula.chain, formula.symbol))


def output_section(ctx: Context, parameters) -> Section:
    L = ctx.spec.depth
    J = _cost_tex(ctx, ctx.d.net.J, 1)
    items = [Paragraph(text("The chain rule is written for one sample, sample 1", M(f" ({J})") if ctx.spec.n_samples > 1 else "",
                            ". A weight of the output layer reaches the cost through its receptor and the output neuron: "
                            "the derivative is the product of the local derivatives along the way."))]
    items.append(Paragraph(text("The error of each output neuron, ", M(f"{ctx.s('delta', L, 'k')} = {ctx.partial(J, ctx.s('z', L, 'k'))}"),
                                ", as the derivation simplifies its chain rule:")))
    if L in special_layers(ctx.spec):
        items.append(backward_note(ctx))
        return Section("output-layer", 4, "Backpropagation: the output layer", tuple(items))
    for k in sorted({j for _, j in parameters}):
        items.append(output_delta_step(ctx, k))
    items += parameter_groups(ctx, L, parameters)
    return Section("output-layer", 4, "Backpropagation: the output layer", tuple(items))


def hidden_section(ctx: Context, parameters_of, neurons_of) -> Section:
    L = ctx.spec.depth
    if L == 1:
        items = [Paragraph(text("This network has no hidden layer: every parameter was handled in the output layer."))]
    else:
        items = [Paragraph(text("A hidden parameter reaches the cost along every path through the later layers. "
                                "Summing the products over all paths gives its derivative; the delta recursion "
                                "reuses the deltas of the next layer and gives the same number."))]
    special = special_layers(ctx.spec)
    if special:
        items.append(backward_note(ctx))
    for l in range(L - 1, 0, -1):
        # the chain of a delta is dense while its own layer is; a parameter's paths cross every later layer
        layer_items = [] if l in special else [hidden_delta_step(ctx, l, k) for k in neurons_of(l)]
        if not any(m >= l for m in special):
            layer_items += parameter_groups(ctx, l, parameters_of(l))
        if layer_items:
            items.append(Group(f"hidden-layer-{l}", text(f"Layer {l}"), tuple(layer_items)))
    items.append(four_equations(ctx) if not special else Paragraph(text(
        "The four equations of backpropagation as derived for dense layers do not hold in the layers with dropout "
        "or batch norm; the matrix form below has every equation of this network.")))
    return Section("hidden-layers", 5, "Backpropagation: the hidden layers", tuple(items))


def four_equations(ctx: Context) -> Group:
    s, a, J, L = ctx.s, ctx.profile.activation, ctx.J, ctx.spec.depth
    out = ctx.d.net.activation(L).vector
    bp1 = (f"{s('delta', 'L', 'k')} = \\sum_{{m}} {ctx.partial(J, s('x', 'L', 'm'))} {ctx.partial(s('x', 'L', 'm'), s('z', 'L', 'k'))}"
           if out else f"{s('delta', 'L', 'k')} = {ctx.partial(J, s('x', 'L', 'k'))} \\, {a}'\\left({s('z', 'L', 'k')}\\right)")
    bp2 = f"{s('delta', 'l', 'k')} = \\left(\\sum_{{m}} {s('w', 'l+1', 'k', 'm')} {s('delta', 'l+1', 'm')}\\right) {a}'\\left({s('z', 'l', 'k')}\\right)"
    bp3 = f"{ctx.partial(J, s('b', 'l', 'k'))} = {s('delta', 'l', 'k')}"
    bp4 = f"{ctx.partial(J, s('w', 'l', 'i', 'k'))} = {s('delta', 'l', 'k')} \\, {s('x', 'l-1', 'i')}"
    items = [Paragraph(text("In general, for one sample:")),
             Math(r"\begin{aligned} " + r" \\ ".join(f"&{e}" for e in (bp1, bp2, bp3, bp4)) + r" \end{aligned}"),
             Paragraph(text("As derived for this network:"))]
    derived = [f"{ctx.tex(ctx.d.net.delta(L, k))} = {ctx.tex(ctx.d.delta(L, k))}" for k in range(1, min(3, ctx.spec.layers[L]) + 1)]
    derived += [f"{ctx.tex(ctx.d.net.delta(l, 1))} = {ctx.tex(ctx.d.delta_formula(l, 1).chain)}" for l in range(L - 1, 0, -1)]
    derived.append(f"{ctx.partial(J, ctx.d.net.b(L, 1))} = {ctx.tex(ctx.d.gradient(f'b{L}[1]'))}")
    derived.append(f"{ctx.partial(J, ctx.d.net.w(1, 1, 1))} = {ctx.tex(ctx.d.gradient('W1[1,1]'))}")
    items.append(Math(r"\begin{aligned} " + r" \\ ".join(f"&{e}" for e in derived) + r" \end{aligned}"))
    return Group("backprop-equations", text("The four equations of backpropagation"), tuple(items))


def backward_matrix_section(ctx: Context) -> Section:
    r, _ = reduction(ctx)
    items = [Paragraph(text("The same backward pass for all samples at once; row s of ", M(ctx.m("dZ", "l")),
                            " holds the deltas of sample s.", " The gradients include the factor of the batch cost." if r else ""))]
    items += matrix_steps(ctx, BACKWARD)
    return Section("backward-matrix", 6, "The backward pass in matrix form", tuple(items))
