"""Simulated students for the diagnosis rate: each makes one or two catalogued mistakes at a chosen layer (or
throughout) and writes every number of the computation to 6 significant digits."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Optional

import numpy as np

from nnsteps.answers import answers_from_mapping
from nnsteps.derive.derivation import derive
from nnsteps.derive.grading import grade
from nnsteps.derive.mistakes import MISTAKES, lookup, problem_of, recompute
from nnsteps.derive.names import parse_quantity
from nnsteps.spec import load_spec, spec_from_mapping

BUILT_IN = ("tutorial", "tanh-sigmoid", "xor-softmax", "chain")
DIGITS = 8  # significant digits a student writes (more than a rounding tie in an exact network can reach)
ACTIVATIONS = ("relu", "sigmoid", "tanh", "leaky_relu", "softplus")


def random_network(rng: random.Random, index: int) -> dict:
    """A small network with two or three layers, random activations, weights and data."""
    depth = rng.choice((2, 3))
    sizes = [rng.randint(1, 3)] + [rng.randint(2, 3) for _ in range(depth - 1)] + [rng.randint(1, 2)]
    n = rng.randint(1, 3)
    draw = lambda rows, cols: [[round(rng.uniform(-1, 1), 2) or 0.1 for _ in range(cols)] for _ in range(rows)]  # noqa: E731
    params = {}
    for l in range(1, depth + 1):
        params[f"W{l}"] = draw(sizes[l - 1], sizes[l])
        params[f"b{l}"] = draw(1, sizes[l])[0]
    return {"name": f"random-{index}", "layers": sizes,
            "activations": [rng.choice(ACTIVATIONS) for _ in range(depth - 1)] + [rng.choice(("identity", "sigmoid"))],
            "loss": "squared_error", "half": rng.choice((True, False)), "reduction": rng.choice(("mean", "sum")),
            "learning_rate": 0.1, "steps": 1, "parameters": params,
            "data": {"X": draw(n, sizes[0]), "Y": [[round(rng.uniform(0.05, 0.95), 2) for _ in range(sizes[-1])]
                                                   for _ in range(n)]}}


def networks(seed: int, count: int) -> list:
    """Every built-in example, then `count` random networks."""
    rng = random.Random(seed)
    return [derive(load_spec(name)) for name in BUILT_IN] + [derive(spec_from_mapping(random_network(rng, i)))
                                                              for i in range(count)]


def quantity_names(d) -> list[str]:
    """Every computed number of sample 1 and of the batch, in the order of the computation."""
    spec, L = d.spec, d.spec.depth
    names = []
    for l in range(1, L + 1):
        names += [f"{kind}{l}[{k}]@1" for kind in ("z", "x") for k in range(1, spec.layers[l] + 1)]
    names += ["J"] + [f"dx{L}[{k}]@1" for k in range(1, spec.layers[L] + 1)]
    for l in range(L, 0, -1):
        names += [f"delta{l}[{k}]@1" for k in range(1, spec.layers[l] + 1)]
        names += [f"dW{l}[{i},{j}]" for i in range(1, spec.layers[l - 1] + 1) for j in range(1, spec.layers[l] + 1)]
        names += [f"db{l}[{j}]" for j in range(1, spec.layers[l] + 1)]
        names += [f"W{l}[{i},{j}]@after" for i in range(1, spec.layers[l - 1] + 1) for j in range(1, spec.layers[l] + 1)]
    return names


@dataclass(frozen=True)
class Outcome:
    network: str
    made: tuple  # the mistakes' names
    named: tuple  # the names the first wrong step was given
    exact: bool  # a made mistake named, with at most one other (two that explain the answers equally well)


def _compose(mistakes, sites):
    def rewrite(recipe, at, spec):
        for mistake, site in zip(mistakes, sites):
            recipe = mistake.rewrite(recipe, (lambda l: True) if site is None else (lambda l, s=site: l in s), spec)
        return recipe
    return rewrite


def student(d, mistakes, sites) -> Optional[Outcome]:
    """Grade a student who makes these mistakes; None when the mistakes change no number they write."""
    problem, L = problem_of(d), d.spec.depth
    values = recompute(problem, _compose(mistakes, sites))
    written = {}
    for name in quantity_names(d):
        q = parse_quantity(name, d.spec)
        value = lookup(values, q, L)
        if not np.isfinite(value):
            continue
        written[name] = Decimal(f"{value:.{DIGITS}g}")
    if not written:
        return None
    answers = answers_from_mapping({"answers": written}, d.spec)
    result = grade(d, answers)
    first = result.first_wrong
    if first is None:
        return None
    named = tuple(diagnosis.name for diagnosis in first.diagnoses)
    made = tuple(m.name for m in mistakes)
    return Outcome(d.spec.name, made, named, bool(set(made) & set(named)) and len(named) <= 2)


def single_mistake_students(ds, seed: int):
    """Every applicable mistake on every network: made throughout and at one random layer."""
    rng = random.Random(seed)
    for d in ds:
        for mistake in MISTAKES:
            if not mistake.applies(d.spec):
                continue
            sites = mistake.sites(d.spec)
            chosen = {sites[0], rng.choice(sites[1:] or sites)}  # throughout (or a first site), and one at random
            for site in chosen:
                outcome = student(d, (mistake,), (site,))
                if outcome is not None:
                    yield outcome


def two_mistake_students(ds, seed: int, per_network: int):
    rng = random.Random(seed)
    for d in ds:
        usable = [m for m in MISTAKES if m.applies(d.spec)]
        for _ in range(per_network):
            pair = tuple(rng.sample(usable, 2))
            outcome = student(d, pair, tuple(rng.choice(m.sites(d.spec)) for m in pair))
            if outcome is not None:
                yield outcome
