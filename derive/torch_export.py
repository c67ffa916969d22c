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

from dataclasses import dataclass
from typing import Callable

import numpy as np
import sympy as sp
from sympy.printing.pytorch import TorchPrinter

from .errors import UnsupportedError
from .generic import GENERIC_Z
from .layers import build_rows
from .torch_script import TOLERANCE, script_lines  # noqa: F401  (TOLERANCE: the public name)
from .training import batches, moves


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


def _batchnorm_module(row, derivation) -> str:
    # training mode: the batch mean and biased variance normalize, the running statistics move with `momentum`
    bn = derivation.spec.batchnorm
    return (f"nn.BatchNorm1d({derivation.spec.layers[row.layer]}, eps={float(bn.eps)!r}, "
            f"momentum={float(bn.momentum)!r}, dtype=torch.float64)")


def _dropout_module(row, derivation) -> str:
    # the spec's mask m^(l), one 0/1 row per sample, with the kept neurons scaled by 1/(1 - p)
    mask = [[float(v) for v in sample] for sample in row.mask]
    return f"GivenMask({float(row.forward_scale())!r}, {mask!r})"


TORCH_MODULES: dict[str, Callable] = {"dense": _dense_module, "batchnorm": _batchnorm_module,
                                      "activation": _activation_module, "dropout": _dropout_module}

# nnsteps' names of a row's torch parameters (weight, bias), and whether torch keeps the weight transposed
TORCH_PARAMETERS: dict[str, Callable] = {
    "dense": lambda row: (f"W{row.layer}", f"b{row.layer}", True),
    "batchnorm": lambda row: (f"gamma{row.layer}", f"beta{row.layer}", False),
}

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
    """What the script compares with: nnsteps' gradients at the given parameters and after training, and batch
    norm's running statistics after the steps ({"1": {"mean": ..., "variance": ...}})."""

    gradients: dict
    updated: dict
    history: list
    running: dict


def _numbers(derivation) -> _Numbers:
    as_list = lambda a: np.asarray(a, dtype=float).tolist()  # noqa: E731
    running = {str(l): {"mean": as_list(mean), "variance": as_list(variance)}
               for l, (mean, variance) in derivation.running_statistics().items()}
    return _Numbers({k: as_list(v) for k, v in derivation.backward.gradients.items()},
                    {k: as_list(v) for k, v in derivation.training.trajectory[-1].items()},
                    [float(c) for c in derivation.training.history], running)


def torch_script(derivation, elide: bool = False) -> str:
    """Python source of a script that runs the network in PyTorch and checks it against nnsteps (`elide`: the line of
    nnsteps' numbers shortened, for a document)."""
    spec, rows = derivation.spec, build_rows(derivation.spec)
    modules = [_lookup(TORCH_MODULES, row.kind, "layer kind")(row, derivation) for row in rows.layers]
    # the torch module of each row with parameters (its index in nn.Sequential) -> nnsteps' names
    named = {i: TORCH_PARAMETERS[row.kind](row) for i, row in enumerate(rows.layers) if row.kind in TORCH_PARAMETERS}
    running = {i: str(row.layer) for i, row in enumerate(rows.layers) if row.kind == "batchnorm"}
    dropped = {i: f"x{row.layer}" for i, row in enumerate(rows.layers) if row.kind == "dropout"}
    loss = _lookup(TORCH_LOSSES, spec.loss, "loss")(spec)
    optimizer = _lookup(TORCH_OPTIMIZERS, derivation.rule.name, "update rule")(derivation.rule)
    as_list = lambda a: np.asarray(a, dtype=float).tolist()  # noqa: E731
    params = {k: as_list(v) for k, v in derivation.params.items()}
    numbers = _numbers(derivation)
    data = {"X": as_list(derivation.X), "Y": as_list(derivation.Y), "params": params,
            "batches": [b.tolist() for b in batches(spec.n_samples, spec.batch_size, spec.steps)],
            "gradients": numbers.gradients, "updated": numbers.updated, "history": numbers.history,
            "running": numbers.running,
            # each training step's dropout masks (a fresh draw per step, as torch draws one per forward pass)
            "step_masks": [{key: as_list(mask) for key, mask in (record.masks or {}).items()}
                           for record in derivation.training.steps],
            "taken": len(derivation.training.steps),  # spec.steps, or fewer when early stopping ended training
            "X_val": as_list(np.asarray(spec.X_val, dtype=float)), "Y_val": as_list(np.asarray(spec.Y_val, dtype=float))}
    trained = [name for name in rows.parameters() if moves(spec)(name)]
    return "\n".join(script_lines(spec, modules, named, running, dropped, trained, data, loss, optimizer, elide)) + "\n"
