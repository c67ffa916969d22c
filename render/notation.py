"""The words and the notation table of each profile, and the spec written out (activations, loss, training)."""

from __future__ import annotations

from typing import NamedTuple

from ..derive.activations import ACTIVATIONS
from ..derive.losses import LOSSES
from ..derive.model import GENERIC_Z
from .context import Context
from .records import M, Table, text

LOSS_NAMES = {"squared_error": "squared error", "cross_entropy": "cross-entropy",
              "binary_cross_entropy": "binary cross-entropy"}


class Words(NamedTuple):
    z: str  # what z is called
    x: str  # what x is called
    profile: str  # the name of the notation in the document


WORDS = {
    "tutorial": Words("receptor", "neuron", "tutorial notation (layers 0 to L, receptors z and neurons x)"),
    "nielsen": Words("weighted input", "activation", "Nielsen's notation (activations a, weighted inputs z, cost C)"),
    "matrix": Words("pre-activation", "activation", "matrix notation (the names of the NumPy code: X, Z1, A1, W1, b1, dZ1)"),
}


def words(ctx: Context) -> Words:
    return WORDS[ctx.notation]


def notation_table(ctx: Context) -> Table:
    """What each symbol means in the notation in use."""
    s, L, sizes = ctx.s, ctx.spec.depth, ctx.spec.layers
    w = words(ctx)
    a = ctx.profile.activation
    n_l = "n^{(l)}" if ctx.notation == "tutorial" else "n^{l}" if ctx.notation == "nielsen" else "n_{l}"
    n_prev = "n^{(l-1)}" if ctx.notation == "tutorial" else "n^{l-1}" if ctx.notation == "nielsen" else "n_{l-1}"
    rows = [
        (text(M("l")), text("a layer, from 0 (the inputs) to ", M(f"L = {L}"), " (the output layer)")),
        (text(M(n_l)), text("the number of neurons in layer l; here ", M(", ".join(str(n) for n in sizes)),
                            " for l = 0, ..., ", M(str(L)))),
        (text(M(s("x", "l", "k"))), text(f"the value of {w.x} k in layer l for one sample; ",
                                         M(s("x", 0, "k")), " is input feature k")),
        (text(M(s("z", "l", "k"))), text(f"the {w.z} of neuron k in layer l: the weighted sum of the previous layer plus the bias")),
    ]
    if ctx.notation == "nielsen":
        weight = text("the weight from neuron k in layer l-1 to neuron j in layer l (the receiving neuron comes first); "
                      "in the matrix form rows are samples, so ", M(ctx.m("W", "l")), " holds it in row k, column j")
        rows.append((text(M(s("w", "l", "k", "j"))), weight))
    else:
        weight = text("the weight from neuron i in layer l-1 to neuron j in layer l: row i, column j of ",
                      M(ctx.m("W", "l")), ", which has ", M(n_prev), " rows and ", M(n_l), " columns")
        rows.append((text(M(s("w", "l", "i", "j"))), weight))
    rows += [
        (text(M(s("b", "l", "k"))), text(f"the bias added by the {w.z} of neuron k in layer l")),
        (text(M(a)), text("the activation function of a layer: ", M(f"{s('x', 'l', 'k')} = {a}\\left({s('z', 'l', 'k')}\\right)"))),
        (text(M("y_{k}")), text("the target of output neuron k")),
        (text(M(ctx.J)), text("the cost; ", M(f"{ctx.J}_{{s}}"), " is the cost of sample s alone")),
        (text(M(s("delta", "l", "k"))), text("the error of neuron k in layer l: ",
                                             M(f"{s('delta', 'l', 'k')} = {ctx.partial(ctx.J, s('z', 'l', 'k'))}"))),
        (text(M(r"\eta")), text("the learning rate")),
        (text(M(ctx.m("X", "l")), ", ", M(ctx.m("Z", "l"))),
         text("all samples at once: row s holds sample s, column k neuron k")),
        (text(M(ctx.m("dZ", "l"))), text("the errors of layer l for all samples, one row per sample")),
    ]
    return Table((text("Symbol"), text("Meaning")), tuple(rows), "lp")


def activation_table(ctx: Context) -> Table:
    """Each layer's activation and its derivative as the derivation uses them."""
    rows = []
    for l in range(1, ctx.spec.depth + 1):
        row = ACTIVATIONS[ctx.spec.activations[l - 1]]
        if row.vector:
            form = r"\frac{e^{z_k}}{\sum_{j} e^{z_j}}"
            derivative = r"\frac{\partial x_m}{\partial z_k} = x_m\left(\mathbf{1}\left[m = k\right] - x_k\right)"
        else:
            form = ctx.tex(row.form(GENERIC_Z, ctx.spec))
            derivative = ctx.tex(ctx.d.backprop.calculus(l).activation_derivative)
        definition = form if form.startswith(row.latex) else f"{row.latex}(z) = {form}"
        rows.append((text(M(str(l))), text(row.name.replace("_", " ")), text(M(definition)),
                     text(M(derivative))))
    return Table((text("Layer"), text("Activation"), text("Formula"), text("Derivative")), tuple(rows), "llll")


def reduction(ctx: Context) -> tuple[str, str]:
    """(LaTeX of r in J = r sum_s J_s, words)."""
    n = ctx.spec.n_samples
    if n == 1:
        return "", "the cost of its single sample"
    if ctx.spec.reduction == "mean":
        return rf"\frac{{1}}{{{n}}}", f"the mean over the {n} sample{'s' if n != 1 else ''}"
    return "", f"the sum over the {n} sample{'s' if n != 1 else ''}"


def loss_sentences(ctx: Context) -> list:
    """The loss with its exact formula and convention."""
    spec, L = ctx.spec, ctx.spec.depth
    loss = LOSSES[spec.loss]
    yhat = rf"\hat{{y}}_k = {ctx.s('x', L, 'k')}"
    per_sample = f"{ctx.J}_{{s}} = {loss.latex(spec)}"
    convention = ""
    if spec.loss == "squared_error":
        convention = " with the factor 1/2" if spec.half else " without a factor 1/2"
    r, r_words = reduction(ctx)
    scale = f"{r} " if r else ""
    batch = f"{ctx.J} = {scale}\\sum_{{s=1}}^{{{spec.n_samples}}} {ctx.J}_{{s}}" if spec.n_samples > 1 else f"{ctx.J} = {ctx.J}_{{1}}"
    return [
        text(f"Loss: {LOSS_NAMES[spec.loss]}{convention}. For one sample s, with the prediction ", M(yhat), ":"),
        per_sample,
        text(f"The cost of the batch is {r_words}:"),
        batch,
    ]


def training_sentence(ctx: Context):
    spec = ctx.spec
    method = "gradient descent" if spec.optimizer.name == "sgd" and not spec.optimizer.settings else spec.optimizer.name
    steps = f"{spec.steps} step{'s' if spec.steps != 1 else ''} of {method}"
    if spec.early_stopping is not None:
        steps = f"at most {steps}, stopped early on the validation cost (patience {spec.early_stopping.patience})"
    steps += f", clipped to the gradient norm {float(spec.max_grad_norm):g}" if spec.max_grad_norm is not None else ""
    steps += f", with the L2 term λ = {float(spec.l2):g}" if spec.l2 else ""
    if spec.batch_size and spec.batch_size < spec.n_samples:
        batch = f"mini-batches of {spec.batch_size} samples taken in order"
    else:
        batch = "the full batch"
    biases = "" if spec.update_biases else "; the biases stay fixed"
    numbers = ("exact fractions" if spec.numbers == "exact" else f"decimals rounded to {ctx.digits} significant digits")
    return text("Training: learning rate ", M(rf"\eta = {ctx.num(ctx.number(spec.learning_rate))}"),
                f", {steps} on {batch}{biases}. Numbers are shown as {numbers}.")


def init_sentence(ctx: Context):
    init = ctx.spec.init
    if init is None:
        return None
    scale = "" if init.scale is None else f" with standard deviation {float(init.scale):g}"
    rounded = "" if init.decimals is None else f", rounded to {init.decimals} decimals"
    return text(f"The parameters were drawn by the {init.scheme} scheme{scale} (seed {init.seed}{rounded}).")
