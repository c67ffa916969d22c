"""The Derivation: every symbol, equation, gradient, path and number of one network.

`derive(spec)` composes the derive package: model -> chain rule -> compiled
numbers -> gradient descent -> cross-check. It writes nothing and renders nothing.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import sympy as sp

from .backprop import Backprop, DeltaFormula, Path
from .errors import NumericalError, UnsupportedError
from .evaluate import BackwardState, CompiledNetwork, ForwardState, Training, data_arrays, initial_parameters, train
from .limits import DEFAULT_LIMITS, exceeds, hint
from .matrix_form import MatrixEquation, matrix_form
from .model import SymbolicNetwork
from .names import GRAMMAR, Quantity, parse_quantity, symbol_quantity
from .netspec import NetworkSpec
from .optim import UpdateRule, build_rule
from .reference import GradientCheck, cross_check
from .training import beyond_gradient_descent

MAX_EXPANDED_PARAMETERS = DEFAULT_LIMITS.expanded_parameters  # expanded gradients grow exponentially with depth


@dataclass(frozen=True, eq=False)
class Derivation:
    """Symbolic pieces (SymPy) and numbers (float64 or exact rationals) of one network."""

    spec: NetworkSpec
    net: SymbolicNetwork
    backprop: Backprop
    compiled: CompiledNetwork
    X: np.ndarray
    Y: np.ndarray
    forward: ForwardState
    backward: BackwardState
    training: Training
    checks: tuple[GradientCheck, ...] = field(default=())

    @property
    def exact(self) -> bool:
        return self.compiled.exact

    @property
    def rule(self) -> UpdateRule:
        """The update rule of the training steps (derive/optim/), with the spec's learning rate."""
        return build_rule(self.spec, self.exact)

    @property
    def params(self) -> dict:
        """W^(l), b^(l) as given, before any update."""
        return self.training.trajectory[0]

    # -- symbolic ----------------------------------------------------------
    def receptor(self, layer: int, k: int) -> sp.Eq:
        equation = self.net.receptor(layer, k)
        return sp.Eq(equation.lhs, equation.rhs, evaluate=False)

    def neuron(self, layer: int, k: int) -> sp.Eq:
        equation = self.net.neuron(layer, k)
        return sp.Eq(equation.lhs, equation.rhs, evaluate=False)

    @property
    def cost(self) -> sp.Expr:
        """The cost of one sample in the outputs x^(L)_k and targets y_k."""
        return self.net.sample_cost

    def delta(self, layer: int, k: int) -> sp.Expr:
        """delta^(l)_k as SymPy simplifies it (in deltas of the next layer for hidden layers)."""
        return self.backprop.delta(layer, k).simplified

    def delta_formula(self, layer: int, k: int) -> DeltaFormula:
        return self.backprop.delta(layer, k)

    def _parameter(self, name: str) -> Quantity:
        quantity = parse_quantity(name, self.spec, "parameter")
        if quantity.kind not in ("W", "b", "dW", "db"):
            raise UnsupportedError("parameter", f"{name!r} is not a weight or bias; write e.g. W3[2,1] or b2[1]")
        return quantity

    def gradient(self, name: str, expand: bool = False) -> sp.Expr:
        """d loss/d parameter for one sample: delta^(l)_j x^(l-1)_i (W) or delta^(l)_j (b)."""
        q = self._parameter(name)
        i, j = (q.indices[0], q.indices[1]) if q.kind in ("W", "dW") else (None, q.indices[0])
        expression = self.backprop.gradient(q.layer, i, j)
        return self.expand(expression) if expand else expression

    def paths(self, name: str) -> list[Path]:
        """Every chain-rule path from J back to the parameter, each a list of local factors."""
        q = self._parameter(name)
        i, j = (q.indices[0], q.indices[1]) if q.kind in ("W", "dW") else (None, q.indices[0])
        return self.backprop.paths(q.layer, i, j)

    def matrix_form(self) -> list[MatrixEquation]:
        return matrix_form(self.net, self.backprop)

    def all_gradients(self) -> dict[sp.Symbol, sp.Expr]:
        """Every parameter's per-sample gradient formula."""
        result = {}
        for l in range(1, self.spec.depth + 1):
            result.update(self.backprop.layer_gradients(l))
        return result

    def check_expansion(self, expressions) -> None:
        """Refuse, before any substitution, expansions over the parameter or the tree-size budget."""
        limits = self.spec.limits
        if exceeds(self.spec.n_parameters, limits.expanded_parameters):
            raise UnsupportedError("expand", f"the network has {self.spec.n_parameters} parameters; fully expanded "
                                   f"gradients are offered up to {limits.expanded_parameters} (they grow exponentially)")
        if limits.expanded_nodes is None:
            return
        from .expansion import expanded_nodes

        nodes = expanded_nodes(self, expressions)
        if nodes > limits.expanded_nodes:
            raise UnsupportedError("expand", f"fully expanded, these gradients would have about {nodes:,} terms and "
                                   f"factors, more than {limits.expanded_nodes:,}; use the layered formulas{hint(limits)}")

    def expand(self, expression: sp.Expr) -> sp.Expr:
        """Substitute deltas, neurons and receptors until only inputs, targets and parameters remain."""
        self.check_expansion([expression])
        net, sizes = self.net, self.spec.layers
        for l in range(1, self.spec.depth + 1):  # delta^(l) brings in delta^(l+1): substitute upwards
            expression = expression.xreplace({net.delta(l, k): self.delta(l, k) for k in range(1, sizes[l] + 1)})
        for l in range(self.spec.depth, 0, -1):
            forms = net.activation_forms(l)
            expression = expression.xreplace({net.x(l, k): forms[k - 1] for k in range(1, sizes[l] + 1)})
            expression = expression.xreplace({net.z(l, k): net.receptor(l, k).rhs for k in range(1, sizes[l] + 1)})
        return expression

    # -- numbers -----------------------------------------------------------
    def value(self, name: str):
        """The number of a quantity name (float, or SymPy Rational in exact mode)."""
        return self.quantity_value(parse_quantity(name, self.spec))

    def quantity_value(self, q: Quantity):
        if q.step is not None or q.kind in ("gnorm", "clip") or "_" in q.kind:
            return self._number(self.step_value(q))
        s = None if q.sample is None else q.sample - 1
        idx = tuple(i - 1 for i in q.indices)
        L, fw, bw = self.spec.depth, self.forward, self.backward
        table = {
            "yhat": lambda: fw.xs[L][s][idx],
            "y": lambda: self.Y[s][idx],
            "x": lambda: fw.xs[q.layer][s][idx],
            "z": lambda: fw.zs[q.layer][s][idx],
            "delta": lambda: bw.deltas[q.layer][s][idx],
            "dx": lambda: bw.output_gradient[s][idx],
            "W": lambda: self.training.trajectory[-1 if q.after else 0][f"W{q.layer}"][idx],
            "b": lambda: self.training.trajectory[-1 if q.after else 0][f"b{q.layer}"][idx],
            "dW": lambda: bw.gradients[f"W{q.layer}"][idx],
            "db": lambda: bw.gradients[f"b{q.layer}"][idx],
            "J": lambda: bw.cost if s is None else bw.sample_costs[s],
            **self._layer_values(q, s, idx),
        }
        return self._number(table[q.kind]())

    def step_value(self, q: Quantity):
        """A quantity of training step t (@tN; the last step without it): W, b after it, dW, db of its batch,
        an optimizer state after it (m_W2[1,1]@t1), the gradient norm and the clip coefficient."""
        t = len(self.training.steps) if q.step is None else q.step  # early stopping may end before spec.steps
        if t > len(self.training.steps):
            raise UnsupportedError("quantity", f"{q.name}: training stopped early after step {len(self.training.steps)}")
        idx = tuple(i - 1 for i in q.indices)
        if q.kind in ("W", "b"):
            return self.training.trajectory[t][f"{q.kind}{q.layer}"][idx]
        if t < 1:
            raise UnsupportedError("quantity", f"{q.name}: there are no training steps (steps = 0)")
        record = self.training.steps[t - 1]
        if q.kind in ("dW", "db"):
            return record.gradients[f"{q.kind[1:]}{q.layer}"][idx]
        if q.kind in ("gnorm", "clip"):
            if record.clipping is None:
                raise UnsupportedError("quantity", f"{q.name}: the spec does not clip (no max_grad_norm)")
            return record.clipping.norm if q.kind == "gnorm" else record.clipping.coefficient
        state, _, kind = q.kind.partition("_")
        parameter = f"{kind}{q.layer}"
        kept = record.state.get(parameter)
        if kept is None or state not in kept:
            rule = self.rule
            why = (f"{parameter} does not train (update_biases = false)" if kept is None
                   else f"{rule.name} keeps {', '.join(rule.shown_names()) or 'no state'}")
            raise UnsupportedError("quantity", f"{q.name}: {why}")
        return kept[state][idx]

    def _layer_values(self, q: Quantity, s, idx) -> dict:
        """Dropout and batch-norm quantities: their per-sample or per-layer records, gamma/beta and their gradients."""
        fw, bw, l = self.forward.records, self.backward.records, q.layer
        params = lambda: self.training.trajectory[-1 if q.after else 0]  # noqa: E731
        each = {kind: (lambda kind=kind: records[(kind, l)][s][idx])
                for records, kinds in ((fw, ("mask", "a", "zhat", "u")), (bw, ("du", "da"))) for kind in kinds}
        return {
            **each,
            "mu": lambda: fw[("mu", l)][idx], "var": lambda: fw[("var", l)][idx],
            "gamma": lambda: params()[f"gamma{l}"][idx], "beta": lambda: params()[f"beta{l}"][idx],
            "dgamma": lambda: bw.get(("grad", f"gamma{l}"))[idx], "dbeta": lambda: bw.get(("grad", f"beta{l}"))[idx],
        }

    def _number(self, value):
        return sp.Rational(value) if self.exact else float(value)

    def symbol_value(self, symbol: sp.Symbol, sample: int = 1):
        """The number a network symbol takes for a sample (1-based)."""
        q = symbol_quantity(symbol)
        if q is None:
            raise UnsupportedError("symbol", f"{symbol} is not a symbol of this network")
        if GRAMMAR[q.kind].sample != "none":  # per-sample kinds and J take the sample; parameters are the batch's
            q = replace(q, sample=sample)
        return self.value(q.name)

    def evaluate(self, expression: sp.Expr, sample: int = 1):
        """An expression in network symbols, evaluated for one sample."""
        values = {s: self.symbol_value(s, sample) for s in expression.free_symbols}
        result = expression.xreplace({s: sp.Rational(v) if self.exact else sp.Float(v, 17) for s, v in values.items()})
        return self._number(result) if self.exact else float(result)

    def gradient_function(self):
        """A compiled NumPy function (params, X, Y) -> {"W1": dJ/dW1, ...} for float64 arrays.

        It is the exported module (`nnsteps export --to numpy`) compiled in memory: plain NumPy
        code printed from the derived formulas, the batch reduction applied. Printed and compiled
        once per derivation (about 12 ms on [16,32,32,10]); later calls return the same function.
        """
        return self._compiled_module.gradients

    @cached_property
    def _compiled_module(self):
        from .codegen import compile_module

        return compile_module(self)

    def to_json(self) -> dict:
        """The JSON document of `nnsteps derive --json`."""
        as_list = lambda a: np.asarray(a, dtype=float).tolist()  # noqa: E731
        L, n = self.spec.depth, self.spec.n_samples
        samples = [{
            "x": {str(l): as_list(self.forward.xs[l][s]) for l in range(0, L + 1)},
            "z": {str(l): as_list(self.forward.zs[l][s]) for l in range(1, L + 1)},
            "delta": {str(l): as_list(self.backward.deltas[l][s]) for l in range(1, L + 1)},
        } for s in range(n)]
        return {
            "layers": list(self.spec.layers),
            "activations": list(self.spec.activations),
            "loss": self.spec.loss,
            "cost": float(self.backward.cost),
            "samples": samples,
            "gradients": {k: as_list(v) for k, v in self.backward.gradients.items()},
            "updated": {k: as_list(v) for k, v in self.training.trajectory[-1].items()},
            "history": [float(c) for c in self.training.history],
            **self._validation_json(),
            **self._steps_json(as_list),
            **self._layer_records_json(as_list),
        }

    def _validation_json(self) -> dict:
        """With validation data: its cost like `history`, the step early stopping stopped after and the best step."""
        if not self.spec.X_val:
            return {}
        training = self.training
        return {"history_val": [float(c) for c in training.history_val], "stopped_at": training.stopped_at,
                "best_step": training.best_step}

    def _steps_json(self, as_list) -> dict:
        """With an [optimizer], max_grad_norm or l2: each step's batch, gradient, clipping, state and parameters."""
        spec = self.spec
        if not beyond_gradient_descent(spec):
            return {}  # plain gradient descent: the document of today, unchanged
        return {"optimizer": {"name": self.rule.name, "learning_rate": float(spec.learning_rate),
                              **{k: (list(map(float, v)) if isinstance(v, tuple) else v if isinstance(v, bool)
                                     else float(v)) for k, v in self.rule.settings().items()}},
                "max_grad_norm": None if spec.max_grad_norm is None else float(spec.max_grad_norm),
                "l2": float(spec.l2),
                "steps": [{
                    "step": r.step, "batch": [int(i) + 1 for i in r.batch],
                    "gradients": {k: as_list(v) for k, v in r.gradients.items()},
                    "grad_norm": None if r.clipping is None else r.clipping.norm,
                    "clip_coefficient": None if r.clipping is None else r.clipping.coefficient,
                    "state": {name: {key: as_list(value) for key, value in kept.items() if key != "step"}
                              for name, kept in r.state.items()},
                    "params": {k: as_list(v) for k, v in r.params.items()},
                } for r in self.training.steps]}

    def running_statistics(self) -> dict:
        """{l: (running mean, running variance)} of batch norm after the training steps (torch's update)."""
        from .running import running_statistics

        return running_statistics(self.compiled, self.training.trajectory, self.X, self.spec,
                                  [record.masks for record in self.training.steps])

    def _layer_records_json(self, as_list) -> dict:
        """Masks, batch statistics and running statistics, only for a spec with [dropout] or [batchnorm]."""
        records, result = self.forward.records, {}
        if self.spec.dropout is not None:
            result["masks"] = {f"x{l}": as_list(records[("mask", l)]) for l in self.spec.dropout.layers()}
            result["step_masks"] = [{"step": r.step, "batch": [int(i) + 1 for i in r.batch],
                                     "masks": {key: as_list(mask) for key, mask in (r.masks or {}).items()}}
                                    for r in self.training.steps]
        if self.spec.batchnorm is not None:
            result["batchnorm"] = {str(l): {
                "mean": as_list(records[("mu", l)]), "variance": as_list(records[("var", l)]),
                "zhat": as_list(records[("zhat", l)]), "u": as_list(records[("u", l)]),
                "running_mean": as_list(mean), "running_variance": as_list(variance),
            } for l, (mean, variance) in self.running_statistics().items()}
        return result


def _require_defined(spec: NetworkSpec, compiled: CompiledNetwork, forward: ForwardState) -> None:
    """A custom activation (or its derivative) not finite at a finite z is the expression's fault, not the data's."""
    for l, name in enumerate(spec.activations, start=1):
        if name != "custom":
            continue
        z = np.asarray(forward.zs[l], dtype=float)
        for what, values in (("", forward.xs[l]), ("its derivative ", compiled._derivative[l](z))):
            bad = np.argwhere(np.isfinite(z) & ~np.isfinite(np.asarray(values, dtype=float)))
            if bad.size:
                s, k = bad[0]
                value = np.asarray(values, dtype=float)[s, k]
                how = "overflows" if np.isinf(value) else "is undefined"
                raise NumericalError("custom.expression", f"{what}{spec.custom_expression[:60]} {how} at "
                                     f"z{l}[{k + 1}] = {z[s, k]:.3g} (sample {s + 1})")


def _require_finite(spec: NetworkSpec, forward: ForwardState, backward: BackwardState) -> None:
    """Name the first quantity that overflowed or hit log(0), with its cause, instead of going on with inf/nan."""
    if spec.numbers == "exact":
        return
    L = spec.depth
    for s, cost in enumerate(backward.sample_costs, start=1):
        if not np.isfinite(float(cost)):
            outputs, targets = forward.xs[L][s - 1], np.asarray(spec.Y[s - 1], dtype=float)
            # log(yhat) diverges where yhat = 0 with y > 0; log(1 - yhat) where yhat = 1 with y < 1 (BCE)
            infinite = [k for k in range(len(outputs)) if (outputs[k] <= 0.0 and targets[k] > 0)
                        or (spec.loss == "binary_cross_entropy" and outputs[k] >= 1.0 and targets[k] < 1)]
            cause = (f"yhat[{infinite[0] + 1}]@{s} is exactly {outputs[infinite[0]]:g} in float64, so the log in "
                     f"{spec.loss} is infinite" if infinite else f"the cost of sample {s} is {cost}")
            raise NumericalError(f"data.X[{s}]", f"{cause}; scale the inputs or weights down")
    for l in range(1, L + 1):
        for name, array in ((f"z{l}", forward.zs[l]), (f"x{l}", forward.xs[l]), (f"delta{l}", backward.deltas[l])):
            bad = np.argwhere(~np.isfinite(np.asarray(array, dtype=float)))
            if bad.size:
                s, k = bad[0] + 1
                raise NumericalError(f"{name}[{k}]@{s}", "is not finite (overflow); scale the inputs or weights down")


def derive(spec: NetworkSpec, check: bool = True) -> Derivation:
    """Spec -> Derivation: symbols, chain rule, compiled numbers, training, cross-check.

    NumPy's overflow and invalid-value warnings are silenced: every non-finite number is turned into a
    NumericalError naming its cause (the custom expression, the data, the learning rate).
    """
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return _derive(spec, check)


def _derive(spec: NetworkSpec, check: bool) -> Derivation:
    exact = spec.numbers == "exact"
    net = SymbolicNetwork(spec)
    backprop = Backprop(net)
    compiled = CompiledNetwork(net, backprop, exact=exact)
    params = initial_parameters(spec, exact)
    X, Y = data_arrays(spec, exact)
    forward = compiled.forward(params, X)
    if not exact:
        _require_defined(spec, compiled, forward)
    backward = compiled.backward(params, forward, Y)
    _require_finite(spec, forward, backward)
    training = train(compiled, params, X, Y, *data_arrays(spec, exact, validation=True))
    checks = cross_check(spec, backward.gradients, params, X, Y) if check else ()
    return Derivation(spec, net, backprop, compiled, X, Y, forward, backward, training, tuple(checks))
