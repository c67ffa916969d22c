"""The public entry point: a Network built from a file, a built-in name or Python values."""

from __future__ import annotations

from pathlib import Path

from .derive.derivation import Derivation, derive
from .derive.limits import DEFAULT_LIMITS, Limits
from .derive.netspec import NetworkSpec
from .spec import load_spec, spec_from_mapping
from . import notebook  # noqa: F401,E402 (attaches the Jupyter displays; derive/ never imports the renderer)


class Network:
    """A network spec ready to derive: `Network(layers=[...], ...)` or `Network.from_file(path)`.

    `limits` (nnsteps.derive.limits) are the budgets the spec is checked against; NO_LIMITS for a trusted spec.
    """

    def __init__(self, spec: NetworkSpec | None = None, *, limits: Limits = DEFAULT_LIMITS, **fields):
        if spec is not None and fields:
            raise TypeError("give either a NetworkSpec or keyword fields, not both")
        self.spec = spec if spec is not None else spec_from_mapping(
            fields, default_name=fields.get("name", "network"), limits=limits)

    @classmethod
    def from_file(cls, source: str | Path, limits: Limits = DEFAULT_LIMITS) -> "Network":
        """From a TOML/JSON path or a built-in example name ("tutorial", "xor-softmax", ...)."""
        return cls(load_spec(source, limits))

    def derive(self, check: bool = True) -> Derivation:
        """Every equation, delta, gradient, path and number, cross-checked unless check=False."""
        return derive(self.spec, check=check)

    def __repr__(self) -> str:
        return f"Network({self.spec.name!r}, layers={list(self.spec.layers)}, activations={list(self.spec.activations)}, loss={self.spec.loss!r})"
