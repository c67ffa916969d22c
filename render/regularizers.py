"""Dropout and batch norm in a worked example: their forward steps with numbers, the batch coupling of batch norm's
backward pass (one sample's delta as the explicit sum over the batch, derived by SymPy, against the closed form),
and the notes where the per-neuron chain rule of dense layers does not cover them."""

from __future__ import annotations

import numpy as np

from ..derive.batch_coupling import batch_coupling
from .context import Context
from .records import Group, M, Math, Paragraph, Section, text


def normalized_layers(spec) -> tuple:
    return tuple(spec.batchnorm.layers) if spec.batchnorm else ()


def dropped_layers(spec) -> tuple:
    return spec.dropout.layers() if spec.dropout else ()


def special_layers(spec) -> set:
    """Layers with a batch-norm or dropout row: the dense per-neuron chain rule does not describe them."""
    return set(normalized_layers(spec)) | set(dropped_layers(spec))


def _term(ctx: Context, value) -> str:
    """A number as an operand: negative ones in parentheses (0.2 - (-0.2), not 0.2 - -0.2)."""
    text = ctx.num(value)
    return rf"\left({text}\right)" if float(value) < 0 else text


def _sup(ctx: Context, l) -> str:
    return f"({l})" if ctx.notation == "tutorial" else f"{l}"


def forward_layer_steps(ctx: Context, l: int, shown) -> list:
    """Sample 1 through batch norm and/or dropout in layer l, neuron by neuron, with the numbers."""
    records, spec, sup, items = ctx.d.forward.records, ctx.spec, _sup(ctx, l), []
    a = ctx.profile.activation
    if l in normalized_layers(spec):
        eps = ctx.num(float(spec.batchnorm.eps))
        items.append(Paragraph(text(f"Batch norm: each receptor is normalized over the {spec.n_samples} samples of the "
                                    "batch (mean, biased variance), then scaled and shifted:")))
        for k in shown:
            mu, var = records[("mu", l)][k - 1], records[("var", l)][k - 1]
            z, zhat, u = ctx.d.forward.zs[l][0][k - 1], records[("zhat", l)][0][k - 1], records[("u", l)][0][k - 1]
            gamma, beta = ctx.d.params[f"gamma{l}"][k - 1], ctx.d.params[f"beta{l}"][k - 1]
            items.append(Math(
                rf"\mu^{{{sup}}}_{{{k}}} = \frac{{1}}{{n}}\sum_s z^{{{sup}}}_{{{k},s}} = {ctx.num(mu)}, \quad "
                rf"(\sigma^{{{sup}}}_{{{k}}})^2 = \frac{{1}}{{n}}\sum_s \left(z^{{{sup}}}_{{{k},s}} - \mu^{{{sup}}}_{{{k}}}\right)^2 = {ctx.num(var)}"))
            items.append(Math(
                rf"\hat z^{{{sup}}}_{{{k}}} = \frac{{{ctx.num(z)} - {_term(ctx, mu)}}}{{\sqrt{{{ctx.num(var)} + {eps}}}}} = {ctx.num(zhat)}, \quad "
                rf"u^{{{sup}}}_{{{k}}} = \gamma^{{{sup}}}_{{{k}}} \hat z + \beta^{{{sup}}}_{{{k}}} = {_term(ctx, gamma)} \times {_term(ctx, zhat)} + {_term(ctx, beta)} = {ctx.num(u)}"))
    source = "u" if l in normalized_layers(spec) else "z"
    receptors = records[("u", l)] if source == "u" else ctx.d.forward.zs[l]
    dropped = l in dropped_layers(spec)
    outputs = records[("a", l)] if dropped else ctx.d.forward.xs[l]
    target = r"\tilde x" if dropped else "x"
    items.append(Paragraph(text(f"The activation applied to {'the batch-norm outputs' if source == 'u' else 'the receptors'}:")))
    for k in shown:
        items.append(Math(rf"{target}^{{{sup}}}_{{{k}}} = {a}\left({source}^{{{sup}}}_{{{k}}}\right) = {a}\left({ctx.num(receptors[0][k - 1])}\right) = {ctx.num(outputs[0][k - 1])}"))
    if dropped:
        p = ctx.number(spec.dropout.rate(l))  # a rational in exact mode
        keep = 1 - p
        mask = records[("mask", l)][0]
        items.append(Paragraph(text(f"Inverted dropout with p = {float(p):g}: a kept neuron (m = 1) "
                                    f"is divided by 1 - p = {float(keep):g}, a dropped one (m = 0) is 0. "
                                    f"Mask of sample 1", _drawn(spec, l), ": ", M(ctx.row(mask)), ".")))
        for k in shown:
            items.append(Math(rf"x^{{{sup}}}_{{{k}}} = \frac{{m^{{{sup}}}_{{{k}}}}}{{1 - p}} \tilde x^{{{sup}}}_{{{k}}} = "
                              rf"\frac{{{ctx.num(mask[k - 1])}}}{{{ctx.num(keep)}}} \times {_term(ctx, outputs[0][k - 1])} = {ctx.num(ctx.d.forward.xs[l][0][k - 1])}"))
    return items


def given_items(ctx: Context) -> list:
    """What a person needs besides W and b: each dropout layer's p and masks, each batch-norm layer's eps, gamma, beta."""
    spec, items = ctx.spec, []
    for l in dropped_layers(spec):
        p, how = ctx.number(spec.dropout.rate(l)), _drawn(spec, l).strip(" ()")
        items.append(Paragraph(text(f"Inverted dropout on the outputs of layer {l} with p = ", M(ctx.num(p)),
                                    f"; the masks of the samples ({how}; one row per sample, 1 kept, 0 dropped):")))
        items.append(Math(rf"{ctx.m('M', l)} = {mask_matrix(ctx, spec.dropout.mask(l))}"))
    for l in normalized_layers(spec):
        eps = ctx.num(ctx.number(spec.batchnorm.eps))
        items.append(Paragraph(text(f"Batch norm on the receptors of layer {l} over the batch, with ",
                                    M(rf"\varepsilon = {eps}"), ", scale and shift:")))
        items.append(Math(rf"\boldsymbol{{\gamma}}^{{{_sup(ctx, l)}}} = {ctx.row(ctx.d.params[f'gamma{l}'])}, \quad "
                          rf"\boldsymbol{{\beta}}^{{{_sup(ctx, l)}}} = {ctx.row(ctx.d.params[f'beta{l}'])}"))
    return items


def _drawn(spec, l) -> str:
    return f" (drawn from seed {spec.dropout.seed})" if l in spec.dropout.drawn else " (as given)"


SHOWN_STEPS = 8  # the masks of this many training steps are printed; derive --json reports every step's


def mask_matrix(ctx: Context, mask) -> str:
    """A 0/1 mask (rows: samples) as a matrix of the document's numbers."""
    return ctx.matrix(np.array([[ctx.number(v) for v in row] for row in mask], dtype=object))


def step_masks_items(ctx: Context) -> list:
    """The drawing rule of the training steps' masks and the masks of the first steps, one matrix per layer."""
    spec, steps = ctx.spec, ctx.d.training.steps
    if not steps or not dropped_layers(spec):
        return []
    full = len(steps[0].batch) == spec.n_samples
    first = "step 1 reuses the masks above, and each later step" if full else "each step"
    items = [Paragraph(text(
        f"Training draws a fresh mask at every step, as torch's nn.Dropout does at every forward pass in training "
        f"mode: {first} takes the next draw of numpy.random.default_rng({spec.dropout.seed}), one "
        "rng.random((samples, neurons)) >= p per layer with dropout, in layer order (after the masks of the pass "
        "above); a mask given in the spec (x1@t2 for step 2) replaces its draw. The masks of the steps "
        "(rows: the samples of the step):"))]
    for record in steps[:SHOWN_STEPS]:
        samples = ", ".join(str(int(i) + 1) for i in record.batch)
        parts = [rf"{ctx.m('M', l)} = {mask_matrix(ctx, record.masks[f'x{l}'])}" for l in dropped_layers(spec)]
        plural = "s" if len(record.batch) != 1 else ""
        items.append(Math(rf"\text{{step {record.step} (sample{plural} {samples})}}: \quad " + r", \quad ".join(parts)))
    if len(steps) > SHOWN_STEPS:
        items.append(Paragraph(text(f"The masks of the other {len(steps) - SHOWN_STEPS} steps are in the output "
                                    "of nnsteps derive --json (step_masks).")))
    return items


def backward_note(ctx: Context) -> Paragraph:
    layers = ", ".join(str(l) for l in sorted(special_layers(ctx.spec)))
    return Paragraph(text(f"The per-neuron chain rule of this section is written for dense layers; layers {layers} have "
                          "dropout or batch norm, so their deltas, and the paths of parameters through them, are worked in "
                          "the section on dropout and batch norm and in the matrix form below, not here."))


def section(ctx: Context, number: int) -> Section | None:
    """Masks, batch statistics, the backward factors of both rows and batch norm's coupling of the samples."""
    spec, records = ctx.spec, ctx.d.forward.records
    if not special_layers(spec):
        return None
    items = []
    for l in dropped_layers(spec):
        keep = 1 - ctx.number(spec.dropout.rate(l))
        items.append(Paragraph(text(f"Dropout in layer {l}: the masks of all samples (rows, {_drawn(spec, l).strip(' ()')})" +
                                    f". Backward, the same mask and the factor 1/(1 - p) = {float(1 / keep):g} multiply the "
                                    "gradient: a dropped neuron passes no gradient back.")))
        items.append(Math(rf"{ctx.m('M', l)} = {ctx.matrix(records[('mask', l)])}, \qquad "
                          rf"\frac{{\partial J}}{{\partial \tilde{{\mathbf{{X}}}}^{{{_sup(ctx, l)}}}}} = "
                          rf"{ctx.matrix(ctx.d.backward.records[('da', l)])}"))
    if len(ctx.d.training.steps) > 1 or (ctx.d.training.steps and len(ctx.d.training.steps[0].batch) < spec.n_samples):
        items += step_masks_items(ctx)
    for l in normalized_layers(spec):
        items.append(Paragraph(text(f"Batch norm in layer {l}: batch mean and biased variance of each neuron, the "
                                    "running statistics after the training steps (torch's update with the unbiased "
                                    "variance), and the gradients of the scale and shift:")))
        running_mean, running_var = ctx.d.running_statistics()[l]
        items.append(Math(rf"\boldsymbol{{\mu}} = {ctx.row(records[('mu', l)])}, \quad \boldsymbol{{\sigma}}^2 = "
                          rf"{ctx.row(records[('var', l)])}, \quad \text{{running}}: {ctx.row(running_mean)}, {ctx.row(running_var)}"))
        grads = ctx.d.backward.gradients
        items.append(Math(rf"\frac{{\partial J}}{{\partial \boldsymbol{{\gamma}}}} = {ctx.row(grads[f'gamma{l}'])}, \quad "
                          rf"\frac{{\partial J}}{{\partial \boldsymbol{{\beta}}}} = {ctx.row(grads[f'beta{l}'])}"))
        items.append(coupling_group(ctx, l))
    return Section("regularizers", number, "Dropout and batch normalization", tuple(items))


def coupling_group(ctx: Context, l: int, k: int = 1, s: int = 1) -> Group:
    """delta of sample s through batch norm: the sum over the batch (SymPy's derivatives) and the closed form."""
    c = batch_coupling(ctx.d, l, k, s)
    sup, n = _sup(ctx, l), ctx.spec.n_samples
    terms = " + ".join(rf"\left({ctx.num(f)}\right)\left({ctx.num(g)}\right)" for f, g in zip(c.factors, c.upstream))
    items = [
        Paragraph(text(f"Batch norm couples the samples: the mean and variance of neuron {k} depend on every sample, so "
                       f"z of sample {s} moves every output u of the batch. SymPy differentiates "
                       "u_t = γ (z_t − μ)/√(σ² + ε) + β with μ and σ² written out in z_1, …, z_n:")),
        Math(rf"\frac{{\partial u_t}}{{\partial z_s}} = \frac{{\gamma}}{{\sqrt{{\sigma^2 + \varepsilon}}}}\left([t = s] - \frac{{1}}{{n}} - \frac{{\hat z_s \hat z_t}}{{n}}\right)"),
        Paragraph(text(f"The delta of sample {s}, neuron {k} of layer {l}, as the sum over the {n} samples of the batch:")),
        Math(rf"\delta^{{{sup}}}_{{{k},{s}}} = \sum_{{t=1}}^{{{n}}} \frac{{\partial u_t}}{{\partial z_{s}}} \frac{{\partial J}}{{\partial u_t}} = {terms} = {ctx.num(c.total)}"),
        Paragraph(text("The closed form the backward pass uses, with g = γ ∂J/∂u:")),
        Math(rf"\delta_s = \frac{{1}}{{\sqrt{{\sigma^2 + \varepsilon}}}}\left(g_s - \frac{{1}}{{n}}\sum_t g_t - \hat z_s \frac{{1}}{{n}}\sum_t g_t \hat z_t\right) = {ctx.num(c.closed_form)}"),
        Paragraph(text(f"Both give the same number (difference {abs(c.total - c.closed_form):.1e}).")),
    ]
    return Group(f"batchnorm-coupling-{l}", text(f"Layer {l}: one sample's delta through batch norm"), tuple(items))
