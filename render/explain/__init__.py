"""Explainers by kind: every kind of equation derive/ produces has a row here; a kind without one is an error."""

from __future__ import annotations

from . import dense, regularizers
from .base import BACKWARD, FORWARD, MatrixRow, UnknownKind

MATRIX_ROWS: dict[str, MatrixRow] = {**dense.ROWS, **regularizers.ROWS}  # a new layer module adds its rows here


def matrix_row(kind: str, rows: dict | None = None) -> MatrixRow:
    """The row of a kind of matrix equation; a kind without a row raises UnknownKind."""
    rows = MATRIX_ROWS if rows is None else rows
    try:
        return rows[kind]
    except KeyError:
        raise UnknownKind("kind", f"render has no explainer for the matrix equation kind {kind!r} "
                                  f"(known: {', '.join(sorted(rows))})") from None


def matrix_steps(ctx, section: str, equations=None, rows: dict | None = None) -> tuple:
    """The steps of a section's matrix equations, in the derivation's order; every equation's kind is looked up,
    those of the other section are left to it."""
    steps = []
    for equation in ctx.d.matrix_form() if equations is None else equations:
        row = matrix_row(equation.kind, rows)
        if row.section != section:
            continue
        steps.append(ctx.matrix_step(ctx.tex(equation.lhs), ctx.breakable(equation.rhs), row.operands(ctx, equation),
                                     ctx.matrix(row.result(ctx, equation))))
    return tuple(steps)


__all__ = ["BACKWARD", "FORWARD", "MATRIX_ROWS", "MatrixRow", "UnknownKind", "matrix_row", "matrix_steps"]
