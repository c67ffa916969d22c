"""Explainers of update rules: how each rule of derive/optim/ is worked in a document; a rule without one is an error."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..context import Context, symbols
from ..numbers import latex_number
from ..operands import Term, factor, signed_sum
from ..records import Math, Paragraph, Step, text
from . import rules
from .base import UnknownKind

THETA = r"\theta"


def _entry(array, i, j):
    return array[i - 1][j - 1] if j is not None else array[i - 1]


def sgd_numbers(old, rate, gradient, digits: int) -> str:
    """theta - eta g with numbers: the gradient is a factor of the product (parenthesized by its precedence),
    and the product is subtracted whatever its sign."""
    return signed_sum([old, Term(rf"{latex_number(rate, digits)} \times {factor(gradient, digits)}", negative=True)], digits)


def _sgd_intro(ctx: Context) -> tuple:
    rate = ctx.num(ctx.number(ctx.spec.learning_rate))
    rule = rf"\theta \leftarrow \theta - \eta \, {ctx.partial(ctx.J, THETA)}, \qquad \eta = {rate}"
    return (Paragraph(text("Gradient descent moves every parameter against its gradient, scaled by the learning rate:")),
            Math(rule))


def _sgd_scalar(ctx: Context, symbol, old, rate, gradient, new) -> Step:
    # theta <- theta - eta dJ/dtheta
    name = ctx.tex(symbol)
    return Step(name, f"{name} - \\eta \\, {ctx.partial(ctx.J, symbol)}", sgd_numbers(old, rate, gradient, ctx.digits),
                ctx.num(ctx.number(new)), symbols(symbol), relation=r"\leftarrow")


def _sgd_matrix(ctx: Context, kind: str, layer: int, old, gradient, new):
    # W^(l) <- W^(l) - eta dW^(l)
    column, eta = kind == "b", ctx.num(ctx.number(ctx.spec.learning_rate))
    return ctx.matrix_step(ctx.m(kind, layer), f"{ctx.m(kind, layer)} - \\eta \\, {ctx.m('d' + kind, layer)}",
                           f"{ctx.matrix(old, column)} - {eta} {ctx.matrix(gradient, column)}",
                           ctx.matrix(new, column), relation=r"\leftarrow")


@dataclass(frozen=True)
class UpdateExplainer:
    """How one update rule reads in a document: its section title, the rule with its settings, one worked step."""

    title: str
    intro: Callable  # (ctx) -> the paragraphs and formula that state the rule
    scalar_step: Callable  # (ctx, symbol, old, rate, gradient, new) -> Step
    matrix_step: Callable  # (ctx, "W" | "b", layer, old, gradient, new) -> a matrix step
    state_steps: Callable = rules.sgd_steps  # (ctx, rules.Entry) -> the Steps of one entry's update at step t
    training_intro: Callable = rules.rule_intro  # (ctx) -> the rule with its hyper-parameters, in the Training section


def _first_step(state_steps: Callable) -> Callable:
    """The scalar step of a stateful rule: its first step from the initial state, ending in theta_1."""
    def scalar_step(ctx: Context, symbol, old, rate, gradient, new) -> Step:
        rule = ctx.d.rule.with_rate(rate)
        before = {k: v for k, v in rule.initial_state({"p": np.asarray(old)})["p"].items()} if rule.state_names() else {}
        after, state = rule.step("p", old, gradient, before)
        steps = state_steps(ctx, rules.Entry(1, old, gradient, before, state, after, rule))
        name = ctx.tex(symbol)
        last = steps[-1]
        return Step(name, last.formula, last.substituted, ctx.num(ctx.number(new)), symbols(symbol), relation=r"\leftarrow")
    return scalar_step


def _no_matrix_step(ctx, kind, layer, old, gradient, new):
    raise UnknownKind("optimizer", f"{ctx.d.rule.name} is worked entry by entry in the Training section")


def _stateful(title: str, state_steps: Callable) -> UpdateExplainer:
    return UpdateExplainer(title, rules.rule_intro, _first_step(state_steps), _no_matrix_step, state_steps)


UPDATE_ROWS: dict[str, UpdateExplainer] = {
    "sgd": UpdateExplainer("The gradient-descent update", _sgd_intro, _sgd_scalar, _sgd_matrix),
    "adagrad": _stateful("Training with AdaGrad", rules.adagrad_steps),
    "rmsprop": _stateful("Training with RMSProp", rules.rmsprop_steps),
    "adam": _stateful("Training with Adam", rules.adam_steps),
    "adamw": _stateful("Training with AdamW", rules.adam_steps),
}


def update_explainer(name: str) -> UpdateExplainer:
    """The explainer of an update rule; a rule without one raises UnknownKind."""
    try:
        return UPDATE_ROWS[name]
    except KeyError:
        raise UnknownKind("optimizer", f"render has no explainer for the update rule {name!r} "
                                       f"(known: {', '.join(sorted(UPDATE_ROWS))})") from None


def update_step(ctx: Context, layer: int, i: int | None, j: int, gradients: dict) -> Step:
    """The worked first step of one parameter, by its rule's explainer."""
    d = ctx.d
    symbol = d.net.b(layer, j) if i is None else d.net.w(layer, i, j)
    key = f"b{layer}" if i is None else f"W{layer}"
    where = (j, None) if i is None else (i, j)
    old, new = _entry(d.params[key], *where), _entry(d.training.trajectory[1][key], *where)
    gradient = _entry(gradients[key], *where)
    return update_explainer(d.rule.name).scalar_step(ctx, symbol, ctx.number(old), ctx.number(ctx.spec.learning_rate),
                                                     ctx.number(gradient), new)
