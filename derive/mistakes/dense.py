"""Mistakes in a dense layer: the wrong input, swapped weight indices, updated weights, the wrong layer's x."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..layers.dense import Dense
from ..optim import UpdateRule
from .recompute import Recipe


@dataclass(frozen=True)
class ReceptorForNeuron(Dense):
    """z^(l-1) used where x^(l-1) = a(z^(l-1)) belongs, in the receptor and in the weight gradient."""

    def inputs(self, run):
        return run.value("z", self.layer - 1)


def _read_transposed(W: np.ndarray) -> np.ndarray:
    """W read as w_{j,i}: the transpose when W is square, no number otherwise."""
    return W.T.copy() if W.shape[0] == W.shape[1] else np.full(W.shape, np.nan)


@dataclass(frozen=True)
class SwappedIndices(Dense):
    """w_{j,i} read for w_{i,j}: in the receptor (`forward`), in the delta below (`propagation`), in dW (`gradient`)."""

    swap_forward: bool = True
    swap_propagation: bool = True
    swap_gradient: bool = True

    def forward_weights(self, run):
        W = super().forward_weights(run)
        return _read_transposed(W) if self.swap_forward else W

    def propagation_weights(self, run):
        W = super().propagation_weights(run)
        return _read_transposed(W) if self.swap_propagation else W

    def weight_gradient(self, run, inputs, delta, r):
        if not self.swap_gradient:
            return super().weight_gradient(run, inputs, delta, r)
        # the person's dJ/dw_{i,j} = r sum_s x_j delta_i, where both entries exist
        rows, cols = inputs.shape[1], delta.shape[1]
        result = np.full((rows, cols), np.nan)
        for i in range(min(rows, cols)):
            for j in range(min(rows, cols)):
                result[i, j] = r * float(inputs[:, j] @ delta[:, i])
        return result


@dataclass(frozen=True)
class UpdatedWeightsBelow(Dense):
    """The delta below computed through W^(l) already moved by the update rule (W - eta dW)."""

    rule: UpdateRule = None

    def propagation_weights(self, run):
        name = f"W{self.layer}"
        return self.rule.step(name, super().propagation_weights(run), run.value("grad", name), {})[0]


@dataclass(frozen=True)
class OwnLayerInput(Dense):
    """dW^(l) multiplied by x^(l)_i, the layer's own neurons, in place of x^(l-1)_i (no number where none exists)."""

    def gradient_inputs(self, run):
        below, own = run.value("x", self.layer - 1), run.value("x", self.layer)
        inputs = np.full_like(below, np.nan)
        width = min(own.shape[1], inputs.shape[1])
        inputs[:, :width] = own[:, :width]
        return inputs


@dataclass(frozen=True)
class OneSumSwapped(Dense):
    """In the sum of one receptor z^(l)_k only, w_{k,i} read for w_{i,k} (no number where w_{k,i} does not exist)."""

    neuron: int = 1

    def forward_weights(self, run):
        W = super().forward_weights(run)
        k = self.neuron - 1
        read = W.copy()
        read[:, k] = np.nan
        width = min(W.shape[0], W.shape[1])
        if k < W.shape[0]:
            read[:width, k] = W[k, :width]  # z_k = sum_i w_{k,i} x_i where w_{k,i} exists
        return read


@dataclass(frozen=True)
class BiasLeftOut(Dense):
    """z^(l) = x^(l-1) W^(l): the bias forgotten in the receptor."""

    def bias(self, run):
        return np.zeros_like(super().bias(run))


def _dense_rewrite(change):
    def rewrite(recipe: Recipe, at, spec) -> Recipe:
        return replace(recipe, rows=recipe.rows.rewrite("dense", lambda row: change(row, at, recipe)))
    return rewrite


z_for_x = _dense_rewrite(lambda row, at, recipe: ReceptorForNeuron(row.layer) if at(row.layer) and row.layer >= 2 else None)
# the receptor and dW of layer l at a chosen l; the delta of layer l - 1 (through W^(l)) at a chosen l - 1
swapped_indices = _dense_rewrite(lambda row, at, recipe: SwappedIndices(
    row.layer, swap_forward=at(row.layer), swap_propagation=at(row.layer - 1), swap_gradient=at(row.layer)))
updated_weights = _dense_rewrite(
    lambda row, at, recipe: UpdatedWeightsBelow(row.layer, rule=recipe.rule) if at(row.layer - 1) else None)
own_layer_input = _dense_rewrite(lambda row, at, recipe: OwnLayerInput(row.layer) if at(row.layer) else None)
bias_left_out = _dense_rewrite(lambda row, at, recipe: BiasLeftOut(row.layer) if at(row.layer) else None)



def one_sum_swapped(recipe: Recipe, at, spec) -> Recipe:
    """The swap in one receptor's sum: the sites are (layer, neuron) pairs."""
    def change(row):
        chosen = [k for k in range(1, spec.layers[row.layer] + 1) if at((row.layer, k))]
        return OneSumSwapped(row.layer, neuron=chosen[0]) if chosen else None
    return replace(recipe, rows=recipe.rows.rewrite("dense", change))
