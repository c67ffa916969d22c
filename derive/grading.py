"""Grading a person's numbers: the rounding rule, the first wrong step, carried errors, and a diagnosis from the catalogue."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from fractions import Fraction
from typing import Optional

from .diagnosis import Diagnoser
from .mistakes import Mistake, Problem, Values, layer_of, lookup, problem_of, recompute
from .names import Quantity

GIVEN_KINDS = ("y", "mask")  # plus x0 and the parameters before the update: read off the spec, never computed
STEP_PHASES = {"dW": 0, "db": 0, "gnorm": 1, "clip": 1, "W": 3, "b": 3}  # optimizer states: 2
PHASES = {"x": 1, "z": 1, "yhat": 1, "J": 2, "dx": 3, "delta": 3, "dW": 4, "db": 4,
          "a": 1, "mu": 1, "var": 1, "zhat": 1, "u": 1, "du": 3, "da": 3, "dgamma": 4, "dbeta": 4}
FORWARD_RANK = {"z": 0, "mu": 1, "var": 2, "zhat": 3, "u": 4, "a": 5}
BACKWARD_RANK = {"dx": 0, "da": 1, "du": 2}  # within a layer, then delta = dJ/dz
FLOAT_NOISE = 1e-9  # relative: float64 values may differ from the exact ones in their last bits
DEFAULT_SIGNIFICANT_DIGITS = 3  # an answer carries at least this many, unless it equals the value exactly
RIGHT, TOO_COARSE, WRONG = "right", "too coarse", "wrong"


@dataclass(frozen=True)
class Answer:
    """One number a person wrote for one quantity."""

    quantity: Quantity
    field: str  # the quantity name as written in the answers file
    text: str  # the number as written
    value: Fraction  # exactly what was written
    exponent: Optional[int]  # the last written digit stands for 10**exponent; None for a fraction (exact)


@dataclass(frozen=True)
class Tolerance:
    """--rtol/--atol: when given, |theirs - correct| <= atol + rtol |correct| replaces the rounding rule.

    `significant_digits` is the precision policy of the rounding rule: an answer that rounds right but is written
    with fewer significant digits is too coarse, unless it equals the correct value exactly (0 turns it off).
    """

    rtol: Optional[float] = None
    atol: Optional[float] = None
    significant_digits: int = DEFAULT_SIGNIFICANT_DIGITS

    @property
    def given(self) -> bool:
        return self.rtol is not None or self.atol is not None

    def policy_text(self) -> str:
        """The precision required, in words, for sheets and reports."""
        if self.given:
            return f"within {self.atol or 0:g} + {self.rtol or 0:g} × |correct| of the correct value"
        if self.significant_digits <= 1:
            return "any number of digits, rounded correctly"
        return (f"at least {self.significant_digits} significant digits (e.g. -2.77, 0.0728, 113), rounded correctly; "
                "fewer only when the number is exact (a whole number, a fraction, a 0)")


@dataclass(frozen=True)
class Diagnosis:
    name: str
    description: str


@dataclass(frozen=True)
class GradedRow:
    """One answer graded: right or wrong, and for a wrong one whether it was carried and which mistake makes it."""

    answer: Answer
    correct: object  # float, or a SymPy Rational in exact mode
    right: bool
    rule: str  # how it was compared, e.g. "rounded to 2 decimals"
    first_wrong: bool = False
    carried_from: tuple[str, ...] = ()  # earlier wrong answers given which this one is right
    diagnoses: tuple[Diagnosis, ...] = ()
    note: str = ""
    coarse: bool = False  # rounds right, but with fewer significant digits than the policy asks: not right

    @property
    def carried(self) -> bool:
        return bool(self.carried_from)

    @property
    def status(self) -> str:
        return RIGHT if self.right else TOO_COARSE if self.coarse else WRONG

    @property
    def name(self) -> str:
        return self.answer.field


@dataclass(frozen=True)
class Grade:
    """All graded rows of one answers file, in the order of the computation."""

    spec_name: str
    rows: tuple[GradedRow, ...]
    tolerance: Tolerance

    @property
    def wrong(self) -> tuple[GradedRow, ...]:
        return tuple(row for row in self.rows if row.status == WRONG)

    @property
    def coarse(self) -> tuple[GradedRow, ...]:
        return tuple(row for row in self.rows if row.coarse)

    @property
    def right_count(self) -> int:
        return sum(1 for row in self.rows if row.right)

    @property
    def all_right(self) -> bool:
        return self.right_count == len(self.rows)

    @property
    def first_wrong(self) -> Optional[GradedRow]:
        return next((row for row in self.rows if row.first_wrong), None)

    def to_json(self) -> dict:
        return {
            "spec": self.spec_name,
            "all_right": self.all_right,
            "right": self.right_count,
            "too_coarse": len(self.coarse),
            "wrong": len(self.wrong),
            "significant_digits": None if self.tolerance.given else self.tolerance.significant_digits,
            "first_wrong": self.first_wrong.name if self.first_wrong else None,
            "tolerance": {"rtol": self.tolerance.rtol, "atol": self.tolerance.atol} if self.tolerance.given else None,
            "rows": [{
                "quantity": row.name, "canonical": row.answer.quantity.name, "theirs": row.answer.text,
                "theirs_value": float(row.answer.value), "correct": float(row.correct), "right": row.right,
                "status": row.status,
                "rule": row.rule, "first_wrong": row.first_wrong, "carried": row.carried,
                "carried_from": list(row.carried_from), "note": row.note,
                "diagnoses": [{"name": d.name, "description": d.description} for d in row.diagnoses],
            } for row in self.rows],
        }


def is_given(q: Quantity) -> bool:
    return q.kind in GIVEN_KINDS or (q.kind == "x" and q.layer == 0) or (q.kind in ("W", "b", "gamma", "beta")
                                                                         and not q.after and not q.step)


def order_key(q: Quantity, depth: int) -> tuple:
    """Given numbers, forward pass by sample and layer, costs, backward pass, gradients, update, training steps."""
    index = tuple(q.indices)
    sample = q.sample or 0
    # step t: its batch gradient, clipping, the rule's state (m_W2, ...), the parameters
    if q.step or q.kind in ("gnorm", "clip") or "_" in q.kind:
        kind = q.kind.partition("_")[0] if "_" in q.kind else q.kind
        return (6, q.step or 0, STEP_PHASES.get(kind, 2), str(q.layer), q.kind, index)
    if is_given(q):
        return (0, q.kind != "x", -(q.layer or 0), sample, index)
    if q.kind in ("W", "b", "gamma", "beta"):  # after the update
        return (5, -q.layer, q.kind == "b", index)
    layer = layer_of(q, depth)
    phase = PHASES[q.kind]
    if phase == 1:  # within a layer: z, batch norm's mu, var, zhat, u, then x (before dropout: a)
        return (1, sample, layer, FORWARD_RANK.get(q.kind, len(FORWARD_RANK)), index)
    if phase == 2:
        return (2, q.sample is None, sample)
    if phase == 3:
        return (3, sample, -layer, BACKWARD_RANK.get(q.kind, len(BACKWARD_RANK)), index)
    return (4, -layer, q.kind == "db", index)


def _exact(value) -> Fraction:
    """A float or SymPy Rational as an exact Fraction."""
    if isinstance(value, float):
        return Fraction(value)
    return Fraction(int(value.p), int(value.q)) if hasattr(value, "p") else Fraction(value)


def _rounds_to(true: Fraction, answer: Answer) -> bool:
    # the true value rounded half up to the place of the last written digit equals what was written
    with localcontext() as context:
        context.prec = 60
        exact = Decimal(true.numerator) / Decimal(true.denominator)
        try:
            rounded = exact.quantize(Decimal(1).scaleb(answer.exponent), rounding=ROUND_HALF_UP)
        except InvalidOperation:
            # the true value needs more than 60 digits at the written place, while the answer has at most the
            # budget's 50: they cannot agree
            return False
        return rounded == Decimal(answer.value.numerator) / Decimal(answer.value.denominator)


def is_right(answer: Answer, true, tolerance: Tolerance = Tolerance(), exact: bool = False) -> bool:
    """The rounding rule (or the tolerance when given); fractions are compared exactly (to float noise in float mode)."""
    if isinstance(true, float) and not math.isfinite(true):
        return False
    theirs, value = answer.value, _exact(true)
    if tolerance.given:
        return abs(float(theirs) - float(value)) <= (tolerance.atol or 0.0) + (tolerance.rtol or 0.0) * abs(float(value))
    noise = Fraction(0) if exact else abs(value) * Fraction(FLOAT_NOISE) + Fraction(1, 10**15)
    if answer.exponent is None:
        return abs(theirs - value) <= noise
    if theirs == 0:  # a written 0 states that the value is 0 (a ReLU switched off), not that it is small
        return abs(value) <= noise
    return any(_rounds_to(v, answer) for v in (value, value - noise, value + noise))


def significant_digits(answer: Answer) -> Optional[int]:
    """Significant digits written: from the first nonzero digit to the last written one; None for a fraction or 0."""
    if answer.exponent is None or answer.value == 0:
        return None
    magnitude = abs(answer.value)
    lead = len(str(magnitude.numerator)) - len(str(magnitude.denominator))  # floor(log10) or one above it
    if Fraction(10) ** lead > magnitude:
        lead -= 1
    return lead - answer.exponent + 1


def is_exact(answer: Answer, true, exact: bool = False) -> bool:
    """Theirs equals the correct value itself (to float noise in float mode), not only a rounding of it."""
    value = _exact(true)
    noise = Fraction(0) if exact else abs(value) * Fraction(FLOAT_NOISE) + Fraction(1, 10**15)
    return abs(answer.value - value) <= noise


def status(answer: Answer, true, tolerance: Tolerance = Tolerance(), exact: bool = False) -> str:
    """RIGHT, TOO_COARSE (rounds right with too few significant digits and is not exact) or WRONG."""
    if isinstance(true, float) and not math.isfinite(true):
        return WRONG
    if not is_right(answer, true, tolerance, exact):
        return WRONG
    if tolerance.given:
        return RIGHT
    digits = significant_digits(answer)
    if digits is None or digits >= tolerance.significant_digits or is_exact(answer, true, exact):
        return RIGHT
    return TOO_COARSE


def rule_text(answer: Answer, tolerance: Tolerance) -> str:
    if tolerance.given:
        return f"within atol {tolerance.atol or 0:g} + rtol {tolerance.rtol or 0:g}"
    if answer.exponent is None:
        return "exact fraction"
    if answer.value == 0:
        return "exactly 0"
    if answer.exponent < 0:
        return f"rounded to {-answer.exponent} decimal{'s' if answer.exponent != -1 else ''}"
    return "rounded to a whole number" if answer.exponent == 0 else f"rounded to a multiple of {10 ** answer.exponent}"


def _close(answer: Answer, value: float) -> bool:
    """Within one unit of the last written digit (fractions: 1e-6 relative): used for numbers built on rounded inputs."""
    if not math.isfinite(value):
        return False
    unit = 1e-6 * max(abs(value), 1e-12) if answer.exponent is None else 10.0 ** answer.exponent
    return abs(float(answer.value) - value) <= unit * (1 + 1e-9)


def reproduces(answer: Answer, value: float, reference: float, tolerance: Tolerance) -> bool:
    """A recomputed number gives theirs: by the rounding rule, or closely where the correct computation does not."""
    if not math.isfinite(value):
        return False
    if is_right(answer, value, tolerance):
        return True
    return not tolerance.given and _close(answer, value) and not _close(answer, reference)


def _rounded_wrong_way(answer: Answer, true) -> bool:
    """Theirs is the correct value rounded down or up at the written digit, but not to the nearest."""
    if answer.exponent is None or answer.value == 0:
        return False
    return abs(answer.value - _exact(true)) < Fraction(10) ** answer.exponent


class _Runs:
    """Recomputations shared by all rows: (mistake, layers, with their numbers) -> Values."""

    def __init__(self, problem: Problem, overrides: dict):
        self.problem, self.overrides, self.cache = problem, overrides, {}

    def get(self, mistake: Optional[Mistake], layers, substituted: bool, overrides=None) -> Values:
        if overrides is not None:
            return recompute(self.problem, mistake.rewrite if mistake else None, overrides, layers)
        key = (mistake.name if mistake else None, layers, substituted)
        if key not in self.cache:
            rewrite = mistake.rewrite if mistake else None
            self.cache[key] = recompute(self.problem, rewrite, self.overrides if substituted else None, layers)
        return self.cache[key]


def _carried_from(row_answer: Answer, true: float, earlier: list[Answer], runs: _Runs, tolerance: Tolerance,
                  depth: int) -> tuple:
    """The nearest earlier wrong answers that, substituted, reproduce this one (latest first until it is)."""
    chosen = {}
    for answer in reversed(earlier):
        chosen[answer.quantity] = runs.overrides[answer.quantity]
        value = lookup(runs.get(None, None, True, chosen), row_answer.quantity, depth)
        if reproduces(row_answer, value, true, tolerance):
            return tuple(a.field for a in earlier if a.quantity in chosen)
    return tuple(a.field for a in earlier)


def grade(derivation, answers, tolerance: Tolerance = Tolerance()) -> Grade:
    """Grade answers against a Derivation, in the order of the computation."""
    spec, depth = derivation.spec, derivation.spec.depth
    ordered = sorted(answers, key=lambda a: order_key(a.quantity, depth))
    truths = {a.quantity: derivation.quantity_value(a.quantity) for a in ordered}
    statuses = {a.quantity: status(a, truths[a.quantity], tolerance, derivation.exact) for a in ordered}
    # a too coarse answer still states the correct value at its digits: it is not substituted as a wrong number
    right = {q: verdict != WRONG for q, verdict in statuses.items()}
    wrong = [a for a in ordered if not right[a.quantity]]
    runs = _Runs(problem_of(derivation), {a.quantity: float(a.value) for a in wrong})
    diagnoser = Diagnoser(runs, [a for a in wrong if not is_given(a.quantity)],
                          [a for a in ordered if right[a.quantity] and not is_given(a.quantity)],
                          lambda a, value, reference: reproduces(a, value, reference, tolerance),
                          lambda q: order_key(q, depth))
    rows, seen_wrong = [], []
    for answer in ordered:
        q, true = answer.quantity, truths[answer.quantity]
        rule = rule_text(answer, tolerance)
        if right[q]:
            coarse = statuses[q] == TOO_COARSE
            if coarse:
                rule += f"; {significant_digits(answer)} significant digit{'s' if significant_digits(answer) != 1 else ''}" \
                        f" written, at least {tolerance.significant_digits} asked"
            rows.append(GradedRow(answer, true, not coarse, rule, coarse=coarse))
            continue
        first, carried, diagnoses, note = not seen_wrong, (), (), ""
        if is_given(q):
            note = "differs from the number the spec gives"
        elif seen_wrong and reproduces(answer, lookup(runs.get(None, None, True), q, depth), float(true), tolerance):
            carried = _carried_from(answer, float(true), seen_wrong, runs, tolerance, depth)
        else:
            diagnoses = tuple(Diagnosis(c.mistake.name, c.mistake.description) for c in diagnoser.for_answer(q))
            if not diagnoses and not tolerance.given and _rounded_wrong_way(answer, true):
                note = "the correct value rounded the wrong way (round to the nearest, halves up)"
            elif not diagnoses and answer.value != 0 and is_right(replace(answer, value=-answer.value), true, tolerance,
                                                                  derivation.exact):
                note = "the correct value with its sign flipped (a sign slip in this step)"
        rows.append(GradedRow(answer, true, False, rule, first, carried, diagnoses, note))
        seen_wrong.append(answer)
    return Grade(spec.name, tuple(rows), tolerance)
