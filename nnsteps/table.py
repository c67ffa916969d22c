"""The plain-text table that `nnsteps derive` prints: every quantity in the order of the computation."""

from __future__ import annotations

from .derive.derivation import Derivation
from .derive.errors import SpecError, one_line
from .render.numbers import format_number


def describe(spec) -> str:
    """One line: layers, activations, loss with its convention, samples, number mode."""
    convention = []
    if spec.loss == "squared_error":
        convention.append("1/2" if spec.half else "no 1/2")
    convention.append(spec.reduction)
    samples = f"{spec.n_samples} sample{'s' if spec.n_samples != 1 else ''}"
    return (f"layers {'-'.join(map(str, spec.layers))} | activations {', '.join(spec.activations)} | "
            f"loss {spec.loss} ({', '.join(convention)}) | {samples} | numbers {spec.numbers}")


def derivation_table(d: Derivation, sample: int = 1, digits: int = 6) -> str:
    spec, L, sizes = d.spec, d.spec.depth, d.spec.layers
    if not 1 <= sample <= spec.n_samples:
        raise SpecError("--sample", f"{sample} is out of range 1..{spec.n_samples}")
    fmt = lambda value: format_number(value, digits)  # noqa: E731
    lines = [one_line(spec.title or spec.name), describe(spec), ""]  # user text: control characters shown escaped

    def section(title: str, names: list[str]) -> None:
        lines.append(title)
        width = max(len(n) for n in names)
        lines.extend(f"  {n:<{width}}  {fmt(d.value(n))}" for n in names)
        lines.append("")

    at = f"@{sample}"
    section(f"Forward pass, sample {sample}",
            [f"x0[{k}]{at}" for k in range(1, sizes[0] + 1)]
            + [f"{kind}{l}[{k}]{at}" for l in range(1, L + 1) for kind in ("z", "x") for k in range(1, sizes[l] + 1)]
            + [f"y[{k}]{at}" for k in range(1, sizes[L] + 1)])
    section("Cost", [f"J{at}", "J"])
    section(f"Backward pass, sample {sample}",
            [f"dx{L}[{k}]{at}" for k in range(1, sizes[L] + 1)]
            + [f"delta{l}[{k}]{at}" for l in range(L, 0, -1) for k in range(1, sizes[l] + 1)])
    plural = "s" if spec.n_samples != 1 else ""
    reduction = f"{spec.reduction} over {spec.n_samples} sample{plural}"
    gradient_names = [f"dW{l}[{i},{j}]" for l in range(L, 0, -1) for i in range(1, sizes[l - 1] + 1) for j in range(1, sizes[l] + 1)]
    gradient_names += [f"db{l}[{j}]" for l in range(L, 0, -1) for j in range(1, sizes[l] + 1)]
    section(f"Batch gradients ({reduction})", gradient_names)
    taken = len(d.training.steps)  # spec.steps, or fewer when early stopping ended training
    lines.append(f"Update: learning rate {fmt(spec.learning_rate)}, {taken} step{'s' if taken != 1 else ''}"
                 + ("" if spec.update_biases else ", biases fixed"))
    for name in [n[1:] for n in gradient_names]:
        lines.append(f"  {name:<10}  {fmt(d.value(name))} -> {fmt(d.value(name + '@after'))}")
    lines.append("")
    lines.append("Cost history: " + ", ".join(fmt(c) for c in d.training.history))
    if d.training.history_val:
        lines.append("Validation cost history: " + ", ".join(fmt(c) for c in d.training.history_val))
        stopped = d.training.stopped_at
        lines.append(f"Stopped early after step {stopped}; best validation cost at step {d.training.best_step}"
                     if stopped is not None else f"Best validation cost at step {d.training.best_step}")
    lines.append(_check_line(d))
    return "\n".join(lines)


def _check_line(d: Derivation) -> str:
    if not d.checks:
        return "Cross-check: not run"
    agreed = [c for c in d.checks if c.status == "ok"]
    kinks = [c for c in d.checks if c.status == "kink"]
    worst = max(abs(c.symbolic - c.backprop) for c in d.checks)
    text = (f"Cross-check: {len(d.checks)} gradients; symbolic = independent backprop (max difference {worst:.1e}); "
            f"finite differences agree on {len(agreed)}")
    if kinks:
        text += f", {len(kinks)} straddle a ReLU corner"
    return text
