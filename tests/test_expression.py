"""The custom-activation parser: right SymPy for valid text, SpecError for anything else."""

import os

import pytest
import sympy

from nnsteps.derive.errors import SpecError
from nnsteps.derive.expression import ALLOWED_FUNCTIONS, parse_activation

z = sympy.Symbol("z", real=True)
PWNED = "/tmp/pwned"


@pytest.mark.parametrize("text, expected", [
    ("z / (1 + abs(z))", z / (1 + sympy.Abs(z))),
    ("max(z, 0.1*z)", sympy.Max(z, sympy.Rational(1, 10) * z)),
    ("z**2", z**2),
    ("sqrt(z**2 + 1)", sympy.sqrt(z**2 + 1)),
    ("tanh(z)*2 - 1", 2 * sympy.tanh(z) - 1),
    ("exp(-z**2)", sympy.exp(-z**2)),
    ("min(z, 0, -z)", sympy.Min(z, 0, -z)),
    ("log(1 + exp(z))", sympy.log(1 + sympy.exp(z))),
    ("z**0.5", sympy.sqrt(z)),
    ("z**-2 + +z", z**-2 + z),
    ("  z  ", z),
])
def test_valid_expressions(text, expected):
    expr, symbol = parse_activation(text)
    assert symbol == z and symbol.is_real
    assert sympy.simplify(expr - expected) == 0


@pytest.mark.parametrize("text, point, value", [
    ("z / (1 + abs(z))", -3, sympy.Rational(-3, 4)),
    ("max(z, 0.1*z)", -2, sympy.Rational(-1, 5)),
    ("max(z, 0.1*z)", 5, 5),
    ("z**2", -3, 9),
    ("sqrt(z**2 + 1)", 2, sympy.sqrt(5)),
    ("tanh(z)*2 - 1", 0, -1),
    ("exp(-z**2)", 1, sympy.exp(-1)),
])
def test_values(text, point, value):
    expr, symbol = parse_activation(text)
    assert sympy.simplify(expr.subs(symbol, point) - value) == 0


def test_decimal_literals_are_exact():
    expr, symbol = parse_activation("0.1*z")
    assert expr == sympy.Rational(1, 10) * symbol
    assert expr.coeff(symbol) == sympy.Rational(1, 10)
    assert parse_activation("z + 2.5e-3")[0] == symbol + sympy.Rational(1, 400)


def test_function_table():
    assert set(ALLOWED_FUNCTIONS) == {"exp", "log", "tanh", "sqrt", "abs", "max", "min"}
    assert ALLOWED_FUNCTIONS["abs"] is sympy.Abs


MALICIOUS = [
    "__import__('os').system('touch /tmp/pwned')",
    "z.__class__",
    "().__class__.__bases__[0].__subclasses__()",
    "9**9**9",
    "2**100",
    "z**z",
    "z**(1/2)",
    "lambda: 1",
    "[z for z in ()]",
    "exp(z, base=2)",
    "exp(*[z])",
    "open('x')",
    "'abc'",
    "b'abc'",
    "z if z else 1",
    "z and 1",
    "not z",
    "z < 1",
    "(z := 1)",
    "f'{z}'",
    "z[0]",
    "x + 1",
    "1 + 2",
    "z - z",
    "",
    "   ",
    "z+" * 150 + "z",
    "(" * 100 + "z" + ")" * 100,
    "(" * 60 + "z" + ")" * 60,
    "-" * 60 + "z",
    "exp(",
    "z // 2",
    "z % 2",
    "(z, 1)",
    "{z: 1}",
    "z + True",
    "z + None",
    "z + 1j",
    "exp(z)(1)",
    "getattr(z, 'x')",
    "max(z)",
    "tanh(z, z)",
    "z / 0",
    "z * log(0)",
    "sqrt(-1) * z",
    "z + 1e999999",
    "max(exp(exp(exp(99))), z)",
    "((((z*9**8)**8)**8)**8)",
    "z\x00",
]


@pytest.mark.parametrize("text", MALICIOUS)
def test_rejected(text):
    with pytest.raises(SpecError) as info:
        parse_activation(text, field="layers[0].custom.expression")
    assert info.value.field == "layers[0].custom.expression"
    assert str(info.value).startswith("layers[0].custom.expression: ")
    assert not os.path.exists(PWNED)


def test_message_names_what_was_found_and_what_is_allowed():
    with pytest.raises(SpecError) as info:
        parse_activation("z.__class__")
    message = str(info.value)
    assert message.startswith("custom.expression: 'z.__class__': attribute access")
    assert "exp, log, tanh, sqrt, abs, max, min" in message


def test_syntax_error_names_the_column():
    with pytest.raises(SpecError, match="column"):
        parse_activation("z + * 2")


def test_length_is_checked_before_parsing():
    with pytest.raises(SpecError, match="200"):
        parse_activation("z" * 201)


def test_rejects_non_text():
    with pytest.raises(SpecError):
        parse_activation(42)
