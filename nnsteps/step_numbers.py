"""Exercises that ask for training steps (W1[1,1]@t2, m_W2[1,1]@t1, buf_b1[1]@t2): which answers can come out as
short decimals (derive/optim/decimals.py), how many digits a draw gives them, and the sheet's note on the others."""

from __future__ import annotations

SHORT_DIGITS = 6  # significant digits an asked step answer may have and still count as short
STATE_TRIES = 200  # nice draws searched for short step answers before the shortest one found is taken


def step_key(q) -> tuple | None:
    """(name, t) of derive/optim/decimals.short_decimals for a quantity of training step t; None for other quantities."""
    if q.step is None:
        return None
    if q.kind in ("gnorm", "clip"):
        return ("clip", q.step)  # a square root: never in the table
    if q.kind.startswith("d"):
        return ("g", q.step)
    if "_" in q.kind:  # an optimizer state: m_W, mhat_b, buf_W, ...
        return (q.kind.split("_", 1)[0], q.step)
    return ("theta", q.step)


def _table(spec, last: int) -> dict:
    from .derive.optim import build_rule
    from .derive.optim.decimals import polynomial_network, short_decimals
    from .derive.training import batches

    size = len(batches(spec.n_samples, spec.batch_size, 1)[0])
    return short_decimals(build_rule(spec), last, polynomial_network(spec, size))


def split_steps(spec, asked) -> tuple[tuple, tuple]:
    """(asked step quantities that are finite decimals for short-decimal data, those that never are)."""
    keyed = [(q, step_key(q)) for q in asked if step_key(q) is not None]
    if not keyed:
        return (), ()
    table = _table(spec, max(key[1] for _, key in keyed))
    short = tuple(q for q, key in keyed if table.get(key, False))
    return short, tuple(q for q, _ in keyed if q not in short)


def significant_digits(value: float, most: int = 15) -> int:
    """Significant digits of the shortest decimal within float noise of the value (most + 1 beyond `most` decimals)."""
    value = float(value)
    if value == 0:
        return 0
    for k in range(most + 1):
        if abs(round(value, k) - value) <= 1e-12 * abs(value):  # float64 noise of a few operations: ~1e-15
            return len(str(abs(round(value * 10 ** k))).rstrip("0"))
    return most + 1


def longest_answer(spec, short) -> int:
    """The most significant digits among the short-able asked answers of a drawn spec; a zero counts as too long."""
    import numpy as np

    from .derive.evaluate import initial_parameters
    from .derive.mistakes import Problem, recompute
    from .derive.mistakes.recompute import lookup

    X, Y = np.array(spec.X, dtype=float), np.array(spec.Y, dtype=float)
    with np.errstate(all="ignore"):
        values = recompute(Problem(spec, initial_parameters(spec), X, Y))
    digits = [significant_digits(lookup(values, q, spec.depth)) for q in short]
    return max((SHORT_DIGITS + 1 if d == 0 else d for d in digits), default=0)  # a 0 (a dead path) asks nothing


def steps_note(spec, asked) -> str:
    """The sheet's words on the asked step answers: which are short decimals, which cannot be."""
    short, never = split_steps(spec, asked)  # step quantities have no sample: their names are as a person writes them
    parts = []
    if short:
        parts.append(f"{', '.join(q.name for q in short)}: short decimals, exact (write every digit)")
    if never:
        parts.append(f"{', '.join(q.name for q in never)}: not short decimals, whatever the numbers (a square "
                     "root, a division by 1 - beta^t, a clip coefficient or an exp/log of the network is in their "
                     "formulas), so round them")
    return "; ".join(parts)
