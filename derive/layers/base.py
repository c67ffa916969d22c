"""The layer row interface: what every layer kind gives the one forward and reverse loop (derive/passes.py).

A row is structure, not arithmetic: it says which recorded values it reads and what it records, and does
its arithmetic through the run's primitives (`run.ops`), so that the same row computes float64 numbers,
exact rationals, a person's numbers with their mistakes (derive/mistakes/), NumPy source text
(derive/codegen.py) and SymPy matrix equations (derive/matrix_form.py).

A run provides:
    run.ops                         matmul, transpose, add_rows, hadamard, scale, column_sums
    run.value(kind, layer)          a value recorded earlier in this pass ("x", "z", "delta"; layer)
    run.param(name)                 a parameter array, e.g. "W2"
    run.record(kind, layer, value)  records a value (a person's own number may replace it) and returns it
    run.reduction()                 r in J = r * sum_s loss_s (rows ask through their own `reduction`)
    run.activation(row, z), run.activation_backward(row, z, x, upstream)
    run.sample_loss(row, x), run.loss_gradient(row, x)
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class Layer(ABC):
    """One step of the network: forward from its input to its output, backward from dJ/d(output) to dJ/d(input)."""

    kind: ClassVar[str] = ""
    layer: int  # the network layer l (1..L) whose quantities this row computes

    def parameters(self) -> tuple[str, ...]:
        """The names of the row's trained parameters ("W2", "b2"); none by default."""
        return ()

    @abstractmethod
    def forward(self, run, inputs: Any) -> Any:
        """Records the row's forward quantities and returns its output (the next row's input)."""

    @abstractmethod
    def backward(self, run, upstream: Any) -> Any:
        """Records the row's backward quantities and returns dJ/d(its input), or None below layer 1."""
