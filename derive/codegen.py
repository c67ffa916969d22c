"""The source text of a standalone NumPy module of a derivation's formulas, printed by SymPy's NumPy code printer.

User text (the spec's title and name) is never code here: the exported module holds it only as Python literals
written by `repr` (TITLE, NAME), and the module compiled in memory by `compile_module` holds none at all.
Formulas in comments and docstrings are SymPy's text of expressions built from a whitelisted syntax tree;
`_plain` still keeps them on one line and free of quotes and backslashes.
"""

from __future__ import annotations

import re

import sympy as sp
from sympy.printing.numpy import NumPyPrinter

from . import passes
from .code_run import Code, CodeRun
from .codegen_rules import stateful_update
from .errors import UnsupportedError
from .optim.base import GRADIENT, RATE, THETA
from .model import GENERIC_X, GENERIC_Z
from .usertext import spaced

_Z, _X = sp.Symbol("z", real=True), sp.Symbol("x", real=True)  # the generic names inside the generated functions
MODULE_NAME = "nnsteps_export"  # the in-memory module's name and file name: a constant, never the spec's name
# besides line breaks and control characters, what may end a docstring early or start an escape in one
_QUOTES = re.compile(r"[\\\"']")


def _plain(text: str) -> str:
    """Formula text made safe for a `#` comment or a docstring: one line, no quote, no backslash."""
    return _QUOTES.sub(" ", spaced(text))

_HELPERS = '''

def _full(like, value):
    """A formula's value broadcast to the shape of `like` (a constant formula gives a number)."""
    return numpy.broadcast_to(numpy.asarray(value, dtype=float), numpy.shape(like)).copy()


def _stack(like, columns):
    """Columns (one per neuron, each a number or a vector over samples) -> an array with one row per sample."""
    n = numpy.shape(like)[0]
    return numpy.stack([numpy.broadcast_to(numpy.asarray(c, dtype=float), (n,)) for c in columns], axis=1)
'''


class _WherePrinter(NumPyPrinter):
    """NumPy code with a case split printed as a careful person writes it: a mask for an indicator, numpy.maximum
    for a ramp, nested numpy.where otherwise (numpy.select is ~10x slower on small arrays)."""

    def _print_Piecewise(self, expr):
        pieces = list(expr.args)
        if len(pieces) == 2 and pieces[1].cond == sp.true and pieces[1].expr == 0:
            value, condition = pieces[0]
            if value == 1:  # 1 where c, else 0: the boolean mask itself (multiplies as 1.0 and 0.0)
                return f"({self._print(condition)})"
            if isinstance(condition, sp.StrictGreaterThan) and condition.lhs == value and condition.rhs == 0:
                return f"numpy.maximum({self._print(value)}, 0.0)"  # v where v > 0, else 0
        pieces = list(expr.args)
        result = "numpy.nan"
        if pieces[-1].cond == sp.true:
            result = self._print(pieces.pop().expr)
        for value, condition in reversed(pieces):
            result = f"numpy.where({self._print(condition)}, {self._print(value)}, {result})"
        return result


class _Printer:
    """NumPyPrinter with fully qualified names (`numpy.exp`), refusing what it cannot print."""

    def __init__(self, order: str | None = None):
        settings = {"fully_qualified_modules": True, "inline": True, "allow_unknown_functions": False}
        self.printer = _WherePrinter(settings if order is None else {**settings, "order": order})

    def __call__(self, expression: sp.Expr, where: str) -> str:
        text = self.printer.doprint(sp.sympify(expression))
        if self.printer._not_supported:
            missing = ", ".join(sorted(str(e) for e in self.printer._not_supported))
            raise UnsupportedError(where, f"NumPy has no function for {missing}; this network cannot be exported to NumPy")
        return text


def _columns(name: str, symbols: list[sp.Symbol], used: set) -> list[str]:
    """Unpack the columns of an array into the derivation's symbol names (only those the formulas use)."""
    return [f"    {s.name} = {name}[:, {k}]" for k, s in enumerate(symbols) if s in used]


def _vector_function(name: str, doc: str, arguments: list[tuple[str, list]], formulas: list, pr: _Printer,
                     prologue: tuple[str, ...] = ()) -> list[str]:
    """def name(arrays...): the formulas column by column, common subexpressions computed once (sympy.cse)."""
    replacements, reduced = sp.cse(formulas, symbols=sp.numbered_symbols("_t"), optimizations=None)
    used = set().union(*[sp.sympify(f).free_symbols for f in formulas]) if formulas else set()
    lines = [f"def {name}({', '.join(a for a, _ in arguments)}):", f'    """{_plain(doc)}"""', *prologue]
    for array, symbols in arguments:
        lines += _columns(array, symbols, used)
    for symbol, value in replacements:
        lines.append(f"    {symbol} = {pr(value, name)}")
    like = arguments[0][0]
    constant = any(not sp.sympify(f).free_symbols for f in formulas)  # a number needs broadcasting to a column
    lines.append(f"    return _stack({like}, [" if constant else "    return numpy.stack([")
    for formula, original in zip(reduced, formulas):
        text, derived = pr(formula, name), _plain(sp.sstr(original))
        # after common subexpressions the printed line may not show the derived formula: quote it when short
        lines.append(f"        {text},  # {derived}" if formula != original and len(derived) <= 70 else f"        {text},")
    lines.append("    ])" if constant else "    ], axis=1)")
    return lines


def _header(derivation, user_text: bool) -> list[str]:
    """The module docstring (no user text in it) and constants; TITLE and NAME as repr literals when `user_text`."""
    spec, net = derivation.spec, derivation.net
    L = spec.depth
    reduction = f"1/n (mean over the n samples)" if spec.reduction == "mean" else "1 (sum over the samples)"
    lines = [
        '"""Forward pass and gradients of a network: a standalone NumPy module generated by nnsteps export.',
        "",
        f"Network: layers {list(spec.layers)} (inputs, then layers 1..{L}); activations "
        + ", ".join(f"layer {l}: {name}" for l, name in enumerate(spec.activations, start=1)) + ".",
        f"Loss: {spec.loss}{' with the factor 1/2' if spec.loss == 'squared_error' and spec.half else ''}; "
        f"per sample  loss = {_plain(sp.sstr(net.sample_cost))}",
        f"Cost: J = r * sum_s loss_s with r = {reduction}.",
        "",
        "Every formula below was derived by nnsteps with SymPy (chain rule, layer by layer) and printed with",
        "SymPy's NumPy code printer; rows of X, Z^(l), X^(l) and dZ^(l) are samples.",
        "    Z^(l) = X^(l-1) W^(l) + 1 b^(l)T          X^(l) = a_l(Z^(l))",
        "    dZ^(L) = the output delta below         dZ^(l) = (dZ^(l+1) W^(l+1)T) * a_l'(Z^(l))",
        "    dJ/dW^(l) = r X^(l-1)T dZ^(l)           dJ/db^(l) = r 1^T dZ^(l)",
        'params: {"W1": array n^(0) x n^(1), "b1": array n^(1), ...}; X: samples x n^(0); Y: samples x n^(L).',
        "Needs only NumPy." + (" TITLE and NAME are the spec's title and name." if user_text else ""),
        '"""',
        "",
        "import functools  # SymPy prints max(a, b, ...) as functools.reduce(numpy.maximum, [...])",
        "",
        "import numpy",
        "",
        *([f"TITLE = {spec.title!r}", f"NAME = {spec.name!r}"] if user_text else []),
        f"LAYERS = {tuple(spec.layers)!r}",
        f"ACTIVATIONS = {tuple(spec.activations)!r}",
        f"LOSS = {spec.loss!r}",
        f"REDUCTION = {spec.reduction!r}",
        f"UPDATE_RULE = {derivation.rule.name!r}",
        f"LEARNING_RATE = {float(spec.learning_rate)!r}",
        f"UPDATE_BIASES = {bool(spec.update_biases)!r}",
        *_masks(spec),
    ]
    return lines


def _masks(spec) -> list[str]:
    """MASKS: the spec's dropout masks (one 0/1 row per sample of the spec's data), when it has dropout."""
    if spec.dropout is None or not spec.dropout.layers():
        return []
    masks = {f"x{l}": [[int(v) for v in row] for row in spec.dropout.mask(l)] for l in spec.dropout.layers()}
    return ["# dropout masks for the spec's samples (rows), 1 kept, 0 dropped: the default of gradients(); a training",
            "# step passes its own masks (one row per sample of its batch), as nnsteps train does",
            "MASKS = {" + ", ".join(f'"{k}": numpy.array({v!r}, dtype=float)' for k, v in masks.items()) + "}"]


def _layer_functions(derivation, l: int, pr: _Printer) -> list[str]:
    net, backprop = derivation.net, derivation.backprop
    row = net.activation(l)
    if row.vector:
        zs = net.zs(l)
        forms = row.form(zs, net.spec)
        normalized = _normalized(forms, zs)
        if normalized is not None:
            return _normalized_function(l, row.name, normalized, pr)
        # e.g. softmax(z) = softmax(z - max_k z_k): the same values without overflow in exp
        shift = ("    z = z - z.max(axis=1, keepdims=True)  # the same values: the activation is shift-invariant",) \
            if row.name == "softmax" else ()
        return _vector_function(f"activation_{l}", f"X^({l}) = {row.name}(Z^({l})), every neuron from the whole row.",
                                [("z", zs)], forms, pr, shift)
    generic = net._generic_form(l).xreplace({GENERIC_Z: _Z})
    calc = backprop.calculus(l)
    if calc.derivative_in_output is not None:  # a'(z) written in the neuron a = a(z): sigma(1 - sigma), 1 - tanh^2
        derivative, argument = calc.derivative_in_output.xreplace({GENERIC_X: _X}), "x"
    else:
        derivative, argument = calc.activation_derivative.xreplace({GENERIC_Z: _Z}), "z"
    return [
        f"def activation_{l}(z):",
        f'    """X^({l}) = a(Z^({l})) entry by entry, a(z) = {_plain(sp.sstr(generic))}."""',
        f"    return {_array(pr(generic, f'activation_{l}'), generic, 'z')}",
        "",
        "",
        f"def derivative_{l}(z, x):",
        f'    """dX^({l})/dZ^({l}) entry by entry: a\'(z) = {_plain(sp.sstr(derivative))} (x = a(z))."""',
        f"    return {_array(pr(derivative, f'derivative_{l}'), derivative, argument)}",
    ]


def _normalized(forms: list, zs: list) -> sp.Expr | None:
    """g(z) when every x_k = g(z_k) / sum_j g(z_j) for one g (softmax: g = exp), else None."""
    numerators, denominators = zip(*(sp.fraction(sp.together(form)) for form in forms))
    generic = [numerator.xreplace({z: _Z}) for numerator, z in zip(numerators, zs)]
    shared = generic[0]
    if any(g != shared or g.free_symbols != {_Z} for g in generic):
        return None
    if any(d != denominators[0] for d in denominators) or sp.expand(denominators[0] - sp.Add(*numerators)) != 0:
        return None
    return shared


def _normalized_function(l: int, name: str, g: sp.Expr, pr: _Printer) -> list[str]:
    # x_k = g(z_k) / sum_j g(z_j) on whole rows; for g = exp, shifting z by its row maximum changes no value
    shift = ["    z = z - z.max(axis=1, keepdims=True)  # the same values, without overflow in exp"] if g == sp.exp(_Z) else []
    return [
        f"def activation_{l}(z):",
        f'    """X^({l}) = {name}(Z^({l})): x_k = g(z_k) / sum_j g(z_j) with g(z) = {_plain(sp.sstr(g))}."""',
        *shift,
        f"    g = {_array(pr(g, f'activation_{l}'), g, 'z')}",
        "    return g / g.sum(axis=1, keepdims=True)",
    ]


def _array(text: str, formula: sp.Expr, like: str) -> str:
    """The printed formula, broadcast to the argument's shape only when it is a constant (identity' = 1)."""
    return text if formula.free_symbols else f"_full({like}, {text})"


def _elementwise(formulas: list, columns: list[tuple[str, list]]) -> sp.Expr | None:
    """One formula in whole arrays when column k's formula is the same formula of the k-th columns (x_k - y_k)."""
    generic = {name: sp.Symbol(name, real=True) for name, _ in columns}
    shared = None
    for k, formula in enumerate(formulas):
        mapping = {symbols[k]: generic[name] for name, symbols in columns}
        candidate = sp.sympify(formula).xreplace(mapping)
        if not candidate.free_symbols <= set(generic.values()) or (shared is not None and candidate != shared):
            return None
        shared = candidate
    return shared


def numpy_module(derivation, user_text: bool = True) -> str:
    """Python source of a module with forward(params, X), cost(params, X, Y) and gradients(params, X, Y); NumPy only.

    With `user_text`, the spec's title and name are the literals TITLE and NAME; without, the source holds no
    text the user wrote (what `compile_module` runs).
    """
    spec, net, backprop = derivation.spec, derivation.net, derivation.backprop
    L, pr = spec.depth, _Printer()
    lines = _header(derivation, user_text)
    lines.append(_HELPERS.rstrip("\n"))
    for l in range(1, L + 1):
        lines += ["", ""] + _layer_functions(derivation, l, pr)
    outputs, targets, receptors = net.xs(L), net.ys(), net.zs(L)
    deltas = [backprop.output_delta(k).simplified for k in range(1, spec.layers[L] + 1)]
    doc = f"dZ^({L}) = dloss/dZ^({L}) per sample: the output deltas as SymPy simplified them"
    columns = [("x", outputs), ("y", targets), ("z", receptors)]
    shared = _elementwise(deltas, columns)
    if shared is not None:  # the same formula for every output neuron k: apply it to whole arrays
        lines += ["", "", "def output_delta(x, y, z):",
                  f'    """{doc}; for every k alike, e.g. {_plain(sp.sstr(deltas[0]))}."""',
                  f"    return {_array(pr(shared, 'output_delta'), shared, 'x')}"]
    else:
        lines += ["", ""] + _vector_function("output_delta", doc + ".", columns, deltas, pr)
    lines += ["", ""] + _vector_function(
        "sample_loss", "The loss of each sample (a column), in the outputs x and targets y.",
        [("x", outputs), ("y", targets)], [net.sample_cost], pr)
    lines += ["", ""] + _passes(derivation)
    lines += ["", ""] + _update(derivation, _Printer(order="none"))  # terms as the rule writes them: theta - eta*g
    return "\n".join(lines) + "\n"


def _passes(derivation) -> list[str]:
    """forward_pass, cost and gradients: the rows' loop (derive/passes.py) printed by a CodeRun."""
    spec = derivation.spec
    L, rows = spec.depth, derivation.compiled.rows
    forward_run, backward_run = CodeRun(L), CodeRun(L)
    passes.forward(rows, forward_run, Code("X"))
    passes.backward(rows, backward_run)
    cached = forward_run.cached  # dropout or batch norm: their values go from the forward pass to gradients()
    dropped = bool(spec.dropout is not None and spec.dropout.layers())  # masks=None: MASKS, the spec's samples
    masks = ", masks=None" if dropped else ""
    lines = [
        f"def forward_pass(params, X, cache=None{masks}):" if cached else "def forward_pass(params, X):",
        '    """Z^(l) and X^(l) of every layer: lists indexed by l (zs[0] is None, xs[0] is X)."""',
        *(["    cache = {} if cache is None else cache  # masks and batch statistics, by name"] if cached else []),
        *(["    masks = MASKS if masks is None else masks  # a training step's own masks, one row per sample of X"]
          if dropped else []),
        "    zs, xs = [None], [numpy.asarray(X, dtype=float)]",
        '    with numpy.errstate(over="ignore", under="ignore"):',
        *forward_run.lines,
        "    return zs, xs",
        "",
        "",
        "def forward(params, X):",
        f'    """The network output X^({L}) (one row per sample)."""',
        "    return forward_pass(params, X)[1][-1]",
        "",
        "",
        "def _reduction(n):",
        "    return 1.0 / n if REDUCTION == \"mean\" else 1.0",
        "",
        "",
        "def cost(params, X, Y):",
        '    """J = r * sum over samples of the loss."""',
        "    Y = numpy.asarray(Y, dtype=float)",
        "    xs = forward_pass(params, X)[1]",
        '    with numpy.errstate(divide="ignore", invalid="ignore"):',
        f"        return _reduction(len(Y)) * float(sample_loss(xs[{L}], Y).sum())",
        "",
        "",
        f"def gradients(params, X, Y{masks}):",
        '    """dJ/dW^(l) and dJ/db^(l) of the batch (X, Y): {"W1": ..., "b1": ..., ...}.'
        + ('\n\n    masks: a training step\'s dropout masks {"x1": ...}, one row per sample of X (default MASKS).\n    """'
           if dropped else '"""'),
        "    Y = numpy.asarray(Y, dtype=float)",
        *([f"    cache = {{}}", f"    zs, xs = forward_pass(params, X, cache{', masks' if dropped else ''})"] if cached else
          ["    zs, xs = forward_pass(params, X)"]),
        "    r = _reduction(len(Y))",
        '    with numpy.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):',
        *backward_run.lines,
        "    return {" + ", ".join(f'"{name}": d{name}' for name in rows.parameters()) + "}",
    ]
    return lines


def _update(derivation, pr: _Printer) -> list[str]:
    """update() and step(): the spec's update rule (derive/optim/) printed from its SymPy formula."""
    rule = derivation.rule
    if rule.state_names() or derivation.spec.max_grad_norm is not None:
        return stateful_update(derivation, pr)
    names = {THETA: sp.Symbol("theta", real=True), GRADIENT: sp.Symbol("g", real=True), RATE: sp.Symbol("eta", real=True)}
    formula = rule.formulas()[THETA].xreplace(names)
    return [
        "def update(params, grads, eta=LEARNING_RATE):",
        f'    """One step of {rule.name} on every parameter that moves: theta <- {_plain(sp.sstr(formula, order="none"))}."""',
        "    result = {}",
        "    for name, theta in params.items():",
        "        g = grads[name]",
        f'        result[name] = {pr(formula, "update")} if not (name[0] == "b" and name[1:].isdigit()) or UPDATE_BIASES else theta.copy()',
        "    return result",
        "",
        "",
        "def step(params, X, Y, eta=LEARNING_RATE):",
        '    """The parameters after one training step on the batch (X, Y)."""',
        "    return update(params, gradients(params, X, Y), eta)",
    ]


def compile_module(derivation):
    """The generated module executed in memory (as lambdify executes the code it prints); nothing is written.

    The source is built without the title and name, and the module and file names are constants: the code
    compiled here holds no text the user wrote (formulas come from a whitelisted syntax tree, names from nnsteps).
    """
    import types

    module = types.ModuleType(MODULE_NAME)
    exec(compile(numpy_module(derivation, user_text=False), f"<{MODULE_NAME}>", "exec"), module.__dict__)  # noqa: S102
    return module
