"""Grading without nnsteps: the rounding rule, the precision policy and error carried forward, in plain Python.

This file is copied whole into PrairieLearn's server.py (it imports nothing of nnsteps). It mirrors derive/grading.py:
an answer is right when the correct value rounded to its last written digit equals it and it carries enough
significant digits unless exact; a wrong answer is carried when recomputing its step from the person's own earlier
wrong numbers (STEPS: the derivation's formulas, printed by SymPy) reproduces it.
"""

import math
import re

RIGHT, TOO_COARSE, WRONG, BLANK, NOT_A_NUMBER = "right", "too coarse", "wrong", "blank", "not a number"
FLOAT_NOISE = 1e-9
CREDIT = {RIGHT: 1.0, "carried": 0.5, TOO_COARSE: 0.0, WRONG: 0.0, BLANK: 0.0, NOT_A_NUMBER: 0.0}
_DECIMAL = re.compile(r"^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$")
_FRACTION = re.compile(r"^([+-]?\d+)\s*/\s*(\d+)$")


def parse(text):
    """(value, exponent of the last written digit, integer mantissa: value = mantissa 10^exponent) of a written number;
    a fraction p/q is (value, None, (p, q)); None when it is not a number."""
    text = str(text if text is not None else "").strip().replace("\u2212", "-").replace("_", "")
    fraction = _FRACTION.match(text)
    if fraction:
        numerator, denominator = int(fraction.group(1)), int(fraction.group(2))
        return (numerator / denominator, None, (numerator, denominator)) if denominator else None
    match = _DECIMAL.match(text)
    if not match or not (match.group(2) or match.group(3)):
        return None
    decimals = match.group(3) or ""
    try:
        value = float(text)
    except (ValueError, OverflowError):
        return None
    if not math.isfinite(value):
        return None
    mantissa = int(match.group(1) + ((match.group(2) or "") + decimals or "0"))
    return value, int(match.group(4) or 0) - len(decimals), mantissa


def _noise(true):
    return abs(true) * FLOAT_NOISE + 1e-15


def _exact_compare(answer, exact):
    """(2|theirs - correct|, the unit of the last written digit, |theirs| > |correct|), all scaled to integers."""
    p, q = exact
    if answer[1] is None:
        a, b = answer[2]
        return 2 * abs(a * q - p * b), 0, False
    mantissa, exponent = answer[2], answer[1]
    scale = 10 ** abs(exponent)
    if exponent <= 0:  # everything times q 10^-e
        theirs, correct, unit = mantissa * q, p * scale, q
    else:  # everything times q
        theirs, correct, unit = mantissa * scale * q, p, scale * q
    return 2 * abs(theirs - correct), unit, abs(theirs) > abs(correct)


def rounds_right(answer, true, exact=None):
    """The correct value, rounded half up to the place of the last written digit, equals the answer: exactly when the
    correct value is an exact fraction (p, q), else to float noise."""
    if exact is not None:
        twice, unit, away = _exact_compare(answer, exact)
        if answer[1] is None or answer[0] == 0:  # a fraction, or a written 0: the value itself
            return twice == 0
        return twice < unit or (twice == unit and away)  # a half rounds away from zero
    value, exponent = answer[0], answer[1]
    if not math.isfinite(true):
        return False
    if exponent is None:
        return abs(value - true) <= _noise(true)
    if value == 0:  # a written 0 states that the value is 0, not that it is small
        return abs(true) <= _noise(true)
    return abs(value - true) <= 0.5 * 10.0 ** exponent * (1 + 1e-12) + _noise(true)


def significant(answer):
    """Significant digits written: those of the mantissa; None for a fraction or a 0."""
    if answer[1] is None or answer[0] == 0:
        return None
    return len(str(abs(answer[2])))


def is_exact(answer, true, exact=None):
    if exact is not None:
        return _exact_compare(answer, exact)[0] == 0
    return abs(answer[0] - true) <= _noise(true)


def status(answer, true, digits, exact=None):
    if not rounds_right(answer, true, exact):
        return WRONG
    written = significant(answer)
    if written is None or written >= digits or is_exact(answer, true, exact):
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
    """One row per asked quantity: status, credit, carried, likely mistakes, feedback; as derive/grading.grade does.
    A blank or unreadable field is not graded and not carried from."""
    questions, rows = variant["questions"], []
    parsed = [parse(written.get(q["field"])) for q in questions]
    statuses = []
    for p, q in zip(parsed, questions):
        text = written.get(q["field"])
        if text is None or str(text).strip() == "":
            statuses.append(BLANK)
        elif p is None:
            statuses.append(NOT_A_NUMBER)
        else:
            statuses.append(status(p, q["key"], digits, tuple(q["exact"]) if q.get("exact") else None))
    overrides = {q["node"]: p[0] for p, q, s in zip(parsed, questions, statuses) if s == WRONG}
    computed, _ = recompute(steps, variant["values"], overrides)
    seen_wrong = []
    for p, q, verdict in zip(parsed, questions, statuses):
        row = {"field": q["field"], "status": verdict, "first_wrong": False, "carried": False, "mistakes": []}
        if verdict == RIGHT:
            row["feedback"] = "Right."
        elif verdict == TOO_COARSE:
            row["feedback"] = f"Too coarse: it rounds right, but write at least {digits} significant digits."
        elif verdict in (BLANK, NOT_A_NUMBER):
            row["feedback"] = "Write a decimal like -0.314 or a fraction like -157/500."
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
            seen_wrong.append(q["name"])
        row["credit"] = CREDIT["carried" if row["carried"] else verdict]
        rows.append(row)
    return rows
