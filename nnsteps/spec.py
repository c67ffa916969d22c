"""Spec loading: TOML, JSON or a Python mapping -> validated NetworkSpec; built-in examples."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from .derive.early_stopping import EarlyStopping
from .derive.errors import SpecError
from .derive.exercise_spec import ExerciseSpec
from .derive.limits import DEFAULT_LIMITS, Limits, exceeds
from .derive.netspec import InitScheme, NetworkSpec, OptimizerSpec, validate_layers, validate_size
from .regularizer_tables import batchnorm_table, dropout_table
from .exercise_table import exercise_from_mapping
from .fields import check_keys, check_whole, matrix, number, short, typed, vector
from .input_text import parse_toml, read_mapping as _read_mapping

TOP_LEVEL = {
    "title", "name", "layers", "activations", "output", "loss", "half", "reduction", "learning_rate",
    "steps", "batch_size", "update_biases", "numbers", "alpha", "parameters", "init", "data", "custom", "exercise",
    "optimizer", "max_grad_norm", "regularization", "early_stopping",
    "dropout", "batchnorm",
}
INIT_FIELDS = {"scheme", "scale", "seed", "decimals"}
INIT_SCHEMES = ("normal", "xavier", "he")


def builtin_names() -> list[str]:
    """Names of the shipped example specs."""
    folder = resources.files("nnsteps") / "examples"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def builtin_text(name: str) -> str:
    return (resources.files("nnsteps") / "examples" / f"{name}.toml").read_text(encoding="utf-8")


def load_spec(source: str | Path | None = None, limits: Limits = DEFAULT_LIMITS) -> NetworkSpec:
    """A spec from a file path or a built-in name (None: the tutorial example), refused beyond `limits`."""
    source = "tutorial" if source is None else source
    path = Path(source)
    if path.is_file():
        return spec_from_mapping(read_mapping(path, limits), default_name=path.stem, limits=limits)
    if isinstance(source, str) and source in builtin_names():
        return spec_from_mapping(_parse_toml(builtin_text(source), f"built-in {source}"), default_name=source,
                                 limits=limits)
    from .derive.activations import suggest

    hint = suggest(str(source), builtin_names()) if "/" not in str(source) and "." not in str(source) else ""
    raise SpecError("spec", f"{source}: no such file and no built-in example{hint or '; see nnsteps examples'}")


def read_mapping(path: Path, limits: Limits = DEFAULT_LIMITS) -> dict:
    """Parse a TOML or JSON spec file, keeping decimals exactly as written."""
    return _read_mapping(path, "spec", limits)


def _parse_toml(text: str, where: str, limits: Limits = DEFAULT_LIMITS) -> dict:
    return parse_toml(text, where, "spec", limits)


def spec_from_mapping(mapping: Mapping, default_name: str = "network", limits: Limits = DEFAULT_LIMITS) -> NetworkSpec:
    """Build and validate a NetworkSpec from parsed TOML/JSON or a Python dict, within `limits`."""
    if not isinstance(mapping, Mapping):
        raise SpecError("spec", "the top level must be a table of fields")
    check_keys(mapping, TOP_LEVEL, "")
    for required in ("layers", "activations", "loss", "data"):
        if required not in mapping:
            raise SpecError(required, "missing; every spec needs layers, activations, loss and [data]")
    layers = mapping["layers"]
    if not isinstance(layers, (list, tuple)):
        raise SpecError("layers", f"expected a list of layer sizes, got {short(layers)}")
    for index, size in enumerate(layers):
        if isinstance(size, int):
            check_whole(size, f"layers[{index}]", limits)
    validate_layers(layers)  # before the fields whose shapes depend on it
    validate_size(layers, limits)  # the parameter budget, before any weight is read or drawn
    activations = _activations(mapping, len(layers) - 1)
    data = mapping["data"]
    if not isinstance(data, Mapping):
        raise SpecError("data", "must be a table with X and Y")
    check_keys(data, {"X", "Y", "X_val", "Y_val"}, "data")
    for key in ("X", "Y"):
        if key not in data:
            raise SpecError(f"data.{key}", "missing; give one row per sample")
    X, Y = matrix(data["X"], "data.X", limits), matrix(data["Y"], "data.Y", limits)
    validation = {key: matrix(data[key], f"data.{key}", limits) for key in ("X_val", "Y_val") if key in data}
    custom = mapping.get("custom", {})
    if not isinstance(custom, Mapping):
        raise SpecError("custom", "must be a table with expression = \"...\"")
    check_keys(custom, {"expression"}, "custom")
    batchnorm = batchnorm_table(mapping, limits)
    weights, biases, init = _parameters(mapping, layers, limits, batchnorm)
    return NetworkSpec(
        layers=tuple(layers), activations=activations, loss=typed(mapping, "loss", str, ""),
        weights=weights, biases=biases, X=X, Y=Y,
        title=typed(mapping, "title", str, ""), name=typed(mapping, "name", str, default_name),
        half=typed(mapping, "half", bool, True), reduction=typed(mapping, "reduction", str, "mean"),
        learning_rate=number(mapping.get("learning_rate", Decimal("0.001")), "learning_rate", limits),
        steps=typed(mapping, "steps", int, 1, limits), batch_size=typed(mapping, "batch_size", int, 0, limits),
        update_biases=typed(mapping, "update_biases", bool, True), numbers=typed(mapping, "numbers", str, "float"),
        alpha=number(mapping.get("alpha", Decimal("0.01")), "alpha", limits),
        custom_expression=custom.get("expression"), init=init, exercise=_exercise(mapping), limits=limits,
        **_training(mapping, limits),
        dropout=dropout_table(mapping, layers, len(X), limits), batchnorm=batchnorm, **validation,
    )


def _training(mapping: Mapping, limits: Limits) -> dict:
    """[optimizer], max_grad_norm and [regularization] l2; absent, the spec trains by plain gradient descent."""
    result = {}
    if "optimizer" in mapping:
        table = mapping["optimizer"]
        if not isinstance(table, Mapping):
            raise SpecError("optimizer", "must be a table: name = \"adam\" and torch's hyper-parameters")
        name = table.get("name", "sgd")
        if not isinstance(name, str):
            raise SpecError("optimizer.name", f"{short(name)} must be the name of an update rule, e.g. \"adam\"")
        settings = tuple((key, _setting(value, f"optimizer.{key}", limits))
                         for key, value in table.items() if key != "name")
        result["optimizer"] = OptimizerSpec(name, settings)
    if "max_grad_norm" in mapping:
        result["max_grad_norm"] = number(mapping["max_grad_norm"], "max_grad_norm", limits)
    if "early_stopping" in mapping:
        result["early_stopping"] = _early_stopping(mapping["early_stopping"], limits)
    if "regularization" in mapping:
        table = mapping["regularization"]
        if not isinstance(table, Mapping):
            raise SpecError("regularization", "must be a table: l2 = 0.01")
        check_keys(table, {"l2"}, "regularization")
        if "l2" in table:
            result["l2"] = number(table["l2"], "regularization.l2", limits)
    return result


def _early_stopping(table: Any, limits: Limits) -> EarlyStopping:
    """early_stopping = { patience = N, min_delta = d }: min_delta 0 unless given; derive/early_stopping.py checks them."""
    if not isinstance(table, Mapping):
        raise SpecError("early_stopping", "must be a table: { patience = 3, min_delta = 0.001 }")
    check_keys(table, {"patience", "min_delta"}, "early_stopping")
    if "patience" not in table:
        raise SpecError("early_stopping.patience", "missing; the number of steps without improvement before stopping")
    patience = table["patience"]
    if isinstance(patience, bool) or not isinstance(patience, int):
        raise SpecError("early_stopping.patience", f"{short(patience)} must be a whole number of at least 1")
    check_whole(patience, "early_stopping.patience", limits)
    return EarlyStopping(patience, number(table.get("min_delta", 0), "early_stopping.min_delta", limits))


def _setting(value: Any, where: str, limits: Limits):
    """A hyper-parameter as written: true/false, a list of numbers (betas) or a number; its rule checks the rest."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (list, tuple)):
        return vector(value, where, limits)
    return number(value, where, limits)


def _exercise(mapping: Mapping) -> ExerciseSpec | None:
    """The [exercise] table as a frozen ExerciseSpec, or None."""
    if "exercise" not in mapping:
        return None
    return exercise_from_mapping(mapping["exercise"])


def _activations(mapping: Mapping, depth: int) -> tuple[str, ...]:
    value = mapping["activations"]
    if isinstance(value, str):  # one name for every hidden layer, plus `output`
        output = typed(mapping, "output", str, value)
        return tuple([value] * max(depth - 1, 0) + [output])
    if "output" in mapping:
        raise SpecError("output", "only goes with a single activation name; with a list, name every layer")
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise SpecError("activations", f"expected a list of names, one per layer 1..L, got {value!r}")
    return tuple(value)


def _parameters(mapping: Mapping, layers, limits: Limits = DEFAULT_LIMITS, batchnorm=None) -> tuple:
    depth = len(layers) - 1
    given = mapping.get("parameters", {})
    if not isinstance(given, Mapping):
        raise SpecError("parameters", "must be a table of W1, b1, ...")
    allowed = {f"{kind}{l}" for l in range(1, depth + 1) for kind in "Wb"}
    allowed |= {f"{kind}{l}" for l in (batchnorm.layers if batchnorm else ()) for kind in ("gamma", "beta")}
    check_keys(given, allowed, "parameters")
    init = None
    if "init" in mapping:
        init = _init(mapping["init"], limits)
    missing = [f"W{l}" for l in range(1, depth + 1) if f"W{l}" not in given]
    if missing and init is None:
        raise SpecError(f"parameters.{missing[0]}", "missing; give every W{l} (and b{l}) or an [init] table to draw them")
    drawn = _draw(init, layers) if init is not None else {}
    weights = tuple(matrix(given[f"W{l}"], f"parameters.W{l}", limits) if f"W{l}" in given else drawn[f"W{l}"]
                    for l in range(1, depth + 1))
    biases = tuple(vector(given[f"b{l}"], f"parameters.b{l}", limits) if f"b{l}" in given else (Fraction(0),) * layers[l]
                   for l in range(1, depth + 1))
    return weights, biases, init


def _init(table: Any, limits: Limits = DEFAULT_LIMITS) -> InitScheme:
    if not isinstance(table, Mapping):
        raise SpecError("init", "must be a table: scheme, scale, seed, decimals")
    check_keys(table, INIT_FIELDS, "init")
    scheme = table.get("scheme", "normal")
    if scheme not in INIT_SCHEMES:
        raise SpecError("init.scheme", f"{scheme!r} must be one of {', '.join(INIT_SCHEMES)}")
    scale = number(table["scale"], "init.scale", limits) if "scale" in table else None
    if scale is not None and (scale < 0 or exceeds(scale, limits.setting_magnitude)):
        # a standard deviation: NumPy refuses a negative one, and draws beyond float64 from a huge one
        raise SpecError("init.scale", f"must be a standard deviation from 0 to {limits.setting_magnitude:g}")
    decimals = table.get("decimals")
    if decimals is not None and (isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 12):
        raise SpecError("init.decimals", f"{short(decimals)} must be a whole number from 0 to 12")
    seed = table.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise SpecError("init.seed", f"{short(seed)} must be a whole number of at least 0")
    check_whole(seed, "init.seed", limits)
    return InitScheme(scheme, scale, seed, decimals)


def _draw(init: InitScheme, layers) -> dict:
    """Weights from a seeded normal distribution: N(0, scale^2), Xavier N(0, 2/(n_in+n_out)), He N(0, 2/n_in)."""
    import numpy as np

    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in layers):
        return {}  # layers are reported by validation
    rng = np.random.default_rng(init.seed)
    drawn = {}
    for l in range(1, len(layers)):
        n_in, n_out = layers[l - 1], layers[l]
        std = {"normal": float(init.scale or Fraction(1, 10)), "xavier": (2.0 / (n_in + n_out)) ** 0.5,
               "he": (2.0 / n_in) ** 0.5}[init.scheme]
        values = rng.normal(0.0, std, size=(n_in, n_out))
        if init.decimals is not None:
            values = np.round(values, init.decimals) + 0.0  # + 0.0 turns -0.0 into 0.0
        drawn[f"W{l}"] = tuple(tuple(Fraction(Decimal(repr(float(v)))) for v in row) for row in values)
    return drawn
