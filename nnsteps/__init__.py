"""nnsteps: backpropagation derived by the chain rule, step by step, for small feedforward networks.

    >>> import nnsteps
    >>> d = nnsteps.Network.from_file("tutorial").derive()
    >>> round(d.value("dW3[2,1]"), 4)
    -2.773

Heavy modules (SymPy, NumPy) are imported on first use, so the CLI starts fast.
"""

from importlib import import_module

__version__ = "0.1.0"

_LAZY = {
    "Network": "nnsteps.network",
    "load_spec": "nnsteps.spec",
    "spec_from_mapping": "nnsteps.spec",
    "builtin_names": "nnsteps.spec",
    "NetworkSpec": "nnsteps.derive.netspec",
    "Derivation": "nnsteps.network",  # re-exported there with its Jupyter displays attached (nnsteps.notebook)
    "NnstepsError": "nnsteps.derive.errors",
    "SpecError": "nnsteps.derive.errors",
    "UnsupportedError": "nnsteps.derive.errors",
    "NumericalError": "nnsteps.derive.errors",
    "ToolMissingError": "nnsteps.derive.errors",
    "Limits": "nnsteps.derive.limits",
    "DEFAULT_LIMITS": "nnsteps.derive.limits",
    "NO_LIMITS": "nnsteps.derive.limits",
}

__all__ = sorted(_LAZY) + ["__version__"]


def __getattr__(name):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'nnsteps' has no attribute {name!r}")
