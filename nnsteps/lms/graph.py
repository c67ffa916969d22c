"""Every scalar step of a derivation as one SymPy formula of earlier steps, so that a person's numbers can replace any of them.

A node is a quantity (canonical name, e.g. "z1[2]@1"); its formula uses the symbols of the nodes it reads. Replacing
a wrong answer's node by the person's number and recomputing the later nodes is the recomputation `check` does
(derive.mistakes.recompute with overrides), written as formulas so that SymPy's printers can turn it into
JavaScript (the practice page) or Python (PrairieLearn's server.py) that needs no nnsteps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import sympy as sp


@dataclass(frozen=True)
class Node:
    name: str  # canonical quantity name
    formula: Optional[sp.Expr]  # in the symbols v[i] of earlier nodes; None for a given number
    value: float  # the derivation's number


@dataclass(frozen=True)
class StepGraph:
    nodes: tuple[Node, ...]
    index: dict  # canonical name -> position

    def symbol(self, name: str) -> sp.Symbol:
        return sp.Symbol(f"v[{self.index[name]}]")

    def evaluate(self, overrides: Optional[dict] = None) -> list:
        """Every node's number with the given {position: number} put in place of the computed ones (floats)."""
        import math

        v = sp.IndexedBase("v")
        overrides, values = overrides or {}, []
        for position, node in enumerate(self.nodes):
            if position in overrides:
                values.append(float(overrides[position]))
            elif node.formula is None:
                values.append(node.value)
            else:
                formula = node.formula.xreplace({s: v[int(s.name[2:-1])] for s in node.formula.free_symbols})
                try:
                    values.append(float(sp.lambdify(v, formula, "math")(values)))
                except (ArithmeticError, ValueError):
                    values.append(math.nan)
        return values


def canonical(name: str, spec) -> str:
    """The node a quantity name stands for: yhat is the output layer's x."""
    from ..derive.names import parse_quantity

    q = parse_quantity(name, spec)
    if q.kind == "yhat":
        suffix = "".join(f"[{','.join(map(str, q.indices))}]") + (f"@{q.sample}" if q.sample else "")
        return parse_quantity(f"x{spec.depth}{suffix}", spec).name
    return q.name


NUMBERS = ("weights", "biases", "X", "Y", "title", "name", "init", "exercise", "limits")  # fields the formulas never read


def step_graph(derivation) -> StepGraph:
    """The steps with the derivation's numbers; the formulas are made once per network shape (variants share them)."""
    import dataclasses

    from ..derive.names import parse_quantity

    spec = derivation.spec
    if spec.dropout is not None or spec.batchnorm is not None:
        from ..derive.errors import UnsupportedError

        raise UnsupportedError("--lms", "platform exports and practice pages are not yet available for networks with "
                                        "dropout or batch norm (their steps are not in the step graph)")
    shape = tuple((f.name, repr(getattr(spec, f.name))) for f in dataclasses.fields(spec) if f.name not in NUMBERS)
    names, formulas, index = _formulas(shape + (("samples", spec.n_samples),), derivation)
    nodes = tuple(Node(name, formula, float(derivation.quantity_value(parse_quantity(name, spec))))
                  for name, formula in zip(names, formulas))
    return StepGraph(nodes, index)


_SHAPES: dict = {}


def _formulas(shape: tuple, derivation) -> tuple:
    """(names, formulas, index) of a network shape, built from the first derivation of that shape."""
    if shape not in _SHAPES:
        graph = _build(derivation)
        _SHAPES[shape] = ([node.name for node in graph.nodes], [node.formula for node in graph.nodes], graph.index)
    return _SHAPES[shape]


def _build(derivation) -> StepGraph:
    """The derivation's steps for every sample, its cost, backward pass, batch gradients and (one full-batch step) update."""
    from ..derive.names import parse_quantity

    spec, net, bp = derivation.spec, derivation.net, derivation.backprop
    L, sizes, n = spec.depth, spec.layers, spec.n_samples
    nodes, index = [], {}

    def add(name: str, formula=None):
        q = parse_quantity(name, spec)
        index[q.name] = len(nodes)
        nodes.append(Node(q.name, formula, 0.0))  # the numbers are the variant's: step_graph puts them in

    def sym(name: str) -> sp.Symbol:
        return sp.Symbol(f"v[{index[parse_quantity(name, spec).name]}]")

    for l in range(1, L + 1):
        for i in range(1, sizes[l - 1] + 1):
            for j in range(1, sizes[l] + 1):
                add(f"W{l}[{i},{j}]")
        for j in range(1, sizes[l] + 1):
            add(f"b{l}[{j}]")
    r = net.reduction
    for s in range(1, n + 1):
        for k in range(1, sizes[0] + 1):
            add(f"x0[{k}]@{s}")
        for k in range(1, sizes[L] + 1):
            add(f"y[{k}]@{s}")

        def per_sample(expression):  # network symbols of sample s -> node symbols
            table = {}
            for l in range(0, L + 1):
                for k in range(1, sizes[l] + 1):
                    table[net.x(l, k)] = f"x{l}[{k}]@{s}"
                    if l:
                        table[net.z(l, k)] = f"z{l}[{k}]@{s}"
                        table[net.delta(l, k)] = f"delta{l}[{k}]@{s}"
            for l in range(1, L + 1):
                for j in range(1, sizes[l] + 1):
                    table[net.b(l, j)] = f"b{l}[{j}]"
                    for i in range(1, sizes[l - 1] + 1):
                        table[net.w(l, i, j)] = f"W{l}[{i},{j}]"
            for k in range(1, sizes[L] + 1):
                table[net.y(k)] = f"y[{k}]@{s}"
            return expression.xreplace({symbol: sym(name) for symbol, name in table.items()
                                        if symbol in expression.free_symbols})

        for l in range(1, L + 1):
            for k in range(1, sizes[l] + 1):
                add(f"z{l}[{k}]@{s}", per_sample(derivation.receptor(l, k).rhs))
            for k in range(1, sizes[l] + 1):
                add(f"x{l}[{k}]@{s}", per_sample(derivation.neuron(l, k).rhs))
        add(f"J@{s}", per_sample(net.sample_cost))
        for m in range(1, sizes[L] + 1):
            add(f"dx{L}[{m}]@{s}", per_sample(bp.dJ_dx(m)))
        # delta^(L)_k = sum_m dJ/dx_m dx_m/dz_k, with the loss gradient as its own step
        vector = net.activation(L).vector
        for k in range(1, sizes[L] + 1):
            ms = range(1, sizes[L] + 1) if vector else [k]
            add(f"delta{L}[{k}]@{s}", sp.Add(*[sym(f"dx{L}[{m}]@{s}") * per_sample(bp.dx_dz(L, m, k)) for m in ms]))
        for l in range(L - 1, 0, -1):  # delta^(l)_k = (sum_m delta^(l+1)_m w^(l+1)_{k,m}) a'(z^(l)_k)
            for k in range(1, sizes[l] + 1):
                upstream = sp.Add(*[sym(f"delta{l + 1}[{m}]@{s}") * sym(f"W{l + 1}[{k},{m}]")
                                    for m in range(1, sizes[l + 1] + 1)])
                add(f"delta{l}[{k}]@{s}", upstream * per_sample(bp.dx_dz(l, k, k)))
    add("J", r * sp.Add(*[sym(f"J@{s}") for s in range(1, n + 1)]))
    for l in range(L, 0, -1):  # dJ/dw^(l)_{i,j} = r sum_s x^(l-1)_i delta^(l)_j
        for i in range(1, sizes[l - 1] + 1):
            for j in range(1, sizes[l] + 1):
                add(f"dW{l}[{i},{j}]", r * sp.Add(*[sym(f"x{l - 1}[{i}]@{s}") * sym(f"delta{l}[{j}]@{s}")
                                                    for s in range(1, n + 1)]))
        for j in range(1, sizes[l] + 1):
            add(f"db{l}[{j}]", r * sp.Add(*[sym(f"delta{l}[{j}]@{s}") for s in range(1, n + 1)]))
    one_step = spec.steps == 1 and (spec.batch_size in (0, None) or spec.batch_size >= n)
    rate = sp.Rational(str(spec.learning_rate)) if not isinstance(spec.learning_rate, float) else sp.Float(spec.learning_rate)
    for l in range(L, 0, -1):
        for i in range(1, sizes[l - 1] + 1):
            for j in range(1, sizes[l] + 1):
                # theta <- theta - eta g; over several steps the later passes are the derivation's own (as in check)
                add(f"W{l}[{i},{j}]@after",
                    sym(f"W{l}[{i},{j}]") - rate * sym(f"dW{l}[{i},{j}]") if one_step else None)
        for j in range(1, sizes[l] + 1):
            moves = one_step and spec.update_biases
            add(f"b{l}[{j}]@after", sym(f"b{l}[{j}]") - rate * sym(f"db{l}[{j}]") if moves else
                (sym(f"b{l}[{j}]") if one_step else None))
    return StepGraph(tuple(nodes), index)
