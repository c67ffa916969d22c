"""Every number as a person computes it: the rows' loop on NumPy, with their mistake's rewrite and their own numbers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping, Optional

import numpy as np

from .. import passes
from ..layers import NetworkRows, build_rows
from ..names import Quantity
from ..netspec import NetworkSpec
from ..optim import UpdateRule, build_rule
from ..training import clip, full_batch, train_steps


@dataclass(frozen=True)
class Problem:
    """The numbers a person starts from: spec, float64 parameters and data."""

    spec: NetworkSpec
    params: Mapping[str, np.ndarray]
    X: np.ndarray
    Y: np.ndarray


def problem_of(derivation) -> Problem:
    as_float = lambda a: np.asarray(a, dtype=float)  # noqa: E731
    params = {name: as_float(value) for name, value in derivation.params.items()}
    return Problem(derivation.spec, params, as_float(derivation.X), as_float(derivation.Y))


@dataclass(frozen=True)
class Recipe:
    """What a person runs: the layer rows with the loss, the update rule and the clipping; a mistake rewrites some."""

    rows: NetworkRows
    rule: UpdateRule
    clip: Callable = clip  # derive/training.clip: the global norm, as torch's clip_grad_norm_


def correct_recipe(spec: NetworkSpec) -> Recipe:
    return Recipe(build_rows(spec), build_rule(spec))


@dataclass(frozen=True)
class Values:
    """Every number of one computation; `computed` keeps what was computed where a person's number replaced it."""

    zs: tuple
    xs: tuple
    dx: np.ndarray
    deltas: tuple
    sample_costs: np.ndarray
    cost: float
    grads: Mapping[str, np.ndarray]
    given: Mapping[str, np.ndarray]
    after: Mapping[str, np.ndarray]
    computed: Mapping[tuple, float] = field(default_factory=dict)
    steps: tuple = ()  # derive/training.StepRecord of every training step
    records: Mapping[tuple, np.ndarray] = field(default_factory=dict)  # every value of the pass: masks, mu, var, ...


PARAMETER_KINDS = ("W", "b", "gamma", "beta")
GRADIENT_KINDS = ("dW", "db", "dgamma", "dbeta")


def _key(q: Quantity, depth: int) -> tuple:
    """(what the loop records, layer, entry) of a quantity; 0-based entries, samples first."""
    s = () if q.sample is None else (q.sample - 1,)
    idx = s + tuple(i - 1 for i in q.indices)
    if q.step is not None or q.kind in ("gnorm", "clip") or "_" in q.kind:
        return ("step", q.step, q.kind, idx)
    if q.kind == "yhat":
        return ("x", depth, idx)
    if q.kind in PARAMETER_KINDS:
        return ("after" if q.after else "given", f"{q.kind}{q.layer}", idx)
    if q.kind in GRADIENT_KINDS:
        return ("grad", f"{q.kind[1:]}{q.layer}", idx)
    if q.kind == "y":
        return ("y", None, idx)
    if q.kind == "J":
        return ("Js" if idx else "J", None, idx)
    return (q.kind, depth if q.kind == "dx" else q.layer, idx)


def layer_of(q: Quantity, depth: int) -> int:
    """The layer whose step computes the quantity (the output layer for J, yhat, dx, y)."""
    return depth if q.layer is None else q.layer


def lookup(values: Values, q: Quantity, depth: int, computed: bool = True) -> float:
    """The number of a quantity; with computed=True the value before a person's own number replaced it."""
    key = _key(q, depth)
    if computed and key in values.computed:
        return values.computed[key]
    if key[0] == "step":
        return _step_value(values, q)
    name, layer, idx = key
    array = {
        "x": lambda: values.xs[layer], "z": lambda: values.zs[layer], "delta": lambda: values.deltas[layer],
        "dx": lambda: values.dx, "grad": lambda: values.grads[layer], "given": lambda: values.given[layer],
        "after": lambda: values.after[layer], "y": lambda: values.given["Y"],
        "Js": lambda: values.sample_costs, "J": lambda: np.asarray(values.cost),
    }.get(name, lambda: values.records[(name, layer)])()  # dropout and batch-norm records by their kind
    return float(array[idx])


def _step_value(values: Values, q: Quantity) -> float:
    """A quantity of training step t as the person's steps have it (nan where their method has none)."""
    t = q.step or len(values.steps)
    idx = tuple(i - 1 for i in q.indices)
    record = values.steps[t - 1]
    if q.kind in ("W", "b"):
        return float(record.params[f"{q.kind}{q.layer}"][idx])
    if q.kind in ("dW", "db"):
        return float(record.gradients[f"{q.kind[1:]}{q.layer}"][idx])
    if q.kind in ("gnorm", "clip"):
        clipping = record.clipping
        return float("nan") if clipping is None else clipping.norm if q.kind == "gnorm" else clipping.coefficient
    state, _, kind = q.kind.partition("_")
    kept = record.state.get(f"{kind}{q.layer}", {})
    return float(kept[state][idx]) if state in kept else float("nan")


class _Substitutions:
    """Puts a person's numbers into freshly computed arrays, remembering what was computed there."""

    def __init__(self, overrides: Optional[Mapping[Quantity, float]], depth: int):
        self.groups, self.computed = {}, {}
        for q, value in (overrides or {}).items():
            key = _key(q, depth)
            if key[0] == "step":  # a training step's numbers are not put back: the person's method recomputes them
                continue
            name, layer, idx = key
            self.groups.setdefault((name, layer), []).append((idx, float(value)))

    def put(self, array: np.ndarray, name: str, layer=None) -> np.ndarray:
        if (name, layer) in self.groups and not isinstance(array, np.ndarray):
            array = np.array(array)  # a cost with its L2 term added is a NumPy scalar
        for idx, value in self.groups.get((name, layer), ()):
            self.computed[(name, layer, idx)] = float(array[idx])
            array[idx] = value
        return array


class HandKernels:
    """The kernels a person uses: the hand-written NumPy of the activation and loss tables, a delta by the chain."""

    def __init__(self, spec: NetworkSpec):
        self.spec = spec

    def reduction(self, n: int) -> float:
        return 1.0 / n if self.spec.reduction == "mean" else 1.0

    @staticmethod
    def total(r, costs):
        return np.array(r * costs.sum())

    def activation(self, row, z):
        return row.row.numpy(z, self.spec)

    def derivative(self, row, z, x):
        return row.row.numpy_backward(z, x, np.ones_like(z), self.spec)

    def output_delta(self, row, z, x, Y):
        return None  # by hand, delta^(L) is dJ/dx^(L) through the activation's derivative

    def vector_backward(self, row, z, x, upstream):
        return row.row.numpy_backward(z, x, upstream, self.spec)

    def sample_loss(self, row, outputs, Y):
        return row.row.numpy(outputs, Y, self.spec)

    def loss_gradient(self, row, outputs, Y):
        return row.row.numpy_gradient(outputs, Y, self.spec)


def _pass(recipe: Recipe, kernels: HandKernels, params, X, Y, put=None, masks=None) -> passes.ArrayRun:
    """Forward pass, cost and backward pass of the recipe's rows (with a training step's dropout masks if given)."""
    run = passes.ArrayRun(kernels, params, Y, put, masks)
    with np.errstate(all="ignore"):
        outputs = passes.forward(recipe.rows, run, X.copy())
        passes.cost(recipe.rows, run, outputs)
        passes.backward(recipe.rows, run)
    return run


def _gradients(run: passes.ArrayRun) -> dict:
    """The recorded parameter gradients, in the order the reverse loop recorded them."""
    return {layer: value for (kind, layer), value in run.values.items() if kind == "grad"}


Rewrite = Callable[[Recipe, Callable[[int], bool], NetworkSpec], Recipe]


def recompute(problem: Problem, rewrite: Optional[Rewrite] = None, overrides: Optional[Mapping[Quantity, float]] = None,
              layers: Optional[frozenset] = None) -> Values:
    """Every number as a person with this rewrite computes it (at the layers given), with their own numbers where given."""
    spec, L = problem.spec, problem.spec.depth
    at = (lambda l: True) if layers is None else (lambda l: l in layers)
    recipe = correct_recipe(spec)
    if rewrite is not None:
        recipe = rewrite(recipe, at, spec)
    kernels, subs = HandKernels(spec), _Substitutions(overrides, L)
    params = {name: subs.put(value.copy(), "given", name) for name, value in problem.params.items()}
    Y = subs.put(problem.Y.copy(), "y", None)
    run = _pass(recipe, kernels, params, problem.X, Y, subs.put)
    grads = _gradients(run)
    # one full-batch step: the gradients with the person's numbers; otherwise their method throughout, their
    # numbers only in the first pass
    first = spec.steps == 1 and full_batch(spec)

    given = [grads] if first else []

    def step_gradients(p, X, Y_batch, masks=None):
        return given.pop() if given else _gradients(_pass(recipe, kernels, p, X, Y_batch, masks=masks))

    after, records = dict(params), []
    with np.errstate(all="ignore"):
        for record in train_steps(step_gradients, recipe.rule, after, problem.X, Y, spec, clipper=recipe.clip):
            records.append(record)
            after = record.params
    after = {name: value.copy() for name, value in after.items()} if records else after
    for name in after:
        subs.put(after[name], "after", name)
    return Values(run.layered("z", L, 1), run.layered("x", L, 0), run.value("dx", L), run.layered("delta", L, 1),
                  run.value("Js"), float(run.value("J")), grads, dict(params, Y=Y), after, dict(subs.computed),
                  tuple(records), dict(run.values))
