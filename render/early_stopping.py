"""The validation cost and early stopping in the update section: the rule with its numbers, step by step.

    V_t = J(theta_t; X_val, Y_val)            the cost of the held-out samples after step t
    improved_t  <=>  V_t < B_{t-1} - delta    B_0 = +infinity; improved: B_t = V_t, w_t = 0; else w_t = w_{t-1} + 1
    stop after step t when w_t >= patience    (derive/early_stopping.py)
"""

from __future__ import annotations

from dataclasses import replace

from .context import Context
from .records import M, Math, Paragraph, Section, Table, text


def _decision(ctx: Context, check, rule) -> tuple:
    """The decision column of one step: improved, no improvement, or stop."""
    if check.improved:
        return text("improved: ", M(rf"B \leftarrow V_{{{check.step}}}"))
    if check.stop:
        return text(f"stop: {check.wait} steps without improvement = patience")
    threshold = ctx.num(ctx.number(check.best) - ctx.number(rule.min_delta if rule else 0))  # B - delta
    return text("no improvement: ", M(rf"V_{{{check.step}}} \ge B - \delta = {threshold}"))


def _rule_items(ctx: Context, rule) -> list:
    delta, patience = ctx.num(ctx.number(rule.min_delta)), rule.patience
    return [
        Paragraph(text("Early stopping watches ", M("V_t"), ". A step improves on the best validation cost so far ",
                       M("B"), " only when it lowers it by more than ", M(rf"\delta = {delta}"), "; after ",
                       M(f"p = {patience}"), f" step{'s' if patience != 1 else ''} in a row without an improvement, "
                       "training stops (the rule of Keras' EarlyStopping and of PyTorch Lightning's EarlyStopping "
                       "callback, watching a cost that should go down):")),
        Math(r"V_t < B_{t-1} - \delta \;\Rightarrow\; B_t = V_t,\; w_t = 0, \qquad \text{otherwise} \;\; "
             r"B_t = B_{t-1},\; w_t = w_{t-1} + 1, \qquad B_0 = +\infty"),
        Math(rf"\text{{stop after step }} t \text{{ when }} w_t \ge p = {patience}"),
    ]


def _outcome(ctx: Context, rule, last, taken: int) -> Paragraph:
    best = M(rf"B = {ctx.num(ctx.number(last.best))}")
    if last.stop:
        return Paragraph(text(f"Training stopped after step {last.step} of at most {ctx.spec.steps}. The best validation "
                              "cost counted is ", best, f" at step {last.best_step}. The parameters kept are those after "
                              f"step {last.step}, the last step taken (as Lightning's callback and Keras without "
                              f"restore_best_weights keep them); keeping the best step's would mean going back to ",
                              M(rf"\theta_{{{last.best_step}}}"), "."))
    if rule is None:
        return Paragraph(text(f"The spec asks for no early stopping, so all {taken} steps ran; the best validation cost "
                              "was ", best, f" at step {last.best_step}."))
    return Paragraph(text(f"The validation cost never went {rule.patience} steps without an improvement, so all {taken} "
                          "steps ran; the best validation cost counted is ", best, f" at step {last.best_step}."))


def with_validation(ctx: Context, section: Section) -> Section:
    """The update section with the validation cost of every step and, with early_stopping, the rule worked."""
    d, spec = ctx.d, ctx.spec
    records = [r for r in d.training.steps if r.check is not None]
    if not spec.X_val or not records:
        return section
    rule, count = spec.early_stopping, len(spec.X_val)
    items: list = [
        Paragraph(text(f"The spec holds back {count} validation sample{'s' if count != 1 else ''} ([data] X_val, Y_val) "
                       "that no step trains on. After each step their cost is computed with the new parameters:")),
        Math(rf"V_t = J\left(\theta_t;\, X_{{\text{{val}}}}, Y_{{\text{{val}}}}\right), \quad "
             rf"V_0 = {ctx.num(ctx.number(d.training.history_val[0]))}"),
    ]
    if rule is not None:
        items += _rule_items(ctx, rule)
    rows = tuple((text(str(r.step)), text(M(ctx.num(ctx.number(r.check.cost)))), text(M(ctx.num(ctx.number(r.check.best)))),
                  text(str(r.check.wait)), _decision(ctx, r.check, rule)) for r in records)
    # short headings, so that the table fits the page; the sentence before it names each column
    items.append(Paragraph(text("The table lists, after each step ", M("t"), ", the validation cost ", M("V_t"),
                                ", the best so far ", M("B_t"), ", the steps without improvement ", M("w_t"),
                                " and the decision.")))
    items.append(Table((text("Step ", M("t")), text(M("V_t")), text("Best ", M("B_t")), text(M("w_t")),
                        text("Decision")), rows, "rrrrl"))
    items.append(_outcome(ctx, rule, records[-1].check, len(d.training.steps)))
    return replace(section, items=section.items + tuple(items))
