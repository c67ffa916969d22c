"""Explainers of the stateful update rules (torch.optim's SGD with momentum, Adagrad, RMSprop, Adam, AdamW): each
state update of one parameter entry as formula -> numbers -> result, in the rule's order of operations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..context import Context
from ..operands import factor
from ..records import Math, Paragraph, Step, text

G, PREV, THETA = "g_t", r"\theta_{t-1}", r"\theta_t"


@dataclass(frozen=True)
class Entry:
    """One parameter entry at step t: theta before, the gradient the rule receives (clipped), the state before and
    after (scalars), theta after."""

    t: int
    theta: Any
    gradient: Any
    before: dict
    after_state: dict
    after: Any
    rule: Any


class _Writer:
    """Numbers as operands (f) and as results (n) at the document's digits."""

    def __init__(self, ctx: Context):
        self.ctx = ctx

    def n(self, value) -> str:
        return self.ctx.num(self.ctx.number(value))

    def f(self, value) -> str:
        return factor(self.ctx.number(value), self.ctx.digits)


def _decayed(w: _Writer, e: Entry, coupled: bool) -> tuple[list, Any, Any]:
    """torch's weight decay: g + wd theta (coupled) or theta (1 - eta wd) (AdamW); (steps, g used, theta used)."""
    rule, wd = e.rule, getattr(e.rule, "weight_decay", 0)
    if not wd:
        return [], e.gradient, e.theta
    if coupled:
        g = e.gradient + wd * e.theta
        return [Step(r"g_t", r"g_t + \lambda_{wd} \, \theta_{t-1}", f"{w.f(e.gradient)} + {w.f(wd)} \\times {w.f(e.theta)}",
                     w.n(g), relation=r"\leftarrow")], g, e.theta
    theta = e.theta * (1 - rule.rate * wd)
    return [Step(r"\theta_{t-1}", r"\theta_{t-1} \, (1 - \eta \lambda_{wd})",
                 f"{w.f(e.theta)} \\times (1 - {w.f(rule.rate)} \\times {w.f(wd)})", w.n(theta),
                 relation=r"\leftarrow")], e.gradient, theta


def sgd_steps(ctx: Context, e: Entry) -> list:
    w, rule = _Writer(ctx), e.rule
    steps, g, theta = _decayed(w, e, coupled=True)
    if not rule.momentum:
        return steps + [Step(THETA, rf"{PREV} - \eta \, {G}", f"{w.f(theta)} - {w.f(rule.rate)} \\times {w.f(g)}",
                             w.n(e.after))]
    b = e.after_state["buf"]
    if e.t == 1:  # torch: the buffer starts as the first gradient
        steps.append(Step("b_1", G.replace("t", "1"), w.n(g), w.n(b)))
    else:
        steps.append(Step("b_t", r"\mu \, b_{t-1} + (1 - \tau) \, g_t",
                          f"{w.f(rule.momentum)} \\times {w.f(e.before['buf'])} + {w.f(1 - rule.dampening)} \\times {w.f(g)}",
                          w.n(b)))
    if rule.nesterov:
        steps.append(Step(THETA, rf"{PREV} - \eta \, (g_t + \mu \, b_t)",
                          f"{w.f(theta)} - {w.f(rule.rate)} \\times ({w.n(g)} + {w.f(rule.momentum)} \\times {w.f(b)})",
                          w.n(e.after)))
    else:
        steps.append(Step(THETA, rf"{PREV} - \eta \, b_t", f"{w.f(theta)} - {w.f(rule.rate)} \\times {w.f(b)}",
                          w.n(e.after)))
    return steps


def adagrad_steps(ctx: Context, e: Entry) -> list:
    w, rule = _Writer(ctx), e.rule
    steps, g, theta = _decayed(w, e, coupled=True)
    s = e.after_state["sum"]
    steps.append(Step("s_t", r"s_{t-1} + g_t^2", f"{w.f(e.before['sum'])} + {w.f(g)}^2", w.n(s)))
    rate = rule.rate / (1 + (e.t - 1) * rule.lr_decay)
    if rule.lr_decay:
        steps.append(Step(r"\eta_t", r"\frac{\eta}{1 + (t - 1) \, \lambda_{lr}}",
                          rf"\frac{{{w.n(rule.rate)}}}{{1 + {e.t - 1} \times {w.f(rule.lr_decay)}}}", w.n(rate)))
    eta = r"\eta_t" if rule.lr_decay else r"\eta"
    steps.append(Step(THETA, rf"{PREV} - {eta} \, \frac{{g_t}}{{\sqrt{{s_t}} + \epsilon}}",
                      rf"{w.f(theta)} - {w.f(rate)} \times \frac{{{w.n(g)}}}{{\sqrt{{{w.n(s)}}} + {w.n(rule.eps)}}}",
                      w.n(e.after)))
    return steps


def rmsprop_steps(ctx: Context, e: Entry) -> list:
    w, rule = _Writer(ctx), e.rule
    steps, g, theta = _decayed(w, e, coupled=True)
    a, new = rule.alpha, e.after_state
    steps.append(Step("v_t", r"\alpha \, v_{t-1} + (1 - \alpha) \, g_t^2",
                      f"{w.f(a)} \\times {w.f(e.before['v'])} + {w.f(1 - a)} \\times {w.f(g)}^2", w.n(new["v"])))
    spread, spread_numbers = "v_t", w.n(new["v"])
    if rule.centered:
        steps.append(Step(r"\bar g_t", r"\alpha \, \bar g_{t-1} + (1 - \alpha) \, g_t",
                          f"{w.f(a)} \\times {w.f(e.before['gavg'])} + {w.f(1 - a)} \\times {w.f(g)}", w.n(new["gavg"])))
        spread, spread_numbers = r"v_t - \bar g_t^2", f"{w.n(new['v'])} - {w.f(new['gavg'])}^2"
    value = new["v"] - new["gavg"] ** 2 if rule.centered else new["v"]
    denominator = np.sqrt(float(value)) + rule.eps
    steps.append(Step("d_t", rf"\sqrt{{{spread}}} + \epsilon", rf"\sqrt{{{spread_numbers}}} + {w.n(rule.eps)}",
                      w.n(denominator)))
    if rule.momentum:
        steps.append(Step("b_t", r"\mu \, b_{t-1} + \frac{g_t}{d_t}",
                          rf"{w.f(rule.momentum)} \times {w.f(e.before['buf'])} + \frac{{{w.n(g)}}}{{{w.n(denominator)}}}",
                          w.n(new["buf"])))
        steps.append(Step(THETA, rf"{PREV} - \eta \, b_t", f"{w.f(theta)} - {w.f(rule.rate)} \\times {w.f(new['buf'])}",
                          w.n(e.after)))
    else:
        steps.append(Step(THETA, rf"{PREV} - \eta \, \frac{{g_t}}{{d_t}}",
                          rf"{w.f(theta)} - {w.f(rule.rate)} \times \frac{{{w.n(g)}}}{{{w.n(denominator)}}}", w.n(e.after)))
    return steps


def adam_steps(ctx: Context, e: Entry) -> list:
    w, rule, t = _Writer(ctx), e.rule, e.t
    steps, g, theta = _decayed(w, e, coupled=not rule.DECOUPLED)
    (b1, b2), new = rule.betas, e.after_state
    steps.append(Step("m_t", r"\beta_1 m_{t-1} + (1 - \beta_1) \, g_t",
                      f"{w.f(b1)} \\times {w.f(e.before['m'])} + {w.f(1 - b1)} \\times {w.f(g)}", w.n(new["m"])))
    steps.append(Step("v_t", r"\beta_2 v_{t-1} + (1 - \beta_2) \, g_t^2",
                      f"{w.f(b2)} \\times {w.f(e.before['v'])} + {w.f(1 - b2)} \\times {w.f(g)}^2", w.n(new["v"])))
    second = "v_t"
    if rule.amsgrad:
        steps.append(Step(r"v^{\max}_t", r"\max(v^{\max}_{t-1}, v_t)",
                          rf"\max({w.n(e.before['vmax'])}, {w.n(new['v'])})", w.n(new["vmax"])))
        second = r"v^{\max}_t"
    c1, c2 = rule.corrections(t)
    # the bias corrections: m and v start at zero, so early averages are too small by 1 - beta^t
    steps.append(Step(r"\hat m_t", rf"\frac{{m_t}}{{1 - \beta_1^{{t}}}}",
                      rf"\frac{{{w.n(new['m'])}}}{{1 - {w.f(b1)}^{{{t}}}}} = \frac{{{w.n(new['m'])}}}{{{w.n(c1)}}}",
                      w.n(new["mhat"])))
    second_value = new["vmax"] if rule.amsgrad else new["v"]
    steps.append(Step(r"\hat v_t", rf"\frac{{{second}}}{{1 - \beta_2^{{t}}}}",
                      rf"\frac{{{w.n(second_value)}}}{{1 - {w.f(b2)}^{{{t}}}}} = \frac{{{w.n(second_value)}}}{{{w.n(c2)}}}",
                      w.n(new["vhat"])))
    steps.append(Step(THETA, rf"{PREV} - \eta \, \frac{{\hat m_t}}{{\sqrt{{\hat v_t}} + \epsilon}}",
                      rf"{w.f(theta)} - {w.f(rule.rate)} \times \frac{{{w.n(new['mhat'])}}}"
                      rf"{{\sqrt{{{w.n(new['vhat'])}}} + {w.n(rule.eps)}}}", w.n(e.after)))
    return steps


# -- how each rule is stated -----------------------------------------------------------------
_STATEMENTS = {
    "sgd": (r"b_t = \mu \, b_{t-1} + (1 - \tau) \, g_t \;(b_1 = g_1), \quad \theta_t = \theta_{t-1} - \eta \, b_t",
            "SGD with momentum keeps a buffer b of past gradients (torch starts it at the first gradient):"),
    "adagrad": (r"s_t = s_{t-1} + g_t^2, \quad \theta_t = \theta_{t-1} - \eta \, \frac{g_t}{\sqrt{s_t} + \epsilon}",
                "AdaGrad divides each entry's step by the root of the sum of its squared gradients so far:"),
    "rmsprop": (r"v_t = \alpha \, v_{t-1} + (1 - \alpha) \, g_t^2, \quad "
                r"\theta_t = \theta_{t-1} - \eta \, \frac{g_t}{\sqrt{v_t} + \epsilon}",
                "RMSProp divides each entry's step by the root of a running mean of its squared gradients:"),
    "adam": (r"m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t, \quad v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2, \quad "
             r"\hat m_t = \frac{m_t}{1 - \beta_1^t}, \quad \hat v_t = \frac{v_t}{1 - \beta_2^t}, \quad "
             r"\theta_t = \theta_{t-1} - \eta \, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}",
             "Adam keeps running means m of the gradient and v of its square, both starting at 0, corrects their "
             "bias towards 0 and moves each entry by m̂ over the root of v̂:"),
}
_STATEMENTS["adamw"] = (r"\theta_{t-1} \leftarrow \theta_{t-1} (1 - \eta \lambda_{wd}), \quad " + _STATEMENTS["adam"][0],
                        "AdamW is Adam whose weight decay shrinks the parameter before the step (decoupled from the "
                        "gradient):")

_SYMBOLS = {"momentum": r"\mu", "dampening": r"\tau", "weight_decay": r"\lambda_{wd}", "lr_decay": r"\lambda_{lr}",
            "initial_accumulator_value": "s_0", "eps": r"\epsilon", "alpha": r"\alpha"}


def rule_intro(ctx: Context) -> tuple:
    """The rule with its hyper-parameters, by torch's names and with torch's values."""
    rule, w = ctx.d.rule, _Writer(ctx)
    formula, sentence = _STATEMENTS[rule.name]
    settings = [rf"\eta = {w.n(rule.rate)}"]
    for key, value in rule.settings().items():
        if key == "betas":
            settings += [rf"\beta_1 = {w.n(value[0])}", rf"\beta_2 = {w.n(value[1])}"]
        elif isinstance(value, bool):
            settings.append(rf"\text{{{key}}} = \text{{{str(value).lower()}}}")
        else:
            settings.append(rf"{_SYMBOLS[key]} = {w.n(value)}")
    return (Paragraph(text(sentence)), Math(formula),
            Paragraph(text(f"with torch.optim.{type(rule).__name__}'s settings:")),
            Math(r", \quad ".join(settings)))
