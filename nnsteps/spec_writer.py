"""NetworkSpec -> mapping -> TOML text: the inverse of spec loading, decimals written exactly."""

from __future__ import annotations

import re
from decimal import Decimal, localcontext
from fractions import Fraction

from .derive.netspec import NetworkSpec
from .derive.usertext import spaced

# What a TOML basic string must escape: quote, backslash and every control character (tab included, to be safe).
# A lone surrogate (possible in a JSON spec) has no UTF-8 form and no TOML escape: it is written as U+FFFD.
_TOML_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
_TOML_SPECIAL = re.compile(r'["\\\x00-\x1f\x7f\ud800-\udfff]')


def _toml_escape(match: re.Match) -> str:
    char = match.group()
    if char in _TOML_ESCAPES:
        return _TOML_ESCAPES[char]
    return "\ufffd" if "\ud800" <= char <= "\udfff" else f"\\u{ord(char):04x}"  # e.g. DEL -> \u007f


def toml_string(text: str) -> str:
    """A TOML basic string that tomllib reads back as exactly `text` (every control character escaped)."""
    return '"' + _TOML_SPECIAL.sub(_toml_escape, str(text)) + '"'


def toml_comment(text: str) -> list[str]:
    """`# ...` lines of a comment: one per line of `text`, control characters (DEL, NEL, U+2028...) as spaces."""
    # a comment ends at a line break, and TOML forbids control characters other than tab in one
    return [f"# {spaced(line)}" for line in str(text).splitlines()]


def decimal_text(value: Fraction) -> str:
    """The shortest exact decimal of a fraction whose denominator has only factors 2 and 5; else float repr."""
    value = Fraction(value)
    q = value.denominator
    for prime in (2, 5):
        while q % prime == 0:
            q //= prime
    if q != 1:
        return repr(float(value))
    with localcontext() as context:
        context.prec = 1000
        text = format(Decimal(value.numerator) / Decimal(value.denominator), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _number(value: Fraction):
    text = decimal_text(value)
    return Decimal(text) if "." in text or "e" in text else int(text)


def spec_to_mapping(spec: NetworkSpec) -> dict:
    """The fields of a spec as TOML/JSON-ready values (Decimal for non-integers); loading it gives the spec back."""
    mapping = {"title": spec.title, "name": spec.name, "layers": list(spec.layers),
               "activations": list(spec.activations), "loss": spec.loss}
    for key in ("half", "reduction", "learning_rate", "steps", "batch_size", "update_biases", "numbers", "alpha"):
        value = getattr(spec, key)
        mapping[key] = _number(value) if isinstance(value, Fraction) else value
    if spec.custom_expression is not None:
        mapping["custom"] = {"expression": spec.custom_expression}
    if spec.max_grad_norm is not None:
        mapping["max_grad_norm"] = _number(spec.max_grad_norm)
    if spec.optimizer.name != "sgd" or spec.optimizer.settings:  # the [optimizer] table as given
        mapping["optimizer"] = {"name": spec.optimizer.name, **{
            key: [_number(v) for v in value] if isinstance(value, tuple) else
            value if isinstance(value, bool) else _number(value) for key, value in spec.optimizer.settings}}
    if spec.l2:
        mapping["regularization"] = {"l2": _number(spec.l2)}
    parameters = {}
    for l in range(1, spec.depth + 1):
        parameters[f"W{l}"] = [[_number(v) for v in row] for row in spec.weights[l - 1]]
        parameters[f"b{l}"] = [_number(v) for v in spec.biases[l - 1]]
    parameters.update(_batchnorm_parameters(spec))
    mapping["parameters"] = parameters
    mapping.update(_regularizer_tables(spec))
    mapping["data"] = {"X": [[_number(v) for v in row] for row in spec.X],
                       "Y": [[_number(v) for v in row] for row in spec.Y]}
    return mapping


def _matrix(rows) -> list:
    return [[_number(v) for v in row] for row in rows]


def _batchnorm_parameters(spec: NetworkSpec) -> dict:
    """gamma{l} and beta{l} as given (the defaults, ones and zeros, are left out as in the spec)."""
    bn, result = spec.batchnorm, {}
    for kind, table in (() if bn is None else (("gamma", bn.gamma), ("beta", bn.beta))):
        result.update({f"{kind}{l}": [_number(v) for v in values] for l, values in table})
    return result


def _regularizer_tables(spec: NetworkSpec) -> dict:
    """[dropout] with its given masks (the worked pass's as x{l}, steps' as x{l}@t{t}; drawn ones come from the seed
    again) and [batchnorm]."""
    tables = {}
    if spec.dropout is not None:
        dropout = spec.dropout
        masks = {f"x{l}": _matrix(mask) for l, mask in dropout.masks if l not in dropout.drawn}  # drawn: from seed
        masks.update({f"x{l}@t{t}": _matrix(mask) for (l, t), mask in dropout.given_steps})
        tables["dropout"] = {"p": [_number(v) for v in dropout.p], "masks": masks, "seed": dropout.seed}
    if spec.batchnorm is not None:
        bn = spec.batchnorm
        tables["batchnorm"] = {"layers": list(bn.layers), "eps": _number(bn.eps), "momentum": _number(bn.momentum)}
    return tables


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else toml_string(key)


def _toml_value(value) -> str:
    if isinstance(value, dict):  # an inline table: masks = { x1 = [...], "x1@t2" = [...] }
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def to_toml(mapping: dict, header: str = "") -> str:
    """TOML text of a spec mapping: plain fields first, then one [table] per nested mapping."""
    lines = toml_comment(header)
    tables = {k: v for k, v in mapping.items() if isinstance(v, dict)}
    for key, value in mapping.items():
        if key not in tables:
            lines.append(f"{key} = {_toml_value(value)}")
    for name, table in tables.items():
        lines.append("")
        lines.append(f"[{name}]")
        lines.extend(f"{key} = {_toml_value(value)}" for key, value in table.items())
    return "\n".join(lines) + "\n"
