"""Hypothesis over specs: valid ones round-trip through JSON and TOML; invalid ones only ever raise our errors."""

import json
from decimal import Decimal

import tomllib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnsteps.derive.derivation import derive
from nnsteps.derive.errors import NnstepsError
from nnsteps.spec import spec_from_mapping
from nnsteps.spec_writer import spec_to_mapping, to_toml

from test_oracle import networks

VALID = {
    "title": "p", "layers": [2, 2, 1], "activations": ["tanh", "sigmoid"], "loss": "binary_cross_entropy",
    "learning_rate": 0.5, "steps": 2,
    "parameters": {"W1": [[0.1, 0.2], [0.3, -0.4]], "b1": [0, 0.1], "W2": [[0.5], [0.6]], "b2": [0]},
    "data": {"X": [[1, 2], [0.5, -1]], "Y": [[1], [0]]},
}


def _to_json_text(mapping) -> str:
    return json.dumps(mapping, default=lambda v: float(v) if isinstance(v, Decimal) else str(v))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_load_derive_json_load_round_trips(spec):
    mapping = spec_to_mapping(spec)
    # through JSON text and through TOML text, decimals as written
    via_json = spec_from_mapping(json.loads(_to_json_text(mapping), parse_float=Decimal), default_name=spec.name)
    via_toml = spec_from_mapping(tomllib.loads(to_toml(mapping), parse_float=Decimal), default_name=spec.name)
    assert via_json == spec and via_toml == spec
    first, second = derive(spec, check=False).to_json(), derive(via_toml, check=False).to_json()
    assert json.dumps(first) == json.dumps(second)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=6),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=12,
)
KEYS = ["layers", "activations", "loss", "half", "reduction", "learning_rate", "steps", "batch_size", "numbers",
        "alpha", "parameters", "data", "init", "custom", "output", "update_biases", "title", "nonsense"]


@st.composite
def broken_specs(draw):
    spec = json.loads(json.dumps(VALID))
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from(KEYS))
        where = spec
        if key in ("parameters", "data") and isinstance(spec.get(key), dict) and draw(st.booleans()):
            where = spec[key]
            key = draw(st.sampled_from(sorted(where) + ["W3", "Z"]))
        if draw(st.integers(0, 4)) == 0:
            where.pop(key, None)
        else:
            where[key] = draw(JSON_VALUES)
    return spec


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(broken_specs())
def test_invalid_specs_only_raise_our_errors(mapping):
    try:
        spec = spec_from_mapping(mapping)
        derive(spec, check=False)
    except NnstepsError as error:
        assert str(error) and "\n" not in str(error)
