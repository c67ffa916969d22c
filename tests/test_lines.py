"""Displayed lines that fit: the width estimate, sums broken between their printed terms, the printer's pieces."""

import re

import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from nnsteps.render.lines import BUDGETS, Breakable, equation_chain, side_by_side, width
from nnsteps.render.operands import bracketed_sum, signed_pieces
from nnsteps.render.printer import NotationPrinter

numbers = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False).filter(lambda v: abs(v) > 1e-3)


def test_width_of_known_formulas():
    # Computer Modern: a digit is 0.5 em; a binary plus carries two medium spaces; scripts are 0.7 as wide
    assert width("12") == 1.0
    assert abs(width("1 + 2") - (1.0 + 0.78 + 4 / 9)) < 1e-9
    assert abs(width("x^{2}") - (0.52 + 0.35)) < 1e-9
    assert width(r"\frac{1234}{5}") > width("1234") > width(r"\frac{1}{5}")
    assert width(r"\left(-0.5\right)") == width("(-0.5)")  # \left and \right add only their delimiters
    matrix = r"\begin{bmatrix} 1 & 22 \\ 333 & 4 \end{bmatrix}"
    assert width(matrix) > width("333") + width("22")  # columns side by side, with the gap between them


def _rows(latex: str) -> list[str]:
    if not latex.startswith(r"\begin{aligned}"):
        return [latex]
    return latex[len(r"\begin{aligned} "):-len(r" \end{aligned}")].split(r" \\ ")


@settings(max_examples=60, deadline=None)
@given(st.lists(numbers, min_size=1, max_size=40), st.sampled_from(sorted(BUDGETS.values())))
def test_a_long_sum_breaks_between_terms_within_the_budget(values, budget):
    pieces = signed_pieces(values)
    latex = equation_chain("z^{(2)}_{1}", (Breakable(" ".join(pieces), pieces), "0.5"), budget=budget)
    rows = _rows(latex)
    if len(rows) == 1:
        assert latex == f"z^{{(2)}}_{{1}} = {' '.join(pieces)} = 0.5" and width(latex) <= budget
        return
    for row in rows:
        assert width(row.replace("&", "")) <= budget or len(row.split(" + ")) == 1 and len(row.split(" - ")) <= 2
    # every term is there once, in order: the rows read as the sum
    body = " ".join(re.sub(r"^.*?&= |^&\\quad |^&", "", row) for row in rows[:-1])
    assert re.sub(r"\s+", " ", body) == " ".join(pieces)


def test_a_short_chain_stays_on_one_line():
    assert equation_chain("x", (Breakable("1 + 2", ["1", "+ 2"]), "3")) == "x = 1 + 2 = 3"


@settings(max_examples=40, deadline=None)
@given(st.lists(numbers, min_size=2, max_size=30))
def test_parentheses_are_balanced_on_every_broken_line(values):
    part = bracketed_sum(signed_pieces(values), r"\times 0.25")
    for row in _rows(equation_chain(r"\delta^{(1)}_{1}", (part, "1"), budget=BUDGETS["md"])):
        assert row.count(r"\left(") == row.count(r"\right)")  # \left ... \right never spans two lines
    assert str(part).startswith(r"\left(") and part.pieces[-1] == r"\times 0.25"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 12), st.integers(-3, 3).filter(bool)), min_size=1, max_size=8))
def test_the_pieces_of_a_sum_are_its_printed_terms(terms):
    # joined, the printer's pieces of a sum are exactly what it prints on one line
    printer = NotationPrinter()
    expr = sp.Add(*[c * sp.Symbol(f"x1_{k}") * sp.Symbol(f"w2_{k}_1") for k, c in terms])
    assert " ".join(printer.pieces(expr)) == printer.doprint(expr)


def test_a_product_with_a_sum_opens_the_sum():
    x1, x2, z = sp.symbols("x1_1 x1_2 z1_1")
    values = NotationPrinter(values={x1: -0.5, x2: 0.25, z: 1.5})
    pieces = values.pieces((x1 + x2) * z)
    assert pieces == ["1.5", r"\times \bigl(\left(-0.5\right)", r"+ 0.25\bigr)"]


def test_side_by_side_only_when_it_fits():
    assert side_by_side(["a = 1", "b = 2"]) == [r"a = 1, \quad b = 2"]
    long = [" + ".join(["0.123456"] * 6)] * 2
    assert side_by_side(long) == long


def test_a_breakable_survives_pickling():
    import copy
    import pickle

    part = Breakable("1 + 2", ["1", "+ 2"])
    for copied in (pickle.loads(pickle.dumps(part)), copy.deepcopy(part)):
        assert copied == "1 + 2" and copied.pieces == ("1", "+ 2") and isinstance(copied, Breakable)
