"""The Training section: every step of an update rule with state, clipping or L2 worked from the mini-batch to the
new parameters (steps 1, 2 and the last by default), the other steps tabulated, then the cost plot."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..derive.training import beyond_gradient_descent  # noqa: F401  (re-exported: the section replaces the update)
from ..derive.errors import SpecError
from .context import Context
from .operands import factor
from .explain.rules import Entry
from .explain.update import update_explainer
from .records import Figure, Group, M, Math, Paragraph, Section, Step, Table, text
from .regularizers import mask_matrix

TITLE = "Training"


def worked_steps(steps: int, chosen=None) -> tuple[int, ...]:
    """The steps worked in full: the chosen ones, by default 1, 2 and the last."""
    wanted = {1, 2, steps} if chosen is None else set(chosen)
    return tuple(sorted(t for t in wanted if 1 <= t <= steps))


def _l2_items(ctx: Context) -> list:
    lam = ctx.num(ctx.number(ctx.spec.l2))
    return [
        Paragraph(text("The cost carries an L2 term on the weights (not on the biases), so every gradient of a weight "
                       "gains ", M(r"\lambda w"), ":")),
        Math(rf"J_{{\text{{total}}}} = J + \frac{{\lambda}}{{2}} \sum_l \lVert W^{{(l)}} \rVert^2, \quad "
             rf"\frac{{\partial}}{{\partial w}} \frac{{\lambda}}{{2}} w^2 = \lambda w, \quad \lambda = {lam}"),
        Paragraph(text("torch's weight_decay adds the same ", M(r"\lambda_{wd} \theta"), " to the gradient inside "
                       "the optimizer (for every parameter, biases included); AdamW instead shrinks the parameter by ",
                       M(r"\eta \lambda_{wd} \theta"), " outside the adaptive step. The costs below are ",
                       M(r"J_{\text{total}}"), ".")),
    ]


def _clip_items(ctx: Context) -> list:
    top = ctx.num(ctx.number(ctx.spec.max_grad_norm))
    return [Paragraph(text("Before each step the gradient is clipped to the global 2-norm ", M(top),
                           " (torch.nn.utils.clip_grad_norm_): one coefficient for all parameters,")),
            Math(rf"\lVert g \rVert = \sqrt{{\textstyle\sum_\theta g_\theta^2}}, \quad "
                 rf"c = \min\left(1, \frac{{{top}}}{{\lVert g \rVert + 10^{{-6}}}}\right), \quad g \leftarrow c \, g")]


def _entries(ctx: Context, moving) -> list:
    """The entry worked for each trained parameter tensor: w^(l)_{1,1} and b^(l)_1."""
    net, chosen = ctx.d.net, []
    for l in range(ctx.spec.depth, 0, -1):
        chosen.append((f"W{l}", (0, 0), net.w(l, 1, 1)))
        if moving(f"b{l}"):
            chosen.append((f"b{l}", (0,), net.b(l, 1)))
    return chosen


def _step_group(ctx: Context, t: int, explainer, entries) -> Group:
    d, spec = ctx.d, ctx.spec
    record, rule = d.training.steps[t - 1], d.rule
    samples = ", ".join(str(int(i) + 1) for i in record.batch)
    items: list = [Paragraph(text(f"Step {t} uses sample{'s' if len(record.batch) != 1 else ''} {samples}. "
                                  "The gradient of the cost on them comes from the backward pass"
                                  + (" above." if t == 1 and len(record.batch) == spec.n_samples else
                                     ", run as above with these samples and the parameters after step "
                                     f"{t - 1}." if t > 1 else ", run as above with these samples.")))]
    if record.masks:  # a fresh dropout mask at every step (derive/regularizers.py: the drawing rule)
        masks = [rf"{ctx.m('M', int(key[1:]))} = {mask_matrix(ctx, mask)}" for key, mask in record.masks.items()]
        items.append(Paragraph(text("Its dropout masks (rows: its samples): ", M(r", \quad ".join(masks)), ".")))
    coefficient = 1.0
    if record.clipping is not None:
        norm, coefficient = record.clipping.norm, record.clipping.coefficient
        count = sum(int(np.size(g)) for g in record.gradients.values())
        items.append(Step(r"\lVert g \rVert", rf"\sqrt{{\textstyle\sum g^2}} \; ({count} \text{{ entries}})", "",
                          ctx.num(norm)))
        top = ctx.num(ctx.number(spec.max_grad_norm))
        items.append(Step("c", rf"\min\left(1, \frac{{{top}}}{{\lVert g \rVert + 10^{{-6}}}}\right)",
                          rf"\min\left(1, \frac{{{top}}}{{{ctx.num(norm)} + 10^{{-6}}}}\right)", ctx.num(coefficient)))
    before = d.training.steps[t - 2].state if t > 1 else rule.initial_state(d.params)
    for key, index, symbol in entries:
        raw = float(np.asarray(record.gradients[key], dtype=float)[index])
        gradient = raw * coefficient if record.clipping is not None else record.gradients[key][index]
        name = ctx.tex(symbol)
        lines = []
        if spec.l2 and key[0] == "W":  # dJ_total/dw = dJ/dw + lambda w, the data part from the backward pass
            theta_before = float(d.training.trajectory[t - 1][key][index])
            lam = float(spec.l2)
            lines.append(Step(ctx.partial(r"J_{\text{total}}", name), rf"{ctx.partial(ctx.J, name)} + \lambda {name}",
                              f"{ctx.num(raw - lam * theta_before)} + {ctx.num(lam)} \\times {factor(theta_before, ctx.digits)}",
                              ctx.num(raw)))
        cost = r"J_{\text{total}}" if spec.l2 else ctx.J
        lines.append(Step(f"g_{t}", ctx.partial(cost, name), "" if record.clipping is None else
                          f"{ctx.num(coefficient)} \\times {factor(raw, ctx.digits)}", ctx.num(ctx.number(gradient))))
        state_before = {k: v[index] for k, v in before.get(key, {}).items() if k != "step"}
        state_after = {k: v[index] for k, v in record.state[key].items() if k != "step"}
        theta = d.training.trajectory[t - 1][key][index]
        entry = Entry(t, theta, gradient, state_before, state_after, record.params[key][index], rule)
        lines += explainer.state_steps(ctx, entry)
        items.append(Group(f"training-{t}-{key}", text(f"Step {t}, ", M(name)), tuple(lines)))
    return Group(f"training-step-{t}", text(f"Step {t}"), tuple(items))


def training_section(ctx: Context, number: int = 7, chosen=None) -> Section:
    spec, d = ctx.spec, ctx.d
    taken = len(d.training.steps)  # spec.steps, or fewer when early stopping ended training
    if chosen == "all":
        chosen = range(1, taken + 1)
    elif chosen is not None:
        for t in chosen:
            if not 1 <= t <= taken:
                raise SpecError("--work-steps", f"step {t} is out of range 1..{taken}")
    explainer = update_explainer(d.rule.name)
    items: list = list(explainer.training_intro(ctx) if d.rule.state_names() or d.rule.name != "sgd"
                       else explainer.intro(ctx))
    if spec.l2:
        items += _l2_items(ctx)
    if spec.max_grad_norm is not None:
        items += _clip_items(ctx)
    if spec.steps == 0:
        items.append(Paragraph(text("The spec asks for no training step, so the parameters stay as they are.")))
        return Section("update", number, TITLE, tuple(items))
    moving = lambda name: name[0] == "W" or spec.update_biases  # noqa: E731
    if not spec.update_biases:
        items.append(Paragraph(text("The biases are kept fixed; only the weights move.")))
    worked = worked_steps(taken, chosen)
    items.append(Paragraph(text(f"Each step below works one entry of every trained matrix; the other entries follow "
                                f"the same formulas. Steps {', '.join(map(str, worked))} are worked in full.")))
    entries = _entries(ctx, moving)
    items += [_step_group(ctx, t, explainer, entries) for t in worked]
    history = d.training.history
    rows = []
    for t, cost in enumerate(history):
        record = d.training.steps[t - 1] if t else None
        batch = "" if record is None else ", ".join(str(int(i) + 1) for i in record.batch)
        norm = "" if record is None or record.clipping is None else M(ctx.num(record.clipping.norm))
        coefficient = "" if record is None or record.clipping is None else M(ctx.num(record.clipping.coefficient))
        rows.append((text(str(t)), text(batch), text(norm), text(coefficient), text(M(ctx.num(ctx.number(cost))))))
    items.append(Paragraph(text(f"Every step: its samples, the gradient norm and clip coefficient, and ",
                                M(r"J_{\text{total}}" if spec.l2 else ctx.J), " of all samples after it:")))
    items.append(Table((text("Step"), text("Samples"), text("‖g‖"), text("c"), text("Cost")), tuple(rows), "rlrrr"))
    items.append(Figure("cost-plot", text("The cost after each training step.")))
    return Section("update", number, TITLE, tuple(items))


def side_by_side_rules(ctx: Context, section: Section, curves) -> Section:
    """The update section with the cost curves of several rules (derive/compare.py) appended: a table and a figure."""
    if not curves:
        return section
    rows = tuple((text(curve.label), text(M(ctx.num(curve.history[0]))), text(M(ctx.num(curve.history[-1]))))
                 for curve in curves)
    items = (Paragraph(text(f"Side by side: the same network, data, learning rate and {ctx.spec.steps} steps, "
                            "trained by each of these update rules (torch's defaults unless overridden):")),
             Table((text("Rule"), text("Cost before"), text("Cost after")), rows, "lrr"),
             Figure("compare-plot", text("The cost after each step, one curve per update rule.")))
    if curves[0].path:  # exactly two trained entries: their plane, with the cost's contour lines
        items += (Paragraph(text("Only two numbers train here, so each rule's path can be drawn in their plane, over "
                                 "the contour lines of ", M(ctx.J), " (grey; each line joins points of equal cost). "
                                 "The large dot is the start, each small dot the parameters after one more step.")),
                  Figure("contour-plot", text("Contour lines of the cost and the path of each update rule.")))
    return replace(section, items=section.items + items)
