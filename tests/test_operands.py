"""Signs and parentheses from the printer's precedence rule (render/operands.py), and explainers looked up by kind."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from nnsteps.derive.derivation import Derivation, derive
from nnsteps.derive.errors import UnsupportedError
from nnsteps.derive.matrix_form import MatrixEquation
from nnsteps.render.closing import update_numbers
from nnsteps.render.context import Context
from nnsteps.render.explain import FORWARD, MATRIX_ROWS, UnknownKind, matrix_row, matrix_steps
from nnsteps.render.numbers import format_number, latex_number
from nnsteps.render.operands import DOTS, Term, factor, power_base, product, signed_sum
from nnsteps.render.steps import worked_example
from nnsteps.spec import load_spec

# numbers as documents meet them: negative, zero, -0.0, tiny and huge (scientific), exact rationals
floats = st.one_of(
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
    st.sampled_from([0.0, -0.0, 1e-7, -1e-7, 999999.5, -999999.5, 6384.31, -0.314, 1e-300, -1e300]),
)
rationals = st.fractions(min_value=-1000, max_value=1000, max_denominator=1000).map(
    lambda f: sp.Rational(f.numerator, f.denominator))
numbers = st.one_of(floats, rationals)
digits = st.integers(min_value=2, max_value=15)

_SCIENTIFIC = re.compile(r"^(-?[\d.]+) \\times 10\^\{(-?\d+)\}$")
_FRACTION = re.compile(r"^(-?)\\frac\{(\d+)\}\{(\d+)\}$")


def _read(tex: str):
    """A printed number back as a number (LaTeX of latex_number, or its parenthesized form)."""
    if tex.startswith(r"\left(") and tex.endswith(r"\right)"):
        tex = tex[len(r"\left("):-len(r"\right)")]
    if (match := _FRACTION.match(tex)):
        value = Fraction(int(match.group(2)), int(match.group(3)))
        return -value if match.group(1) else value
    if (match := _SCIENTIFIC.match(tex)):
        return float(f"{match.group(1)}e{match.group(2)}")
    assert re.fullmatch(r"-?\d+(\.\d+)?", tex), tex
    return float(tex)


def _expected(value, n_digits: int):
    """The number as the document's digits write it."""
    text = format_number(value, n_digits)
    return Fraction(text) if "/" in text else float(text)


def _read_sum(tex: str) -> list:
    """The terms of a printed sum, each with its sign: split at the top-level ' + ' and ' - '."""
    pieces = re.split(r" ([+-]) ", tex)
    terms = [_read(pieces[0])]
    for sign, piece in zip(pieces[1::2], pieces[2::2]):
        terms.append(_read(piece) if sign == "+" else -_read(piece))
    return terms


@settings(max_examples=300, deadline=None)
@given(st.lists(numbers, min_size=1, max_size=8), digits)
def test_signed_sum_reads_back_to_the_same_numbers(values, n_digits):
    printed = signed_sum(values, n_digits)
    assert "+ -" not in printed and "- -" not in printed and "+ +" not in printed
    assert _read_sum(printed) == [_expected(v, n_digits) for v in values]
    # the first term keeps its own minus, without parentheses
    assert printed.startswith(latex_number(values[0], n_digits))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(numbers, st.lists(numbers, min_size=1, max_size=3)), min_size=1, max_size=6), digits)
def test_sums_of_products_never_stack_signs(items, n_digits):
    # a term is a number or a product of numbers (as the receptor and the delta recursion print them)
    terms = [Term(product(item, n_digits)) if isinstance(item, list) else item for item in items]
    printed = signed_sum(terms[:1] + [DOTS] + terms[1:], n_digits)
    assert "+ -" not in printed and "- -" not in printed
    for item in items:
        if isinstance(item, list):
            assert [_read(f) for f in _factors(product(item, n_digits))] == [_expected(v, n_digits) for v in item]


def _factors(tex: str) -> list[str]:
    """The factors of a printed product: parenthesized groups, or single tokens between the \\times."""
    return [f for f in re.findall(r"\\left\(.*?\\right\)|\S+", tex) if f != r"\times"]


def _old_is_compound(text: str, base: bool = False) -> bool:
    """The string rule the precedence rule replaced (render/numbers.is_compound before issue 11)."""
    return text.startswith("-") or "\\times" in text or (base and "\\frac" in text)


@settings(max_examples=300, deadline=None)
@given(numbers, digits)
def test_precedence_rule_parenthesizes_as_the_documents_always_did(value, n_digits):
    text = latex_number(value, n_digits)
    assert (factor(value, n_digits) != text) == _old_is_compound(text)
    assert (power_base(value, n_digits) != text) == _old_is_compound(text, base=True)
    for wrapped in (factor(value, n_digits), power_base(value, n_digits)):
        assert wrapped in (text, rf"\left({text}\right)")
        assert _read(wrapped) == _expected(value, n_digits)


def test_the_rule_on_examples():
    assert factor(-0.3) == r"\left(-0.3\right)"
    assert product([0.5, -0.3]) == r"0.5 \times \left(-0.3\right)"
    assert factor(1.5e-9) == r"\left(1.5 \times 10^{-9}\right)"
    assert factor(sp.Rational(1, 2)) == r"\frac{1}{2}" and power_base(sp.Rational(1, 2)) == r"\left(\frac{1}{2}\right)"
    assert factor(-0.0) == "0" and factor(0.25) == "0.25"
    assert signed_sum([-0.3, 0.5]) == "-0.3 + 0.5"
    assert signed_sum([0.5, -0.3, -0.0, DOTS, sp.Rational(-1, 4)]) == r"0.5 - 0.3 + 0 + \cdots - \frac{1}{4}"
    assert signed_sum([Term("a", negative=True), Term("b", negative=True)]) == "-a - b"
    assert update_numbers(0.5, 0.1, -0.2, 6) == r"0.5 - 0.1 \times \left(-0.2\right)"
    assert update_numbers(-0.5, 0.1, 0.2, 6) == r"-0.5 - 0.1 \times 0.2"


# -- explainers by kind ---------------------------------------------------------------

@pytest.fixture(scope="module")
def tutorial():
    return derive(load_spec("tutorial"))


def test_every_kind_derive_produces_has_a_row(tutorial):
    for name in ("tutorial", "xor-softmax", "tanh-sigmoid", "chain"):
        d = tutorial if name == "tutorial" else derive(load_spec(name))
        assert {e.kind for e in d.matrix_form()} <= set(MATRIX_ROWS)


def test_an_unknown_kind_raises_naming_it(tutorial):
    with pytest.raises(UnknownKind, match="'dropout_mask'") as raised:
        matrix_row("dropout_mask")
    assert isinstance(raised.value, UnsupportedError) and isinstance(raised.value, LookupError)
    assert raised.value.field == "kind"
    X = sp.MatrixSymbol("X1", 4, 3)
    equations = tutorial.matrix_form() + [MatrixEquation("dropout_mask", 1, X, X)]
    with pytest.raises(UnknownKind, match="dropout_mask"):
        matrix_steps(Context(tutorial), FORWARD, equations)


def test_a_document_with_an_unknown_kind_fails_rather_than_dropping_it(tutorial, monkeypatch):
    known = worked_example(tutorial)
    assert known.sections  # the same derivation renders with the kinds render/ knows
    original = Derivation.matrix_form
    X = sp.MatrixSymbol("X1", 4, 3)
    monkeypatch.setattr(Derivation, "matrix_form",
                        lambda self: original(self) + [MatrixEquation("batchnorm_mean", 1, X, X)])
    with pytest.raises(UnknownKind, match="batchnorm_mean"):
        worked_example(tutorial)


# -- symbolic factors: the printer's precedence -------------------------------------------

def _top_level_sum(printed: str) -> bool:
    """Whether printed LaTeX has a + or - between terms outside every brace and \\left( \\right) pair."""
    depth = 0
    for i, char in enumerate(printed):
        if char == "{" or printed.startswith(r"\left", i):
            depth += 1
        elif char == "}" or printed.startswith(r"\right", i):
            depth -= 1
        elif depth == 0 and i and printed[i - 1:i + 2] in (" + ", " - "):
            return True
    return False


def _expected_factor_tex(printer, form) -> str:
    """Read off the printed text, independently of the precedence rule: a factor of a product needs parentheses
    when it starts with a minus or shows a sum at its top level (-(x - 1)(x + 1) is printed 1 - x^2)."""
    printed = printer.doprint(form)
    return rf"\left({printed}\right)" if printed.startswith("-") or _top_level_sum(printed) else printed


def _spec(hidden: str, output: str, loss: str):
    from nnsteps.spec import spec_from_mapping
    mapping = {"layers": [2, 2, 2 if output == "softmax" else 1], "activations": [hidden, output], "loss": loss,
               "init": {"scheme": "normal", "seed": 3},
               "data": {"X": [[0.5, -1.0]], "Y": [[1.0, 0.0]] if output == "softmax" else [[1.0]]}}
    if hidden == "custom":
        mapping["custom"] = {"expression": "z**3 - 2*z"}
    return spec_from_mapping(mapping)


CASES = [(h, o, loss) for h in ("identity", "relu", "leaky_relu", "sigmoid", "tanh", "softplus", "custom")
         for o, loss in (("sigmoid", "squared_error"), ("sigmoid", "binary_cross_entropy"), ("softmax", "cross_entropy"),
                         ("identity", "squared_error"), ("tanh", "squared_error"))]


@pytest.mark.parametrize("hidden, output, loss", CASES)
def test_local_factors_are_parenthesized_by_what_is_printed(hidden, output, loss):
    # every local derivative on every chain-rule path, printed as a factor of a \cdot product
    d = derive(_spec(hidden, output, loss))
    printer = Context(d).printer
    forms = {f.form for name in ("W1[1,1]", "W2[2,1]", "b1[2]") for path in d.paths(name) for f in path.factors}
    assert forms
    for form in forms:
        assert printer.factor(form) == _expected_factor_tex(printer, form), form


_A, _B, _C = (sp.MatrixSymbol(name, 2, 2) for name in "ABC")


@settings(max_examples=150, deadline=None)
@given(coefficient=st.sampled_from([1, -1, 2, -2, sp.Rational(-1, 2), sp.Rational(3, 4), sp.Symbol("t"),
                                    -sp.Symbol("t")]),
       factors=st.lists(st.sampled_from([_A, _B, _C, _A.T, _B + _C, -_C, sp.HadamardProduct(_A, _B), sp.OneMatrix(2, 2)]),
                        min_size=2, max_size=4))
def test_matrix_product_precedence_and_sign_are_sympys(coefficient, factors):
    """The printer finds a matrix product's sign and precedence cheaply (render/printer.py: _minus, _traditional):
    the same answers as SymPy's could_extract_minus_sign and precedence_traditional, and the same LaTeX."""
    from sympy.printing.latex import LatexPrinter
    from sympy.printing.precedence import precedence_traditional

    from nnsteps.render.printer import NotationPrinter, _minus, _traditional

    expr = sp.MatMul(coefficient, *factors)
    if isinstance(expr, sp.MatMul):
        assert _minus(expr) == expr.could_extract_minus_sign()
    assert _traditional(expr) == precedence_traditional(expr)
    printer = NotationPrinter("tutorial")  # SymPy's own methods, run on the same printer, print the same LaTeX
    if isinstance(expr, sp.MatMul):
        assert printer._print_MatMul(expr) == LatexPrinter._print_MatMul(printer, expr)
    assert printer.parenthesize(expr, 50) == LatexPrinter.parenthesize(printer, expr, 50)
    assert printer.parenthesize(expr, 40, strict=True) == LatexPrinter.parenthesize(printer, expr, 40, strict=True)
