"""The network as a runnable PyTorch script: the same computation in torch, checked against nnsteps' own numbers.

The script builds the rows as torch modules (a dense row is an `nn.Linear` holding W^(l) transposed, as
torch stores a weight out x in), the loss with the spec's reduction and 1/2, the optimizer of the update
rule, and the training loop on the spec's mini-batches. It prints the cost as `nnsteps train --every 1`
does. Finally it compares autograd's gradients and the trained parameters with nnsteps' numbers, which it
holds as JSON data, and exits 1 when they differ by more than 1e-10 (relative to the largest entry).

User text (the spec's title and name) enters the script only as `repr` literals; formulas of a custom
activation are printed by SymPy's PyTorch printer from a whitelisted syntax tree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable

import numpy as np
import sympy as sp
from sympy.printing.pytorch import TorchPrinter

from .errors import UnsupportedError
from .generic import GENERIC_Z
from .layers import build_rows
from .training import batches

TOLERANCE = 1e-10
_Z = sp.Symbol("z", real=True)


class _Printer(TorchPrinter):
    """torch code for an elementwise formula in the tensor `z`; max/min of tensors and numbers made tensors."""

    def _print_Max(self, expr):
        return self._extremum("torch.maximum", expr)

    def _print_Min(self, expr):
        return self._extremum("torch.minimum", expr)

    def _extremum(self, function: str, expr) -> str:
        args = [self._print(a) if a.free_symbols else f"torch.full_like(z, {float(a)!r})" for a in expr.args]
        result = args[0]
        for arg in args[1:]:
            result = f"{function}({result}, {arg})"
        return result


def _elementwise(formula: sp.Expr) -> str:
    printer = _Printer({"fully_qualified_modules": True, "allow_unknown_functions": False})
    text = printer.doprint(formula.xreplace({GENERIC_Z: _Z}))
    if printer._not_supported:
        missing = ", ".join(sorted(str(e) for e in printer._not_supported))
        raise UnsupportedError("export", f"PyTorch has no function for {missing}; this network cannot be exported to torch")
    return text if formula.free_symbols else f"torch.full_like(z, {text})"


# -- rows -> torch modules ------------------------------------------------------------
def _activation_module(row, derivation) -> str:
    spec = derivation.spec
    fixed = {"identity": "nn.Identity()", "relu": "nn.ReLU()", "sigmoid": "nn.Sigmoid()", "tanh": "nn.Tanh()",
             "softplus": "nn.Softplus()", "softmax": "nn.Softmax(dim=1)",
             "leaky_relu": f"nn.LeakyReLU({float(spec.alpha)!r})"}
    if row.name in fixed:
        return fixed[row.name]
    # any other activation: its SymPy form, printed for torch, applied entry by entry
    return f"Elementwise(lambda z: {_elementwise(derivation.net._generic_form(row.layer))})"


def _dense_module(row, derivation) -> str:
    sizes = derivation.spec.layers
    return f"nn.Linear({sizes[row.layer - 1]}, {sizes[row.layer]}, dtype=torch.float64)"


TORCH_MODULES: dict[str, Callable] = {"dense": _dense_module, "activation": _activation_module}

# the per-sample loss of outputs `yhat` against targets `y` (rows are samples), as nnsteps' loss table defines it
TORCH_LOSSES: dict[str, Callable] = {
    "squared_error": lambda spec: f"{0.5 if spec.half else 1.0!r} * ((yhat - y) ** 2).sum(dim=1)",
    "cross_entropy": lambda spec: "-(y * torch.log(yhat)).sum(dim=1)",
    "binary_cross_entropy": lambda spec: "-(y * torch.log(yhat) + (1 - y) * torch.log(1 - yhat)).sum(dim=1)",
}

def _optimizer(torch_class: str) -> Callable:
    """The torch.optim constructor of a rule row: its hyper-parameters already carry torch's names."""
    def constructor(rule) -> str:
        settings = "".join(f", {name}={_literal(value)}" for name, value in rule.settings().items())
        return f"torch.optim.{torch_class}(trained, lr={float(rule.rate)!r}{settings})"
    return constructor


def _literal(value) -> str:
    if isinstance(value, bool):
        return repr(value)
    if isinstance(value, tuple):
        return "(" + ", ".join(repr(float(v)) for v in value) + ")"
    return repr(float(value))


# update rules -> the torch.optim constructor over the trained parameters
TORCH_OPTIMIZERS: dict[str, Callable] = {
    "sgd": _optimizer("SGD"), "adagrad": _optimizer("Adagrad"), "rmsprop": _optimizer("RMSprop"),
    "adam": _optimizer("Adam"), "adamw": _optimizer("AdamW"),
}


def _lookup(table: dict, key: str, what: str):
    try:
        return table[key]
    except KeyError:
        raise UnsupportedError("export", f"no PyTorch translation of the {what} {key!r} yet") from None


@dataclass(frozen=True)
class _Numbers:
    """What the script compares with: nnsteps' gradients at the given parameters and after training."""

    gradients: dict
    updated: dict
    history: list


def _numbers(derivation) -> _Numbers:
    as_list = lambda a: np.asarray(a, dtype=float).tolist()  # noqa: E731
    return _Numbers({k: as_list(v) for k, v in derivation.backward.gradients.items()},
                    {k: as_list(v) for k, v in derivation.training.trajectory[-1].items()},
                    [float(c) for c in derivation.training.history])


def torch_script(derivation) -> str:
    """Python source of a script that runs the network in PyTorch and checks it against nnsteps."""
    spec, rows = derivation.spec, build_rows(derivation.spec)
    modules = [_lookup(TORCH_MODULES, row.kind, "layer kind")(row, derivation) for row in rows.layers]
    loss = _lookup(TORCH_LOSSES, spec.loss, "loss")(spec)
    optimizer = _lookup(TORCH_OPTIMIZERS, derivation.rule.name, "update rule")(derivation.rule)
    as_list = lambda a: np.asarray(a, dtype=float).tolist()  # noqa: E731
    params = {k: as_list(v) for k, v in derivation.params.items()}
    numbers = _numbers(derivation)
    data = {"X": as_list(derivation.X), "Y": as_list(derivation.Y), "params": params,
            "batches": [b.tolist() for b in batches(spec.n_samples, spec.batch_size, spec.steps)],
            "gradients": numbers.gradients, "updated": numbers.updated, "history": numbers.history,
            "taken": len(derivation.training.steps),  # spec.steps, or fewer when early stopping ended training
            "X_val": as_list(np.asarray(spec.X_val, dtype=float)), "Y_val": as_list(np.asarray(spec.Y_val, dtype=float))}
    stopping = spec.early_stopping
    lines = [
        '"""The network of an nnsteps spec in PyTorch, trained as nnsteps trains it and checked against nnsteps.',
        "",
        "Generated by `nnsteps export --to torch`. TITLE and NAME are the spec's title and name; NNSTEPS holds",
        "nnsteps' numbers (data, parameters, mini-batches, gradients, trained parameters, cost history).",
        "Run: python this_file.py (needs torch). Exit status 1 when torch and nnsteps disagree.",
        '"""',
        "",
        "import json",
        "import sys",
        "",
        "import torch",
        "from torch import nn",
        "",
        "torch.set_default_dtype(torch.float64)",
        f"TITLE = {spec.title!r}",
        f"NAME = {spec.name!r}",
        f"TOLERANCE = {TOLERANCE!r}",
        f"NNSTEPS = json.loads({json.dumps(data)!r})",
        f"REDUCTION = {spec.reduction!r}",
        f"L2 = {float(getattr(spec, 'l2', 0) or 0)!r}  # J_total = J + (L2/2) * sum of the squared weights",
        f"MAX_GRAD_NORM = {None if getattr(spec, 'max_grad_norm', None) is None else float(spec.max_grad_norm)!r}",
        f"UPDATE_BIASES = {bool(spec.update_biases)!r}",
        f"PATIENCE = {None if stopping is None else stopping.patience!r}  # early stopping (None: every step runs)",
        f"MIN_DELTA = {0.0 if stopping is None else float(stopping.min_delta)!r}  # an improvement: below best - MIN_DELTA",
        "",
        "",
        "class Elementwise(nn.Module):",
        '    """An activation applied entry by entry, from its formula."""',
        "",
        "    def __init__(self, function):",
        "        super().__init__()",
        "        self.function = function",
        "",
        "    def forward(self, z):",
        "        return self.function(z)",
        "",
        "",
        "def network():",
        '    """The rows as torch modules, with the spec\'s weights (nn.Linear keeps W transposed: out x in)."""',
        "    model = nn.Sequential(",
        *[f"        {module}," for module in modules],
        "    )",
        "    linear = [m for m in model if isinstance(m, nn.Linear)]",
        "    with torch.no_grad():",
        "        for l, layer in enumerate(linear, start=1):",
        '            layer.weight.copy_(torch.tensor(NNSTEPS["params"][f"W{l}"]).T)',
        '            layer.bias.copy_(torch.tensor(NNSTEPS["params"][f"b{l}"]))',
        "    return model, linear",
        "",
        "",
        "def cost(yhat, y):",
        '    """J = r * sum over samples of the loss, r = 1/n for a mean."""',
        f"    per_sample = {loss}",
        '    return per_sample.mean() if REDUCTION == "mean" else per_sample.sum()',
        "",
        "",
        "def total(yhat, y, linear):",
        '    """J_total = J + (L2/2) * sum over the layers of ||W||^2 (the weights only)."""',
        "    return cost(yhat, y) + L2 / 2 * sum((layer.weight ** 2).sum() for layer in linear)",
        "",
        "",
        "def parameters(linear):",
        '    """{"W1": W^(1), "b1": b^(1), ...} in nnsteps\' layout (W: in x out)."""',
        "    result = {}",
        "    for l, layer in enumerate(linear, start=1):",
        '        result[f"W{l}"], result[f"b{l}"] = layer.weight.T, layer.bias',
        "    return result",
        "",
        "",
        "def gradients(linear):",
        '    """dJ/dW^(l) and dJ/db^(l) from autograd, in nnsteps\' layout."""',
        "    result = {}",
        "    for l, layer in enumerate(linear, start=1):",
        '        result[f"W{l}"], result[f"b{l}"] = layer.weight.grad.T, layer.bias.grad',
        "    return result",
        "",
        "",
        "def difference(ours, theirs):",
        '    """The largest difference relative to the largest entry of nnsteps\' number."""',
        "    theirs = torch.tensor(theirs)",
        "    scale = max(float(theirs.abs().max()), 1.0)",
        "    return float((ours.detach() - theirs).abs().max()) / scale",
        "",
        "",
        "def watched(model, linear, X_val, Y_val):",
        '    """The validation cost beside the training cost, as `nnsteps train` prints it (no validation data: nothing)."""',
        "    if not len(X_val):",
        '        return ""',
        '    return f", validation = {float(total(model(X_val), Y_val, linear)):.6f}"',
        "",
        "",
        "class EarlyStopping:",
        '    """Stop after PATIENCE steps in a row whose validation cost is not below best - MIN_DELTA (Lightning\'s rule)."""',
        "",
        "    def __init__(self):",
        "        self.best, self.best_step, self.wait = None, None, 0",
        "",
        "    def stop(self, step, value):",
        "        if self.best is None or value < self.best - MIN_DELTA:",
        "            self.best, self.best_step, self.wait = value, step, 0",
        "        else:",
        "            self.wait += 1",
        "        return self.wait >= PATIENCE",
        "",
        "    def message(self, step):",
        '        steps = "step" if PATIENCE == 1 else "steps"',
        '        return (f"stopped early after step {step}: validation cost did not improve by more than {MIN_DELTA:g} "',
        '                f"for {PATIENCE} {steps}; best {self.best:.6f} at step {self.best_step}")',
        "",
        "",
        "def main():",
        '    X, Y = torch.tensor(NNSTEPS["X"]), torch.tensor(NNSTEPS["Y"])',
        "    model, linear = network()",
        "    total(model(X), Y, linear).backward()  # autograd at the given parameters, all samples",
        '    worst = max(difference(g, NNSTEPS["gradients"][name]) for name, g in gradients(linear).items())',
        "    model.zero_grad()",
        "    trained = [layer.weight for layer in linear] + ([layer.bias for layer in linear] if UPDATE_BIASES else [])",
        f"    optimizer = {optimizer}",
        '    X_val, Y_val = torch.tensor(NNSTEPS["X_val"]), torch.tensor(NNSTEPS["Y_val"])',
        "    rule, taken, stopped = EarlyStopping(), len(NNSTEPS['batches']), False",
        '    for step, rows in enumerate(NNSTEPS["batches"]):',
        "        with torch.no_grad():",
        '            print(f"Iteration {step}: Loss = {float(total(model(X), Y, linear)):.6f}"'
        ' + watched(model, linear, X_val, Y_val))',
        "        optimizer.zero_grad()",
        "        total(model(X[rows]), Y[rows], linear).backward()",
        "        if MAX_GRAD_NORM is not None:  # the global 2-norm of every trained parameter's gradient",
        "            torch.nn.utils.clip_grad_norm_(trained, MAX_GRAD_NORM)",
        "        optimizer.step()",
        "        if PATIENCE is not None:",
        "            with torch.no_grad():",
        "                value = float(total(model(X_val), Y_val, linear))",
        "            if rule.stop(step + 1, value):",
        "                taken, stopped = step + 1, True",
        "                break",
        "    with torch.no_grad():",
        '        print(f"Iteration {taken}: Loss = {float(total(model(X), Y, linear)):.6f}"'
        ' + watched(model, linear, X_val, Y_val) + " (final)")',
        "    if stopped:",
        "        print(rule.message(taken))",
        '    worst = max([worst] + [difference(p, NNSTEPS["updated"][name]) for name, p in parameters(linear).items()])',
        '    if taken != NNSTEPS["taken"]:',
        '        print(f"torch and nnsteps DISAGREE: torch took {taken} steps, nnsteps {NNSTEPS[\'taken\']}")',
        "        return 1",
        '    verdict = "agree" if worst <= TOLERANCE else "DISAGREE"',
        '    print(f"torch and nnsteps {verdict}: largest relative difference {worst:.2e} (tolerance {TOLERANCE:g})")',
        "    return 0 if worst <= TOLERANCE else 1",
        "",
        "",
        'if __name__ == "__main__":',
        "    sys.exit(main())",
    ]
    return "\n".join(lines) + "\n"
