"""One sample's delta through batch norm, derived by SymPy as the explicit sum over the batch, and the closed form.

For neuron k of a batch-normalized layer l and samples s, t = 1..n:
    u_t = gamma (z_t - mu) / sqrt(var + eps) + beta,  mu = (1/n) sum z,  var = (1/n) sum (z - mu)^2,
    delta_s = dJ/dz_s = sum_t (du_t/dz_s) dJ/du_t      (every u_t moves with z_s through mu and var),
and the closed form (1/sqrt(var + eps)) (g_s - mean g - zhat_s mean(g zhat)) with g = gamma dJ/du.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from .errors import NumericalError


@dataclass(frozen=True)
class BatchCoupling:
    """The sum over the batch for one sample and neuron: its local derivatives, terms, total and the closed form."""

    layer: int
    neuron: int
    sample: int  # 1-based
    jacobian_formula: sp.Expr  # du_t/dz_s for t != s, as SymPy simplifies it, in zhat_s, zhat_t, n, gamma, sigma
    diagonal_formula: sp.Expr  # du_s/dz_s
    factors: tuple  # du_t/dz_s at the numbers, t = 1..n
    upstream: tuple  # dJ/du_t, t = 1..n
    total: float  # sum_t factor_t upstream_t
    closed_form: float  # the row's closed form (derive/layers/batchnorm.py), as the pass computed it


def symbols(n: int):
    z = sp.symbols(f"z_1:{n + 1}", real=True)
    gamma, beta, eps = sp.symbols("gamma beta epsilon", positive=True)
    return z, gamma, beta, eps


def coupled_outputs(n: int):
    """u_1..u_n of one neuron as SymPy expressions in z_1..z_n (mu and var written out)."""
    z, gamma, beta, eps = symbols(n)
    mu = sp.Add(*z) / n
    var = sp.Add(*[(zi - mu) ** 2 for zi in z]) / n
    return [gamma * (zi - mu) / sp.sqrt(var + eps) + beta for zi in z], (z, gamma, beta, eps)


def batch_coupling(derivation, layer: int, neuron: int = 1, sample: int = 1) -> BatchCoupling:
    """delta_s of one neuron as sum_t (du_t/dz_s) dJ/du_t, every du_t/dz_s by sympy.diff at the batch's numbers."""
    records, n = derivation.forward.records, derivation.spec.n_samples
    k, s = neuron - 1, sample - 1
    outputs, (z, gamma, beta, eps) = coupled_outputs(n)
    values = {zi: sp.Float(float(v), 30) for zi, v in zip(z, np.asarray(derivation.forward.zs[layer])[:, k])}
    values[gamma] = sp.Float(float(derivation.params[f"gamma{layer}"][k]), 30)
    values[eps] = sp.Float(float(derivation.spec.batchnorm.eps), 30)
    derivatives = [sp.diff(u, z[s]) for u in outputs]
    factors = tuple(float(d.xreplace(values)) for d in derivatives)
    upstream = tuple(float(v) for v in np.asarray(derivation.backward.records[("du", layer)])[:, k])
    total = float(sum(f * g for f, g in zip(factors, upstream)))
    closed = float(np.asarray(derivation.backward.deltas[layer])[s, k])
    zhat_s, zhat_t, sigma, count = sp.symbols(r"\hat{z}_s \hat{z}_t sigma n", real=True)
    off = gamma / sigma * (-1 / count - zhat_s * zhat_t / count)  # the SymPy derivative, written in zhat and sigma
    diagonal = gamma / sigma * (1 - 1 / count - zhat_s ** 2 / count)
    _check_general_form(outputs, z, gamma, eps, values, derivatives, s)
    return BatchCoupling(layer, neuron, sample, off, diagonal, factors, upstream, total, closed)


def _check_general_form(outputs, z, gamma, eps, values, derivatives, s) -> None:
    """The written form gamma/sigma ([t = s] - 1/n - zhat_s zhat_t / n) is what sympy.diff gave, at these numbers."""
    n = len(z)
    mu = sum(values[zi] for zi in z) / n
    sigma = sp.sqrt(sum((values[zi] - mu) ** 2 for zi in z) / n + values[eps])
    zhat = [(values[zi] - mu) / sigma for zi in z]
    for t, derivative in enumerate(derivatives):
        written = values[gamma] / sigma * (int(t == s) - sp.Rational(1, n) - zhat[s] * zhat[t] / n)
        if abs(float(derivative.xreplace(values) - written)) > 1e-12 * max(1.0, abs(float(written))):
            raise NumericalError(f"batchnorm.layers", f"du_{t + 1}/dz_{s + 1}: sympy.diff and the written form disagree")
