"""Jupyter displays: a worked example as an HTML fragment (maths typeset, no iframe, no script), and short
LaTeX/Markdown for a Derivation, a chain-rule Path and a MatrixEquation."""

from __future__ import annotations

from markupsafe import Markup

from .backward import four_equations
from .context import Context
from .printer import PROFILES, printer_for
from .records import Math, WorkedExample

NOTEBOOK_DETAIL = "summary"  # a display is stored in the notebook: the matrix form and a few steps per layer
MAX_ROWS = 24  # gradients listed in a Markdown display


def notebook_html(example: WorkedExample, env, figures: dict) -> str:
    """The worked example as one <div> for a notebook cell: styles scoped to it, maths as MathML, no script
    (a notebook keeps every display, so it carries no KaTeX and no diagram script; the SVG stays)."""
    safe = {name: Markup(svg) for name, svg in figures.items()}
    return env.get_template("notebook.html").render(example=example, figures=safe)


def equations_latex(ctx: Context) -> list[str]:
    """The four equations of backpropagation, in general and as derived for this network (LaTeX)."""
    return [item.latex for item in four_equations(ctx).items if isinstance(item, Math)]


def derivation_latex(ctx: Context) -> str:
    """`Derivation._repr_latex_`: the cost and the backpropagation equations, one display for MathJax."""
    cost = f"{ctx.J} = {ctx.num(ctx.d.value('J'))}"
    return "$$" + r" \\ ".join([r"\begin{aligned} &" + cost + r" \end{aligned}", *equations_latex(ctx)]) + "$$"


def _md_cell(text: str) -> str:
    return text.replace("|", r"\|")


def derivation_markdown(ctx: Context, title: str) -> str:
    """`Derivation._repr_markdown_`: title, network, cost, the equations and the batch gradients as a table."""
    spec = ctx.spec
    lines = [f"**{_md_cell(title)}**: a {'-'.join(map(str, spec.layers))} network, cost "
             f"${ctx.J} = {ctx.num(ctx.d.value('J'))}$", ""]
    lines += [f"$$\n{latex}\n$$\n" for latex in equations_latex(ctx)]
    rows = []
    for l in range(1, spec.depth + 1):
        for j in range(1, spec.layers[l] + 1):
            rows += [(ctx.d.net.w(l, i, j), f"dW{l}[{i},{j}]") for i in range(1, spec.layers[l - 1] + 1)]
            rows.append((ctx.d.net.b(l, j), f"db{l}[{j}]"))
    lines += ["| parameter | gradient | value |", "|---|---|---:|"]
    for symbol, name in rows[:MAX_ROWS]:
        lines.append(f"| ${ctx.tex(symbol)}$ | ${ctx.partial(ctx.J, symbol)}$ | {ctx.num(ctx.d.value(name))} |")
    if len(rows) > MAX_ROWS:
        lines.append(f"| … | {len(rows) - MAX_ROWS} more | |")
    return "\n".join(lines) + "\n"


def path_latex(path, notation: str = "tutorial") -> str:
    """A chain-rule path as the product of its local derivatives, and what that product is."""
    printer, profile = printer_for(notation), PROFILES[notation]
    partials = " ".join(profile.partial(printer.doprint(f.numerator), printer.doprint(f.denominator))
                        for f in path.factors)
    return f"${partials} = {printer.doprint(path.form)}$"


def path_text(path) -> str:
    """`repr(path)`: its nodes from J to the parameter."""
    return "Path(" + " -> ".join(str(node) for node in path.nodes) + ")"


def matrix_equation_latex(equation, notation: str = "tutorial") -> str:
    printer = printer_for(notation)
    return f"${printer.doprint(equation.lhs)} = {printer.doprint(equation.rhs)}$"


def matrix_equation_text(equation) -> str:
    return f"MatrixEquation({equation.kind}, layer {equation.layer}: {equation.lhs} = {equation.rhs})"
