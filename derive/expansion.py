"""The size of fully expanded formulas, estimated from the layer sizes before anything is substituted.

Expanding substitutes every delta^(l) by its chain-rule sum over layer l+1, and every x^(l), z^(l) by its
forward formula. SymPy shares the substituted subtrees, so building is quick, but printing or walking the
result visits each shared subtree once per use: the tree grows with the product of the layer widths. The
estimate counts, layer by layer, the nodes each symbol stands for once expanded, and sums them over the
nodes of the expressions asked for (within a factor of about 4 of the real count; ReLU's Piecewise more).
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp


def _size(expression: sp.Expr) -> int:
    return sum(1 for _ in sp.preorder_traversal(expression))


class _Sizes:
    """Nodes that x^(l)_k, z^(l)_k and delta^(l)_k stand for once fully expanded (the same for every k)."""

    def __init__(self, derivation):
        spec, net, backprop = derivation.spec, derivation.net, derivation.backprop
        n, L = spec.layers, spec.depth
        self.x, self.z, self.delta = [1] * (L + 1), [0] * (L + 1), [0] * (L + 1)
        for l in range(1, L + 1):
            self.z[l] = n[l - 1] * (self.x[l - 1] + 2) + 2  # z = sum_i w_i x_i + b
            self.x[l] = self._substituted(net.activation_forms(l)[0], set(net.zs(l)), self.z[l])
        # delta^(L): the simplified output delta, its x^(L) and z^(L) replaced by their forward trees
        output = backprop.output_delta(1).simplified
        self.delta[L] = self._substituted(output, set(net.xs(L)) | set(net.zs(L)), self.x[L])
        for l in range(L - 1, 0, -1):
            # delta^(l)_k = (sum_m delta^(l+1)_m w_km) a'(z^(l)_k)
            local = self._substituted(backprop.dx_dz(l, 1, 1), {net.x(l, 1), net.z(l, 1)}, self.x[l])
            self.delta[l] = n[l + 1] * (self.delta[l + 1] + 3) + local + 1
        self.net = net

    @staticmethod
    def _substituted(expression: sp.Expr, symbols: set, each: int) -> int:
        nodes = list(sp.preorder_traversal(expression))
        hits = sum(1 for node in nodes if node in symbols)
        return len(nodes) - hits + hits * each

    def of(self, expression: sp.Expr) -> int:
        from .names import symbol_quantity

        total = 0
        for node in sp.preorder_traversal(expression):
            ref = symbol_quantity(node) if isinstance(node, sp.Symbol) else None
            table = {"x": self.x, "z": self.z, "delta": self.delta}.get(ref.kind) if ref else None
            total += table[ref.layer] if table is not None and ref.layer is not None else 1
        return total


@lru_cache(maxsize=8)
def _sizes(derivation) -> _Sizes:
    return _Sizes(derivation)


def expanded_nodes(derivation, expressions) -> int:
    """Estimated nodes of the given expressions once fully expanded."""
    sizes = _sizes(derivation)
    return sum(sizes.of(expression) for expression in expressions)
