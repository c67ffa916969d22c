"""Section 9: "Your turn" exercises drawn from the same network, each with a worked solution.

Every task asks for a number the body does not show: the body works the first step at the given parameters (and its
matrix form and verification table list every delta and gradient there), so the tasks work one step later, at the
parameters after the first update, or with another learning rate.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .backward import _cost_tex, hidden_delta_step, local_block, parameter, path_product
from .closing import first_step_gradients
from .explain.update import update_explainer
from .context import Context
from .operands import signed_sum
from .regularizers import special_layers
from .records import Exercise, M, Math, Paragraph, Section, Step, side_by_side, text


def _largest(array) -> tuple:
    """1-based index of the entry of largest magnitude (the first on ties)."""
    values = np.abs(np.asarray(array, dtype=float))
    return tuple(int(i) + 1 for i in np.unravel_index(int(np.argmax(values)), values.shape))


def forward_again(ctx: Context) -> Exercise | None:
    d, L = ctx.d, ctx.spec.depth
    if ctx.spec.steps == 0:
        return None
    params = d.training.trajectory[1]
    state = d.compiled.forward(params, d.X)
    update = 7 + bool(special_layers(ctx.spec))  # the section of the update (one more with dropout or batch norm)
    cost = ctx.num(ctx.number(d.training.history[1]))
    question = (Paragraph(text(f"Take the parameters after the first update (section {update}) and run sample 1 through "
                               "the network again. What are the receptors of each layer and the output? Check yourself: "
                               "with them the batch cost is ", M(f"{ctx.J} = {cost}"), f", as section {update} says.")),)
    solution = []
    for l in range(1, L + 1):
        pieces = [f"{ctx.names('z', l)} = {ctx.matrix(state.zs[l][0])}", f"{ctx.names('x', l)} = {ctx.matrix(state.xs[l][0])}"]
        solution += [Math(m) for m in side_by_side(pieces)]
    before = ctx.num(ctx.number(d.training.history[0]))
    solution.append(Paragraph(text("The batch cost becomes ", M(f"{ctx.J} = {cost}"), ", down from ", M(before), ".")))
    outputs = tuple(ctx.num(ctx.number(v)) for v in state.xs[L][0])
    return Exercise("exercise-forward", text("Forward pass after one step"), question, tuple(solution), outputs)


def one_step_later(ctx: Context) -> Context:
    """The same network at the parameters after the first update: the numbers of a second step, never in the body."""
    d = ctx.d
    params = d.training.trajectory[1]
    forward = d.compiled.forward(params, d.X)
    backward = d.compiled.backward(params, forward, d.Y)
    training = dataclasses.replace(d.training, trajectory=d.training.trajectory[1:], history=d.training.history[1:])
    later = dataclasses.replace(d, forward=forward, backward=backward, training=training, checks=())
    return Context(later, ctx.notation, ctx.detail, ctx.digits)


AFTER = "With the parameters after the first update (section 7) and the forward pass of the first task: "


def output_gradient(ctx: Context) -> Exercise | None:
    d, L, n = ctx.d, ctx.spec.depth, ctx.spec.n_samples
    if L in special_layers(ctx.spec):  # the dense chain rule does not cover batch norm in the output layer
        return None
    sample = n
    per_sample = np.outer(d.forward.xs[L - 1][sample - 1], d.backward.deltas[L][sample - 1])
    i, j = _largest(per_sample)
    symbol, name, _ = parameter(ctx, L, i, j)
    which = f"sample {sample}" if n > 1 else "the sample"
    question = (Paragraph(text(AFTER + "write the chain rule for ", M(ctx.partial(_cost_tex(ctx, d.net.J, sample), symbol)),
                               f" for {which} as a product of local derivatives, give each factor's value, and multiply.")),)
    solution, values, paths = [], [], d.paths(name)
    for path in paths:
        solution.append(local_block(ctx, path.factors, sample))
        step, value = path_product(ctx, path.factors, sample, symbol if len(paths) == 1 else None)
        solution.append(step)
        values.append(value)
    if len(values) > 1:
        total = signed_sum([ctx.number(v) for v in values], ctx.digits)
        lhs = ctx.partial(_cost_tex(ctx, d.net.J, sample), symbol)
        solution.append(Step(lhs, total, "", ctx.num(ctx.number(sum(values)))))
    answer = ctx.num(ctx.number(sum(values)))
    return Exercise("exercise-output", text("A derivative at the output layer, one step later"), question,
                    tuple(solution), (answer,))


def hidden_delta(ctx: Context) -> Exercise | None:
    d, L, n = ctx.d, ctx.spec.depth, ctx.spec.n_samples
    if L < 2 or 1 in special_layers(ctx.spec):  # the dense delta recursion does not cover dropout or batch norm
        return None
    (k,) = _largest(d.backward.deltas[1][n - 1])
    symbol = d.net.delta(1, k)
    which = f"sample {n}" if n > 1 else "the sample"
    question = (Paragraph(text(AFTER + "compute the deltas of layer 2 and, with the delta recursion, ",
                               M(ctx.tex(symbol)), f" for {which}.")),)
    steps = earlier_deltas(ctx, 2, n) + (hidden_delta_step(ctx, 1, k, n),)
    return Exercise("exercise-delta", text("A delta in the first hidden layer, one step later"), question, steps,
                    (ctx.num(ctx.number(d.backward.deltas[1][n - 1][k - 1])),))


def earlier_deltas(ctx: Context, down_to: int, sample: int = 1) -> tuple:
    """The deltas from the output layer down to layer `down_to` that a task builds on (at full detail only)."""
    from .backward import output_delta_step

    if not ctx.full:
        return ()
    L, steps = ctx.spec.depth, []
    for l in range(L, down_to - 1, -1):
        for k in range(1, ctx.spec.layers[l] + 1):
            steps.append(output_delta_step(ctx, k, sample) if l == L else hidden_delta_step(ctx, l, k, sample))
    return tuple(steps)


def doubled_rate(ctx: Context) -> Exercise | None:
    d, spec, L = ctx.d, ctx.spec, ctx.spec.depth
    if spec.steps == 0:
        return None
    gradients = first_step_gradients(ctx)
    i, j = _largest(gradients[f"W{L}"])
    symbol = d.net.w(L, i, j)
    rate = ctx.number(spec.learning_rate) * 2
    old, grad = ctx.number(d.params[f"W{L}"][i - 1][j - 1]), ctx.number(gradients[f"W{L}"][i - 1][j - 1])
    if d.training.steps and d.training.steps[0].clipping is not None:  # the first step's gradient, clipped
        grad = grad * d.training.steps[0].clipping.coefficient
    question = (Paragraph(text("Suppose the learning rate were twice as large, ", M(rf"\eta = {ctx.num(rate)}"),
                               ". What value would ", M(ctx.tex(symbol)), " take after the first step?")),)
    # the spec's update rule at the doubled rate, one step
    new = d.rule.with_rate(rate).step(f"W{L}", old, grad, {})[0]
    # a hypothetical value: not linked to the diagram's w (which shows the spec's own rate)
    step = dataclasses.replace(update_explainer(d.rule.name).scalar_step(ctx, symbol, old, rate, grad, new), symbols=())
    return Exercise("exercise-rate", text("A larger learning rate"), question, (step,), (ctx.num(ctx.number(new)),))


def exercises(ctx: Context) -> tuple:
    """The tasks; without an update (steps = 0) there is no later step, and the body's own chain rule is asked again."""
    if ctx.spec.steps == 0:
        return tuple(e for e in (output_gradient(ctx), hidden_delta(ctx)) if e is not None)
    later = one_step_later(ctx)
    found = [forward_again(ctx), output_gradient(later), hidden_delta(later), doubled_rate(ctx)]
    return tuple(e for e in found if e is not None)


def exercise_section(ctx: Context, items: tuple) -> Section:
    intro = Paragraph(text("Try these on paper with the numbers of this document, then compare with the solutions."))
    return Section("exercises", 9, "Your turn", (intro,) + items)
