"""The run that turns the rows' loop into NumPy source lines: the exported module's forward pass and gradients."""

from __future__ import annotations

from typing import NamedTuple

ATOM, PRODUCT, SUM = 3, 2, 1  # Python's precedence of a name or call, of @ and *, of +


class Code(NamedTuple):
    """A NumPy expression as text, with the precedence and operator of its outermost operation.

    `fresh`: the expression allocates a new array (a product, a column sum), which may then be updated in place;
    `operands`: (fresh array, other operand) of an elementwise `+` or `*` that can be done in place.
    """

    text: str
    precedence: int = ATOM
    operator: str = ""
    fresh: bool = False
    operands: tuple = ()


def _operand(code: Code, precedence: int, operator: str, right: bool = False) -> str:
    # parentheses where Python needs them, and around a different operator of the same level (readability)
    same_level = code.precedence == precedence and (right or code.operator != operator)
    return f"({code.text})" if code.precedence < precedence or same_level else code.text


def _binary(a: Code, operator: str, b: Code, precedence: int, fresh: bool = False) -> Code:
    text = f"{_operand(a, precedence, operator)} {operator} {_operand(b, precedence, operator, True)}"
    # a + b or a * b with one side a new array: computed in place into that array (one allocation fewer)
    in_place = (a, b) if a.fresh else (b, a) if b.fresh else ()
    return Code(text, precedence, operator, fresh, in_place if operator in ("+", "*") else ())


class CodeOps:
    """The primitives printed as NumPy source."""

    @staticmethod
    def matmul(a, b):
        return _binary(a, "@", b, PRODUCT, fresh=True)

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
        r = r if isinstance(r, Code) else Code(repr(float(r)))  # a constant of the rows (lambda of the L2 term)
        return _binary(r, "*", a, PRODUCT)

    @staticmethod
    def column_sums(a):
        return Code(f"{_operand(a, ATOM, '')}.sum(axis=0)", fresh=True)

    add = add_rows  # the same sum printed: a gradient plus lambda W

    @staticmethod
    def sum_squares(a):
        return Code(f"np.sum({a.text} ** 2)")

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

    def _assign(self, name: str, value: Code, note: str) -> None:
        """name = value; an elementwise + or * on a new array is done in place (a careful person's NumPy)."""
        if value.operands:
            fresh, other = value.operands
            self._emit(f"{name} = {fresh.text}", note)
            self._emit(f"{name} {value.operator}= {other.text}", "")
        else:
            self._emit(f"{name} = {value.text}", note)

    def record(self, kind: str, layer, value, note: str = ""):
        if value is None or (kind, layer) == ("x", 0):  # the input is xs[0]; dJ/dx^(L) is folded into dZ^(L)
            return value if value is None else self.value(kind, layer)
        names = {"z": f"z{layer}", "x": f"x{layer}", "delta": f"dZ{layer}", "grad": f"d{layer}"}
        if kind in CACHED:  # a dropout or batch-norm record, kept for the backward pass
            self.cached = True
            self._assign(self.value(kind, layer).text, value, note)
            return self.value(kind, layer)
        if kind not in names:
            raise KeyError(f"the exported module has no {kind!r} record")
        self._assign(names[kind], value, note)
        if kind in ("z", "x"):
            self._emit(f"{kind}s.append({names[kind]})", "")
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
        return Code(f'numpy.asarray(masks["x{row.layer}"], dtype=float)')

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
