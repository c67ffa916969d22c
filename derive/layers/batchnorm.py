"""The batch-norm row: z^(l) normalized over the batch before the activation (PyTorch BatchNorm1d, training mode).

Forward, per neuron k over the n samples of the batch:
    mu = (1/n) sum_s z_s,  var = (1/n) sum_s (z_s - mu)^2 (biased),  zhat_s = (z_s - mu) / sqrt(var + eps),
    u_s = gamma zhat_s + beta.
Backward: the first layer whose derivative couples the samples. With g_s = gamma dJ/du_s,
    dJ/dz_s = sum_t (du_t/dz_s) dJ/du_t = (1/sqrt(var + eps)) (g_s - mean_t g_t - zhat_s mean_t (g_t zhat_t)),
    dJ/dgamma = r sum_s dJ/du_s zhat_s,  dJ/dbeta = r sum_s dJ/du_s.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .base import Layer


@dataclass(frozen=True)
class BatchNorm(Layer):
    """gamma^(l), beta^(l) and eps of layer l; mistakes override its hooks (derive/mistakes/batchnorm.py)."""

    kind = "batchnorm"
    eps: Fraction = Fraction(1, 100000)

    def parameters(self) -> tuple[str, ...]:
        return (f"gamma{self.layer}", f"beta{self.layer}")

    # -- hooks: what a person may read differently ---------------------------
    def variance(self, run, centered):
        """The biased batch variance (1/n) sum_s (z_s - mu)^2, as torch normalizes in training."""
        return run.ops.column_means(run.ops.hadamard(centered, centered))

    def inverse_deviation(self, run, variance):
        """1 / sqrt(var + eps)."""
        return run.ops.rsqrt(variance, run.number(self.eps))

    def input_gradient(self, run, scaled, zhat, inverse):
        """dJ/dZ from g = gamma o dJ/dU: (1/sqrt(var+eps)) (g - mean g - zhat o mean(g o zhat)), mu and var moving."""
        ops = run.ops
        centered = ops.subtract(scaled, ops.broadcast(ops.column_means(scaled), scaled))
        along = ops.mul_rows(zhat, ops.column_means(ops.hadamard(scaled, zhat)))
        return ops.mul_rows(ops.subtract(centered, along), inverse)

    # -- the loop's steps ----------------------------------------------------
    def forward(self, run, receptor):
        l, ops = self.layer, run.ops
        mean = run.record("mu", l, ops.column_means(receptor), note=f"mu^({l}) = (1/n) 1^T Z^({l})")
        centered = ops.subtract(receptor, ops.broadcast(mean, receptor))
        variance = run.record("var", l, self.variance(run, centered), note=f"var^({l}): the biased batch variance")
        zhat = run.record("zhat", l, ops.mul_rows(centered, self.inverse_deviation(run, variance)),
                          note=f"Zhat^({l}) = (Z^({l}) - 1 mu^T) / sqrt(var + eps)")
        # U^(l) = Zhat^(l) o 1 gamma^T + 1 beta^T
        shifted = ops.add_rows(ops.mul_rows(zhat, run.param(f"gamma{l}")), run.param(f"beta{l}"))
        return run.record("u", l, shifted, note=f"U^({l}) = gamma^({l}) Zhat^({l}) + beta^({l})")

    def backward(self, run, upstream):
        l, ops = self.layer, run.ops
        r, zhat = run.reduction(), run.value("zhat", l)
        run.record("grad", f"gamma{l}", ops.scale(r, ops.column_sums(ops.hadamard(upstream, zhat))),
                   note=f"dJ/dgamma^({l}) = r 1^T (dU^({l}) o Zhat^({l}))")
        run.record("grad", f"beta{l}", ops.scale(r, ops.column_sums(upstream)), note=f"dJ/dbeta^({l}) = r 1^T dU^({l})")
        inverse = self.inverse_deviation(run, run.value("var", l))
        scaled = ops.mul_rows(upstream, run.param(f"gamma{l}"))
        return run.record("delta", l, self.input_gradient(run, scaled, zhat, inverse),
                          note=f"dZ^({l}): through batch norm, every sample of the batch")
