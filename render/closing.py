"""Sections 7-8: the gradient-descent update and the verification of every gradient three ways."""

from __future__ import annotations

import numpy as np

from ..derive.regularizers import step_masks
from ..derive.training import batches
from .context import Context
from .explain.update import sgd_numbers as update_numbers, update_explainer, update_step  # noqa: F401  (re-exported)
from .numbers import format_number
from .training import beyond_gradient_descent, training_section
from .records import Figure, Group, M, Paragraph, Section, Table, text

THETA = r"\theta"
STATUS = {"ok": "agree", "kink": "ReLU corner", "skipped": "not sampled"}


def first_step_gradients(ctx: Context) -> dict:
    """The gradients the first update uses: the full batch, or the first mini-batch."""
    d, spec = ctx.d, ctx.spec
    if not spec.batch_size or spec.batch_size >= spec.n_samples:
        return d.backward.gradients
    if d.training.steps:
        return d.training.steps[0].gradients  # the first mini-batch, with step 1's dropout masks
    rows = batches(spec.n_samples, spec.batch_size, 1)[0]
    return d.compiled.gradients(d.params, d.X[rows], d.Y[rows], next(step_masks(spec)))


def update_section(ctx: Context, parameters_of, work_steps=None) -> Section:
    spec, d, L = ctx.spec, ctx.d, ctx.spec.depth
    if beyond_gradient_descent(spec):  # a rule with state, clipping or L2: every step worked in the Training section
        return training_section(ctx, chosen=work_steps)
    explainer = update_explainer(d.rule.name)
    items: list = list(explainer.intro(ctx))
    if spec.steps == 0:
        items.append(Paragraph(text("The spec asks for no training step, so the parameters stay as they are.")))
        return Section("update", 7, explainer.title, tuple(items))
    if spec.batch_size and spec.batch_size < spec.n_samples:
        size = f"{spec.batch_size} sample{'s' if spec.batch_size != 1 else ''}"
        items.append(Paragraph(text(f"The first step uses the first mini-batch of {size}, "
                                    "so its gradients differ from the full-batch gradients above.")))
    if not spec.update_biases:
        items.append(Paragraph(text("The biases are kept fixed; only the weights move.")))
    gradients = first_step_gradients(ctx)
    for l in range(L, 0, -1):
        steps = [update_step(ctx, l, i, j, gradients) for i, j in parameters_of(l)
                 if i is not None or spec.update_biases]
        names = ["W"] + (["b"] if spec.update_biases else [])
        for kind in names:
            key = f"{kind}{l}"
            steps.append(explainer.matrix_step(ctx, kind, l, d.params[key], np.asarray(gradients[key]),
                                               d.training.trajectory[1][key]))
        items.append(Group(f"update-layer-{l}", text(f"Layer {l}"), tuple(steps)))
    if spec.steps > 1:
        history = d.training.history
        items.append(Paragraph(text(f"After {spec.steps} steps the cost went from ", M(ctx.num(ctx.number(history[0]))),
                                    " to ", M(ctx.num(ctx.number(history[-1]))), " (the cost of all samples before each step):")))
        rows = tuple((text(str(t)), text(M(ctx.num(ctx.number(c))))) for t, c in enumerate(history))
        items.append(Table((text("Step"), text("Cost ", M(ctx.J))), rows, "rr"))
        items.append(Figure("cost-plot", text("The cost after each gradient-descent step.")))
    else:
        after = d.training.history[-1]
        items.append(Paragraph(text("With the new parameters the cost becomes ", M(f"{ctx.J} = {ctx.num(ctx.number(after))}"),
                                    " (it was ", M(ctx.num(ctx.number(d.training.history[0]))), ").")))
    return Section("update", 7, explainer.title, tuple(items))


def _name(ctx: Context, check) -> str:
    kind = check.name.rstrip("0123456789")
    layer = int(check.name[len(kind):])
    if kind in ("gamma", "beta"):  # batch norm's scale and shift of neuron k
        sup = f"({layer})" if ctx.notation == "tutorial" else f"{layer}"
        return rf"\{kind}^{{{sup}}}_{{{check.index[0] + 1}}}"
    if check.name[0] == "W":
        return ctx.tex(ctx.d.net.w(layer, check.index[0] + 1, check.index[1] + 1))
    return ctx.tex(ctx.d.net.b(layer, check.index[0] + 1))


def _chosen_checks(ctx: Context) -> list:
    if ctx.full:
        return list(ctx.d.checks)
    chosen, seen = [], {}
    for check in ctx.d.checks:  # a few entries per parameter matrix, and every disagreement
        seen[check.name] = seen.get(check.name, 0) + 1
        if seen[check.name] <= 3 or check.status == "kink":
            chosen.append(check)
    return chosen[:60]


def verification_section(ctx: Context) -> Section:
    checks = ctx.d.checks
    if not checks:
        items = [Paragraph(text("The cross-check was not run for this document."))]
        return Section("verification", 8, "Verification", tuple(items))
    fmt = lambda v: M(ctx.num(v)) if v is not None else ""  # noqa: E731
    rows = []
    for check in _chosen_checks(ctx):
        difference = "" if check.finite_difference is None else format_number(abs(check.symbolic - check.finite_difference), 2)
        rows.append((text(M(_name(ctx, check))), text(fmt(check.symbolic)), text(fmt(check.backprop)),
                     text(fmt(check.finite_difference)), text(difference), text(STATUS[check.status])))
    worst = max(abs(c.symbolic - c.backprop) for c in checks)
    sampled = [c for c in checks if c.finite_difference is not None]
    kinks = sum(1 for c in checks if c.status == "kink")
    summary = (f"All {len(checks)} gradients were computed three ways: from the symbolic derivation above, by an "
               f"independent matrix backprop written with hand-made derivatives, and by central finite differences of "
               f"the cost ({len(sampled)} entries). Symbolic and independent backprop differ by at most "
               f"{format_number(worst, 2)}.")
    if kinks:
        summary += (f" {kinks} finite difference{'s' if kinks != 1 else ''} straddle a ReLU corner (a receptor at 0), "
                    "where the derivative jumps and a difference quotient cannot match it.")
    items = [Paragraph(text(summary))]
    if len(rows) < len(checks):
        items.append(Paragraph(text(f"A selection of {len(rows)} of the {len(checks)} entries:")))
    header = (text("Parameter"), text("Symbolic"), text("Backprop"), text("Finite differences"),
              text("|Symbolic - FD|"), text("Status"))
    items.append(Table(header, tuple(rows), "lrrrrl"))
    return Section("verification", 8, "Verification", tuple(items))
