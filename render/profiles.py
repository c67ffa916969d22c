"""Notation profiles: how the tutorial's, Nielsen's and the matrix notation write a network's scalars and matrices."""

from __future__ import annotations

from typing import NamedTuple

NOTATIONS = ("tutorial", "nielsen", "matrix")


def _index(*indices) -> str:
    """Subscript indices: `2`, `1,3`; Nielsen-style `ji` only when every index is one character."""
    return ",".join(str(i) for i in indices)


# the matrix-form letters of dropout and batch norm (derive/names.py) -> (LaTeX, whether it is dJ/d of it); an accented
# letter ends in {}: amsmath's \hat{Z}^{(1)} followed by ^{\top} is a double superscript
REGULARIZER_MATRICES = {
    "M": (r"\mathbf{M}", False), "A": (r"\tilde{\mathbf{X}}{}", False), "dA": (r"\tilde{\mathbf{X}}{}", True),
    "mu": (r"\boldsymbol{\mu}", False), "sigma2_": (r"\boldsymbol{\sigma}", False), "Zhat": (r"\hat{\mathbf{Z}}{}", False),
    "U": (r"\mathbf{U}", False), "dU": (r"\mathbf{U}", True), "gamma": (r"\boldsymbol{\gamma}", False),
    "beta": (r"\boldsymbol{\beta}", False), "dgamma": (r"\boldsymbol{\gamma}", True), "dbeta": (r"\boldsymbol{\beta}", True),
}


class Profile(NamedTuple):
    """How one notation writes scalars, matrices, the cost and the activation function."""

    name: str
    cost: str  # J or C
    activation: str  # the generic activation function: a, \sigma, g

    def scalar(self, kind: str, layer, *indices) -> str:
        """LaTeX of a network scalar; layer and indices may be numbers or letters (`l`, `k`)."""
        if kind == "J":
            return self.cost
        if kind == "y":
            return f"y_{{{_index(*indices)}}}"
        if self.name == "tutorial":
            letter = {"x": "x", "z": "z", "w": "w", "b": "b", "delta": r"\delta"}[kind]
            return f"{letter}^{{({layer})}}_{{{_index(*indices)}}}"
        if self.name == "nielsen":
            letter = {"x": "a", "z": "z", "w": "w", "b": "b", "delta": r"\delta"}[kind]
            if kind == "w":  # w^l_{jk}: j in layer l, k in layer l-1 -- our (i, j) swapped
                i, j = indices
                sub = f"{j}{i}" if len(str(i)) == 1 and len(str(j)) == 1 else f"{j},{i}"
                return f"w^{{{layer}}}_{{{sub}}}"
            return f"{letter}^{{{layer}}}_{{{_index(*indices)}}}"
        matrix_kind = {"x": "X", "z": "Z", "w": "W", "b": "b", "delta": "dZ"}[kind]
        return f"\\left({self.matrix(matrix_kind, layer)}\\right)_{{{_index(*indices)}}}"

    def matrix(self, kind: str, layer) -> str:
        """LaTeX of a layer matrix: kind X, Z, W, b, Y, dZ, dW, db, dX."""
        bold = {"X": r"\mathbf{X}", "Z": r"\mathbf{Z}", "W": r"\mathbf{W}", "b": r"\mathbf{b}", "Y": r"\mathbf{Y}"}
        if kind in REGULARIZER_MATRICES:  # dropout and batch norm, the same in every notation
            sup = f"({layer})" if self.name == "tutorial" else f"{layer}"
            base, gradient = REGULARIZER_MATRICES[kind]
            if gradient:
                return rf"\frac{{\partial {self.cost}}}{{\partial {base}^{{{sup}}}}}"
            return rf"\left({base}^{{{sup}}}\right)^2" if kind == "sigma2_" else f"{base}^{{{sup}}}"
        if kind == "Y":
            return bold["Y"]
        if self.name == "matrix":
            if kind == "X" and str(layer) == "0":
                return r"\mathbf{X}"
            base = {"X": r"\mathbf{A}", "dZ": r"d\mathbf{Z}", "dW": r"d\mathbf{W}", "db": r"d\mathbf{b}", "dX": r"d\mathbf{A}"}
            return f"{base.get(kind, bold.get(kind))}_{{{layer}}}"
        sup = f"({layer})" if self.name == "tutorial" else f"{layer}"
        if kind == "X" and self.name == "nielsen":
            return rf"\mathbf{{A}}^{{{sup}}}"
        if kind in bold:
            return f"{bold[kind]}^{{{sup}}}"
        if kind == "dZ":
            return rf"\boldsymbol{{\Delta}}^{{{sup}}}"
        target = {"dW": "W", "db": "b", "dX": "A" if self.name == "nielsen" else "X"}[kind]
        return rf"\frac{{\partial {self.cost}}}{{\partial \mathbf{{{target}}}^{{{sup}}}}}"

    def partial(self, numerator: str, denominator: str) -> str:
        return rf"\frac{{\partial {numerator}}}{{\partial {denominator}}}"


PROFILES = {
    "tutorial": Profile("tutorial", "J", "a"),
    "nielsen": Profile("nielsen", "C", r"\sigma"),
    "matrix": Profile("matrix", "J", "g"),
}
