"""Weight initialization derived: the variance of a receptor, why Xavier and He, and a numerical check.

The symbolic part works with SymPy on moments: for z = sum_{i=1}^{n_in} w_i x_i + b with independent w_i
and x_i, E[w] = 0 and b = 0, Var(z) = n_in Var(w) E[x^2] (= n_in Var(w) Var(x) when E[x] = 0 too).
The numerical part draws the user's network's weights many times and measures the moments layer by layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy as sp

from .activations import ACTIVATIONS
from .gradient_report import INIT_STD

N_IN, N_OUT = sp.symbols("n_in n_out", positive=True, integer=True)
VAR_W, VAR_X, MEAN_X, MEAN_W = sp.symbols("Var_w Var_x mu_x mu_w", real=True)
_SIGMA = sp.Symbol("sigma", positive=True)
_T = sp.Symbol("t", real=True)


@dataclass(frozen=True)
class VarianceArgument:
    """Each step of the argument as a SymPy expression; the templates only print them."""

    product: sp.Expr  # Var(w x) for independent w, x: E[w^2] E[x^2] - E[w]^2 E[x]^2
    product_zero_mean_w: sp.Expr  # with E[w] = 0: Var(w) E[x^2]
    product_zero_means: sp.Expr  # with E[x] = 0 too: Var(w) Var(x)
    receptor: sp.Expr  # Var(z) = n_in Var(w) Var(x): a sum of n_in independent terms
    forward: sp.Expr  # Var(w) keeping Var(z) = Var(x): 1/n_in
    backward: sp.Expr  # Var(w) keeping Var(delta) from layer to layer: 1/n_out
    xavier: sp.Expr  # Var(w) with the average of both fan counts: 2/(n_in + n_out)
    relu_second_moment: sp.Expr  # E[ReLU(z)^2] for z ~ N(0, sigma^2): sigma^2 / 2
    he: sp.Expr  # Var(w) keeping Var(z) through ReLU layers: 2/n_in


@lru_cache(maxsize=1)
def variance_argument() -> VarianceArgument:
    """The argument, each result computed (expanded, solved, integrated) by SymPy."""
    second_w, second_x = VAR_W + MEAN_W**2, VAR_X + MEAN_X**2  # E[u^2] = Var(u) + E[u]^2
    product = sp.expand(second_w * second_x - MEAN_W**2 * MEAN_X**2)  # independence: E[wx] = E[w]E[x]
    zero_w = sp.factor(product.subs(MEAN_W, 0))
    zero_both = zero_w.subs(MEAN_X, 0)
    receptor = N_IN * zero_both  # variances of independent terms add
    forward = sp.solve(sp.Eq(receptor, VAR_X), VAR_W)[0]
    # backward: delta^(l-1)_i = a'(z) sum_j w_ij delta_j, with a'(z) ~ 1 near 0: n_out terms
    backward = sp.solve(sp.Eq(N_OUT * VAR_W, 1), VAR_W)[0]
    # Glorot and Bengio: both conditions cannot hold unless n_in = n_out; take the average fan
    xavier = sp.solve(sp.Eq((N_IN + N_OUT) / 2 * VAR_W, 1), VAR_W)[0]
    density = sp.exp(-_T**2 / (2 * _SIGMA**2)) / (_SIGMA * sp.sqrt(2 * sp.pi))
    relu_moment = sp.simplify(sp.integrate(_T**2 * density, (_T, 0, sp.oo)))  # ReLU(t)^2 = t^2 on t > 0 only
    # He et al.: Var(z_next) = n_in Var(w) E[ReLU(z)^2] = n_in Var(w) sigma^2 / 2 = sigma^2
    he = sp.solve(sp.Eq(N_IN * VAR_W * relu_moment, _SIGMA**2), VAR_W)[0]
    return VarianceArgument(product, zero_w, zero_both, receptor, forward, backward, xavier, relu_moment, he)


@dataclass(frozen=True)
class LayerMoments:
    """One layer over all draws, samples and neurons: the measured moments, and Var(z) as the argument predicts it."""

    layer: int
    activation: str
    var_w: float  # the rule's variance for this layer
    mean_z: float
    var_z: float
    predicted_var_z: float  # n_in Var(w) E[(x^(l-1))^2], E[x^2] measured on the layer below
    mean_x: float
    var_x: float


def measured_moments(spec, scheme: str, draws: int, scale: float = 0.1, seed: int = 0) -> tuple[LayerMoments, ...]:
    """Draw the network's weights `draws` times by the rule (biases 0) and measure z and x on the spec's inputs."""
    rng = np.random.default_rng(seed)
    X = np.array(spec.X, dtype=float)
    x = np.broadcast_to(X, (draws,) + X.shape)  # draws x samples x inputs
    out = []
    for l in range(1, len(spec.layers)):
        n_in, n_out = spec.layers[l - 1], spec.layers[l]
        std = INIT_STD[scheme](n_in, n_out, scale)
        W = rng.normal(0.0, std, size=(draws, n_in, n_out))
        predicted = n_in * std**2 * float(np.mean(x**2))
        z = x @ W  # each draw's own weights
        row = ACTIVATIONS[spec.activations[l - 1]]
        x = row.numpy(z.reshape(-1, n_out), spec).reshape(z.shape)
        out.append(LayerMoments(l, row.name, std**2, float(z.mean()), float(z.var()), predicted,
                                float(x.mean()), float(x.var())))
    return tuple(out)
