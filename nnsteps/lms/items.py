"""One variant as a platform question: asked quantities with keys, tolerances from the precision policy, the values the
catalogued mistakes give at each step, the worked steps, the diagram and the step graph printed as code."""

from __future__ import annotations

import math

# how to fix each catalogued mistake (a row per mistake name; derive.mistakes holds what each one is)
FIXES = {
    "activation_derivative_omitted": "multiply by the activation's derivative a′(z) at this neuron",
    "loss_gradient_sign": "the loss gradient is ŷ − y (prediction minus target), not y − ŷ",
    "reduction_dropped": "keep the 1/n of the mean over the samples",
    "reduction_doubled": "apply the 1/n of the mean once, not twice",
    "reduction_added": "the loss is summed over the samples: no 1/n",
    "half_dropped": "the ½ of the squared error cancels the 2 of the derivative: keep it",
    "half_doubled": "apply the ½ of the squared error once, and only where the loss has it",
    "z_for_x": "use the neuron x = a(z), the activation applied, not the receptor z",
    "weight_indices_swapped": "w_{i,j} connects neuron i of the layer below to neuron j of this layer",
    "updated_weights_in_backward": "the backward pass uses the weights before the update",
    "wrong_layer_x": "the weight gradient takes x from the layer below the weight, x^(l−1)",
    "softmax_elementwise": "softmax couples its outputs: use the whole Jacobian, x_k(δ_km − x_m)",
    "sigmoid_derivative_one_minus_z": "σ′(z) = σ(z)(1 − σ(z)), both factors from the neuron's value",
    "derivative_from_z": "evaluate σ′ or tanh′ from the neuron's value a(z), not from z",
    "relu_derivative_at_zero": "at z = 0 the derivation takes ReLU's left slope",
    "update_sign": "step against the gradient: θ − η·g",
    "dropout_not_rescaled": "a kept neuron's output is multiplied by 1/(1 − p); a dropped one is 0",
    "dropout_mask_ignored_in_backward": "the same mask and 1/(1 − p) multiply the gradient: a dropped neuron passes none back",
    "batchnorm_unbiased_variance": "in training, batch norm divides the squared deviations by n, not n − 1",
    "batchnorm_batch_coupling_ignored": "μ and σ² depend on every sample: subtract the batch means of γ·∂J/∂u and of "
                                        "γ·∂J/∂u·ẑ times ẑ before dividing by √(σ² + ε)",
    "batchnorm_eps_outside_sqrt": "ε goes inside the square root: 1/√(σ² + ε)",
}
ZERO = 1e-12  # a key below this is a 0 (a ReLU switched off)


def tolerance(key: float, digits: int) -> float:
    """Half a unit of the last of `digits` significant digits of the key: every answer that rounds right with at least
    that many digits lies within it (0 for a key of 0, which must be written as 0)."""
    if abs(key) < ZERO:
        return 0.0
    return 0.5 * 10.0 ** (math.floor(math.log10(abs(key))) - max(digits, 1) + 1)


def rounded(value: float, digits: int) -> float:
    """A number rounded to `digits` significant digits (the sheet's precision)."""
    return float(f"{value:.{max(digits, 1)}g}") if value else 0.0


def _overlap(a: tuple, b: tuple) -> bool:
    return a[0] - a[1] <= b[0] + b[1] and b[0] - b[1] <= a[0] + a[1]


def mistake_values(derivation, asked) -> dict:
    """Canonical name -> [(value, mistake)]: the number each applicable mistake gives at that step, made there alone or
    throughout, every earlier number right (the recomputation `check` uses)."""
    import numpy as np

    from ..derive.mistakes import MISTAKES, layer_of, lookup, problem_of, recompute

    problem, depth, spec, runs, values = problem_of(derivation), derivation.spec.depth, derivation.spec, {}, {}
    for q in asked:
        rows = []
        for mistake in MISTAKES:
            if not mistake.applies(spec) or q.kind not in mistake.affects:
                continue
            for layers in (frozenset({layer_of(q, depth)}), None):
                if (mistake.name, layers) not in runs:
                    with np.errstate(all="ignore"):
                        runs[(mistake.name, layers)] = recompute(problem, mistake.rewrite, None, layers)
                value = lookup(runs[(mistake.name, layers)], q, depth)
                if math.isfinite(value):
                    rows.append((value, mistake))
        values[q.name] = rows
    return values


def entries(key: float, values, digits: int) -> list:
    """Wrong-answer entries: each value rounded to the sheet's precision, with its tolerance; one that meets the right
    answer's interval or an earlier entry is left out."""
    kept, rows = [(key, tolerance(key, digits))], []
    for raw, mistake in values:
        value = rounded(raw, digits)
        entry = (value, tolerance(value, digits))
        if any(_overlap(entry, other) for other in kept):
            continue
        kept.append(entry)
        rows.append({"value": value, "tolerance": entry[1], "name": mistake.name, "description": mistake.description,
                     "fix": FIXES.get(mistake.name, "")})
    return rows


def _fraction(derivation, q):
    """[p, q] of an exact derivation's value (the rounding rule is then exact, halves up), else None."""
    if not derivation.exact:
        return None
    value = derivation.quantity_value(q)
    return [int(value.p), int(value.q)]


def variant_item(derivation, asked, digits: int, variant: int) -> dict:
    """Everything the platform exports need of one variant, as plain data (picklable, JSON-able)."""
    from ..exercises import short_name
    from ..quantity_tex import quantity_tex
    from ..render.context import Context
    from ..render.diagram import network_svg
    from .graph import canonical, step_graph
    from .printing import graph_code, worked_steps

    ctx, spec = Context(derivation), derivation.spec
    graph = step_graph(derivation)
    mistakes = mistake_values(derivation, asked)
    questions = []
    for q in asked:
        symbol, words = quantity_tex(ctx, q)
        key = float(derivation.quantity_value(q))
        questions.append({
            "name": short_name(q), "canonical": q.name, "node": graph.index[canonical(q.name, spec)],
            "tex": symbol, "words": words, "key": key, "tolerance": tolerance(key, digits), "exact": _fraction(derivation, q),
            "mistakes": entries(key, mistakes[q.name], digits),
            "diagnoses": [{"raw": value, "name": m.name, "description": m.description, "fix": FIXES.get(m.name, "")}
                          for value, m in mistakes[q.name]],
        })
    X, Y = derivation.X.tolist(), derivation.Y.tolist()
    # the steps taken: spec.steps, or fewer when early stopping ended training
    given = {"X": [[float(v) for v in row] for row in X], "Y": [[float(v) for v in row] for row in Y],
             "learning_rate": float(spec.learning_rate), "steps": len(derivation.training.steps)}
    return {
        "variant": variant, "title": spec.title or spec.name, "digits": digits, "questions": questions,
        "given": given, "diagram": network_svg(derivation, given_only=True),
        "steps": worked_steps(ctx, graph, [q["node"] for q in questions]), "code": graph_code(graph),
    }
