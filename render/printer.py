"""A SymPy LaTeX printer that writes network symbols in a notation profile (tutorial, nielsen, matrix)."""

from __future__ import annotations

import re

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.precedence import precedence as sympy_precedence
from sympy.printing.precedence import precedence_traditional

from ..derive.activations import ACTIVATIONS
from ..derive.model import GENERIC_Z
from ..derive.names import letters, matrix_quantity, symbol_quantity
from .lines import Breakable
from .numbers import latex_number
from .operands import BASE, factor, needs_parentheses, power_base
from .profiles import NOTATIONS, PROFILES, REGULARIZER_MATRICES, Profile  # noqa: F401 (re-exported)

MAX_TERMS = 8  # longer sums are printed with dots

_VECTOR_ACTIVATION = re.compile(r"^(J?)(\w+)\(Z(\d+)\)$")


def _minus(expr: sp.MatMul) -> bool:
    """expr.could_extract_minus_sign() of a matrix product: SymPy's test is `expr != -expr` and a negative number
    first; the first half canonicalizes a new product (-A B), so it is asked only when the second half holds."""
    first = expr.args[0]
    return bool(first.is_Number and first.is_extended_negative) and expr.could_extract_minus_sign()


def _traditional(item) -> int:
    """SymPy's precedence_traditional; a matrix product that cannot shed a minus sign binds as a product (which is
    what SymPy's precedence_Mul finds for it, after building -item)."""
    if type(item) is sp.MatMul and not _minus(item):
        return PRECEDENCE["Mul"]
    return precedence_traditional(item)


class NotationPrinter(LatexPrinter):
    """LaTeX of network expressions in a notation profile; with `values`, symbols print as their numbers."""

    printmethod = "_nnsteps_latex"

    def __init__(self, notation: str = "tutorial", spec=None, values: dict | None = None, digits: int = 6):
        super().__init__({"mul_symbol": "times" if values is not None else None})
        self.profile = PROFILES[notation]
        self.spec = spec
        self.values = values
        self.digits = digits

    # -- scalars -----------------------------------------------------------
    def symbol(self, symbol: sp.Symbol) -> str:
        """A symbol's notation, never its value."""
        q = symbol_quantity(symbol)
        if q is None:
            return super()._print_Symbol(symbol)
        return self.profile.scalar(letters(q), q.layer, *q.indices)

    def number(self, value) -> str:
        return latex_number(value, self.digits)

    def _print_Symbol(self, expr, style="plain"):
        if self.values is not None and expr in self.values:  # a number in place of a symbol is a factor
            return factor(self.values[expr], self.digits)
        return self.symbol(expr)

    def _print_Pow(self, expr):
        base = expr.base
        if self.values is not None and isinstance(base, sp.Symbol) and base in self.values:
            value = self.values[base]
            if needs_parentheses(value, BASE, self.digits):  # (-0.5)^{2}, (1/2)^{2}
                return rf"{power_base(value, self.digits)}^{{{self._print(expr.exp)}}}"
        return super()._print_Pow(expr)

    def _print_Float(self, expr):
        return self.number(float(expr))

    def substituted(self, expr) -> str:
        """Print with numbers; a bare symbol prints its number without parentheses."""
        if self.values is not None and isinstance(expr, sp.Symbol) and expr in self.values:
            return self.number(self.values[expr])
        return self.doprint(expr)

    # -- readable activation pieces -------------------------------------------
    def _print_Piecewise(self, expr):
        pieces = expr.args
        if len(pieces) == 2 and pieces[1].cond == sp.true:
            (value, cond), (other, _) = pieces
            if value == 1 and other == 0:  # a'(z) of ReLU: the indicator 1[z > 0]
                return rf"\mathbf{{1}}\left[{self._print(cond)}\right]"
            if other == 0 and isinstance(cond, sp.StrictGreaterThan) and cond.lhs == value and cond.rhs == 0:
                return rf"\max\left\{{0, {self._print(value)}\right\}}"  # ReLU
        rows = []
        for value, cond in pieces:
            condition = r"\text{otherwise}" if cond == sp.true else r"\text{if } " + self._print(cond)
            rows.append(f"{self._print(value)} & {condition}")
        return r"\begin{cases} " + r" \\ ".join(rows) + r" \end{cases}"

    def parenthesize(self, item, level, is_neg=False, strict=False):
        # an indicator 1[...] or max{0, ...} is already delimited
        if isinstance(item, sp.Piecewise) and self._print(item).startswith((r"\mathbf{1}\left[", r"\max")):
            return self._print(item)
        # SymPy's rule, with a matrix product's precedence found cheaply (_traditional)
        if (is_neg and strict) or _traditional(item) < level or (not strict and _traditional(item) <= level):
            return self._add_parens(self._print(item))
        return self._print(item)

    def _print_Heaviside(self, expr, exp=None):
        text = rf"\mathbf{{1}}\left[{self._print(expr.args[0])} > 0\right]"
        return text if exp is None else rf"{text}^{{{exp}}}"

    def _as_ordered_terms(self, expr, order=None):
        # SymPy sorts z_10 before z_2; terms alike up to their indices are put back in index order
        terms = list(super()._as_ordered_terms(expr, order=order))
        skeletons = [_skeleton(t) for t in terms]
        for skeleton in dict.fromkeys(skeletons):
            places = [i for i, s in enumerate(skeletons) if s == skeleton]
            ordered = sorted((terms[i] for i in places), key=_index_key)
            for place, term in zip(places, ordered):
                terms[place] = term
        return terms

    def _add_terms(self, expr, order=None) -> list[tuple[str, object]]:
        """(operator, term) of a sum in printed order, the operator "" for the first; a long sum shows its first
        three terms, dots (term None) and its last term."""
        terms = self._as_ordered_terms(expr, order=order) if isinstance(expr, sp.Add) else list(expr.args)
        shown = terms if len(terms) <= MAX_TERMS else terms[:3] + [None] + terms[-1:]
        signed = []
        for i, term in enumerate(shown):
            if term is not None and i and term.could_extract_minus_sign():
                signed.append(("-", -term))
            else:
                signed.append(("+" if i else "", term))
        return signed

    def _term(self, term) -> str:
        if term is None:
            return r"\cdots"
        term_tex = self._print(term)
        return rf"\left({term_tex}\right)" if self._needs_add_brackets(term) else term_tex

    def _print_Add(self, expr, order=None):
        return " ".join(f"{operator} {self._term(term)}" if operator else self._term(term)
                        for operator, term in self._add_terms(expr, order))

    # -- pieces a displayed line may break between ------------------------------
    def pieces(self, expr) -> list[str]:
        """The expression as pieces joined by operators: the terms of a sum, and the factors of a product with any
        sum among them opened into its terms inside \\bigl( \\bigr) (juxtaposed factors stay together)."""
        if isinstance(expr, (sp.Add, sp.MatAdd)):
            out = []
            for operator, term in self._add_terms(expr):
                # a product opens only around a sum inside it: a break at a \\times within a term would misread
                opens = term is not None and not self._needs_add_brackets(term) and _holds_sum(term)
                inner = self.pieces(term) if opens else [self._term(term)]
                out += [f"{operator} {inner[0]}" if operator else inner[0]] + inner[1:]
            return out
        opened = self._opened(expr)
        if opened is not None:
            return opened
        joins = {sp.Mul: self._settings["mul_symbol_latex"].strip(), sp.MatMul: "", sp.HadamardProduct: r"\circ"}
        kind = next((k for k in joins if type(expr) is k), None)
        if kind is None or (kind is sp.Mul and (_absorbed_sign(expr) is not None or _has_fraction(expr))):
            return [self._print(expr)]
        sign, factors = "", list(expr.args)
        if kind is sp.Mul:  # a minus sign goes in front, as SymPy prints it
            negative = expr.could_extract_minus_sign()
            sign, factors = ("- " if negative else ""), list((-expr if negative else expr).as_ordered_factors())
        out: list[str] = []
        for number, item in enumerate(factors):
            if self._opened(item) is not None:
                inner = self._opened(item)
            elif isinstance(item, (sp.Add, sp.MatAdd)):
                inner = self.pieces(item)
                inner = [r"\bigl(" + inner[0]] + inner[1:-1] + [inner[-1] + r"\bigr)"] if len(inner) > 1 \
                    else [r"\bigl(" + inner[0] + r"\bigr)"]
            else:
                inner = [self.parenthesize(item, PRECEDENCE["Mul"], strict=False)]
            if number and joins[kind]:
                out += [f"{joins[kind]} {inner[0]}"] + inner[1:]
            elif number:  # juxtaposed: glued to what comes before
                out[-1] = f"{out[-1]} {inner[0]}"
                out += inner[1:]
            else:
                out += inner
        out[0] = sign + out[0]
        return out

    def _opened(self, expr) -> list[str] | None:
        """A function of a sum, tanh(a + b), or a power of one, (a + b)^2, opened into the sum's pieces inside
        \\bigl( \\bigr); None for anything else."""
        if isinstance(expr, sp.Function) and len(expr.args) == 1 and isinstance(expr.args[0], sp.Add) \
                and not isinstance(expr, sp.Piecewise):
            inner, before, after = self.pieces(expr.args[0]), self._hprint_Function(str(expr.func)), ""
        elif isinstance(expr, sp.Pow) and isinstance(expr.base, sp.Add) and expr.exp.is_Integer and expr.exp > 1:
            inner, before, after = self.pieces(expr.base), "", f"^{{{self._print(expr.exp)}}}"
        else:
            return None
        if len(inner) == 1:
            return [self._print(expr)]
        return [rf"{before}\bigl({inner[0]}"] + inner[1:-1] + [rf"{inner[-1]}\bigr){after}"]

    def breakable(self, expr) -> Breakable:
        """The expression printed, carrying its pieces for line breaking."""
        return Breakable(self.doprint(expr), self.pieces(expr))

    def _print_Mul(self, expr):
        # -x (x - 1) reads better as x (1 - x); -(x - 1)(x + 1) as 1 - x^2
        rewritten = _absorbed_sign(expr)
        if rewritten is not None:
            return self._print(sp.Mul(*rewritten, evaluate=False))
        return super()._print_Mul(expr)

    def precedence(self, expr) -> int:
        """SymPy's precedence of an expression as this printer writes it: a product with a minus sign binds like a
        sum (SymPy's precedence_Mul), except where _print_Mul absorbs the -1 (-x (x - 1) written x (1 - x), a
        product; -(x - 1)(x + 1) written 1 - x^2, a sum)."""
        rewritten = _absorbed_sign(expr) if isinstance(expr, sp.Mul) else None
        if rewritten is not None:  # -(x - 1)(x + 1) is written 1 - x^2: a lone factor left binds as itself
            return self.precedence(rewritten[0]) if len(rewritten) == 1 else PRECEDENCE["Mul"]
        return sympy_precedence(expr)

    def factor(self, expr) -> str:
        """An expression as one factor of a product written with \\cdot: in parentheses when it binds looser than a
        product (a sum, a negative term); a product itself needs none."""
        printed = self.doprint(expr)
        return rf"\left({printed}\right)" if self.precedence(expr) < PRECEDENCE["Mul"] else printed

    # -- matrices ----------------------------------------------------------
    def _print_MatrixSymbol(self, expr):
        q = matrix_quantity(expr)
        if q is not None:  # W3, dZ3, Y: a layer's array
            return self.profile.matrix(letters(q, "matrix"), q.layer)
        match = _VECTOR_ACTIVATION.match(expr.name)
        if match:
            name = ACTIVATIONS[match.group(2)].latex + ("'" if match.group(1) else "")
            return rf"{name}\left({self.profile.matrix('Z', match.group(3))}\right)"
        return super()._print_MatrixSymbol(expr)

    def _print_MatMul(self, expr):
        # SymPy's, with the product's sign and precedence found once and cheaply (SymPy finds them for every factor)
        minus, level = _minus(expr), _traditional(expr)
        args = list(expr.args)
        if minus:
            args = args[1:] if args[0] == -1 else [-args[0], *args[1:]]
        printed = " ".join(self._print(x) if isinstance(x, sp.Mul) and not isinstance(x, sp.MatMul)
                           else self.parenthesize(x, level, False) for x in args)
        return "- " + printed if minus else printed

    def _print_OneMatrix(self, expr):
        return rf"\mathbf{{1}}_{{{self._print(expr.shape[0])}}}"

    def _print_Transpose(self, expr):
        inner = self._print(expr.arg)
        if isinstance(expr.arg, sp.MatrixSymbol):
            return rf"{{{inner}}}^{{\top}}"
        return rf"\left({inner}\right)^{{\top}}"

    def _print_ElementwiseApplyFunction(self, expr):
        # a(Z) or a'(Z) applied entry by entry; which activation comes from the layer of Z
        argument = expr.expr if hasattr(expr, "expr") else expr.args[1]
        q = matrix_quantity(argument)
        if self.spec is None or q is None or q.layer is None:
            return super()._print_ElementwiseApplyFunction(expr)
        row = ACTIVATIONS[self.spec.activations[q.layer - 1]]
        function = expr.function
        form = function.expr.xreplace({function.variables[0]: GENERIC_Z})
        prime = "" if form == row.form(GENERIC_Z, self.spec) else "'"  # matrix_form applies a(z) or a'(z) as derived
        return rf"{row.latex}{prime}\left({self._print(argument)}\right)"


def _holds_sum(expr) -> bool:
    """A product with a sum among its factors (or a function or power of a sum), or such a function or power."""
    if isinstance(expr, (sp.Mul, sp.MatMul, sp.HadamardProduct)):
        return any(isinstance(f, (sp.Add, sp.MatAdd)) or _holds_sum(f) for f in expr.args)
    return isinstance(expr, (sp.Function, sp.Pow)) and not isinstance(expr, sp.Piecewise) and len(expr.args) >= 1 \
        and isinstance(expr.args[0], sp.Add)


def _has_fraction(expr) -> bool:
    """A product SymPy prints as a fraction (a negative power or a rational coefficient): kept whole."""
    return any(f.is_Pow and f.exp.is_negative or f.is_Rational and not f.is_Integer for f in expr.args)


def _blanked(q, mark: str) -> str:
    """A network symbol's name with its layer and every index written as `mark`: z#_#, w#_#_#; w__ for ""."""
    return letters(q) + ("" if q.layer is None else mark) + "".join("_" + mark for _ in q.indices)


def _skeleton(term) -> str:
    """A term with every index of its network symbols blanked: e^{z3_#}, y_# log(x3_#)."""
    quantities = {s: symbol_quantity(s) for s in term.free_symbols}
    names = {s: sp.Symbol(_blanked(q, "#")) for s, q in quantities.items() if q is not None}
    return sp.srepr(term.xreplace(names)) if names else sp.srepr(term)


def _index_key(term) -> tuple:
    """The indices of a term's network symbols as numbers, in the order of their names without the numbers."""
    quantities = {s: symbol_quantity(s) for s in term.free_symbols}
    ordered = sorted(term.free_symbols, key=lambda s: re.sub(r"\d+", "", s.name) if quantities[s] is None
                     else _blanked(quantities[s], ""))
    return tuple((quantities[s].layer or 0,) + quantities[s].indices for s in ordered if quantities[s] is not None)


def _absorbed_sign(expr):
    """The factors of a product -1 * (...) with the -1 absorbed (see _flip_sign), or None."""
    if not isinstance(expr, sp.Mul):
        return None
    coefficient, factors = expr.as_coeff_mul()
    if coefficient != -1 or any(f.is_Matrix for f in factors):
        return None
    return _flip_sign(list(factors))


def _flip_sign(factors: list):
    """Absorb a factor -1 into the product: (x - 1) -> (1 - x); (x - 1)(x + 1) -> (1 - x^2); else None."""
    adds = [f for f in factors if isinstance(f, sp.Add) and len(f.args) == 2]
    for first in adds:
        for second in adds:
            product = sp.expand(first * second)
            if first is not second and _is_square_minus_number(product):
                rest = [f for f in factors if f is not first and f is not second]
                return rest + [-product]
    for add in adds:
        number, other = add.as_two_terms()
        if number.is_Number and number < 0 and other.is_Symbol:
            return [f for f in factors if f is not add] + [-add]
    return None


def _is_square_minus_number(expr) -> bool:
    """s**2 - c for a symbol s and a positive number c."""
    if not isinstance(expr, sp.Add) or len(expr.args) != 2:
        return False
    number, power = expr.as_two_terms()
    return number.is_Number and number < 0 and power.is_Pow and power.base.is_Symbol and power.exp == 2


def printer_for(notation: str, spec=None, digits: int = 6) -> NotationPrinter:
    """The symbolic printer of a profile."""
    return NotationPrinter(notation, spec=spec, digits=digits)
