"""Reading spec and answers files within budgets: size, bracket nesting and digit runs checked on the raw text.

TOML and JSON parsers recurse once per nested array and convert digit runs to int without bound, so both
are checked here before the parser runs; the parsed mapping is then walked once more (iteratively) for
nesting that takes no brackets (TOML dotted keys). Decimals are kept exactly (parse_float=Decimal) and a
JSON object with a repeated key is refused, as TOML refuses it.
"""

from __future__ import annotations

import json
import re
import tomllib
from decimal import Decimal
from pathlib import Path

from .derive.errors import SpecError
from .derive.limits import DEFAULT_LIMITS, Limits, exceeds, hint

# what the scan must see past: strings (their brackets and digits are text), comments, then brackets and
# the start of a digit run; everything else is skipped by the regex engine itself
_TOKENS = re.compile(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:\\.|[^"\\\n])*"|\'[^\'\n]*\'|#[^\n]*|[\[\]{}]|[0-9_]{%d,}')


def read_text(path: Path, field: str, limits: Limits = DEFAULT_LIMITS) -> str:
    """The file's text, refused (as `field`) when unreadable or over the size budget."""
    try:
        size = path.stat().st_size
        if exceeds(size, limits.file_bytes):
            raise SpecError(field, f"{path}: {size:,} bytes, more than {limits.file_bytes:,}{hint(limits)}")
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SpecError(field, f"{path}: cannot read ({error.__class__.__name__}: {error})") from None


def check_text(text: str, where: str, field: str, limits: Limits = DEFAULT_LIMITS) -> None:
    """Bracket nesting and digit runs of the raw text, outside strings and comments."""
    longest = max(limits.integer_digits, limits.decimal_digits)
    depth = 0
    for match in re.finditer(_TOKENS.pattern % (longest + 1), text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > limits.nesting:
                line = text.count("\n", 0, match.start()) + 1
                raise SpecError(field, f"{where}: line {line}: brackets nest deeper than {limits.nesting} levels"
                                       f"{hint(limits)}")
        elif token in "]}":
            depth -= 1
        elif token[0] in "0123456789_":
            line = text.count("\n", 0, match.start()) + 1
            raise SpecError(field, f"{where}: line {line}: a number with more than {longest} digits"
                                   f"{hint(limits)}")


def check_nesting(mapping, where: str, field: str, limits: Limits = DEFAULT_LIMITS) -> None:
    """The parsed tables and arrays nest at most `limits.nesting` deep (walked without recursion)."""
    stack = [(mapping, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limits.nesting:
            raise SpecError(field, f"{where}: tables and arrays nest deeper than {limits.nesting} levels"
                                   f"{hint(limits)}")
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))


def parse_toml(text: str, where: str, field: str = "spec", limits: Limits = DEFAULT_LIMITS) -> dict:
    check_text(text, where, field, limits)
    try:
        mapping = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as error:
        raise SpecError(field, f"{where}: invalid TOML: {error}{_bracket_hint(error, text, field)}") from None
    except (ValueError, RecursionError, MemoryError) as error:  # int conversion beyond Python's limit
        raise SpecError(field, f"{where}: cannot be read ({error.__class__.__name__}: {error})") from None
    check_nesting(mapping, where, field, limits)
    return mapping


def parse_json(text: str, where: str, field: str = "spec", limits: Limits = DEFAULT_LIMITS) -> dict:
    check_text(text, where, field, limits)

    def unique(pairs):
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise SpecError(field, f"{where}: the key {key!r} appears twice in one object; keep one")
            seen.add(key)
        return dict(pairs)

    try:
        mapping = json.loads(text, parse_float=Decimal, object_pairs_hook=unique)
    except json.JSONDecodeError as error:
        raise SpecError(field, f"{where}: invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}") from None
    except (ValueError, RecursionError, MemoryError) as error:
        raise SpecError(field, f"{where}: cannot be read ({error.__class__.__name__}: {error})") from None
    check_nesting(mapping, where, field, limits)
    return mapping


def _bracket_hint(error: Exception, text: str, field: str) -> str:
    """Answers files name quantities with brackets (z1[1]); TOML needs such keys quoted."""
    found = re.search(r"at line (\d+)", str(error))
    lines = text.splitlines()
    line = lines[int(found.group(1)) - 1] if found and 0 < int(found.group(1)) <= len(lines) else ""
    if field == "answers" and re.match(r"\s*[A-Za-z_][\w@]*\s*\[", line):
        return '; names with brackets must be quoted, e.g. "z1[1]" = -0.314'
    return ""


def read_mapping(path: Path, field: str = "spec", limits: Limits = DEFAULT_LIMITS) -> dict:
    """Parse a TOML or JSON file (by its suffix) within `limits`, errors reported as `field`."""
    text = read_text(path, field, limits)
    parse = parse_json if path.suffix.lower() == ".json" else parse_toml
    return parse(text, str(path), field, limits)
