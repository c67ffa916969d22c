"""Answers files: a TOML/JSON `[answers]` table of quantity names and numbers, read into Answer records."""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from .derive.errors import SpecError
from .derive.grading import Answer
from .derive.limits import Limits
from .derive.netspec import NetworkSpec
from .derive.names import parse_quantity

TOP_LEVEL = {"answers", "meta"}  # [meta] is free-form (spec, seed, variant) and ignored when grading
_FRACTION = re.compile(r"^\s*([+-]?\d+)\s*/\s*(\d+)\s*$")
HINT = 'write a decimal like -0.314 or a fraction in quotes like "-157/500"'


def builtin_answer_names() -> list[str]:
    """Names of the shipped answers files (nnsteps/examples/answers/*.toml)."""
    folder = resources.files("nnsteps") / "examples" / "answers"
    if not folder.is_dir():
        return []
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_answers(source: str | Path, spec: NetworkSpec, limits: Limits | None = None) -> tuple[Answer, ...]:
    """Answers from a TOML/JSON path or a shipped name, checked against the network, within `limits` (the spec's)."""
    from .input_text import parse_toml, read_mapping

    limits = spec.limits if limits is None else limits
    path = Path(source)
    if path.is_file():
        mapping = read_mapping(path, "answers", limits)
        where = str(path)
    elif str(source) in builtin_answer_names():
        text = (resources.files("nnsteps") / "examples" / "answers" / f"{source}.toml").read_text(encoding="utf-8")
        mapping, where = parse_toml(text, f"built-in answers {source}", "answers", limits), str(source)
    else:
        shipped = ", ".join(builtin_answer_names()) or "none"
        raise SpecError("answers", f"{source}: no such file and no shipped answers file (shipped: {shipped})")
    return answers_from_mapping(mapping, spec, where, limits)


def answers_from_mapping(mapping: Any, spec: NetworkSpec, where: str = "answers",
                         limits: Limits | None = None) -> tuple[Answer, ...]:
    """Validate a parsed answers file: every name a quantity of this network, every value a number, no repeats."""
    limits = spec.limits if limits is None else limits
    if not isinstance(mapping, Mapping):
        raise SpecError("answers", f"{where}: the top level must be a table")
    table = mapping.get("answers")
    if not isinstance(table, Mapping):
        raise SpecError("answers", f"{where}: missing [answers] table of quantity names and numbers, e.g. \"z1[1]\" = -0.314")
    for key in mapping:
        if key not in TOP_LEVEL:
            raise SpecError(str(key), f"{where}: unknown field; put the numbers in [answers] (and notes in [meta])")
    if not table:
        raise SpecError("answers", f"{where}: [answers] is empty; nothing to check")
    answers, seen = [], {}
    for name, value in table.items():
        field = f'answers."{str(name)[:60]}"'
        if re.search(r"\d{%d}" % (limits.integer_digits + 1), str(name)):  # int() of it would be unbounded
            raise SpecError(field, f"an index of more than {limits.integer_digits} digits")
        quantity = _quantity(str(name), spec, field)
        if quantity in seen:
            raise SpecError(field, f"names the same quantity as \"{seen[quantity]}\" ({quantity.name})")
        seen[quantity] = name
        number, exponent, text = parse_number(value, field, limits)
        answers.append(Answer(quantity, str(name), text, number, exponent))
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
