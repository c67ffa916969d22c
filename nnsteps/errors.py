"""The errors nnsteps raises, by meaning; re-exported from the derive package."""

from .derive.errors import NnstepsError, NumericalError, SpecError, ToolMissingError, UnsupportedError

__all__ = ["NnstepsError", "SpecError", "UnsupportedError", "NumericalError", "ToolMissingError"]
