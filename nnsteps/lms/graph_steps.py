"""The step graph's nodes built row by row: each layer row kind adds its forward and its backward scalar steps.

The rows are the derivation's own (derive.layers.build_rows), walked layer by layer over every sample of the batch,
since batch norm's mean and variance read every sample. Per kind, for neuron k of layer l and sample s:
    dense       z_k = sum_i w_ik x^(l-1)_i + b_k;      backward dJ/dw_ij = r sum_s x^(l-1)_i delta_j, dJ/db_j = r sum_s delta_j
    batchnorm   mu_k = (1/n) sum_s z_k,  var_k = (1/n) sum_s (z_k - mu_k)^2,  zhat_k = (z_k - mu_k)/sqrt(var_k + eps),
                u_k = gamma_k zhat_k + beta_k;  backward, g_s = gamma_k du_k@s:
                delta_k@s = (g_s - mean_t g_t - zhat_k@s mean_t(g_t zhat_k@t)) / sqrt(var_k + eps)
    activation  x_k (or a_k before dropout) = a(z_k or u_k);  backward delta_k (or du_k) = sum_m dJ/dx_m dx_m/dz_k
    dropout     x_k = (1/(1-p)) m_k a_k with the given mask m;  backward da_k = (1/(1-p)) m_k dJ/dx_k
"""

from __future__ import annotations

import re
from typing import Callable

import sympy as sp


class Builder:
    """Nodes in order (name, formula of earlier nodes' symbols), with the network's symbols of one sample mapped to nodes."""

    def __init__(self, derivation):
        from ..derive.names import parse_quantity

        self.derivation, self.spec, self.net = derivation, derivation.spec, derivation.net
        self.n, self.sizes, self._parse = derivation.spec.n_samples, derivation.spec.layers, parse_quantity
        self.entries, self.index, self._tables = [], {}, {}

    def add(self, name: str, formula=None) -> sp.Symbol:
        q = self._parse(name, self.spec)
        self.index[q.name] = len(self.entries)
        self.entries.append((q.name, formula))
        return self.sym(name)

    def sym(self, name: str) -> sp.Symbol:
        return sp.Symbol(f"v[{self.index[self._parse(name, self.spec).name]}]")

    def _table(self, s: int) -> dict:
        """The network's symbols of sample s -> node names (x, z, delta, parameters, targets)."""
        if s not in self._tables:
            net, sizes, L, table = self.net, self.sizes, self.spec.depth, {}
            for l in range(0, L + 1):
                for k in range(1, sizes[l] + 1):
                    table[net.x(l, k)] = f"x{l}[{k}]@{s}"
                    if l:
                        table[net.z(l, k)] = f"z{l}[{k}]@{s}"
                        table[net.delta(l, k)] = f"delta{l}[{k}]@{s}"
                        table[net.b(l, k)] = f"b{l}[{k}]"
                        for i in range(1, sizes[l - 1] + 1):
                            table[net.w(l, i, k)] = f"W{l}[{i},{k}]"
            for k in range(1, sizes[L] + 1):
                table[net.y(k)] = f"y[{k}]@{s}"
            self._tables[s] = table
        return self._tables[s]

    def per_sample(self, expression, s: int, layer: int = 0, z: str = "z", x: str = "x"):
        """A formula of the network's symbols as one of sample s's nodes; in `layer`, z and x read the nodes of kinds
        `z` and `x` (u for a batch-normalized receptor, a for a neuron before dropout)."""
        table = dict(self._table(s))
        if layer:
            for k in range(1, self.sizes[layer] + 1):
                table[self.net.z(layer, k)] = f"{z}{layer}[{k}]@{s}"
                table[self.net.x(layer, k)] = f"{x}{layer}[{k}]@{s}"
        return expression.xreplace({symbol: self.sym(table[symbol]) for symbol in expression.free_symbols
                                    if symbol in table})


def _samples(b: Builder):
    return range(1, b.n + 1)


# -- forward: each row adds its nodes for every sample --------------------------------------------------------------
def _dense_forward(row, b: Builder) -> None:
    for s in _samples(b):
        for k in range(1, b.sizes[row.layer] + 1):
            b.add(f"z{row.layer}[{k}]@{s}", b.per_sample(b.derivation.receptor(row.layer, k).rhs, s))


def _batchnorm_forward(row, b: Builder) -> None:
    l, n, eps = row.layer, b.n, sp.Rational(row.eps.numerator, row.eps.denominator)
    for k in range(1, b.sizes[l] + 1):
        z = [b.sym(f"z{l}[{k}]@{s}") for s in _samples(b)]
        mu = b.add(f"mu{l}[{k}]", sp.Add(*z) / n)
        var = b.add(f"var{l}[{k}]", sp.Add(*[(zs - mu) ** 2 for zs in z]) / n)
        for s, zs in zip(_samples(b), z):
            zhat = b.add(f"zhat{l}[{k}]@{s}", (zs - mu) / sp.sqrt(var + eps))
            b.add(f"u{l}[{k}]@{s}", b.sym(f"gamma{l}[{k}]") * zhat + b.sym(f"beta{l}[{k}]"))


def _activation_forward(row, b: Builder) -> None:
    for s in _samples(b):
        for k in range(1, b.sizes[row.layer] + 1):
            b.add(f"{row.target}{row.layer}[{k}]@{s}",
                  b.per_sample(b.derivation.neuron(row.layer, k).rhs, s, row.layer, z=row.source))


def _dropout_forward(row, b: Builder) -> None:
    scale = sp.Rational(row.forward_scale().numerator, row.forward_scale().denominator)
    for s in _samples(b):
        for k in range(1, b.sizes[row.layer] + 1):
            mask = b.add(f"mask{row.layer}[{k}]@{s}")  # given
            b.add(f"x{row.layer}[{k}]@{s}", scale * (mask * b.sym(f"a{row.layer}[{k}]@{s}")))


FORWARD: dict[str, Callable] = {"dense": _dense_forward, "batchnorm": _batchnorm_forward,
                                "activation": _activation_forward, "dropout": _dropout_forward}


# -- backward: each row takes dJ/d(its output) per (neuron, sample) and returns dJ/d(its input) ---------------------
def _dense_backward(row, b: Builder, upstream):
    l, r = row.layer, b.net.reduction
    for i in range(1, b.sizes[l - 1] + 1):  # dJ/dw^(l)_{i,j} = r sum_s x^(l-1)_i delta^(l)_j
        for j in range(1, b.sizes[l] + 1):
            b.add(f"dW{l}[{i},{j}]", r * sp.Add(*[b.sym(f"x{l - 1}[{i}]@{s}") * upstream[(j, s)] for s in _samples(b)]))
    for j in range(1, b.sizes[l] + 1):
        b.add(f"db{l}[{j}]", r * sp.Add(*[upstream[(j, s)] for s in _samples(b)]))
    if l == 1:
        return None
    # dJ/dx^(l-1)_i = sum_j delta^(l)_j w^(l)_{i,j}
    return {(i, s): sp.Add(*[upstream[(j, s)] * b.sym(f"W{l}[{i},{j}]") for j in range(1, b.sizes[l] + 1)])
            for i in range(1, b.sizes[l - 1] + 1) for s in _samples(b)}


def _batchnorm_backward(row, b: Builder, upstream):
    l, n, r = row.layer, b.n, b.net.reduction
    eps, result = sp.Rational(row.eps.numerator, row.eps.denominator), {}
    for k in range(1, b.sizes[l] + 1):
        du = [upstream[(k, s)] for s in _samples(b)]
        zhat = [b.sym(f"zhat{l}[{k}]@{s}") for s in _samples(b)]
        b.add(f"dgamma{l}[{k}]", r * sp.Add(*[d * h for d, h in zip(du, zhat)]))
        b.add(f"dbeta{l}[{k}]", r * sp.Add(*du))
        gamma, var = b.sym(f"gamma{l}[{k}]"), b.sym(f"var{l}[{k}]")
        g = [gamma * d for d in du]
        mean_g, mean_gz = sp.Add(*g) / n, sp.Add(*[gs * h for gs, h in zip(g, zhat)]) / n
        for s, gs, h in zip(_samples(b), g, zhat):
            result[(k, s)] = b.add(f"delta{l}[{k}]@{s}", (gs - mean_g - h * mean_gz) / sp.sqrt(var + eps))
    return result


def _activation_backward(row, b: Builder, upstream):
    l, bp, result = row.layer, b.derivation.backprop, {}
    vector = b.net.activation(l).vector
    for s in _samples(b):
        for k in range(1, b.sizes[l] + 1):
            ms = range(1, b.sizes[l] + 1) if vector else [k]
            terms = [upstream[(m, s)] * b.per_sample(bp.dx_dz(l, m, k), s, l, z=row.source, x=row.target) for m in ms]
            result[(k, s)] = b.add(f"{row.delta_kind}{l}[{k}]@{s}", sp.Add(*terms))
    return result


def _dropout_backward(row, b: Builder, upstream):
    scale = sp.Rational(row.backward_scale().numerator, row.backward_scale().denominator)
    return {(k, s): b.add(f"da{row.layer}[{k}]@{s}", scale * (b.sym(f"mask{row.layer}[{k}]@{s}") * upstream[(k, s)]))
            for s in _samples(b) for k in range(1, b.sizes[row.layer] + 1)}


BACKWARD: dict[str, Callable] = {"dense": _dense_backward, "batchnorm": _batchnorm_backward,
                                 "activation": _activation_backward, "dropout": _dropout_backward}


def _lookup(table: dict, kind: str):
    try:
        return table[kind]
    except KeyError:
        from ..derive.errors import UnsupportedError

        raise UnsupportedError("--lms", f"the step graph has no steps for a {kind} layer yet") from None


def build_steps(derivation) -> tuple[list, dict]:
    """([(name, formula)], index): given numbers, the forward pass of every sample, costs, the backward pass, batch
    gradients and (one full-batch step of gradient descent) the updated parameters."""
    from ..derive.layers import build_rows
    from ..derive.training import moves

    b, spec, net = Builder(derivation), derivation.spec, derivation.net
    rows, L, n = build_rows(spec), spec.depth, spec.n_samples
    parameters = [(name, q) for name in rows.parameters() for q in _entries(name, spec)]
    for name, entry in parameters:
        b.add(entry)
    for s in _samples(b):
        for k in range(1, b.sizes[0] + 1):
            b.add(f"x0[{k}]@{s}")
        for k in range(1, b.sizes[L] + 1):
            b.add(f"y[{k}]@{s}")
    for row in rows.layers:
        _lookup(FORWARD, row.kind)(row, b)
    for s in _samples(b):
        b.add(f"J@{s}", b.per_sample(net.sample_cost, s))
    b.add("J", net.reduction * sp.Add(*[b.sym(f"J@{s}") for s in _samples(b)]))
    upstream = {(m, s): b.add(f"dx{L}[{m}]@{s}", b.per_sample(derivation.backprop.dJ_dx(m), s))
                for s in _samples(b) for m in range(1, b.sizes[L] + 1)}
    for row in reversed(rows.layers):
        upstream = _lookup(BACKWARD, row.kind)(row, b, upstream)
    one_step = spec.steps == 1 and (spec.batch_size in (0, None) or spec.batch_size >= n)
    rate = sp.Rational(str(spec.learning_rate)) if not isinstance(spec.learning_rate, float) else sp.Float(spec.learning_rate)
    for name, entry in parameters:
        # theta <- theta - eta g; over several steps the later passes are the derivation's own (as in check)
        after = None
        if one_step:
            after = b.sym(entry) - rate * b.sym(f"d{entry}") if moves(spec)(name) else b.sym(entry)
        b.add(f"{entry}@after", after)
    return b.entries, b.index


def _entries(name: str, spec) -> list:
    """The scalar names of a parameter array: W2 -> W2[1,1], W2[1,2], ...; gamma1 -> gamma1[1], ..."""
    kind, layer = re.fullmatch(r"([A-Za-z]+)(\d+)", name).groups()
    layer, sizes = int(layer), spec.layers
    if kind == "W":
        return [f"W{layer}[{i},{j}]" for i in range(1, sizes[layer - 1] + 1) for j in range(1, sizes[layer] + 1)]
    return [f"{kind}{layer}[{k}]" for k in range(1, sizes[layer] + 1)]
