"""Jupyter displays of the derive/ objects, attached here so that derive/ never imports the renderer (nor Jinja2):
Derivation (HTML, LaTeX, Markdown, a short repr), Path, MatrixEquation, a quantity's value and a graded answers file."""

from __future__ import annotations

from dataclasses import dataclass

from .derive.backprop import Path
from .derive.derivation import Derivation
from .derive.grading import Grade
from .derive.matrix_form import MatrixEquation
from .derive.names import parse_quantity


def _context(derivation: Derivation):
    from .render.context import Context

    return Context(derivation)


def _derivation_html(derivation: Derivation) -> str:
    from .pipeline import notebook_html

    return notebook_html(derivation)


def _derivation_latex(derivation: Derivation) -> str:
    from .render.notebook import derivation_latex

    return derivation_latex(_context(derivation))


def _derivation_markdown(derivation: Derivation) -> str:
    from .render.notebook import derivation_markdown

    return derivation_markdown(_context(derivation), derivation.spec.title or derivation.spec.name)


def _derivation_repr(derivation: Derivation) -> str:
    spec = derivation.spec
    return (f"Derivation({spec.name!r}, layers={list(spec.layers)}, {spec.n_parameters} parameters, "
            f"{spec.n_samples} sample{'s' if spec.n_samples != 1 else ''}, J={float(derivation.value('J')):.6g})")


@dataclass(frozen=True)
class QuantityValue:
    """A quantity's number with its name and symbol: `d.quantity("dW1[1,2]")` shows as ∂J/∂w = -2.77298."""

    name: str
    symbol: str  # LaTeX, in the tutorial notation
    value: object  # float, or a SymPy Rational in exact mode
    shown: str  # the value as the documents print it

    def __float__(self) -> float:
        return float(self.value)

    def __repr__(self) -> str:
        return f"{self.name} = {self.shown}"

    def _repr_latex_(self) -> str:
        return f"${self.symbol} = {self.shown}$"


def _quantity(derivation: Derivation, name: str) -> QuantityValue:
    """The value of a quantity name ("z1[2]", "dW3[2,1]", "J") with its symbol, for display."""
    from .quantity_tex import quantity_tex

    ctx = _context(derivation)
    q = parse_quantity(name, derivation.spec)
    value = derivation.quantity_value(q)
    return QuantityValue(q.name, quantity_tex(ctx, q)[0], value, ctx.num(value))


def _grade_markdown(grade: Grade) -> str:
    right = len(grade.rows) - len(grade.wrong)
    lines = [f"**{right} of {len(grade.rows)} right**"
             + (f"; first wrong step: `{grade.first_wrong.name}`" if grade.first_wrong else ""), "",
             "| quantity | yours | correct | | note |", "|---|---:|---:|---|---|"]
    for row in grade.rows:
        note = "carried" if row.carried else (row.note or (row.diagnoses[0].description if row.diagnoses else ""))
        cells = (f"`{row.name}`", row.answer.text, f"{float(row.correct):.6g}", "✓" if row.right else "✗", note)
        lines.append("| " + " | ".join(str(c).replace("|", r"\|").replace("\n", " ") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def _grade_repr(grade: Grade) -> str:
    first = f", first wrong {grade.first_wrong.name}" if grade.first_wrong else ""
    return f"Grade({grade.spec_name!r}: {len(grade.rows) - len(grade.wrong)} of {len(grade.rows)} right{first})"


def _path_latex(path: Path) -> str:
    from .render.notebook import path_latex

    return path_latex(path)


def _path_repr(path: Path) -> str:
    from .render.notebook import path_text

    return path_text(path)


def _equation_latex(equation: MatrixEquation) -> str:
    from .render.notebook import matrix_equation_latex

    return matrix_equation_latex(equation)


def _equation_repr(equation: MatrixEquation) -> str:
    from .render.notebook import matrix_equation_text

    return matrix_equation_text(equation)


# Rows: class -> its display methods.
DISPLAYS = (
    (Derivation, {"_repr_html_": _derivation_html, "_repr_latex_": _derivation_latex,
                  "_repr_markdown_": _derivation_markdown, "__repr__": _derivation_repr, "quantity": _quantity}),
    (Path, {"_repr_latex_": _path_latex, "__repr__": _path_repr}),
    (MatrixEquation, {"_repr_latex_": _equation_latex, "__repr__": _equation_repr}),
    (Grade, {"_repr_markdown_": _grade_markdown, "__repr__": _grade_repr}),
)
for cls, methods in DISPLAYS:
    for attribute, method in methods.items():
        setattr(cls, attribute, method)
