"""How documents name a quantity: its LaTeX symbol and a few words (answers, keys, platform exports, notebooks)."""

from __future__ import annotations


def quantity_tex(ctx, q) -> tuple[str, str]:
    """(LaTeX symbol in the document's notation, words such as "sample 2" or "after the update") of a quantity."""
    net, L, n = ctx.d.net, ctx.spec.depth, ctx.spec.n_samples
    sample = f"sample {q.sample}" if q.sample is not None and n > 1 else ""
    k = q.indices[-1] if q.indices else None
    if q.kind in ("z", "x", "delta"):
        return ctx.tex(getattr(net, q.kind)(q.layer, k)), sample
    if q.kind == "yhat":
        return ctx.tex(net.x(L, k)), ", ".join(filter(None, ["the output", sample]))
    if q.kind == "y":
        return ctx.tex(net.y(k)), ", ".join(filter(None, ["target", sample]))
    if q.kind == "dx":
        return ctx.partial(ctx.J if n == 1 else f"{ctx.J}_{{{q.sample}}}", net.x(L, k)), sample
    if q.kind == "J":
        return (ctx.J, "batch cost") if q.sample is None else (f"{ctx.J}_{{{q.sample}}}", f"cost of sample {q.sample}")
    if q.kind in REGULARIZER_TEX:  # dropout and batch norm: no SymPy symbols, their letters
        return _regularizer_tex(ctx, q, k, sample)
    if q.kind in STEP_TEX:  # the gradient norm and clip coefficient of step t
        return STEP_TEX[q.kind].format(t=q.step), f"step {q.step}"
    state, _, of = q.kind.partition("_")
    symbol = net.w(q.layer, *q.indices) if (of or q.kind).endswith("W") else net.b(q.layer, k)
    if of:  # an optimizer state of one parameter entry after step t, as the Training section writes it
        return rf"{STATE_TEX[state].format(t=q.step)}\left[{ctx.tex(symbol)}\right]", f"after step {q.step}"
    if q.kind in ("dW", "db"):
        return ctx.partial(ctx.J, symbol), "batch gradient" if q.step is None else f"step {q.step}'s batch gradient"
    if q.step is not None:
        return ctx.tex(symbol), f"after step {q.step}"
    steps = len(ctx.d.training.steps)  # early stopping may end before spec.steps
    return ctx.tex(symbol), (f"after {steps} update{'s' if steps != 1 else ''}" if q.after else "given")


# an optimizer state (derive/names.OPTIMIZER_STATES) after step t, in the letters of render/explain/rules.py
STATE_TEX = {"buf": "b_{{{t}}}", "sum": "s_{{{t}}}", "v": "v_{{{t}}}", "gavg": r"\bar g_{{{t}}}", "m": "m_{{{t}}}",
             "vmax": r"v^{{\max}}_{{{t}}}", "mhat": r"\hat m_{{{t}}}", "vhat": r"\hat v_{{{t}}}"}
STEP_TEX = {"gnorm": r"\lVert g_{{{t}}} \rVert", "clip": "c_{{{t}}}"}

# kind -> (letter, whether a gradient dJ/d of it, words): dropout's mask and pre-dropout neuron, batch norm's pieces
REGULARIZER_TEX = {
    "mask": ("m", False, "dropout mask"), "a": (r"\tilde x", False, "before dropout"),
    "da": (r"\tilde x", True, ""), "mu": (r"\mu", False, "batch mean"), "var": (r"\sigma^2", False, "batch variance"),
    "zhat": (r"\hat z", False, "normalized"), "u": ("u", False, "batch-norm output"), "du": ("u", True, ""),
    "gamma": (r"\gamma", False, ""), "beta": (r"\beta", False, ""),
    "dgamma": (r"\gamma", True, "batch gradient"), "dbeta": (r"\beta", True, "batch gradient"),
}


def _regularizer_tex(ctx, q, k, sample: str) -> tuple[str, str]:
    letter, gradient, words = REGULARIZER_TEX[q.kind]
    sup = f"({q.layer})" if ctx.notation == "tutorial" else f"{q.layer}"
    symbol = f"{letter}^{{{sup}}}_{{{k}}}" if q.kind != "var" else rf"\left(\sigma^{{{sup}}}_{{{k}}}\right)^2"
    if gradient:
        return ctx.partial(ctx.J, symbol), ", ".join(filter(None, [words, sample]))
    if q.kind in ("gamma", "beta"):
        steps = len(ctx.d.training.steps)
        return symbol, (f"after {steps} update{'s' if steps != 1 else ''}" if q.after else "given")
    return symbol, ", ".join(filter(None, [words, sample]))
