"""The run that turns the rows' loop into NumPy source lines: the exported module's forward pass and gradients."""

from __future__ import annotations

from typing import NamedTuple

ATOM, PRODUCT, SUM = 3, 2, 1  # Python's precedence of a name or call, of @ and *, of +


class Code(NamedTuple):
    """A NumPy expression as text, with the precedence and operator of its outermost operation."""

    text: str
    precedence: int = ATOM
    operator: str = ""


def _operand(code: Code, precedence: int, operator: str, right: bool = False) -> str:
    # parentheses where Python needs them, and around a different operator of the same level (readability)
    same_level = code.precedence == precedence and (right or code.operator != operator)
    return f"({code.text})" if code.precedence < precedence or same_level else code.text


def _binary(a: Code, operator: str, b: Code, precedence: int) -> Code:
    return Code(f"{_operand(a, precedence, operator)} {operator} {_operand(b, precedence, operator, True)}",
                precedence, operator)


class CodeOps:
    """The primitives printed as NumPy source."""

    @staticmethod
    def matmul(a, b):
        return _binary(a, "@", b, PRODUCT)

    @staticmethod
    def transpose(a):
        return Code(f"{_operand(a, ATOM, '')}.T")

    @staticmethod
    def add_rows(a, b):
        return _binary(a, "+", b, SUM)

    @staticmethod
    def hadamard(a, b):
        return _binary(a, "*", b, PRODUCT)

    @staticmethod
    def scale(r, a):
        return _binary(r, "*", a, PRODUCT)

    @staticmethod
    def column_sums(a):
        return Code(f"{_operand(a, ATOM, '')}.sum(axis=0)")

    @staticmethod
    def column_means(a):
        return Code(f"{_operand(a, ATOM, '')}.mean(axis=0)")

    @staticmethod
    def subtract(a, b):
        return Code(f"{_operand(a, SUM, '-')} - {_operand(b, SUM, '-', True)}", SUM, "-")

    @staticmethod
    def broadcast(v, like):
        return v  # NumPy broadcasts a row vector over the samples

    @staticmethod
    def mul_rows(a, v):
        return _binary(a, "*", v, PRODUCT)

    @staticmethod
    def rsqrt(v, eps):
        return Code(f"1.0 / numpy.sqrt({v.text} + {eps.text})", PRODUCT, "/")


# the records of dropout and batch norm rows: activation before dropout, mask, batch statistics, dJ/du, dJ/da
CACHED = ("a", "mask", "mu", "var", "zhat", "u", "du", "da")


class CodeRun:
    """Records become assignments: zs/xs of the forward pass, dZ{l} and dW{l}/db{l} of the gradients."""

    ops = CodeOps

    def __init__(self, depth: int, indent: str = "        "):
        self.depth, self.indent, self.lines = depth, indent, []
        self.cached = False  # whether a row recorded a value beyond zs/xs/dZ/d (masks, batch statistics)

    def _emit(self, text: str, note: str) -> None:
        self.lines.append(f"{self.indent}{text}" + (f"  # {note}" if note else ""))

    def record(self, kind: str, layer, value, note: str = ""):
        if value is None or (kind, layer) == ("x", 0):  # the input is xs[0]; dJ/dx^(L) is folded into dZ^(L)
            return value if value is None else self.value(kind, layer)
        if kind in ("z", "x"):
            self._emit(f"{kind}s.append({value.text})", note)
        elif kind == "delta":
            self._emit(f"dZ{layer} = {value.text}", note)
        elif kind == "grad":
            self._emit(f"d{layer} = {value.text}", note)
        elif kind in CACHED:
            self.cached = True
            self._emit(f'{self.value(kind, layer).text} = {value.text}', note)
        else:
            raise KeyError(f"the exported module has no {kind!r} record")
        return self.value(kind, layer)

    @staticmethod
    def value(kind: str, layer=None) -> Code:
        if kind in CACHED:  # the forward pass hands them to gradients() in the dict `cache`
            return Code(f'cache["{kind}{layer}"]')
        names = {"x": f"xs[{layer}]", "z": f"zs[{layer}]", "delta": f"dZ{layer}", "grad": f"d{layer}"}
        return Code(names[kind])

    @staticmethod
    def number(value) -> Code:
        return Code(repr(float(value)))

    @staticmethod
    def mask(row) -> Code:
        return Code(f'MASKS["x{row.layer}"]')

    @staticmethod
    def param(name: str) -> Code:
        return Code(f'params["{name}"]')

    @staticmethod
    def reduction() -> Code:
        return Code("r")

    @staticmethod
    def activation(row, z: Code) -> Code:
        return Code(f"activation_{row.layer}({z.text})")

    def activation_backward(self, row, z: Code, x: Code, upstream) -> Code:
        if row.output:  # the derived delta^(L), a function of the module
            return Code(f"output_delta({x.text}, Y, {z.text})")
        if row.vector:
            raise KeyError("a vector activation below the output layer")
        return self.ops.hadamard(upstream, Code(f"derivative_{row.layer}({z.text}, {x.text})"))

    @staticmethod
    def loss_gradient(row, outputs):
        return None  # the module's output_delta is the derived dJ/dz^(L) itself
