"""Derivation -> WorkedExample: the sections in the tutorial's order, at full or summary detail.

Every section is a tuple of our own records (Step: formula, substituted, value,
symbols touched), so HTML, TeX and Markdown show the same computation.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..derive.derivation import Derivation
from ..derive.errors import SpecError, UnsupportedError
from .backward import backward_matrix_section, hidden_section, output_section
from .early_stopping import with_validation
from .closing import update_section, verification_section
from .training import side_by_side_rules
from .context import Context
from .exercises import exercise_section, exercises
from .forward import cost_section, forward_section, network_section
from .notation import LOSS_NAMES
from .printer import NOTATIONS
from .records import M, WorkedExample, text
from .regularizers import section as regularizer_section

DETAILS = ("full", "summary")
SUMMARY_ABOVE = 60  # parameters; larger networks default to summary detail
MAX_FULL_DETAIL = 400  # parameters; full detail above this would be thousands of pages


def default_detail(spec) -> str:
    return "summary" if spec.n_parameters > SUMMARY_ABOVE else "full"


class Selection:
    """Which neurons, samples and parameters get scalar derivations: all (full) or a few per layer (summary)."""

    def __init__(self, ctx: Context):
        self.ctx = ctx

    def neurons(self, layer: int) -> list[int]:
        n = self.ctx.spec.layers[layer]
        return list(range(1, n + 1)) if self.ctx.full else sorted({1, n})

    def samples(self) -> list[int]:
        n = self.ctx.spec.n_samples
        return list(range(1, n + 1)) if self.ctx.full else sorted({1, min(2, n), n})

    def parameters(self, layer: int) -> list:
        """(i, j) of weights and (None, j) of biases, grouped by receiving neuron j."""
        sizes = self.ctx.spec.layers
        if self.ctx.full:
            return [(i, j) for j in range(1, sizes[layer] + 1) for i in list(range(1, sizes[layer - 1] + 1)) + [None]]
        gradients = self.ctx.d.backward.gradients
        weights = np.abs(np.asarray(gradients[f"W{layer}"], dtype=float))
        i, j = (int(v) + 1 for v in np.unravel_index(int(np.argmax(weights)), weights.shape))
        biases = np.abs(np.asarray(gradients[f"b{layer}"], dtype=float))
        k = int(np.argmax(biases)) + 1
        chosen = {(1, 1), (i, j), (None, k)}
        return sorted(chosen, key=lambda p: (p[1], p[0] is None, p[0] or 0))

    def deltas(self, layer: int) -> list[int]:
        if self.ctx.full:
            return list(range(1, self.ctx.spec.layers[layer] + 1))
        return sorted({j for _, j in self.parameters(layer)})


def worked_example(derivation: Derivation, notation: str = "tutorial", detail: str | None = None,
                   digits: int = 6, work_steps: tuple[int, ...] | None = None, curves=()) -> WorkedExample:
    """The whole worked example of a derivation, in one notation."""
    spec = derivation.spec
    if notation not in NOTATIONS:
        raise SpecError("--notation", f"{notation!r} must be one of {', '.join(NOTATIONS)}")
    detail = detail or default_detail(spec)
    if detail not in DETAILS:
        raise SpecError("--detail", f"{detail!r} must be one of {', '.join(DETAILS)}")
    if detail == "full" and spec.n_parameters > MAX_FULL_DETAIL:
        raise UnsupportedError("--detail", f"full detail writes every scalar step; {spec.n_parameters} parameters "
                               f"is more than {MAX_FULL_DETAIL}: use --detail summary")
    if not 2 <= digits <= 15:
        raise SpecError("--digits", f"{digits} must lie between 2 and 15")
    ctx = Context(derivation, notation, detail, digits)
    pick = Selection(ctx)
    L = spec.depth
    sections = (
        network_section(ctx),
        forward_section(ctx, pick.neurons),
        cost_section(ctx, pick.samples()),
        output_section(ctx, pick.parameters(L)),
        hidden_section(ctx, pick.parameters, pick.deltas),
        regularizer_section(ctx, 0),
        backward_matrix_section(ctx),
        side_by_side_rules(ctx, with_validation(ctx, update_section(ctx, pick.parameters, work_steps)), curves),
        verification_section(ctx),
    )
    tasks = exercises(ctx)
    sections += (exercise_section(ctx, tasks),)
    # without dropout and batch norm there is no such section: the others keep their numbers
    sections = tuple(replace(s, number=n) for n, s in enumerate((s for s in sections if s is not None), start=1))
    return WorkedExample(
        name=spec.name,
        title=spec.title or spec.name,
        notation=notation,
        detail=detail,
        summary=summary_line(ctx),
        sections=sections,
        exercises=tasks,
        history=tuple(float(c) for c in derivation.training.history),
        history_val=tuple(float(c) for c in derivation.training.history_val),
        stopped_at=derivation.training.stopped_at,
        best_step=derivation.training.best_step,
    )


def summary_line(ctx: Context):
    spec = ctx.spec
    layers = "-".join(str(n) for n in spec.layers)
    activations = ", ".join(a.replace("_", " ") for a in spec.activations)
    detail = "every step" if ctx.full else "the matrix form and a few representative steps per layer"
    return text(f"A {layers} network ({activations}), {LOSS_NAMES[spec.loss]} loss, {spec.n_samples} "
                f"sample{'s' if spec.n_samples != 1 else ''}, learning rate ", M(ctx.num(ctx.number(spec.learning_rate))),
                f": the forward pass, the chain rule and one gradient-descent step, with {detail}.")
