"""Answers files: a TOML/JSON `[answers]` table of quantity names and numbers, read into Answer records."""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from importlib import resources
from typing import Any, Mapping

from .derive.errors import SpecError, one_line
from .derive.grading import Answer
from .derive.limits import Limits
from .derive.netspec import NetworkSpec
from .derive.names import parse_quantity

TOP_LEVEL = {"answers", "meta", "precision"}  # [meta] is free-form (spec, seed, variant); [precision] sets the policy
_FRACTION = re.compile(r"^\s*([+-]?\d+)\s*/\s*(\d+)\s*$")
HINT = 'write a decimal like -0.314 or a fraction in quotes like "-157/500"'
MAX_ERRORS = 20  # problems of one answers file reported at once


class AnswersError(SpecError):
    """Every problem of one answers file (up to MAX_ERRORS), each `file:line: what: message`, one per line."""

    def __init__(self, problems: list[str], total: int | None = None):
        # user text (names, values) stays on its line: control characters escaped, as in every error
        self.problems = tuple(one_line(problem) for problem in problems[:MAX_ERRORS])
        self.total = max(total or len(problems), len(problems))
        super().__init__("", self.problems[0])

    def __str__(self) -> str:
        more = self.total - len(self.problems)
        lines = list(self.problems) + ([f"... and {more} more problem{'s' if more != 1 else ''}"] if more > 0 else [])
        return "\nerror: ".join(lines)  # the CLI prints `error: ` before the first

    def __reduce__(self):
        return self.__class__, (list(self.problems), self.total)


def builtin_answer_names() -> list[str]:
    """Names of the shipped answers files (nnsteps/examples/answers/*.toml)."""
    folder = resources.files("nnsteps") / "examples" / "answers"
    if not folder.is_dir():
        return []
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def line_of(text: str | None, name: str) -> int | None:
    """The line (from 1) where the key `name` is written: quoted anywhere, or bare at the start of a line."""
    if not text:
        return None
    quoted = (f'"{name}"', f"'{name}'")
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.lstrip()
        if any(q in line for q in quoted) or re.match(re.escape(name) + r"\s*=", stripped):
            return number
    return None


def answers_from_mapping(mapping: Any, spec: NetworkSpec, where: str = "answers",
                         limits: Limits | None = None, text: str | None = None) -> tuple[Answer, ...]:
    """Validate a parsed answers file: every name a quantity of this network, every value a number, no repeats.

    Every problem is collected (with its line when `text` is given) and all are raised at once as AnswersError.
    """
    limits = spec.limits if limits is None else limits
    if not isinstance(mapping, Mapping):
        raise AnswersError([f"{where}: the top level must be a table"])
    problems = []

    def problem(field: str, message: str, name: str | None = None) -> None:
        line = line_of(text, name) if name is not None else None
        problems.append(f"{where}:{line}: {field}: {message}" if line else f"{where}: {field}: {message}")

    for key in mapping:
        if key not in TOP_LEVEL:
            problem(str(key), "unknown table or field; put the numbers in [answers] (and notes in [meta])", str(key))
    table = mapping.get("answers")
    if not isinstance(table, Mapping):
        problem("answers", 'missing [answers] table of quantity names and numbers, e.g. "z1[1]" = -0.314')
    elif not table:
        problem("answers", "[answers] is empty; nothing to check")
    answers, seen = [], {}
    for name, value in (table.items() if isinstance(table, Mapping) else ()):
        field = f'answers."{str(name)[:60]}"'
        try:
            if re.search(r"\d{%d}" % (limits.integer_digits + 1), str(name)):  # int() of it would be unbounded
                raise SpecError(field, f"an index of more than {limits.integer_digits} digits")
            quantity = _quantity(str(name), spec, field)
            if quantity in seen:
                raise SpecError(field, f"names the same quantity as \"{seen[quantity]}\" ({quantity.name})")
            seen[quantity] = name
            number, exponent, written = parse_number(value, field, limits)
            answers.append(Answer(quantity, str(name), written, number, exponent))
        except SpecError as error:
            problem(error.field, error.message, str(name))
    if problems:
        raise AnswersError(problems)
    return tuple(answers)


def _quantity(name: str, spec: NetworkSpec, field: str):
    try:
        return parse_quantity(name, spec, field)
    except SpecError as error:
        message = error.message
        prefix = f"{name.replace(' ', '')!r}: "
        for start in (prefix, f"{name!r}: "):
            if message.startswith(start):
                message = message[len(start):]
        raise SpecError(field, message) from None


def parse_number(value: Any, field: str, limits: Limits | None = None) -> tuple[Fraction, int | None, str]:
    """(exact value, place of the last written digit or None for a fraction, text as written)."""
    from .derive.limits import DEFAULT_LIMITS
    from .fields import check_decimal, check_whole

    limits = DEFAULT_LIMITS if limits is None else limits
    if isinstance(value, bool):
        raise SpecError(field, f"{value!r} is not a number; {HINT}")
    if isinstance(value, int):
        check_whole(value, field, limits)
        return Fraction(value), 0, str(value)
    if isinstance(value, str) and len(value) > 2 * limits.decimal_digits + 20:
        raise SpecError(field, f"a number written with {len(value)} characters, more than {2 * limits.decimal_digits + 20}")
    if isinstance(value, float):  # from a Python mapping: the shortest decimal that reads back as it
        value = Decimal(repr(value))
    if isinstance(value, str):
        match = _FRACTION.match(value)
        if match:
            if max(len(match.group(1).lstrip("+-")), len(match.group(2))) > limits.decimal_digits:
                raise SpecError(field, f"a fraction with more than {limits.decimal_digits} digits above or below")
            numerator, denominator = int(match.group(1)), int(match.group(2))
            if denominator == 0:
                raise SpecError(field, f"{value!r} divides by zero")
            return Fraction(numerator, denominator), None, value.strip().replace(" ", "")
        try:
            value = Decimal(value.strip())
        except InvalidOperation:
            raise SpecError(field, f"{value!r} is not a number; {HINT}") from None
    if not isinstance(value, Decimal):
        raise SpecError(field, f"{value!r} is not a number; {HINT}")
    if not value.is_finite():
        raise SpecError(field, f"{value} is not a finite number")
    check_decimal(value, field, limits)
    return Fraction(value), int(value.as_tuple().exponent), str(value)


def answers_toml(values: Mapping[str, str], meta: Mapping[str, Any] | None = None, comment: str = "") -> str:
    """An answers file: quantity name -> number text (decimal or "p/q"), with an optional [meta] table.

    Text that may come from a spec (a name in [meta], the comment) is a TOML string with every control character
    escaped, or a comment with line breaks and control characters removed: it can never add a line of its own.
    """
    from .spec_writer import toml_comment

    lines = toml_comment(comment)
    if meta:
        lines.append("[meta]")
        for key, item in meta.items():
            lines.append(f"{_toml_key(key)} = {_toml_value(item)}")
        lines.append("")
    lines.append("[answers]")
    for name, text in values.items():
        number = text if _DECIMAL.match(text) else _toml_value(text)  # "p/q" (or anything else) as a string
        lines.append(f"{_toml_value(str(name))} = {number}")
    return "\n".join(lines) + "\n"


_DECIMAL = re.compile(r"^[+-]?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$")  # a TOML integer or float, as written
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _toml_key(key: Any) -> str:
    return str(key) if _BARE_KEY.match(str(key)) else _toml_value(str(key))


def _toml_value(item: Any) -> str:
    from .spec_writer import toml_string

    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, int) or (isinstance(item, float) and math.isfinite(item)):
        return repr(item)
    return toml_string(str(item))
