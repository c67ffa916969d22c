"""Explainers of update rules: how each rule of derive/optim/ is worked in a document; a rule without one is an error."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..context import Context, symbols
from ..numbers import latex_number
from ..operands import Term, factor, signed_sum
from ..records import Math, Paragraph, Step, text
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


UPDATE_ROWS: dict[str, UpdateExplainer] = {
    "sgd": UpdateExplainer("The gradient-descent update", _sgd_intro, _sgd_scalar, _sgd_matrix),
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
