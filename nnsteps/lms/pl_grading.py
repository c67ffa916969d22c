"""Grading without nnsteps: the rounding rule, the precision policy and error carried forward, in plain Python.

This file is copied whole into PrairieLearn's server.py (it imports nothing of nnsteps). It mirrors derive/grading.py:
an answer is right when the correct value rounded to its last written digit equals it and it carries enough
significant digits unless exact; a wrong answer is carried when recomputing its step from the person's own earlier
wrong numbers (STEPS: the derivation's formulas, printed by SymPy) reproduces it.
"""

import math
import re

RIGHT, TOO_COARSE, WRONG = "right", "too coarse", "wrong"
FLOAT_NOISE = 1e-9
CREDIT = {RIGHT: 1.0, "carried": 0.5, TOO_COARSE: 0.0, WRONG: 0.0}
_DECIMAL = re.compile(r"^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$")
_FRACTION = re.compile(r"^([+-]?\d+)\s*/\s*(\d+)$")


def parse(text):
    """(value, exponent of the last written digit) of a written number; exponent None for a fraction; None if no number."""
    text = str(text if text is not None else "").strip().replace("\u2212", "-")
    fraction = _FRACTION.match(text)
    if fraction:
        denominator = int(fraction.group(2))
        return (int(fraction.group(1)) / denominator, None) if denominator else None
    match = _DECIMAL.match(text)
    if not match or not (match.group(2) or match.group(3)):
        return None
    decimals = match.group(3) or ""
    exponent = int(match.group(4) or 0)
    try:
        return float(text), exponent - len(decimals)
    except (ValueError, OverflowError):
        return None


def _noise(true):
    return abs(true) * FLOAT_NOISE + 1e-15


def rounds_right(answer, true):
    """The correct value, rounded to the place of the last written digit, equals the answer (to float noise)."""
    value, exponent = answer
    if not math.isfinite(true):
        return False
    if exponent is None:
        return abs(value - true) <= _noise(true)
    if value == 0:  # a written 0 states that the value is 0, not that it is small
        return abs(true) <= _noise(true)
    return abs(value - true) <= 0.5 * 10.0 ** exponent * (1 + 1e-12) + _noise(true)


def significant(answer):
    value, exponent = answer
    if exponent is None or value == 0:
        return None
    return math.floor(math.log10(abs(value)) + 1e-12) - exponent + 1


def status(answer, true, digits):
    if not rounds_right(answer, true):
        return WRONG
    written = significant(answer)
    if written is None or written >= digits or abs(answer[0] - true) <= _noise(true):
        return RIGHT
    return TOO_COARSE


def close(answer, value):
    """Within one unit of the last written digit: for numbers built on rounded inputs."""
    if not math.isfinite(value):
        return False
    unit = 1e-6 * max(abs(value), 1e-12) if answer[1] is None else 10.0 ** answer[1]
    return abs(answer[0] - value) <= unit * (1 + 1e-9)


def reproduces(answer, value, reference):
    return math.isfinite(value) and (rounds_right(answer, value) or (close(answer, value) and not close(answer, reference)))


def recompute(steps, values, overrides):
    """(computed, used): every step from the earlier ones, a person's number put in place where given."""
    computed, used = [], []
    for position, step in enumerate(steps):
        if step is None:
            number = values[position]
        else:
            try:
                number = float(step(used))
            except (ArithmeticError, ValueError, OverflowError):
                number = math.nan
        computed.append(number)
        used.append(overrides.get(position, number))
    return computed, used


def grade_answers(variant, steps, written, digits):
    """One row per asked quantity: status, credit, carried, likely mistakes, feedback; as derive/grading.grade does."""
    questions, rows = variant["questions"], []
    parsed = [parse(written.get(q["field"])) for q in questions]
    statuses = [WRONG if p is None else status(p, q["key"], digits) for p, q in zip(parsed, questions)]
    overrides = {q["node"]: p[0] for p, q, s in zip(parsed, questions, statuses) if s == WRONG and p is not None}
    computed, _ = recompute(steps, variant["values"], overrides)
    seen_wrong = []
    for p, q, verdict in zip(parsed, questions, statuses):
        row = {"field": q["field"], "status": verdict, "first_wrong": False, "carried": False, "mistakes": []}
        if verdict == RIGHT:
            row["feedback"] = "Right."
        elif verdict == TOO_COARSE:
            row["feedback"] = f"Too coarse: it rounds right, but write at least {digits} significant digits."
        elif p is None:
            row["feedback"] = "Not a number: write a decimal like -0.314 or a fraction like -157/500."
        else:
            row["first_wrong"] = not seen_wrong
            if seen_wrong and reproduces(p, computed[q["node"]], q["key"]):
                row["carried"] = True
                row["feedback"] = ("Wrong, but right given your own earlier answer" + ("s " if len(seen_wrong) > 1 else " ")
                                   + ", ".join(seen_wrong) + ": an error carried forward.")
            else:
                found = {m["name"]: m for m in q["diagnoses"] if reproduces(p, m["raw"], q["key"])}
                row["mistakes"] = list(found)
                row["feedback"] = "Wrong." + "".join(f" Likely mistake: {m['description']}. To fix it: {m['fix']}."
                                                    for m in found.values())
        if verdict == WRONG:
            seen_wrong.append(q["name"])
        row["credit"] = CREDIT["carried" if row["carried"] else verdict]
        rows.append(row)
    return rows
