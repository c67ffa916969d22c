"""One answers file as a whole: its answers, the precision it asks and the variant it names; errors by file and line."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Mapping, Optional

from .answers import AnswersError, answers_from_mapping, builtin_answer_names
from .derive.errors import SpecError
from .derive.grading import Answer
from .derive.limits import Limits
from .derive.netspec import NetworkSpec
from .fields import significant_digits_setting

# a bare TOML key with brackets, z1[1] = ..., which TOML reads as a table header gone wrong
_UNQUOTED = re.compile(r"^\s*([A-Za-z_][\w]*\s*\[[^\]\n]*\]\s*(?:@\s*\w+)?)\s*=\s*([^#\n]*)")
_BLANK = re.compile(r'^\s*("[^"\n]*"|\'[^\'\n]*\')\s*=\s*(#.*)?$')  # "x1[1]" = (left blank in a template)
QUOTE_HINT = "names with brackets must be quoted"
_TOML_LINE = re.compile(r"\(at line (\d+), column \d+\)")


@dataclass(frozen=True)
class AnswersFile:
    """The answers, the [precision] table's significant_digits (None: not set) and the [meta] table."""

    answers: tuple[Answer, ...]
    where: str
    significant_digits: Optional[int] = None
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def variant(self) -> Optional[int]:
        value = self.meta.get("variant")
        return value if isinstance(value, int) and not isinstance(value, bool) else None


def read_source(source: str | Path, limits: Limits) -> tuple[str, str, bool]:
    """(text, where, is JSON) of a path or a shipped answers file's name; errors name the file."""
    from .input_text import read_text

    path = Path(source)
    if path.is_file():
        try:
            return read_text(path, str(path), limits), str(path), path.suffix.lower() == ".json"
        except SpecError as error:
            raise AnswersError([_strip(str(path), error.message)]) from None
    if str(source) in builtin_answer_names():
        text = (resources.files("nnsteps") / "examples" / "answers" / f"{source}.toml").read_text(encoding="utf-8")
        return text, f"built-in answers {source}", False
    shipped = ", ".join(builtin_answer_names()) or "none"
    raise SpecError("answers", f"{source}: no such file and no shipped answers file (shipped: {shipped})")


def _strip(where: str, message: str) -> str:
    """`where: message`, without a second `where: ` that the reader already put in front of the message."""
    return f"{where}: {message[len(where) + 2:] if message.startswith(where + ': ') else message}"


def parse_answers_text(text: str, where: str, is_json: bool, limits: Limits) -> dict:
    """The parsed mapping; every unquoted bracketed key is reported at once, and a parse error by its line."""
    from .input_text import parse_json, parse_toml

    if not is_json:  # a name left blank is not answered: the line is dropped (kept empty, so line numbers hold)
        text = "\n".join("" if _BLANK.match(line) else line for line in text.split("\n"))
        unquoted = [(number, match.group(1).strip(), match.group(2).strip() or "-0.314")
                    for number, line in enumerate(text.splitlines(), start=1) if (match := _UNQUOTED.match(line))]
        if unquoted:
            raise AnswersError([f'{where}:{number}: {name}: {QUOTE_HINT}, e.g. "{name}" = {value[:40]}'
                                for number, name, value in unquoted], len(unquoted))
    try:
        return (parse_json if is_json else parse_toml)(text, where, "answers", limits)
    except SpecError as error:
        message = _strip(where, error.message)
        found = _TOML_LINE.search(message)
        if found:  # `file:line: invalid TOML: ...` as compilers write it
            message = f"{where}:{found.group(1)}: " + _TOML_LINE.sub("", message[len(where) + 2:]).rstrip()
        raise AnswersError([message]) from None


def read_answers_file(source: str | Path, spec: NetworkSpec, limits: Limits | None = None) -> AnswersFile:
    """Read, parse and check an answers file; AnswersError lists every problem with its file and line."""
    limits = spec.limits if limits is None else limits
    text, where, is_json = read_source(source, limits)
    mapping = parse_answers_text(text, where, is_json, limits)
    answers = answers_from_mapping(mapping, spec, where, limits, text)
    digits = None
    precision = mapping.get("precision", {})
    if not isinstance(precision, Mapping) or set(precision) - {"significant_digits"}:
        raise AnswersError([f"{where}: precision: write [precision] with significant_digits = 3 (and nothing else)"])
    if "significant_digits" in precision:
        try:
            digits = significant_digits_setting(precision["significant_digits"], "precision.significant_digits")
        except SpecError as error:
            raise AnswersError([f"{where}: {error}"]) from None
    meta = mapping.get("meta", {})
    return AnswersFile(answers, where, digits, meta if isinstance(meta, Mapping) else {})


def load_answers(source: str | Path, spec: NetworkSpec, limits: Limits | None = None) -> tuple[Answer, ...]:
    """Answers from a TOML/JSON path or a shipped name, checked against the network, within `limits` (the spec's)."""
    return read_answers_file(source, spec, limits).answers
