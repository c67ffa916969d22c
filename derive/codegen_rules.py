"""The exported module's init_state(), update() and step() for rules with state or clipping, printed from the rule
row's SymPy formulas (derive/optim/): each state assigned in the rule's order, then theta."""

from __future__ import annotations

import sympy as sp

from .optim.base import GRADIENT, RATE, STEP, THETA

_INITIAL = {"sum": "initial_accumulator_value"}  # a state that does not start at zero: the setting it starts at


def stateful_update(derivation, pr) -> list[str]:
    """init_state(params), update(params, grads, state, eta) -> (params, state), step(params, X, Y, state, eta)."""
    rule, spec = derivation.rule, derivation.spec
    formulas, symbols = rule.formulas(), rule.symbols()
    names = {THETA: sp.Symbol("theta", real=True), GRADIENT: sp.Symbol("g", real=True),
             RATE: sp.Symbol("eta", real=True), STEP: sp.Symbol("t", real=True)}
    constants = [f"    {symbol.name} = {float(value)!r}" for symbol, value in rule.constants().items()]
    starts = ", ".join(f'"{name}": numpy.full_like(theta, {float(getattr(rule, _INITIAL[name], 0) if name in _INITIAL else 0)!r})'
                       for name in symbols)
    assignments = [f"        {symbol.name} = {pr(formulas[symbol].xreplace(names), 'update')}" for symbol in symbols.values()]
    kept = ", ".join(f'"{name}": {symbol.name}' for name, symbol in symbols.items())
    previous = [f'        {symbol.name} = state[name]["{name}"]' for name, symbol in symbols.items()]
    clip = spec.max_grad_norm
    return [
        f"MAX_GRAD_NORM = {None if clip is None else float(clip)!r}",
        "",
        "",
        "def init_state(params):",
        f'    """The state of {rule.name} before step 1, per parameter (torch.optim\'s initial values)."""',
        f'    return {{name: {{"step": 0, {starts}}} for name, theta in params.items()}}',
        "",
        "",
        "def update(params, grads, state, eta=LEARNING_RATE):",
        f'    """One step of {rule.name} (as torch.optim) on every parameter that moves: (new params, new state)."""',
        *constants,
        "    result, new_state = {}, {}",
        "    for name, theta in params.items():",
        '        if not (name[0] == "W" or UPDATE_BIASES):',
        "            result[name], new_state[name] = theta.copy(), state[name]",
        "            continue",
        "        g = grads[name]",
        '        t = state[name]["step"] + 1',
        *previous,
        *assignments,
        f"        result[name] = {pr(formulas[THETA].xreplace(names), 'update')}",
        f'        new_state[name] = {{"step": t, {kept}}}',
        "    return result, new_state",
        "",
        "",
        "def clip(grads):",
        '    """torch.nn.utils.clip_grad_norm_: every moving gradient times min(1, MAX_GRAD_NORM / (norm + 1e-6))."""',
        "    if MAX_GRAD_NORM is None:",
        "        return grads",
        '    moving = [name for name in grads if name[0] == "W" or UPDATE_BIASES]',
        "    norm = numpy.linalg.norm([numpy.linalg.norm(grads[name]) for name in moving])",
        "    c = min(MAX_GRAD_NORM / (norm + 1e-6), 1.0)",
        "    return {name: g * c if name in moving else g for name, g in grads.items()}",
        "",
        "",
        "def step(params, X, Y, state, eta=LEARNING_RATE):",
        '    """The parameters and state after one training step on the batch (X, Y): gradient, clipping, the rule."""',
        "    return update(params, clip(gradients(params, X, Y)), state, eta)",
    ]
