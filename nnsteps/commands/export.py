"""`nnsteps export SPEC --to numpy|latex|torch [-o FILE] [--expanded]`: the derived formulas as a NumPy module or
LaTeX, or the network as a PyTorch script checked against nnsteps."""

from __future__ import annotations

import sys

FORMATS = ("numpy", "latex", "torch")


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "export", help="write the derived formulas as a standalone NumPy module or as LaTeX, or a PyTorch script",
        description="Write the derived formulas as a standalone NumPy module (forward, cost, gradients; "
                    "no nnsteps import) or as LaTeX (equations, deltas, gradients, matrix form), or the network as "
                    "a runnable PyTorch script that trains it and checks autograd against nnsteps' numbers.")
    parser.add_argument("spec", nargs="?", help="spec file or built-in name (default: tutorial)")
    parser.add_argument("--to", required=True, choices=FORMATS,
                        help="numpy: a Python module; latex: the formulas; torch: a PyTorch script")
    parser.add_argument("-o", "--output", metavar="FILE", help="write here (atomically) instead of standard output")
    parser.add_argument("--expanded", action="store_true",
                        help="latex only: add every gradient fully expanded in inputs and parameters (small networks)")


def run(args) -> int:
    from ..derive.errors import SpecError
    from ..network import Network

    if args.expanded and args.to != "latex":
        raise SpecError("--expanded", "goes with --to latex only")
    from . import limits_of

    derivation = Network.from_file(args.spec or "tutorial", limits_of(args)).derive()
    if args.to == "numpy":
        from ..derive.codegen import numpy_module

        text = numpy_module(derivation)
    elif args.to == "torch":
        from ..derive.torch_export import torch_script

        text = torch_script(derivation)
    else:
        if derivation.spec.dropout is not None or derivation.spec.batchnorm is not None:
            from ..derive.errors import UnsupportedError

            raise UnsupportedError("--to", "the LaTeX formulas are of dense layers only; dropout and batch norm are "
                                           "not in them yet (render shows their steps; --to numpy exports them)")
        text = latex_formulas(derivation, expanded=args.expanded)
    if args.output:
        from ..files import write_output

        write_output(args.output, text)
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


# -- LaTeX --------------------------------------------------------------------
def _latex_printer(spec):
    """The document's notation printer when the render package has it, else sympy.latex with network names."""
    try:
        from ..render.printer import printer_for
    except ImportError:
        printer_for = None
    if printer_for is not None:
        printer = printer_for("tutorial", spec)
        return printer.breakable, printer.symbol
    import sympy as sp

    from ..derive.names import letters, symbol_quantity

    def name(symbol) -> str:
        ref = symbol_quantity(symbol)
        if ref is None:
            return sp.latex(symbol)
        if ref.kind in ("J", "y"):
            return "J" if ref.kind == "J" else f"y_{{{ref.indices[0]}}}"
        letter = r"\delta" if ref.kind == "delta" else letters(ref)
        return f"{letter}^{{({ref.layer})}}_{{{','.join(map(str, ref.indices))}}}"

    def latex(expression) -> str:
        names = {s: name(s) for s in getattr(expression, "free_symbols", ())}
        return sp.latex(expression, symbol_names=names)

    return latex, name


def _align(rows: list[str]) -> list[str]:
    # in a group, \allowdisplaybreaks lets this block (and no other) run over pages
    return [r"{\allowdisplaybreaks", r"\begin{align*}", " \\\\\n".join(rows), r"\end{align*}", "}", ""]


def _broken(lhs: str, rhs) -> list[str]:
    """`lhs &= rhs` broken between the printed terms of rhs into lines of the plain article's \\textwidth."""
    from ..render.lines import ARTICLE, aligned_rows

    return aligned_rows(lhs, "=", rhs, ARTICLE)


def _expanded(derivation, gradients: dict, partial, symbol, latex) -> list[str]:
    """The fully expanded gradients, each its own align* (which may run over pages); refused when a piece that
    cannot be broken (a ReLU's cases, a function of a long sum) is wider than the page."""
    from ..derive.errors import UnsupportedError
    from ..derive.names import symbol_quantity
    from ..render.lines import ARTICLE, width

    derivation.check_expansion(gradients.values())  # the size budget of all of them, before any is expanded
    out = ["% Gradients fully expanded in inputs, targets and parameters, broken between terms"]
    for p, g in gradients.items():
        rows = _broken(partial(symbol(p)), latex(derivation.expand(g)))
        widest = max(width(row.replace("&", "")) for row in rows)
        if widest > ARTICLE + 1:
            raise UnsupportedError("--expanded", f"the expanded gradient of {symbol_quantity(p) or p.name} has a part {widest:.0f} em wide that "
                                                 f"cannot be broken across lines (a page is {ARTICLE:.0f} em): export "
                                                 "without --expanded, or use --to numpy")
        out += _align(rows)
    return out


def latex_formulas(derivation, expanded: bool = False) -> str:
    """LaTeX (amsmath) of the receptor and neuron equations, cost, deltas, gradients and matrix form; no numbers."""
    from ..render.escape import tex_escape
    from ..render.lines import Breakable

    spec, net, backprop = derivation.spec, derivation.net, derivation.backprop
    latex, symbol = _latex_printer(spec)
    L, sizes = spec.depth, spec.layers
    loss = r"\mathcal{L}"
    partial = lambda bottom: rf"\frac{{\partial {loss}}}{{\partial {bottom}}}"  # noqa: E731
    out = [
        # user text in a `%` comment: tex_escape keeps it on one line, so no line break can end the comment
        f"% {tex_escape(spec.title or spec.name)}: layers {list(spec.layers)}, "
        f"activations {', '.join(spec.activations)}, loss {spec.loss}",
        "% The formulas derived by nnsteps (SymPy, chain rule layer by layer); written by `nnsteps export --to latex`.",
        r"% Needs \usepackage{amsmath,amssymb,bm}; \input this file inside a document.",
        "",
        "% Receptors and neurons",
    ]
    rows = []
    for l in range(1, L + 1):
        for k in range(1, sizes[l] + 1):
            receptor = net.receptor(l, k)
            terms = [f"{symbol(w)} {symbol(x)}" for w, x in receptor.terms[:-1]] + [symbol(receptor.terms[-1])]
            rows += _broken(symbol(receptor.lhs), Breakable(" + ".join(terms), [terms[0]] + [f"+ {t}" for t in terms[1:]]))
        for k in range(1, sizes[l] + 1):
            neuron = net.neuron(l, k)
            rows.append(f"{symbol(neuron.lhs)} &= {latex(neuron.rhs)}")
    out += _align(rows)
    reduction = r"\frac{1}{n}" if spec.reduction == "mean" else ""
    out += ["% Cost: per sample, and for the batch of n samples"]
    out += _align([f"{loss} &= {latex(net.sample_cost)}", rf"J &= {reduction}\sum_{{s=1}}^{{n}} {loss}_s"])
    out += ["% Deltas: delta = dL/dz for one sample, from the output layer back"]
    rows = []
    for l in range(L, 0, -1):
        for k in range(1, sizes[l] + 1):
            formula = backprop.delta(l, k)
            line = f"{symbol(formula.symbol)} &= {latex(formula.chain)}"
            if formula.simplified != formula.chain:
                line += f" = {latex(formula.simplified)}"
            rows.append(line)
    out += _align(rows)
    out += ["% Gradients for one sample (the batch gradient is the same reduction of the per-sample ones)"]
    gradients = derivation.all_gradients()
    out += _align([row for p, g in gradients.items() for row in _broken(partial(symbol(p)), latex(g))])
    if expanded:
        out += _expanded(derivation, gradients, partial, symbol, latex)
    out += ["% Matrix form (rows are samples)"]
    out += _align([f"{latex(e.lhs)} &= {latex(e.rhs)}" for e in derivation.matrix_form()])
    return "\n".join(out)
