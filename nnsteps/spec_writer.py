"""NetworkSpec -> mapping -> TOML text: the inverse of spec loading, decimals written exactly."""

from __future__ import annotations

import json
from decimal import Decimal, localcontext
from fractions import Fraction

from .derive.netspec import NetworkSpec

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
    parameters = {}
    for l in range(1, spec.depth + 1):
        parameters[f"W{l}"] = [[_number(v) for v in row] for row in spec.weights[l - 1]]
        parameters[f"b{l}"] = [_number(v) for v in spec.biases[l - 1]]
    mapping["parameters"] = parameters
    mapping["data"] = {"X": [[_number(v) for v in row] for row in spec.X],
                       "Y": [[_number(v) for v in row] for row in spec.Y]}
    return mapping


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def to_toml(mapping: dict, header: str = "") -> str:
    """TOML text of a spec mapping: plain fields first, then one [table] per nested mapping."""
    lines = [f"# {line}" for line in header.splitlines()]
    tables = {k: v for k, v in mapping.items() if isinstance(v, dict)}
    for key, value in mapping.items():
        if key not in tables:
            lines.append(f"{key} = {_toml_value(value)}")
    for name, table in tables.items():
        lines.append("")
        lines.append(f"[{name}]")
        lines.extend(f"{key} = {_toml_value(value)}" for key, value in table.items())
    return "\n".join(lines) + "\n"
