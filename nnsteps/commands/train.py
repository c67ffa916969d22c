"""`nnsteps train SPEC --steps N [--every K] [-o trained.toml]`: gradient descent with the compiled gradients."""

from __future__ import annotations

import sys

from . import whole_number


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "train", help="run gradient descent with the derived gradients and write the trained spec",
        description="Gradient descent with the compiled gradients of the derivation (learning_rate, batch_size and "
                    "update_biases from the spec), printing the cost every K iterations; -o writes the spec back "
                    "with the trained parameters, ready for `nnsteps render`.")
    parser.add_argument("spec", nargs="?", help="spec file or built-in name (default: tutorial)")
    parser.add_argument("--steps", type=whole_number, required=True, metavar="N", help="gradient-descent iterations")
    parser.add_argument("--every", type=whole_number, default=100, metavar="K",
                        help="print the cost every K iterations (default 100; 0: only first and last)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the trained spec (TOML) here")


def _progress(steps: int):
    """range(steps) with a tqdm progress bar on standard error when it is a terminal; plain without tqdm."""
    try:
        from tqdm import tqdm
    except ImportError:
        return range(steps), print
    bar = tqdm(range(steps), desc="training", unit="step", file=sys.stderr, disable=None, leave=False)
    return bar, lambda text: tqdm.write(text, file=sys.stdout)


def _gradient_function(derivation, compiled):
    """The exported module's gradients compiled in memory (plain NumPy, the fastest), or the derivation's own."""
    from ..derive.errors import UnsupportedError

    if derivation.exact:
        return compiled.gradients
    try:
        return derivation.gradient_function()
    except UnsupportedError:  # a custom activation NumPy cannot print: the compiled formulas compute the same
        return compiled.gradients


def gradient_descent(derivation, steps: int, every: int = 100, say=None):
    """Parameters after `steps` iterations of the spec's update rule (fewer when early stopping stops them); prints the
    full-data cost every `every` (and the validation cost beside it), then the stop."""
    import numpy as np

    from ..derive.evaluate import CompiledNetwork
    from ..derive.optim import build_rule
    from ..derive.training import train_steps

    spec = derivation.spec
    compiled = derivation.compiled if not derivation.exact else CompiledNetwork(derivation.net, derivation.backprop)
    gradients = _gradient_function(derivation, compiled)
    params = {name: np.array(value, dtype=float) for name, value in derivation.params.items()}
    X, Y = np.asarray(derivation.X, dtype=float), np.asarray(derivation.Y, dtype=float)
    X_val, Y_val = np.asarray(spec.X_val, dtype=float), np.asarray(spec.Y_val, dtype=float)
    validate = (lambda p: float(compiled.cost(p, X_val, Y_val))) if spec.X_val else None  # noqa: E731
    rule = build_rule(spec)
    iterations, say = _progress(steps) if say is None else (range(steps), say)
    report = _reporter(compiled, X, Y, validate, spec, say)
    costs, record, taken = [report(0, params)], None, 0
    with np.errstate(over="ignore", invalid="ignore"):  # divergence shows as a non-finite cost at the next report
        # the spec's update rule on its mini-batches (derive/training.py), reporting every `every` steps
        for i, record in zip(iterations, train_steps(gradients, rule, params, X, Y, spec, steps, validate=validate)):
            params, taken = record.params, i + 1
            if every and taken % every == 0 and taken < steps and not (record.check and record.check.stop):
                costs.append(report(taken, params))
    costs.append(report(taken, params, final=True))
    if record is not None and record.check is not None and record.check.stop:
        say(stop_message(record.check, spec.early_stopping))
    return params, costs


def _reporter(compiled, X, Y, validate, spec, say):
    """report(i, params): print the full-data cost (and the validation cost) at iteration i, refusing divergence."""
    import numpy as np

    from ..derive.errors import NumericalError

    def report(i: int, params, final: bool = False) -> float:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            cost = float(compiled.cost(params, X, Y))
            beside = "" if validate is None else f", validation = {validate(params):.6f}"
        if not np.isfinite(cost):
            raise NumericalError("learning_rate", f"the cost is {cost} by iteration {i}: gradient descent diverged; "
                                                  f"lower learning_rate ({float(spec.learning_rate):g})")
        say(f"Iteration {i}: Loss = {cost:.6f}{beside}" + (" (final)" if final else ""))
        return cost

    return report


def stop_message(check, rule) -> str:
    """The one line `train` prints when early stopping ends training (derive/early_stopping.py's rule)."""
    return (f"stopped early after step {check.step}: validation cost did not improve by more than "
            f"{float(rule.min_delta):g} for {rule.patience} step{'s' if rule.patience != 1 else ''}; "
            f"best {float(check.best):.6f} at step {check.best_step}")


def run(args) -> int:
    from ..derive.errors import SpecError
    from ..derive.limits import exceeds, hint
    from ..derive.netspec import check_training_work
    from ..network import Network
    from . import limits_of

    limits = limits_of(args)
    if exceeds(args.steps, limits.train_steps):
        raise SpecError("--steps", f"{args.steps:,} is more than {limits.train_steps:,}{hint(limits)}")
    network = Network.from_file(args.spec or "tutorial", limits)
    check_training_work("--steps", args.steps, network.spec.n_parameters, network.spec.n_samples, limits)
    derivation = network.derive()
    params, costs = gradient_descent(derivation, args.steps, args.every)
    if args.output:
        from ..files import write_output

        header = (f"{derivation.spec.title or derivation.spec.name}: trained by `nnsteps train` for {args.steps} steps "
                  f"{'(or fewer: early stopping) ' if derivation.spec.early_stopping else ''}"
                  f"(learning rate {float(derivation.spec.learning_rate):g}); cost {costs[0]:.6g} -> {costs[-1]:.6g}")
        text = trained_toml(source_mapping(args.spec or "tutorial", limits), params, header)
        write_output(args.output, text)
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


# -- the trained spec ----------------------------------------------------------
def source_mapping(source: str, limits=None) -> dict:
    """The spec's fields as written (file or built-in), decimals kept exactly."""
    import tomllib
    from decimal import Decimal
    from pathlib import Path

    from ..spec import builtin_text, read_mapping

    path = Path(source)
    if path.is_file():
        return read_mapping(path) if limits is None else read_mapping(path, limits)
    return tomllib.loads(builtin_text(source), parse_float=Decimal)


def trained_toml(mapping: dict, params: dict, header: str = "") -> str:
    """The same spec with [parameters] replaced by the trained values (floats written with repr) and no [init]."""
    fields = {key: value for key, value in mapping.items() if key not in ("parameters", "init")}
    trained = {}
    for name in sorted(params, key=lambda n: (int(n[1:]), n[0] != "W")):  # W1, b1, W2, b2, ...
        trained[name] = params[name].tolist()
    tables = {key: value for key, value in fields.items() if isinstance(value, dict)}
    plain = {key: value for key, value in fields.items() if key not in tables}
    ordered = {**plain, "parameters": trained, **tables}
    from ..spec_writer import toml_comment

    lines = toml_comment(header)  # the title may hold line breaks or DEL: never a line of its own
    lines += _toml_table(ordered, [])
    return "\n".join(lines).lstrip("\n") + "\n"


def _toml_table(table: dict, path: list[str]) -> list[str]:
    lines = [f"[{'.'.join(_toml_key(p) for p in path)}]"] if path else []
    nested = {key: value for key, value in table.items() if isinstance(value, dict)}
    lines += [f"{_toml_key(key)} = {_toml_value(value)}" for key, value in table.items() if key not in nested]
    for key, value in nested.items():
        lines += [""] + _toml_table(value, path + [key])
    return lines


def _toml_key(key: str) -> str:
    import re

    from ..spec_writer import toml_string

    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else toml_string(key)


def _toml_value(value) -> str:
    import math
    from decimal import Decimal
    from fractions import Fraction

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot write {value} into a spec")
        return repr(value)  # the shortest decimal that reads back as the same float
    if isinstance(value, (Decimal, Fraction)):
        return str(value) if isinstance(value, Decimal) else repr(float(value))
    if isinstance(value, str):
        from ..spec_writer import toml_string

        return toml_string(value)  # every control character escaped (DEL as \u007f): tomllib reads it back
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")
