"""The math: spec -> SymPy model -> derivation -> numeric values."""
