"""A blank answers file: every asked quantity in the order of the computation, each with a comment saying what it is."""

from __future__ import annotations

# kind -> what the quantity is, in words (a row per kind; a miss raises KeyError)
WORDS = {
    "x": "output of neuron {k} in layer {l}",
    "z": "receptor (weighted sum plus bias) of neuron {k} in layer {l}",
    "yhat": "network output {k}",
    "y": "target {k}",
    "dx": "derivative of the cost by network output {k}",
    "delta": "delta (derivative of the cost by the receptor) of neuron {k} in layer {l}",
    "J": "cost",
    "dW": "batch gradient of the weight from neuron {i} of layer {p} to neuron {k} of layer {l}",
    "db": "batch gradient of the bias of neuron {k} in layer {l}",
    "W": "weight from neuron {i} of layer {p} to neuron {k} of layer {l}",
    "b": "bias of neuron {k} in layer {l}",
    "gnorm": "global 2-norm of the gradient before clipping",
    "clip": "clip coefficient min(1, max_grad_norm / (norm + 1e-6))",
    "mask": "dropout mask of neuron {k} in layer {l} (1 kept, 0 dropped)",
    "a": "output of neuron {k} in layer {l} before dropout",
    "da": "derivative of the cost by the output of neuron {k} in layer {l} before dropout",
    "mu": "batch mean of the receptor of neuron {k} in layer {l}",
    "var": "biased batch variance of the receptor of neuron {k} in layer {l}",
    "zhat": "normalized receptor of neuron {k} in layer {l}",
    "u": "batch-norm output (gamma zhat + beta) of neuron {k} in layer {l}",
    "du": "derivative of the cost by the batch-norm output of neuron {k} in layer {l}",
    "gamma": "batch-norm scale of neuron {k} in layer {l}",
    "beta": "batch-norm shift of neuron {k} in layer {l}",
    "dgamma": "batch gradient of the batch-norm scale of neuron {k} in layer {l}",
    "dbeta": "batch gradient of the batch-norm shift of neuron {k} in layer {l}",
}


def describe(q, spec) -> str:
    """What the quantity is, in plain words, with its sample when there are several and 'after the update'."""
    k = q.indices[-1] if q.indices else None
    i = q.indices[0] if len(q.indices) > 1 else None
    layer = q.layer if q.layer is not None else spec.depth
    state, _, of = q.kind.partition("_")
    if of:  # an optimizer state of a parameter entry: m_W2[1,1]@t1
        from .derive.names import OPTIMIZER_STATES

        words = f"{OPTIMIZER_STATES[state]} of the " + WORDS[of].format(k=k, i=i, l=layer, p=(layer or 1) - 1)
    else:
        words = WORDS[q.kind].format(k=k, i=i, l=layer, p=(layer or 1) - 1)
    if q.step is not None:
        words += f", on step {q.step}'s batch" if q.kind in ("dW", "db") else f", step {q.step}"
    if q.kind == "J":
        words = "batch cost" if q.sample is None else f"cost of sample {q.sample}"
    elif q.kind in ("W", "b", "gamma", "beta") and q.step is None:
        words += ", after the update" if q.after else ", given"
    if q.sample is not None and spec.n_samples > 1 and q.kind != "J":
        words += f", sample {q.sample}"
    return words


def template_text(spec, asked, significant_digits: int, meta: dict | None = None) -> str:
    """The answers file: [meta], [precision], and [answers] with one commented, blank line per asked quantity."""
    from .answers import answers_toml
    from .exercises import short_name
    from .spec_writer import toml_comment

    head = answers_toml({}, meta, comment=(
        f"Answers for {spec.title or spec.name}: write a number after each `=` (a decimal such as -0.314, or a fraction "
        f"in quotes such as \"-157/500\"), keep the quotes around the names, leave blank what you did not compute; then hand it in, or check it with `nnsteps check SPEC THIS-FILE`.\n"
        f"Give at least {significant_digits} significant digits unless the number is exact."))
    head = head[:head.rindex("[answers]")]
    lines = [head + "[answers]"]
    for q in asked:
        lines += toml_comment(describe(q, spec))
        lines.append(f'"{short_name(q)}" = ')
    return "\n".join(lines) + "\n"


def template_for(spec, significant_digits: int, ask=None) -> str:
    """The blank answers file of the spec's [exercise] selection (or `ask`), for `nnsteps check --template`."""
    from .exercises import DEFAULT, questions

    return template_text(spec, questions(spec, spec.exercise or DEFAULT, ask), significant_digits)
