"""The catalogue of classic backpropagation mistakes: one row each, recomputing the numbers as its maker would."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping, Optional

import numpy as np

from .activations import ACTIVATIONS
from .losses import LOSSES
from .netspec import NetworkSpec
from .names import Quantity

ALL_KINDS = ("z", "x", "yhat", "J", "dx", "delta", "dW", "db", "W", "b")
BACKWARD_KINDS = ("delta", "dW", "db", "W", "b")  # W, b: the parameters after the update


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
class Twist:
    """How a computation departs from the derivation; the default is the correct computation."""

    derivative: str = ""  # "" | "one" | "s_one_minus_z" | "from_z" | "relu_zero_one"
    loss_sign: float = 1.0  # -1: y - yhat instead of yhat - y
    loss_factor: float = 1.0  # multiplies the loss and its gradient (the 1/2 of squared error)
    reduction: str = ""  # "" | "dropped" (r = 1) | "doubled" (r^2) | "added" (1/n on a summed loss)
    z_for_x: bool = False  # z^(l-1) where x^(l-1) belongs
    swap_indices: bool = False  # w_{j,i} for w_{i,j}
    updated_weights: bool = False  # W^(l+1) - eta dW^(l+1) in delta^(l)
    wrong_layer_x: bool = False  # x^(l) where x^(l-1) belongs in dW^(l)
    softmax_elementwise: bool = False  # only the diagonal of the softmax Jacobian
    update_sign: float = 1.0  # -1: theta + eta g


NO_TWIST = Twist()


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


def _key(q: Quantity, depth: int) -> tuple:
    """(array name, layer, entry) of a quantity; 0-based entries, samples first."""
    s = () if q.sample is None else (q.sample - 1,)
    idx = s + tuple(i - 1 for i in q.indices)
    if q.kind == "yhat":
        return ("x", depth, idx)
    if q.kind in ("W", "b"):
        return ("after" if q.after else "given", f"{q.kind}{q.layer}", idx)
    if q.kind in ("dW", "db"):
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
    name, layer, idx = key
    array = {
        "x": lambda: values.xs[layer], "z": lambda: values.zs[layer], "delta": lambda: values.deltas[layer],
        "dx": lambda: values.dx, "grad": lambda: values.grads[layer], "given": lambda: values.given[layer],
        "after": lambda: values.after[layer], "y": lambda: values.given["Y"],
        "Js": lambda: values.sample_costs, "J": lambda: np.asarray(values.cost),
    }[name]()
    return float(array[idx])


class _Substitutions:
    """Puts a person's numbers into freshly computed arrays, remembering what was computed there."""

    def __init__(self, overrides: Optional[Mapping[Quantity, float]], depth: int):
        self.groups, self.computed = {}, {}
        for q, value in (overrides or {}).items():
            name, layer, idx = _key(q, depth)
            self.groups.setdefault((name, layer), []).append((idx, float(value)))

    def put(self, array: np.ndarray, name: str, layer=None) -> np.ndarray:
        for idx, value in self.groups.get((name, layer), ()):
            self.computed[(name, layer, idx)] = float(array[idx])
            array[idx] = value
        return array


def _derivative(spec, l: int, Z, X, twist: Twist, twisted: bool) -> np.ndarray:
    """a'(z^(l)) elementwise, as the person computes it."""
    name = spec.activations[l - 1]
    base = ACTIVATIONS[name].numpy_backward(Z, X, np.ones_like(Z), spec)
    kind = twist.derivative if twisted else ""
    if kind == "one":
        return np.ones_like(Z)  # d x / d z left out
    if kind == "s_one_minus_z" and name == "sigmoid":
        return X * (1.0 - Z)  # sigma(z)(1 - z)
    if kind == "from_z" and name == "sigmoid":
        return Z * (1.0 - Z)  # the formula in sigma applied to z
    if kind == "from_z" and name == "tanh":
        return 1.0 - Z * Z
    if kind == "relu_zero_one" and name in ("relu", "leaky_relu"):
        return np.where(Z == 0, 1.0, base)  # a'(0) = 1 instead of the derivation's a'(0) = slope left of 0
    return base


def _reduction(spec, n: int, twist: Twist, twisted: bool) -> float:
    r = 1.0 / n if spec.reduction == "mean" else 1.0
    if not twisted or not twist.reduction:
        return r
    return {"dropped": 1.0, "doubled": r * r, "added": 1.0 / n}[twist.reduction]


def _lookup_weights(W: np.ndarray) -> np.ndarray:
    """W read as w_{j,i}: the transpose when W is square, no number otherwise."""
    return W.T.copy() if W.shape[0] == W.shape[1] else np.full(W.shape, np.nan)


def _swapped_gradient(inputs: np.ndarray, delta: np.ndarray, r: float) -> np.ndarray:
    # the person's dJ/dw_{i,j} = r sum_s x_j delta_i, where both entries exist
    rows, cols = inputs.shape[1], delta.shape[1]
    result = np.full((rows, cols), np.nan)
    for i in range(min(rows, cols)):
        for j in range(min(rows, cols)):
            result[i, j] = r * float(inputs[:, j] @ delta[:, i])
    return result


def _passes(problem: Problem, params, X, Y, twist: Twist, at: Callable, subs: _Substitutions):
    """Forward pass, cost and backward pass with the twist applied at the layers `at` accepts."""
    spec, L, n = problem.spec, problem.spec.depth, len(X)
    zs, xs = [None], [subs.put(X.copy(), "x", 0)]
    with np.errstate(all="ignore"):
        for l in range(1, L + 1):
            W = params[f"W{l}"]
            if twist.swap_indices and at(l):
                W = _lookup_weights(W)
            inputs = zs[l - 1] if (twist.z_for_x and at(l) and l >= 2) else xs[l - 1]
            zs.append(subs.put(inputs @ W + params[f"b{l}"], "z", l))  # z = x W + b
            xs.append(subs.put(ACTIVATIONS[spec.activations[l - 1]].numpy(zs[l], spec), "x", l))
        loss = LOSSES[spec.loss]
        factor = twist.loss_factor if at(L) and spec.loss == "squared_error" else 1.0
        costs = subs.put(factor * loss.numpy(xs[L], Y, spec), "Js", None)
        cost = float(subs.put(np.array(_reduction(spec, n, twist, at(L)) * costs.sum()), "J", None))
        sign = twist.loss_sign if at(L) else 1.0
        dx = subs.put(sign * factor * loss.numpy_gradient(xs[L], Y, spec), "dx", L)
        deltas, grads = [None] * (L + 1), {}
        for l in range(L, 0, -1):
            row = ACTIVATIONS[spec.activations[l - 1]]
            if l == L and row.vector:
                if twist.derivative == "one" and at(l):
                    delta = dx.copy()
                elif twist.softmax_elementwise and at(l):
                    delta = dx * xs[l] * (1.0 - xs[l])  # diagonal of the Jacobian only
                else:
                    delta = row.numpy_backward(zs[l], xs[l], dx, spec)
            else:
                upstream = dx
                if l < L:
                    W = params[f"W{l + 1}"]
                    if twist.updated_weights and at(l):
                        W = W - float(spec.learning_rate) * grads[f"W{l + 1}"]
                    if twist.swap_indices and at(l):
                        W = _lookup_weights(W)
                    upstream = deltas[l + 1] @ W.T  # dJ/dx^(l) = delta^(l+1) W^(l+1)T
                delta = upstream * _derivative(spec, l, zs[l], xs[l], twist, at(l))
            deltas[l] = subs.put(delta, "delta", l)
            r = _reduction(spec, n, twist, at(l))
            inputs = xs[l - 1]
            if at(l) and twist.z_for_x and l >= 2:
                inputs = zs[l - 1]
            if at(l) and twist.wrong_layer_x:
                inputs = np.full_like(xs[l - 1], np.nan)
                width = min(xs[l].shape[1], inputs.shape[1])
                inputs[:, :width] = xs[l][:, :width]  # x^(l)_i in place of x^(l-1)_i
            if at(l) and twist.swap_indices:
                gradient = _swapped_gradient(inputs, deltas[l], r)
            else:
                gradient = r * (inputs.T @ deltas[l])  # dW = r X^T delta
            grads[f"W{l}"] = subs.put(gradient, "grad", f"W{l}")
            grads[f"b{l}"] = subs.put(r * deltas[l].sum(axis=0), "grad", f"b{l}")
    return tuple(zs), tuple(xs), dx, tuple(deltas), costs, cost, grads


def _update(spec, params, grads, twist: Twist, at: Callable) -> dict:
    rate = float(spec.learning_rate)
    result = {}
    for name, value in params.items():
        sign = twist.update_sign if at(int(name[1:])) else 1.0
        moves = name[0] == "W" or spec.update_biases
        result[name] = value - sign * rate * grads[name] if moves else value.copy()  # theta <- theta - eta g
    return result


def recompute(problem: Problem, twist: Twist = NO_TWIST, overrides: Optional[Mapping[Quantity, float]] = None,
              layers: Optional[frozenset] = None) -> Values:
    """Every number as a person with this twist computes it, with their own numbers substituted where given."""
    spec, L = problem.spec, problem.spec.depth
    at = (lambda l: True) if layers is None else (lambda l: l in layers)
    subs = _Substitutions(overrides, L)
    params = {name: subs.put(value.copy(), "given", name) for name, value in problem.params.items()}
    Y = subs.put(problem.Y.copy(), "y", None)
    zs, xs, dx, deltas, costs, cost, grads = _passes(problem, params, problem.X, Y, twist, at, subs)
    n, size = len(problem.X), spec.batch_size
    if spec.steps == 1 and (size in (0, None) or size >= n):
        after = _update(spec, params, grads, twist, at)
    else:  # several steps or mini-batches: the person's method throughout, their numbers only in the first pass
        after = dict(params)
        size = n if size in (0, None) or size >= n else size
        for t in range(spec.steps):
            rows = np.arange(t * size, (t + 1) * size) % n
            step = _passes(problem, after, problem.X[rows], Y[rows], twist, at, _Substitutions(None, L))
            after = _update(spec, after, step[-1], twist, at)
    for name in after:
        subs.put(after[name], "after", name)
    given = dict(params, Y=Y)
    return Values(zs, xs, dx, deltas, costs, cost, grads, given, after, dict(subs.computed))


@dataclass(frozen=True)
class Mistake:
    """One catalogued mistake: what it is, what it changes, and how its maker computes."""

    name: str
    description: str
    affects: tuple[str, ...]  # quantity kinds whose numbers it can change
    twist: Twist
    applies: Callable[[NetworkSpec], bool]  # whether it can change a number of this network

    def recompute(self, problem: Problem, overrides=None, layers=None) -> Values:
        return recompute(problem, self.twist, overrides, layers)


def _uses(*names: str) -> Callable[[NetworkSpec], bool]:
    return lambda spec: any(name in spec.activations for name in names)


def _always(spec) -> bool:
    return True


def _square_weights(spec) -> bool:
    return any(a == b for a, b in zip(spec.layers, spec.layers[1:]))


def _mean_over_several(spec) -> bool:
    return spec.reduction == "mean" and spec.n_samples > 1


MISTAKES: tuple[Mistake, ...] = (
    Mistake("activation_derivative_omitted", "the activation derivative dx/dz left out of the chain (taken as 1)",
            BACKWARD_KINDS, Twist(derivative="one"), lambda spec: any(a != "identity" for a in spec.activations)),
    Mistake("loss_gradient_sign", "y − ŷ instead of ŷ − y: the loss gradient's sign flipped",
            ("dx",) + BACKWARD_KINDS, Twist(loss_sign=-1.0), _always),
    Mistake("reduction_dropped", "the 1/n of the mean left out", ("J", "dW", "db", "W", "b"),
            Twist(reduction="dropped"), _mean_over_several),
    Mistake("reduction_doubled", "the 1/n of the mean applied twice", ("J", "dW", "db", "W", "b"),
            Twist(reduction="doubled"), _mean_over_several),
    Mistake("reduction_added", "a 1/n put into a loss that is summed over the samples", ("J", "dW", "db", "W", "b"),
            Twist(reduction="added"), lambda spec: spec.reduction == "sum" and spec.n_samples > 1),
    Mistake("half_dropped", "the ½ of the squared error left out (loss and gradient doubled)",
            ("J", "dx") + BACKWARD_KINDS, Twist(loss_factor=2.0), lambda spec: spec.loss == "squared_error" and spec.half),
    Mistake("half_doubled", "the ½ of the squared error applied twice, or where the loss has none (halved)",
            ("J", "dx") + BACKWARD_KINDS, Twist(loss_factor=0.5), lambda spec: spec.loss == "squared_error"),
    Mistake("z_for_x", "the receptor z (pre-activation) used where the neuron x = a(z) belongs",
            ("z", "x", "yhat", "J", "dx") + BACKWARD_KINDS, Twist(z_for_x=True), lambda spec: spec.depth >= 2),
    Mistake("weight_indices_swapped", "weight indices swapped: w_{j,i} used for w_{i,j}",
            ("z", "x", "yhat", "J", "dx") + BACKWARD_KINDS, Twist(swap_indices=True), _always),
    Mistake("updated_weights_in_backward", "the already updated weights W − η·dW used in the hidden-layer backward pass",
            BACKWARD_KINDS, Twist(updated_weights=True), lambda spec: spec.depth >= 2),
    Mistake("wrong_layer_x", "the weight gradient multiplied by x of the weight's own layer, x^(l), not x^(l−1)",
            ("dW", "W"), Twist(wrong_layer_x=True), _always),
    Mistake("softmax_elementwise", "softmax differentiated elementwise: only the diagonal x_k(1 − x_k) of its Jacobian",
            BACKWARD_KINDS, Twist(softmax_elementwise=True), lambda spec: spec.activations[-1] == "softmax"),
    Mistake("sigmoid_derivative_one_minus_z", "σ′ computed as σ(z)(1 − z) instead of σ(z)(1 − σ(z))",
            BACKWARD_KINDS, Twist(derivative="s_one_minus_z"), _uses("sigmoid")),
    Mistake("derivative_from_z", "σ′ (or tanh′) evaluated from z: z(1 − z) (or 1 − z²) instead of from a(z)",
            BACKWARD_KINDS, Twist(derivative="from_z"), _uses("sigmoid", "tanh")),
    Mistake("relu_derivative_at_zero", "ReLU′(0) taken as 1 where the derivation takes the left slope (0, or α)",
            BACKWARD_KINDS, Twist(derivative="relu_zero_one"), _uses("relu", "leaky_relu")),
    Mistake("update_sign", "θ + η·g instead of θ − η·g: the update climbs the gradient", ("W", "b"),
            Twist(update_sign=-1.0), _always),
)

CATALOGUE: dict[str, Mistake] = {row.name: row for row in MISTAKES}
