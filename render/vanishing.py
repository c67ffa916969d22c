"""Gradients that vanish: a local factor that is 0 on every chain-rule path, found from the numbers, one line per cause."""

from __future__ import annotations

from ..derive.errors import UnsupportedError
from .context import Context
from .records import M, Vanished, text

ACTIVATION_NAMES = {"relu": "ReLU", "leaky_relu": "leaky ReLU"}


def _layer_of(ctx: Context, symbol) -> tuple[int, int] | None:
    """(l, k) when the symbol is the neuron x^(l)_k with l >= 1."""
    net = ctx.d.net
    for l in range(1, ctx.spec.depth + 1):
        for k in range(1, ctx.spec.layers[l] + 1):
            if net.x(l, k) == symbol:
                return l, k
    return None


def _flat(ctx: Context, l: int, k: int, sample: int) -> bool:
    """Whether the local derivative dx^(l)_k/dz^(l)_k of a hidden neuron is 0 at this sample's receptor."""
    if l >= ctx.spec.depth:
        return False
    local = [f for f in ctx.d.delta_formula(l, k).terms[0] if f.kind == "dx/dz"]
    return bool(local) and ctx.value(local[0].form, sample) == 0


def _key(ctx: Context, factor, sample: int):
    """What makes this zero factor zero: a neuron that is off (x = 0 and a'(z) = 0), a flat activation, or a zero value."""
    if factor.kind == "dx/dz":
        where = _layer_of(ctx, factor.numerator)
        if where and ctx.value(factor.numerator, sample) == 0:
            return ("off", where)
        return ("flat", factor.numerator, factor.denominator)
    if factor.kind == "dz/dw" and factor.form.is_Symbol:
        where = _layer_of(ctx, factor.form)
        if where and _flat(ctx, *where, sample):
            return ("off", where)
        return ("zero", factor.form)
    return ("factor", factor.numerator, factor.denominator, factor.form)


def causes(ctx: Context, name: str, count_limit: int) -> set | None:
    """The reasons shared by every path and every sample why the gradient of `name` is 0; None when it is not 0."""
    try:
        paths = ctx.d.paths(name)
    except UnsupportedError:
        return None
    if not paths or len(paths) > count_limit:
        return None
    shared = None
    for sample in range(1, ctx.spec.n_samples + 1):
        for path in paths:
            zero = {_key(ctx, f, sample) for f in path.factors if ctx.value(f.form, sample) == 0}
            shared = zero if shared is None else shared & zero
            if not shared:
                return None
    return shared


def _reason(ctx: Context, key) -> list:
    """The pieces of text that say why, for one cause."""
    every = " for every sample" if ctx.spec.n_samples > 1 else ""
    if key[0] == "off":
        l, k = key[1]
        act = ctx.spec.activations[l - 1]
        name = ACTIVATION_NAMES.get(act, act.replace("_", " "))
        x, z = ctx.tex(ctx.d.net.x(l, k)), ctx.tex(ctx.d.net.z(l, k))
        detail = ["(", M(f"{z} = {ctx.num(ctx.value(ctx.d.net.z(l, k), 1))}"), ")"] if not every else []
        return [f"{name} off: ", M(f"{x} = 0"), " ", *detail, f"{every} and ", M(f"{ctx.partial(x, z)} = 0")]
    if key[0] == "flat":
        return ["the activation is flat: ", M(f"{ctx.partial(ctx.tex(key[1]), ctx.tex(key[2]))} = 0"), every]
    if key[0] == "zero":
        return [M(f"{ctx.tex(key[1])} = 0"), every]
    return [M(f"{ctx.partial(ctx.tex(key[1]), ctx.tex(key[2]))} = {ctx.tex(key[3])} = 0"), every]


def _rank(key) -> tuple:
    # prefer a neuron that is off (it explains its incoming and outgoing weights at once), then a zero value
    return ({"off": 0, "zero": 1, "flat": 2}.get(key[0], 3), str(key))


def vanished(ctx: Context, found: dict, partial_of, anchor_of) -> list[Vanished]:
    """`found` maps a parameter to its causes; each cause, largest first, takes the parameters it explains."""
    left, lines = dict(found), []
    while left:
        tally: dict = {}
        for parameter, keys in left.items():
            for key in keys:
                tally.setdefault(key, []).append(parameter)
        key = min(tally, key=lambda k: (-len(tally[k]), _rank(k)))
        taken = tally[key]
        pieces = _reason(ctx, key)
        if len(taken) == 1:
            pieces += [", so ", M(f"{partial_of(taken[0])} = 0")]
        else:
            pieces.append(f", so these {len(taken)} gradients are 0: ")
            for n, parameter in enumerate(taken):
                pieces += ([", "] if n else []) + [M(partial_of(parameter))]
        pieces.append("; each of their chain-rule paths has a zero factor." if len(taken) > 1
                      else "; each of its chain-rule paths has a zero factor.")
        lines.append(Vanished(text(*pieces), tuple(anchor_of(p) for p in taken)))
        for parameter in taken:
            del left[parameter]
    return lines
