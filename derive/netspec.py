"""The network specification: what the user asked for, validated, nothing computed."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from fractions import Fraction
from typing import Optional

from .early_stopping import EarlyStopping, validate_early_stopping
from .errors import SpecError, UnsupportedError
from .exercise_spec import ExerciseSpec
from .limits import DEFAULT_LIMITS, Limits, exceeds, hint
from .regularizers import BatchNormSpec, DropoutSpec, validate_batchnorm, validate_dropout

Vector = tuple[Fraction, ...]
Matrix = tuple[Vector, ...]

LOSSES = ("squared_error", "cross_entropy", "binary_cross_entropy")
REDUCTIONS = ("mean", "sum")
NUMBER_MODES = ("float", "exact")


@dataclass(frozen=True)
class InitScheme:
    """How parameters were drawn when the spec gave none (kept for the document)."""

    scheme: str = "normal"  # "normal" | "xavier" | "he"
    scale: Optional[Fraction] = None  # std of "normal"; ignored by xavier/he
    seed: int = 0
    decimals: Optional[int] = None  # round drawn values for hand calculation


@dataclass(frozen=True)
class OptimizerSpec:
    """The [optimizer] table: a rule of derive/optim/ and the hyper-parameters given (torch's names; the rest default)."""

    name: str = "sgd"
    settings: tuple = ()  # ((torch's name, Fraction | bool | tuple of Fractions), ...) as written


@dataclass(frozen=True)
class NetworkSpec:
    """A small feedforward network, its loss, its data and its training settings.

    Numbers are kept as exact fractions of the decimals as written, so that
    `numbers = "exact"` can work in rationals and float mode in float64.
    `weights[l-1]` is W^(l) with n^(l-1) rows and n^(l) columns.
    """

    layers: tuple[int, ...]
    activations: tuple[str, ...]
    loss: str
    weights: tuple[Matrix, ...]
    biases: tuple[Vector, ...]
    X: Matrix
    Y: Matrix
    title: str = ""
    name: str = "network"
    half: bool = True
    reduction: str = "mean"
    learning_rate: Fraction = Fraction(1, 1000)
    steps: int = 1
    batch_size: int = 0
    update_biases: bool = True
    numbers: str = "float"
    alpha: Fraction = Fraction(1, 100)
    custom_expression: Optional[str] = None
    optimizer: OptimizerSpec = OptimizerSpec()  # no [optimizer] table: plain gradient descent, as always
    max_grad_norm: Optional[Fraction] = None  # clip the mini-batch gradient to this global 2-norm before the step
    l2: Fraction = Fraction(0)  # lambda of J_total = J + (lambda/2) sum_l ||W^(l)||^2 (weights only)
    init: Optional[InitScheme] = field(default=None, compare=False)
    exercise: Optional[ExerciseSpec] = field(default=None, compare=False)  # the [exercise] table, if the spec has one
    dropout: Optional[DropoutSpec] = None  # the [dropout] table (derive/regularizers.py)
    batchnorm: Optional[BatchNormSpec] = None  # the [batchnorm] table, with gamma{l}/beta{l}
    X_val: Matrix = ()  # [data] X_val, Y_val: validation samples, never trained on (their cost is watched)
    Y_val: Matrix = ()
    early_stopping: Optional[EarlyStopping] = None  # stop when the validation cost stops improving
    # the budgets this spec was loaded under; everything derived from it reads them here
    limits: Limits = field(default=DEFAULT_LIMITS, compare=False, repr=False)

    def __post_init__(self):
        validate(self)

    @property
    def depth(self) -> int:
        """L, the index of the output layer."""
        return len(self.layers) - 1

    @property
    def n_samples(self) -> int:
        return len(self.X)

    @property
    def n_parameters(self) -> int:
        return n_parameters(self.layers)


def n_parameters(layers) -> int:
    """Weights and biases of a network with these layer sizes: sum of n^(l-1) n^(l) + n^(l)."""
    return sum(a * b + b for a, b in zip(layers, layers[1:]))


def validate_size(layers, limits: Limits) -> None:
    """The parameter budget, checked from the layer sizes alone (before any weight is read or drawn)."""
    count = n_parameters(layers)
    if exceeds(count, limits.parameters):
        raise SpecError("layers", f"{list(layers)} has {count:,} parameters, more than {limits.parameters:,}"
                                  f"{hint(limits)}")


def validate_work(spec: "NetworkSpec") -> None:
    """The budget of gradient descent on the spec's `steps`: steps, and steps x parameters x samples."""
    limits, steps = spec.limits, spec.steps
    if exceeds(steps, limits.steps):
        raise SpecError("steps", f"{steps:,} is more than {limits.steps:,} (every step is kept for the document)"
                                 f"{hint(limits)}")
    kept = steps * spec.n_parameters
    if exceeds(kept, limits.trajectory):
        raise SpecError("steps", f"{steps:,} steps x {spec.n_parameters:,} parameters is {kept:,} numbers kept for the "
                                 f"document, more than {limits.trajectory:,}{hint(limits)}")
    # the validation cost after every step reads every validation sample too
    check_training_work("steps", steps, spec.n_parameters, spec.n_samples + len(spec.X_val), limits)


def check_training_work(field: str, steps: int, parameters: int, samples: int, limits: Limits) -> None:
    work = steps * parameters * samples
    if exceeds(work, limits.training_work):
        raise SpecError(field, f"{steps:,} steps x {parameters:,} parameters x {samples:,} samples is {work:,}, "
                               f"more than {limits.training_work:,}{hint(limits)}")


def _shape(matrix) -> tuple[int, int]:
    return len(matrix), (len(matrix[0]) if matrix else 0)


def _check_finite(where: str, values) -> None:
    for index, value in enumerate(values, start=1):
        if not isinstance(value, Fraction):
            raise SpecError(where, f"entry {index} is {value!r}, not a number")
        try:
            finite = math.isfinite(float(value))
        except OverflowError:  # an exact number beyond float64 (1.8e308)
            finite = False
        if not finite:
            raise SpecError(where, f"entry {index} is not finite in float64 (beyond ±1.8e308)")


def _check_matrix(where: str, matrix, rows: int, cols: int, need: str) -> None:
    if len(matrix) != rows or any(len(row) != cols for row in matrix):
        widths = sorted({len(row) for row in matrix}) or [0]
        got = f"{len(matrix)}x{widths[0]}" if len(widths) == 1 else f"{len(matrix)} rows of widths {widths}"
        raise SpecError(where, f"shape {got}, but {need} need {rows}x{cols}")
    for i, row in enumerate(matrix, start=1):
        _check_finite(f"{where}[{i}]", row)


def validate_layers(layers) -> None:
    """At least an input and an output layer, each of a positive whole size."""
    layers = list(layers)
    if len(layers) < 2:
        raise SpecError("layers", f"{layers} has fewer than 2 entries; give the input size and at least one layer")
    for index, size in enumerate(layers):
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise SpecError(f"layers[{index}]", f"size {size!r} must be a whole number of at least 1")


def validate(spec: NetworkSpec) -> None:
    """Raise SpecError naming the first field that cannot describe a network."""
    from .activations import ACTIVATIONS, suggest  # local: the table imports SymPy lazily

    validate_layers(spec.layers)
    validate_size(spec.layers, spec.limits)
    layers = list(spec.layers)
    depth = len(layers) - 1
    if len(spec.activations) != depth:
        raise SpecError("activations", f"{len(spec.activations)} given, but layers {layers} have {depth} layers after the input")
    for l, name in enumerate(spec.activations, start=1):
        if name not in ACTIVATIONS:
            raise SpecError(f"activations[{l}]", f"unknown activation {name!r}{suggest(name, ACTIVATIONS)}")
        if ACTIVATIONS[name].vector and l != depth:
            raise UnsupportedError(f"activations[{l}]", f"{name} is supported on the output layer only")
        if ACTIVATIONS[name].vector and layers[l] < 2:
            raise SpecError(f"activations[{l}]", f"{name} on a layer of 1 neuron is always 1; use sigmoid instead")
        if name == "custom" and not spec.custom_expression:
            raise SpecError("custom.expression", "activation 'custom' needs [custom] expression = \"...\" in z")
    if spec.loss not in LOSSES:
        raise SpecError("loss", f"unknown loss {spec.loss!r}{suggest(spec.loss, LOSSES)}")
    if spec.reduction not in REDUCTIONS:
        raise SpecError("reduction", f"{spec.reduction!r} must be one of {', '.join(REDUCTIONS)}")
    if spec.numbers not in NUMBER_MODES:
        raise SpecError("numbers", f"{spec.numbers!r} must be one of {', '.join(NUMBER_MODES)}")
    if len(spec.weights) != depth or len(spec.biases) != depth:
        raise SpecError("parameters", f"need W1..W{depth} and b1..b{depth} for layers {layers}")
    for l in range(1, depth + 1):
        _check_matrix(f"parameters.W{l}", spec.weights[l - 1], layers[l - 1], layers[l], f"layers {layers}")
        if len(spec.biases[l - 1]) != layers[l]:
            raise SpecError(f"parameters.b{l}", f"{len(spec.biases[l - 1])} values, but layer {l} has {layers[l]} neurons")
        _check_finite(f"parameters.b{l}", spec.biases[l - 1])
    if not spec.X:
        raise SpecError("data.X", "no samples; give at least one row")
    if len(spec.Y) != len(spec.X):
        raise SpecError("data.Y", f"{len(spec.Y)} rows, but data.X has {len(spec.X)}")
    _check_matrix("data.X", spec.X, len(spec.X), layers[0], f"{layers[0]} inputs (layers[0])")
    _check_matrix("data.Y", spec.Y, len(spec.Y), layers[-1], f"{layers[-1]} outputs (layers[-1])")
    _check_targets(spec)
    validate_early_stopping(spec)
    if spec.X_val:
        _check_matrix("data.X_val", spec.X_val, len(spec.X_val), layers[0], f"{layers[0]} inputs (layers[0])")
        _check_matrix("data.Y_val", spec.Y_val, len(spec.Y_val), layers[-1], f"{layers[-1]} outputs (layers[-1])")
        _check_targets(spec, spec.Y_val, "data.Y_val")
    if spec.learning_rate <= 0:
        raise SpecError("learning_rate", f"{float(spec.learning_rate)} must be greater than 0")
    if not isinstance(spec.steps, int) or spec.steps < 0:
        raise SpecError("steps", f"{spec.steps!r} must be a whole number of at least 0")
    if not isinstance(spec.batch_size, int) or spec.batch_size < 0:
        raise SpecError("batch_size", f"{spec.batch_size!r} must be 0 (full batch) or a positive whole number")
    validate_work(spec)
    from .optim.settings import validate_optimizer  # local: the rule rows import this module

    validate_optimizer(spec)
    validate_dropout(spec)
    validate_batchnorm(spec)
    if exceeds(abs(spec.alpha), spec.limits.setting_magnitude):
        raise SpecError("alpha", f"must lie within ±{spec.limits.setting_magnitude:g}; "
                                 "the leaky ReLU slope is usually 0.01")
    if "custom" in spec.activations:  # parsed (and its budgets checked) now, before anything is derived
        from .expression import parse_activation

        parse_activation(spec.custom_expression, limits=spec.limits)
    if spec.numbers == "exact":
        for l, name in enumerate(spec.activations, start=1):
            if not ACTIVATIONS[name].exact:
                raise UnsupportedError(f"activations[{l}]", f"{name} has irrational values, so numbers = \"exact\" cannot be kept; use numbers = \"float\"")
        if spec.loss != "squared_error":
            raise UnsupportedError("loss", f"{spec.loss} takes logarithms, so numbers = \"exact\" cannot be kept; use numbers = \"float\"")


def _check_targets(spec: NetworkSpec, targets=None, where: str = "data.Y") -> None:
    if spec.loss == "squared_error":
        return
    for s, row in enumerate(spec.Y if targets is None else targets, start=1):
        if any(v < 0 or v > 1 for v in row):
            raise SpecError(f"{where}[{s}]", f"{spec.loss} targets must lie in [0, 1], got {[float(v) for v in row]}")
        if spec.loss == "cross_entropy" and sum(row) != 1:
            raise SpecError(f"{where}[{s}]", f"cross_entropy targets must sum to 1 (a distribution), got {float(sum(row))}")


# the numbers and names of a spec; everything else is its structure
_NUMBERS = frozenset({"weights", "biases", "X", "Y", "X_val", "Y_val", "title", "name", "learning_rate", "steps"})


def structure(spec: NetworkSpec) -> tuple:
    """Every compared field of the spec but its numbers and names: specs of one structure share every formula
    (exercise variants differ only in their numbers)."""
    return tuple((f.name, getattr(spec, f.name)) for f in fields(spec) if f.compare and f.name not in _NUMBERS)
