"""Safe parsing of a custom activation written by the user as a function of `z`.

The text is never evaluated: `ast.parse` gives a syntax tree, and a strict
whitelist walk builds the SymPy expression node by node. Anything not on the
whitelist is refused with a `SpecError` naming what was found and what is allowed.
"""

import ast

import sympy

from .errors import SpecError
from .limits import DEFAULT_LIMITS, Limits, exceeds, hint

# The single table of functions a custom activation may call.
ALLOWED_FUNCTIONS = {"exp": sympy.exp, "log": sympy.log, "tanh": sympy.tanh, "sqrt": sympy.sqrt,
                     "abs": sympy.Abs, "max": sympy.Max, "min": sympy.Min}
_VARIADIC = {"max", "min"}  # these take 2 or more arguments; the others exactly 1
ALLOWED_HINT = "use numbers, z, + - * / **, and " + ", ".join(ALLOWED_FUNCTIONS)

# Arithmetic operators (** is handled apart, its exponent being restricted).
_ARITHMETIC = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
               ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b}
# How refused operators and nodes are named in messages.
_SYMBOLS = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.BitAnd: "&", ast.BitOr: "|",
            ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>", ast.Invert: "~", ast.Not: "not"}
_KINDS = {ast.Attribute: "attribute access", ast.Subscript: "indexing", ast.Lambda: "lambda",
          **dict.fromkeys((ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp),
                          "a comprehension"),
          ast.JoinedStr: "an f-string", ast.BoolOp: "and/or", ast.Compare: "a comparison",
          ast.IfExp: "a conditional expression", ast.NamedExpr: "assignment (:=)",
          ast.Tuple: "a tuple", ast.List: "a list", ast.Dict: "a dict", ast.Set: "a set",
          ast.Starred: "a starred argument"}


def parse_activation(text: str, field: str = "custom.expression", limits: Limits = DEFAULT_LIMITS
                     ) -> tuple[sympy.Expr, sympy.Symbol]:
    """Turn `text` (e.g. "z / (1 + abs(z))") into (SymPy expression, symbol z), within `limits`."""
    if not isinstance(text, str):
        raise SpecError(field, f"must be text, not {type(text).__name__}; {ALLOWED_HINT}")
    if len(text) > limits.custom_length:  # checked before the parser ever sees the text
        raise SpecError(field, f"is {len(text)} characters long; at most {limits.custom_length} are allowed")
    text = text.strip()
    if not text:
        raise SpecError(field, f"is empty; write a function of z such as 'tanh(z)'; {ALLOWED_HINT}")
    depth = 0
    for char in text:  # parentheses leave no AST node, so their nesting is capped here
        depth += (char in "([{") - (char in ")]}")
        if depth > limits.custom_nesting:
            raise SpecError(field, f"brackets nest deeper than {limits.custom_nesting} levels; {ALLOWED_HINT}")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as e:
        where = f" at column {e.offset}" if e.offset else ""
        raise SpecError(field, f"{text!r}: syntax error ({e.msg}){where}; {ALLOWED_HINT}") from None
    except (ValueError, RecursionError, MemoryError) as e:
        raise SpecError(field, f"{text!r}: cannot be parsed ({e}); {ALLOWED_HINT}") from None
    _check_size(tree.body, text, field, limits)  # before SymPy builds (or multiplies out) anything
    z = sympy.Symbol("z", real=True)
    expr = _Builder(text, field, z, limits).build(tree.body, 1)
    if expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise SpecError(field, f"{text!r}: gives {expr}, which is infinite or undefined")
    if z not in expr.free_symbols:
        raise SpecError(field, f"{text!r}: does not involve z (it equals {expr}); "
                               "an activation must be a function of z")
    if limits.custom_ops is not None:
        # the derivative is what gets compiled and printed: bound its size (degree and nesting keep diff cheap)
        ops = sympy.count_ops(sympy.diff(expr, z))
        if ops > limits.custom_ops:
            raise SpecError(field, f"{text[:60]!r}: its derivative has {ops} operations, more than "
                                   f"{limits.custom_ops}{hint(limits)}")
    return expr, z


def _shape(node: ast.AST) -> tuple[int, int]:
    """(upper bound of the polynomial degree in z, depth of calls nested in calls), read off the syntax tree.

    Degrees: a number 0, z 1; + and - the larger; * and / the sum (a quotient's numerator and denominator
    together); ** n multiplies by |n|; a call keeps its argument's degree (exp(p) is never multiplied out).
    Nodes the builder refuses count as numbers: they never reach SymPy.
    """
    if isinstance(node, ast.Name):
        return 1, 0
    if isinstance(node, ast.UnaryOp):
        return _shape(node.operand)
    if isinstance(node, ast.BinOp):
        (left, left_calls), right_shape = _shape(node.left), _shape(node.right)
        if isinstance(node.op, ast.Pow):
            exponent = node.right
            while isinstance(exponent, ast.UnaryOp):
                exponent = exponent.operand
            value = exponent.value if isinstance(exponent, ast.Constant) else None
            power = abs(value) if type(value) is int else 1  # 0.5 (sqrt) keeps the degree
            return left * max(power, 1), max(left_calls, right_shape[1])
        right, right_calls = right_shape
        combined = max(left, right) if isinstance(node.op, (ast.Add, ast.Sub)) else left + right
        return combined, max(left_calls, right_calls)
    if isinstance(node, ast.Call):
        shapes = [_shape(arg) for arg in node.args] or [(0, 0)]
        return max(s[0] for s in shapes), 1 + max(s[1] for s in shapes)
    return 0, 0


def _check_size(node: ast.AST, text: str, field: str, limits: Limits) -> None:
    degree, calls = _shape(node)
    if exceeds(degree, limits.custom_degree):
        raise SpecError(field, f"{text[:60]!r}: polynomial degree up to {degree}, more than "
                               f"{limits.custom_degree}{hint(limits)}")
    if exceeds(calls, limits.custom_calls):
        raise SpecError(field, f"{text[:60]!r}: function calls nested {calls} deep, more than "
                               f"{limits.custom_calls}{hint(limits)}")


class _Builder:
    """Walks the syntax tree, building SymPy objects for whitelisted nodes only."""

    def __init__(self, text: str, field: str, z: sympy.Symbol, limits: Limits = DEFAULT_LIMITS):
        self.text, self.field, self.z, self.limits = text, field, z, limits

    def fail(self, node: ast.AST, what: str):
        snippet = (ast.get_source_segment(self.text, node) or self.text)[:60]  # what was found
        raise SpecError(self.field, f"{snippet!r}: {what}; {ALLOWED_HINT}")

    def build(self, node: ast.AST, depth: int) -> sympy.Expr:
        if depth > self.limits.custom_nesting:
            self.fail(node, f"nesting deeper than {self.limits.custom_nesting} levels is not allowed")
        result = self._node(node, depth)
        # Constants stay real and modest, so no later node (exp, max, ...) can blow up.
        if not result.free_symbols:
            value = result.evalf(15)
            magnitude = self.limits.custom_magnitude
            if not (value.is_real and value.is_finite) or exceeds(abs(value), magnitude):
                self.fail(node, f"gives {result}, not a real number within ±{magnitude or float('inf'):g}")
        return result

    def _node(self, node: ast.AST, depth: int) -> sympy.Expr:
        if isinstance(node, ast.Constant):
            return self.number(node)
        if isinstance(node, ast.Name):
            if node.id != "z":
                self.fail(node, f"the name {node.id!r} is not allowed (the only name is z)")
            return self.z
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
            operand = self.build(node.operand, depth + 1)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            return self.power(node, self.build(node.left, depth + 1))
        if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
            left, right = self.build(node.left, depth + 1), self.build(node.right, depth + 1)
            return _ARITHMETIC[type(node.op)](left, right)
        if isinstance(node, (ast.BinOp, ast.UnaryOp)):
            self.fail(node, f"the operator {_SYMBOLS.get(type(node.op), '?')} is not allowed")
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        self.fail(node, f"{_KINDS.get(type(node), type(node).__name__.lower())} is not allowed")

    def number(self, node: ast.Constant) -> sympy.Expr:
        value = node.value
        if type(value) is int:  # exact type test: refuses True/False (bool is an int)
            return sympy.Integer(value)
        if type(value) is not float:
            kind = "a string" if isinstance(value, (str, bytes)) else f"the constant {value!r}"
            self.fail(node, f"{kind} is not allowed")
        # Exact from the written decimal (0.1 -> 1/10), after bounding its exponent.
        written = (ast.get_source_segment(self.text, node) or repr(value)).replace("_", "")
        most = self.limits.decimal_exponent
        if abs(int(written.lower().partition("e")[2] or 0)) > most:  # e.g. 1e999999
            self.fail(node, f"decimal exponents beyond e+{most} or e-{most} are not allowed")
        return sympy.Rational(written)

    def power(self, node: ast.BinOp, base: sympy.Expr) -> sympy.Expr:
        exponent, sign = node.right, 1
        while isinstance(exponent, ast.UnaryOp) and isinstance(exponent.op, (ast.UAdd, ast.USub)):
            sign *= -1 if isinstance(exponent.op, ast.USub) else 1
            exponent = exponent.operand
        value = exponent.value if isinstance(exponent, ast.Constant) else None
        if type(value) is float and value == 0.5 and sign == 1:
            return sympy.sqrt(base)
        most = self.limits.custom_exponent
        if type(value) is not int or exceeds(value, most):
            self.fail(node, "the exponent must be a literal integer" + (f" from -{most} to {most}" if most else "")
                      + ", or 0.5")
        # SymPy multiplies out numeric powers ((z*9**8)**8 too): keep their size bounded.
        bits = max((max(abs(r.p), r.q).bit_length() for r in base.atoms(sympy.Rational)), default=0)
        if exceeds(bits * value, self.limits.custom_bits):
            self.fail(node, f"the numbers involved grow too large (over {self.limits.custom_bits} bits)")
        return base ** (sign * value)

    def call(self, node: ast.Call, depth: int) -> sympy.Expr:
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in ALLOWED_FUNCTIONS:
            self.fail(node, "only calls to exp, log, tanh, sqrt, abs, max, min are allowed")
        if node.keywords or any(isinstance(arg, ast.Starred) for arg in node.args):
            self.fail(node, "keyword and starred arguments are not allowed")
        variadic = name in _VARIADIC
        if (len(node.args) < 2) if variadic else (len(node.args) != 1):
            self.fail(node, f"{name}() takes {'2 or more arguments' if variadic else '1 argument'}")
        return ALLOWED_FUNCTIONS[name](*(self.build(arg, depth + 1) for arg in node.args))
