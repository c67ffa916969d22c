"""Exercise variants: nice numbers drawn per (seed, variant), questions and answer keys (the table: exercise_table.py)."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .derive.errors import NumericalError, SpecError
from .derive.exercise_spec import DEFAULT, GROUPS, SELECTIONS, ExerciseSpec, Range  # noqa: F401 (re-exported)
from .exercise_table import FIELDS, TARGET_KINDS, exercise_from_mapping  # noqa: F401 (re-exported)

MAX_TRIES = 2000
SATURATED = 0.98  # sigmoid/softmax outputs kept inside (0.02, 0.98), tanh inside (-0.98, 0.98)


# -- questions -------------------------------------------------------------
def all_quantities(spec) -> list:
    """Every quantity of the network, for every sample."""
    from .derive.names import parse_quantity

    L, sizes, names = spec.depth, spec.layers, []
    for s in range(1, spec.n_samples + 1):
        for l in range(0, L + 1):
            names += [f"x{l}[{k}]@{s}" for k in range(1, sizes[l] + 1)]
            if l:
                names += [f"z{l}[{k}]@{s}" for k in range(1, sizes[l] + 1)] + [f"delta{l}[{k}]@{s}" for k in range(1, sizes[l] + 1)]
        names += [f"J@{s}"] + [f"{kind}[{k}]@{s}" for kind in ("yhat", "y", f"dx{L}") for k in range(1, sizes[L] + 1)]
    names.append("J")
    for l in range(1, L + 1):
        for i in range(1, sizes[l - 1] + 1):
            names += [f"{kind}{l}[{i},{j}]{tail}" for j in range(1, sizes[l] + 1) for kind, tail in (("W", ""), ("dW", ""), ("W", "@after"))]
        names += [f"{kind}{l}[{j}]{tail}" for j in range(1, sizes[l] + 1) for kind, tail in (("b", ""), ("db", ""), ("b", "@after"))]
        if spec.batchnorm is not None and l in spec.batchnorm.layers:  # batch norm's scale and shift
            names += [f"{kind}{l}[{j}]{tail}" for j in range(1, sizes[l] + 1)
                      for kind, tail in (("gamma", ""), ("dgamma", ""), ("gamma", "@after"),
                                         ("beta", ""), ("dbeta", ""), ("beta", "@after"))]
    return [parse_quantity(name, spec) for name in names + _layer_names(spec) + _step_names(spec)]


# the per-sample records of the dropout and batch-norm rows, and batch norm's statistics of the batch
ROW_KINDS = {"dropout": ("mask", "a", "da"), "batchnorm": ("zhat", "u", "du")}
BATCH_KINDS = ("mu", "var")


def _layer_names(spec) -> list[str]:
    """Masks, x before dropout and its gradient; batch mean, variance, zhat, u and dJ/du of their layers."""
    names = []
    rows = (("dropout", spec.dropout.layers() if spec.dropout else ()),
            ("batchnorm", spec.batchnorm.layers if spec.batchnorm else ()))
    for table, layers in rows:
        for l in layers:
            width = range(1, spec.layers[l] + 1)
            if table == "batchnorm":
                names += [f"{kind}{l}[{k}]" for kind in BATCH_KINDS for k in width]
            names += [f"{kind}{l}[{k}]@{s}" for s in range(1, spec.n_samples + 1) for kind in ROW_KINDS[table]
                      for k in width]
    return names


def _step_names(spec) -> list[str]:
    """With an [optimizer], clipping or L2: every step's parameters, gradients, optimizer states and clipping."""
    from .derive.optim import build_rule
    from .derive.training import beyond_gradient_descent

    if not beyond_gradient_descent(spec):
        return []
    states = build_rule(spec).shown_names()
    names = []
    for t in range(1, spec.steps + 1):
        names += [f"gnorm@t{t}", f"clip@t{t}"] if spec.max_grad_norm is not None else []
        for l in range(1, spec.depth + 1):
            entries = [("W", f"[{i},{j}]") for i in range(1, spec.layers[l - 1] + 1) for j in range(1, spec.layers[l] + 1)]
            entries += [("b", f"[{j}]") for j in range(1, spec.layers[l] + 1)] if spec.update_biases else []
            for kind, index in entries:
                names += [f"{kind}{l}{index}@t{t}", f"d{kind}{l}{index}@t{t}"]
                names += [f"{state}_{kind}{l}{index}@t{t}" for state in states]
    return names


def _group(name: str, q, spec) -> bool:
    if q.kind != "J" and q.sample not in (None, 1):
        return False
    if name == "forward":  # the masks are given on the sheet
        return q.kind in ("z", "x", "a", "mu", "var", "zhat", "u") and q.layer >= 1
    if name == "cost":
        return q.kind == "J" and (q.sample is None or spec.n_samples > 1)
    if name == "backward":
        return q.kind in ("dx", "delta", "da", "du")
    if name == "gradients":
        return q.kind in ("dW", "db", "dgamma", "dbeta")
    return q.kind in ("W", "b", "gamma", "beta") and q.after  # update


def _pattern(text: str, spec) -> re.Pattern:
    """A quantity pattern: `*` stands for a layer, an index or a sample; no `@` means sample 1."""
    from .derive.names import ask_pattern

    return ask_pattern(text)


def short_selection(spec) -> tuple[str, ...]:
    """A short sheet: one neuron per layer, the cost, one delta per layer, two gradients and one update."""
    L = spec.depth
    forward = tuple(f"x{l}[1]" for l in range(1, L + 1))
    deltas = tuple(f"delta{l}[1]" for l in range(L, 0, -1))
    gradients = (f"dW{L}[1,1]", "dW1[1,1]") if L > 1 else ("dW1[1,1]", "db1[1]")
    # batch norm: the batch statistics, zhat and the gradients of its scale and shift of neuron 1
    normalized = spec.batchnorm.layers if spec.batchnorm is not None else ()
    batch = tuple(f"{kind}{l}[1]" for l in normalized for kind in ("mu", "var", "zhat"))
    scales = tuple(f"{kind}{l}[1]" for l in normalized for kind in ("dgamma", "dbeta"))
    return forward + batch + ("J",) + deltas + gradients + scales + (f"W{L}[1,1]@after",)


def expand_ask(spec, ask) -> tuple[str, ...]:
    """The `ask` entries with "short" and "all" replaced by the patterns and groups they stand for."""
    expanded = []
    for entry in ask:
        expanded += short_selection(spec) if entry == "short" else GROUPS if entry == "all" else (entry,)
    return tuple(expanded)


def questions(spec, exercise: ExerciseSpec, ask=None) -> tuple:
    """The asked quantities in the order of the computation; SpecError names an entry of `ask` that matches nothing."""
    from .derive.grading import order_key

    quantities, chosen = all_quantities(spec), {}
    field = "exercise.ask" if ask is None else "--questions"
    for position, entry in enumerate(expand_ask(spec, exercise.ask if ask is None else ask), start=1):
        if entry in GROUPS:
            matched = [q for q in quantities if _group(entry, q, spec)]
        else:
            pattern = _pattern(entry, spec)
            matched = [q for q in quantities if pattern.match(q.name)]
        if not matched and entry not in GROUPS:
            raise SpecError(f"{field}[{position}]", f"{entry!r} names no quantity of this network; write e.g. "
                            f"\"z1[*]\", \"dW{spec.depth}[*,*]\", \"J\" or a group: {', '.join(GROUPS + SELECTIONS)}")
        chosen.update((q, None) for q in matched)
    if not chosen:
        raise SpecError(field, "asks for nothing on this network")
    return tuple(sorted(chosen, key=lambda q: order_key(q, spec.depth)))


# -- drawing -------------------------------------------------------------
def _grid(rng, bounds: Range, decimals: int, shape: tuple, nonzero: bool = False):
    """Uniform draws from the decimals in [low, high] with the given number of decimals, as Fractions."""
    import math

    scale = 10 ** decimals
    low, high = math.ceil(bounds[0] * scale), math.floor(bounds[1] * scale)
    if low > high:
        raise SpecError("exercise", f"no number with {decimals} decimals lies in [{float(bounds[0])}, {float(bounds[1])}]")
    values = rng.integers(low, high + 1, size=shape)
    while nonzero and (values == 0).any():  # a zero weight would make its paths vanish
        values[values == 0] = rng.integers(low, high + 1, size=int((values == 0).sum()))
    return tuple(tuple(Fraction(int(v), scale) for v in row) for row in values.reshape(shape[0], -1))


def _targets(rng, spec, exercise: ExerciseSpec):
    kind, n, width = exercise.targets, spec.n_samples, spec.layers[-1]
    if kind is None:
        return spec.Y
    if kind == "auto":
        kind = {"cross_entropy": "one-hot", "binary_cross_entropy": "binary"}.get(spec.loss)
        if kind is None:
            output = spec.activations[-1]
            bounds = {"sigmoid": (0, 1), "softmax": (0, 1), "tanh": (-1, 1)}.get(output, (-2, 2))
            kind = (Fraction(bounds[0]), Fraction(bounds[1]))
    if kind == "one-hot":
        hot = rng.integers(0, width, size=n)
        return tuple(tuple(Fraction(int(k == h)) for k in range(width)) for h in hot)
    if kind == "binary":
        return tuple(tuple(Fraction(int(v)) for v in row) for row in rng.integers(0, 2, size=(n, width)))
    if spec.loss == "cross_entropy":
        raise SpecError("exercise.targets", "cross_entropy needs targets that sum to 1: use \"one-hot\" or \"keep\"")
    return _grid(rng, kind, exercise.data_decimals, (n, width))


def _draw(rng, spec, exercise: ExerciseSpec):
    sizes, L = spec.layers, spec.depth
    weights = tuple(_grid(rng, exercise.weights, exercise.decimals, (sizes[l - 1], sizes[l]), nonzero=True)
                    for l in range(1, L + 1))
    biases = spec.biases if exercise.biases is None else tuple(
        _grid(rng, exercise.biases, exercise.decimals, (1, sizes[l]))[0] for l in range(1, L + 1))
    X = spec.X if exercise.inputs is None else _grid(rng, exercise.inputs, exercise.data_decimals, (spec.n_samples, sizes[0]))
    return weights, biases, X, _targets(rng, spec, exercise)


def is_nice(spec, exercise: ExerciseSpec) -> bool:
    """No receptor within the margin of 0 (ReLU's kink), every ReLU layer alive, nothing saturated, every layer learning."""
    import numpy as np

    from .derive.mistakes import Problem, recompute

    from .derive.evaluate import initial_parameters

    params = initial_parameters(spec)  # W, b, and batch norm's gamma, beta
    X, Y = np.array(spec.X, dtype=float), np.array(spec.Y, dtype=float)
    with np.errstate(all="ignore"):
        values = recompute(Problem(spec, params, X, Y))
    for l, name in enumerate(spec.activations, start=1):
        Z, A = values.records.get(("u", l), values.zs[l]), values.xs[l]  # the activation's input: u after batch norm
        if np.abs(Z).min() < float(exercise.margin):  # a kink at 0, or a receptor that silences its paths
            return False
        if name == "relu" and l < spec.depth and not (A > 0).any(axis=1).all():
            return False  # every sample keeps a path through each ReLU layer
        if name in ("sigmoid", "softmax") and ((A < 1 - SATURATED) | (A > SATURATED)).any():
            return False
        if name == "tanh" and (np.abs(A) > SATURATED).any():
            return False
        if not np.abs(values.grads[f"W{l}"]).max() > 0:
            return False
    if spec.dropout is not None and any(not any(row) for l in spec.dropout.layers() for row in spec.dropout.mask(l)):
        return False  # a sample whose mask drops every neuron of a layer passes nothing on
    numbers = [values.cost, *values.grads.values(), *values.after.values()]
    return all(np.isfinite(np.asarray(v, dtype=float)).all() for v in numbers)


def _masks(rng, spec):
    """New dropout masks for the worked pass (one row per sample, kept with probability 1 - p), given on the sheet."""
    if spec.dropout is None or not spec.dropout.layers():
        return spec.dropout
    masks = tuple((l, tuple(tuple(Fraction(int(v)) for v in row)
                            for row in rng.random((spec.n_samples, spec.layers[l])) >= float(spec.dropout.rate(l))))
                  for l in spec.dropout.layers())
    return dataclasses.replace(spec.dropout, masks=masks, drawn=())


def draw_variant(spec, exercise: ExerciseSpec, seed: int, variant: int):
    """Variant `variant` of the spec: new nice numbers (and dropout masks) from numpy default_rng([seed, variant]);
    when the exercise asks for training-step answers that can be short decimals (nnsteps/step_numbers.py), the first
    nice draw that makes them at most SHORT_DIGITS significant digits, else the shortest of STATE_TRIES nice draws."""
    import numpy as np

    from .step_numbers import SHORT_DIGITS, STATE_TRIES, longest_answer, split_steps

    rng = np.random.default_rng([seed, variant])
    base = spec.title or spec.name
    short = split_steps(spec, questions(spec, exercise))[0] if spec.steps else ()
    best, searched = None, 0
    for _ in range(MAX_TRIES):
        weights, biases, X, Y = _draw(rng, spec, exercise)
        candidate = dataclasses.replace(
            spec, weights=weights, biases=biases, X=X, Y=Y, name=f"{spec.name}-v{variant:03d}",
            title=f"{exercise.title or base}, variant {variant}", init=None, exercise=None, dropout=_masks(rng, spec))
        if not is_nice(candidate, exercise):
            continue
        if not short:
            return candidate
        digits, searched = longest_answer(candidate, short), searched + 1
        if digits <= SHORT_DIGITS:
            return candidate
        best = (digits, candidate) if best is None or digits < best[0] else best
        if searched >= STATE_TRIES:
            break
    if best is not None:
        return best[1]
    raise NumericalError("exercise", f"no draw in {MAX_TRIES} tries avoids ReLU kinks within {float(exercise.margin)}, "
                         "dead layers and saturation; widen the ranges or lower the margin")


def answer_text(value) -> str:
    """A number for the answer key: exact fractions as "p/q", floats to 10 significant digits."""
    if hasattr(value, "q"):  # SymPy Rational
        return str(int(value.p)) if value.q == 1 else f"{value.p}/{value.q}"
    text = format(float(value), ".10g")
    return "0" if text == "-0" else text


def answer_key(derivation, asked) -> dict:
    """Quantity name -> answer text for the asked quantities (names without @1, as a person writes them)."""
    return {short_name(q): answer_text(derivation.quantity_value(q)) for q in asked}


def short_name(q) -> str:
    """The name as a person writes it: sample 1 needs no `@1` (except J@1, as plain J is the batch cost)."""
    name = q.name
    return name[:-2] if name.endswith("@1") and q.kind != "J" else name


# -- variants on disk ----------------------------------------------------------
@dataclass(frozen=True)
class VariantJob:
    """One variant to build in a worker process."""

    spec: Any  # NetworkSpec
    exercise: ExerciseSpec
    seed: int
    variant: int
    folder: str
    format: str  # "html" | "md"
    lms: bool = False  # also make the platform question data (nnsteps/lms/items.py)
    practice: bool = False  # also write student/vNNN/practice.html (it holds the key: for practice only)


@dataclass(frozen=True)
class VariantRecord:
    """What a worker wrote, for the manifest; paths relative to the output folder."""

    variant: int
    seed: int
    spec: str
    exercise: str
    solution: str
    answers: str
    cost: float
    key: tuple  # (quantity name, answer text) pairs
    blank: str = ""  # the student's blank answers file
    lms: Any = None  # the platform question data of the variant, when asked for


def significant_digits_of(exercise: ExerciseSpec) -> int:
    """The precision policy of a pack: the [exercise] table's, else grading's default."""
    from .derive.grading import DEFAULT_SIGNIFICANT_DIGITS

    return DEFAULT_SIGNIFICANT_DIGITS if exercise.significant_digits is None else exercise.significant_digits


def write_manifest(folder, spec, exercise: ExerciseSpec, seed: int, fmt: str, records) -> None:
    """manifest.csv (one row per variant) and manifest.json (the same plus every answer), in the teacher's folder;
    paths are relative to the pack (the folder that holds student/ and teacher/)."""
    import csv
    import io
    import json
    from pathlib import Path

    from .files import write_atomic

    folder = Path(folder)
    columns = ("variant", "seed", "spec", "exercise", "blank", "solution", "answers", "questions", "cost")
    table = io.StringIO(newline="")
    writer = csv.writer(table)
    writer.writerow(columns)
    for r in records:
        writer.writerow((r.variant, r.seed, r.spec, r.exercise, r.blank, r.solution, r.answers, len(r.key),
                         format(r.cost, ".10g")))
    write_atomic(folder / "manifest.csv", table.getvalue())
    document = {
        "source": spec.name, "title": spec.title, "seed": seed, "count": len(records), "format": fmt,
        "rng": "numpy.random.default_rng([seed, variant])", "questions": list(exercise.ask),
        "significant_digits": significant_digits_of(exercise),
        "variants": [{"variant": r.variant, "seed": r.seed, "spec": r.spec, "exercise": r.exercise, "blank": r.blank,
                      "solution": r.solution, "answers": r.answers, "cost": r.cost, "key": dict(r.key)}
                     for r in records],
    }
    write_atomic(folder / "manifest.json", json.dumps(document, indent=1, ensure_ascii=False) + "\n")
