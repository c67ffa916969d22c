"""The generic symbols on which each layer's local derivatives are taken once: z (a receptor) and a (a neuron)."""

from __future__ import annotations

import sympy as sp

GENERIC_Z = sp.Symbol("z", real=True)
GENERIC_X = sp.Symbol("a", real=True)
