"""The step graph printed: LaTeX worked steps (\\( \\) maths) and each step as a JavaScript and a Python expression in v[i],
by SymPy's code printers (the formulas are the derivation's; no user text reaches the code)."""

from __future__ import annotations

import functools

import sympy as sp

from .numbers import number_text


def _symbol_tex(ctx, name: str) -> str:
    from ..derive.names import parse_quantity
    from ..quantity_tex import quantity_tex

    q = parse_quantity(name, ctx.spec)
    symbol, _ = quantity_tex(ctx, q)
    if q.sample is not None and ctx.spec.n_samples > 1 and q.kind != "J":
        return f"{{{symbol}}}^{{[{q.sample}]}}"
    return symbol


def worked_steps(ctx, graph, asked_nodes) -> list:
    """For each asked node: its formula in the document's symbols, with the numbers it reads, and its value."""
    names = {node.name: _symbol_tex(ctx, node.name) for node in graph.nodes}
    symbol_names = {graph.symbol(name): tex for name, tex in names.items()}
    steps = []
    for position in asked_nodes:
        node = graph.nodes[position]
        lhs = names[node.name]
        value = number_text(node.value)
        if node.formula is None:
            steps.append({"lhs": lhs, "tex": f"{lhs} = {value}"})
            continue
        reads = sorted(node.formula.free_symbols, key=lambda s: int(s.name[2:-1]))
        formula = _latex(node.formula, tuple((s, symbol_names[s]) for s in reads))
        inputs = ", ".join(f"{symbol_names[s]} = {number_text(graph.nodes[int(s.name[2:-1])].value)}" for s in reads)
        steps.append({"lhs": lhs, "tex": f"{lhs} = {formula} = {value}", "inputs": inputs})
    return steps


@functools.lru_cache(maxsize=4096)
def _code(formula: sp.Expr) -> tuple[str, str]:
    """(JavaScript, Python) of one step; every variant of a spec has the same formulas, so each is printed once."""
    return sp.jscode(formula), sp.pycode(formula, fully_qualified_modules=True)


@functools.lru_cache(maxsize=4096)
def _latex(formula: sp.Expr, names: tuple) -> str:
    return sp.latex(formula, symbol_names=dict(names))


def graph_code(graph) -> dict:
    """names, the derivation's values, and per node a JavaScript and a Python expression in v[i] (None: a given number)."""
    js, py = [], []
    for node in graph.nodes:
        if node.formula is None:
            js.append(None)
            py.append(None)
            continue
        javascript, python = _code(node.formula)
        js.append(javascript)
        py.append(python)
    return {"names": [node.name for node in graph.nodes], "values": [node.value for node in graph.nodes],
            "js": js, "py": py}
