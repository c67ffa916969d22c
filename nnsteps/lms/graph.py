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
    """The derivation's steps for every sample, its cost, backward pass, batch gradients and (one full-batch step) update,
    built by the rows of its layers (nnsteps/lms/graph_steps.py)."""
    from .graph_steps import build_steps

    entries, index = build_steps(derivation)
    return StepGraph(tuple(Node(name, formula, 0.0) for name, formula in entries), index)  # step_graph puts the numbers in
