"""The catalogue of classic backpropagation mistakes: each a named rewrite of the rows a person computes with.

A mistake changes one row (an activation's local derivative, a dense layer's input or weights, the loss,
the reduction) or the update rule; derive/mistakes/recompute.py runs the rewritten rows through the same
loop as the derivation. A new layer kind or update rule brings its mistakes in a module of its own here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..netspec import NetworkSpec
from . import activation, dense, loss, optimizer, regularizers, update
from ..names import OPTIMIZER_STATES
from .recompute import Problem, Recipe, Rewrite, Values, correct_recipe, layer_of, lookup, problem_of, recompute

ALL_KINDS = ("z", "x", "yhat", "J", "dx", "delta", "dW", "db", "W", "b")
BACKWARD_KINDS = ("delta", "dW", "db", "W", "b")  # W, b: the parameters after the update
FORWARD_KINDS = ("z", "x", "yhat", "J", "dx")
REGULARIZER_KINDS = ("a", "zhat", "var", "u", "du", "da", "dgamma", "dbeta", "gamma", "beta")

__all__ = ["ALL_KINDS", "BACKWARD_KINDS", "STEP_KINDS", "CATALOGUE", "MISTAKES", "Mistake", "Problem", "Recipe", "Values",
           "correct_recipe", "layer_of", "lookup", "problem_of", "recompute"]


def layer_sites(spec: NetworkSpec) -> tuple:
    """Where a mistake can be made: throughout (None) or in one layer."""
    return (None,) + tuple(frozenset({l}) for l in range(1, spec.depth + 1))


def neuron_sites(spec: NetworkSpec) -> tuple:
    """Where a one-sum mistake can be made: one neuron (layer, k) of one layer."""
    return tuple(frozenset({(l, k)}) for l in range(1, spec.depth + 1) for k in range(1, spec.layers[l] + 1))


@dataclass(frozen=True)
class Mistake:
    """One catalogued mistake: what it is, what it changes, and how it rewrites the rows."""

    name: str
    description: str
    affects: tuple[str, ...]  # quantity kinds whose numbers it can change
    rewrite: Rewrite  # (recipe, the sites it is made at, spec) -> the person's recipe
    applies: Callable[[NetworkSpec], bool]  # whether it can change a number of this network
    sites: Callable[[NetworkSpec], tuple] = layer_sites  # the `layers` values recompute is tried with

    def recompute(self, problem: Problem, overrides=None, layers=None) -> Values:
        return recompute(problem, self.rewrite, overrides, layers)


# the quantities of the training steps a rule, clipping or L2 mistake can change
STEP_KINDS = ("W", "b", "dW", "db", "gnorm", "clip") + tuple(f"{s}_{k}" for s in OPTIMIZER_STATES for k in "Wb")


def _rule(*names: str, **settings) -> Callable[[NetworkSpec], bool]:
    """The spec trains with one of these rules, with these settings true (momentum, nesterov, ...)."""
    def applies(spec) -> bool:
        given = dict(spec.optimizer.settings)
        return spec.optimizer.name in names and all(bool(given.get(k)) == v for k, v in settings.items())
    return applies


def _uses(*names: str) -> Callable[[NetworkSpec], bool]:
    return lambda spec: any(name in spec.activations for name in names)


def _always(spec) -> bool:
    return True


def _mean_over_several(spec) -> bool:
    return spec.reduction == "mean" and spec.n_samples > 1


MISTAKES: tuple[Mistake, ...] = (
    Mistake("activation_derivative_omitted", "the activation derivative dx/dz left out of the chain (taken as 1)",
            BACKWARD_KINDS, activation.misderived("one"), lambda spec: any(a != "identity" for a in spec.activations)),
    Mistake("loss_gradient_sign", "y − ŷ instead of ŷ − y: the loss gradient's sign flipped",
            ("dx",) + BACKWARD_KINDS, loss.loss_sign, _always),
    Mistake("reduction_dropped", "the 1/n of the mean left out", ("J", "dW", "db", "W", "b"),
            loss.reduction("dropped"), _mean_over_several),
    Mistake("reduction_doubled", "the 1/n of the mean applied twice", ("J", "dW", "db", "W", "b"),
            loss.reduction("doubled"), _mean_over_several),
    Mistake("reduction_added", "a 1/n put into a loss that is summed over the samples", ("J", "dW", "db", "W", "b"),
            loss.reduction("added"), lambda spec: spec.reduction == "sum" and spec.n_samples > 1),
    Mistake("half_dropped", "the ½ of the squared error left out (loss and gradient doubled)",
            ("J", "dx") + BACKWARD_KINDS, loss.loss_factor(2.0), lambda spec: spec.loss == "squared_error" and spec.half),
    Mistake("half_doubled", "the ½ of the squared error applied twice, or where the loss has none (halved)",
            ("J", "dx") + BACKWARD_KINDS, loss.loss_factor(0.5), lambda spec: spec.loss == "squared_error"),
    Mistake("z_for_x", "the receptor z (pre-activation) used where the neuron x = a(z) belongs",
            FORWARD_KINDS + BACKWARD_KINDS, dense.z_for_x, lambda spec: spec.depth >= 2),
    Mistake("weight_indices_swapped", "weight indices swapped: w_{j,i} used for w_{i,j}",
            FORWARD_KINDS + BACKWARD_KINDS, dense.swapped_indices, _always),
    Mistake("updated_weights_in_backward", "the already updated weights W − η·dW used in the hidden-layer backward pass",
            BACKWARD_KINDS, dense.updated_weights, lambda spec: spec.depth >= 2),
    Mistake("wrong_layer_x", "the weight gradient multiplied by x of the weight's own layer, x^(l), not x^(l−1)",
            ("dW", "W"), dense.own_layer_input, _always),
    Mistake("softmax_elementwise", "softmax differentiated elementwise: only the diagonal x_k(1 − x_k) of its Jacobian",
            BACKWARD_KINDS, activation.misderived("diagonal"), lambda spec: spec.activations[-1] == "softmax"),
    Mistake("sigmoid_derivative_one_minus_z", "σ′ computed as σ(z)(1 − z) instead of σ(z)(1 − σ(z))",
            BACKWARD_KINDS, activation.misderived("s_one_minus_z"), _uses("sigmoid")),
    Mistake("derivative_from_z", "σ′ (or tanh′) evaluated from z: z(1 − z) (or 1 − z²) instead of from a(z)",
            BACKWARD_KINDS, activation.misderived("from_z"), _uses("sigmoid", "tanh")),
    Mistake("relu_derivative_at_zero", "ReLU′(0) taken as 1 where the derivation takes the left slope (0, or α)",
            BACKWARD_KINDS, activation.misderived("relu_zero_one"), _uses("relu", "leaky_relu")),
    Mistake("activation_not_applied", "the activation left out: x = z (and so a′ taken as 1)",
            FORWARD_KINDS + BACKWARD_KINDS, activation.not_applied,
            lambda spec: any(a not in ("identity", "softmax") for a in spec.activations)),
    Mistake("activation_applied_twice", "the activation applied twice: x = a(a(z))",
            FORWARD_KINDS + BACKWARD_KINDS, activation.applied_twice,
            lambda spec: any(a not in ("identity", "relu", "softmax") for a in spec.activations)),
    Mistake("wrong_activation", "another activation used for the layer's (tanh for σ, σ for tanh or softplus, ReLU for "
            "leaky ReLU)", FORWARD_KINDS + BACKWARD_KINDS, activation.wrong_activation,
            lambda spec: any(a in activation.CONFUSED_WITH for a in spec.activations)),
    Mistake("weight_indices_swapped_in_one_sum", "in one receptor's sum, w_{k,i} used for w_{i,k}",
            FORWARD_KINDS + BACKWARD_KINDS, dense.one_sum_swapped, _always, neuron_sites),
    Mistake("bias_left_out", "the bias left out of the receptor: z = Σ w x without + b",
            FORWARD_KINDS + BACKWARD_KINDS, dense.bias_left_out, lambda spec: any(any(row) for row in spec.biases)),
    Mistake("update_sign", "θ + η·g instead of θ − η·g: the update climbs the gradient", ("W", "b"),
            update.update_sign, _always),
    Mistake("bias_correction_omitted", "Adam's m and v used without the bias corrections 1 − β^t", STEP_KINDS,
            optimizer.rule_rewrite({"adam": optimizer.UncorrectedAdam, "adamw": optimizer.UncorrectedAdam}),
            _rule("adam", "adamw")),
    Mistake("bias_correction_power_off_by_one", "1 − β^(t−1) for 1 − β^t in Adam's bias corrections (from step 2)",
            STEP_KINDS, optimizer.rule_rewrite({"adam": optimizer.OffByOneAdam, "adamw": optimizer.OffByOneAdam}),
            lambda spec: _rule("adam", "adamw")(spec) and spec.steps >= 2),
    Mistake("eps_inside_sqrt", "√(v̂ + ε) for √v̂ + ε in the denominator", STEP_KINDS,
            optimizer.rule_rewrite({"adam": optimizer.EpsInsideAdam, "adamw": optimizer.EpsInsideAdam,
                                    "rmsprop": optimizer.EpsInsideRMSprop, "adagrad": optimizer.EpsInsideAdagrad}),
            lambda spec: _rule("adam", "adamw", "adagrad")(spec) or _rule("rmsprop", centered=False)(spec)),
    Mistake("momentum_buffer_starts_at_zero", "the momentum buffer started at 0 (torch starts it at the first "
            "gradient): b₁ = (1 − dampening)·g₁", STEP_KINDS, optimizer.rule_rewrite({"sgd": optimizer.ZeroBufferSGD}),
            _rule("sgd", momentum=True, dampening=True)),
    Mistake("nesterov_as_momentum", "Nesterov asked, plain momentum done: θ − η·b instead of θ − η·(g + μ·b)",
            STEP_KINDS, optimizer.rule_rewrite({"sgd": optimizer.PlainMomentumSGD}), _rule("sgd", nesterov=True)),
    Mistake("weight_decay_coupled_in_adamw", "AdamW's weight decay added to the gradient (as Adam's) instead of "
            "θ ← θ − η·λ·θ", STEP_KINDS, optimizer.rule_rewrite({"adamw": optimizer.CoupledAdamW}),
            lambda spec: spec.optimizer.name == "adamw" and dict(spec.optimizer.settings).get("weight_decay", 1) != 0),
    Mistake("rmsprop_squared_gradient_missing", "the (1 − α)·g² term left out of RMSProp's v", STEP_KINDS,
            optimizer.rule_rewrite({"rmsprop": optimizer.NoSquareRMSprop}), _rule("rmsprop")),
    Mistake("clip_per_parameter", "each tensor clipped to max_grad_norm by its own norm, not by the global norm",
            STEP_KINDS, optimizer.clip_per_parameter, lambda spec: spec.max_grad_norm is not None),
    Mistake("l2_on_biases", "the L2 term applied to the biases too: λ·b added to dJ/db", ("J",) + BACKWARD_KINDS
            + STEP_KINDS, optimizer.l2_on_biases, lambda spec: bool(spec.l2)),
    Mistake("l2_half_dropped", "λ‖W‖² for (λ/2)‖W‖²: 2λ·W in the gradient", ("J",) + BACKWARD_KINDS + STEP_KINDS,
            optimizer.l2_half_dropped, lambda spec: bool(spec.l2)),
    # dropout and batch norm (derive/mistakes/regularizers.py)
    Mistake("dropout_not_rescaled", "the dropout mask applied without the 1/(1 − p) of the kept neurons",
            FORWARD_KINDS + BACKWARD_KINDS + REGULARIZER_KINDS, regularizers.not_rescaled, regularizers.has_dropout),
    Mistake("dropout_mask_ignored_in_backward", "the dropped neurons passing gradient back: the mask left out of the "
            "backward pass", BACKWARD_KINDS + REGULARIZER_KINDS, regularizers.mask_ignored_in_backward,
            regularizers.has_dropout),
    Mistake("batchnorm_unbiased_variance", "the batch variance with n − 1 (unbiased) where training normalizes with n",
            FORWARD_KINDS + BACKWARD_KINDS + REGULARIZER_KINDS, regularizers.unbiased_variance,
            regularizers.has_batchnorm),
    Mistake("batchnorm_batch_coupling_ignored", "μ and σ² treated as constants in the backward pass: "
            "δ = γ ∂J/∂u / √(σ² + ε), without the terms that couple the samples",
            BACKWARD_KINDS + REGULARIZER_KINDS, regularizers.coupling_ignored, regularizers.has_batchnorm),
    Mistake("batchnorm_eps_outside_sqrt", "ε added outside the square root: 1/(√σ² + ε) for 1/√(σ² + ε)",
            FORWARD_KINDS + BACKWARD_KINDS + REGULARIZER_KINDS, regularizers.eps_outside_sqrt,
            regularizers.has_batchnorm),
)

CATALOGUE: dict[str, Mistake] = {row.name: row for row in MISTAKES}
