"""Mistakes in dropout and batch norm: the mask without its 1/(1-p), the mask forgotten backward, the unbiased
variance in training, mu and var taken as constants backward, and eps added outside the square root."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from fractions import Fraction

from ..layers.batchnorm import BatchNorm
from ..layers.dropout import Dropout
from .recompute import Recipe


@dataclass(frozen=True)
class UnscaledDropout(Dropout):
    """The mask applied without the rescaling 1/(1 - p) of the kept neurons (forward and backward)."""

    def forward_scale(self) -> Fraction:
        return Fraction(1)

    def backward_scale(self) -> Fraction:
        return Fraction(1)


@dataclass(frozen=True)
class MaskForgottenBackward(Dropout):
    """The forward pass drops neurons, but the backward pass passes dJ/dx through every neuron (times 1/(1 - p))."""

    def backward_mask(self, run):
        mask = run.value("mask", self.layer)
        return mask * 0 + 1  # ones of the mask's shape


@dataclass(frozen=True)
class UnbiasedVariance(BatchNorm):
    """The batch variance with n - 1 (torch's running estimate) where training normalizes with n."""

    def variance(self, run, centered):
        n = centered.shape[0]
        return run.ops.scale(run.number(Fraction(n, n - 1)), super().variance(run, centered))


@dataclass(frozen=True)
class ConstantStatistics(BatchNorm):
    """mu and var treated as constants backward: dJ/dz = gamma dJ/du / sqrt(var + eps), the batch coupling dropped."""

    def input_gradient(self, run, scaled, zhat, inverse):
        return run.ops.mul_rows(scaled, inverse)


@dataclass(frozen=True)
class EpsOutsideRoot(BatchNorm):
    """1 / (sqrt(var) + eps) in place of 1 / sqrt(var + eps)."""

    def inverse_deviation(self, run, variance):
        import numpy as np

        return 1.0 / (np.sqrt(variance) + float(self.eps))


def _rewrite(kind: str, row_class):
    def rewrite(recipe: Recipe, at, spec) -> Recipe:
        # the same row (layer, p and mask, or eps) as the person's class
        change = lambda row: row_class(**{f.name: getattr(row, f.name) for f in fields(row)}) if at(row.layer) else None  # noqa: E731
        return replace(recipe, rows=recipe.rows.rewrite(kind, change))
    return rewrite


not_rescaled = _rewrite("dropout", UnscaledDropout)
mask_ignored_in_backward = _rewrite("dropout", MaskForgottenBackward)
unbiased_variance = _rewrite("batchnorm", UnbiasedVariance)
coupling_ignored = _rewrite("batchnorm", ConstantStatistics)
eps_outside_sqrt = _rewrite("batchnorm", EpsOutsideRoot)


def has_dropout(spec) -> bool:
    return spec.dropout is not None and bool(spec.dropout.layers())


def has_batchnorm(spec) -> bool:
    return spec.batchnorm is not None and bool(spec.batchnorm.layers)
