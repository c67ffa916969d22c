"""The section "The same computation in PyTorch": the exported script as a listing, and nnsteps' gradients beside
autograd's, which come from running that very script in PyTorch (`python - --gradients`, a child process).

`render --with torch` needs torch installed; without it the command stops with a one-line error rather than print a
table with an empty column. derive/ never imports torch: the script is text until Python runs it here.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import numpy as np

from ..derive.errors import NumericalError, ToolMissingError
from .records import M, Code, Paragraph, Section, Table, text

ROWS = 60  # gradient entries tabulated; a larger network shows the first ones and says how many there are
_LETTERS = {"W": "w", "b": "b", "gamma": r"\gamma", "beta": r"\beta"}
INSTALL = "pip install torch (CPU builds: --index-url https://download.pytorch.org/whl/cpu)"


def autograd_gradients(source: str, limits) -> dict:
    """{parameter: array} of dJ/dtheta as PyTorch's autograd computes it, by running the exported script."""
    if importlib.util.find_spec("torch") is None:
        raise ToolMissingError("--with", f"the section torch runs the exported script in PyTorch, and torch is not "
                                         f"installed; {INSTALL}")
    try:
        done = subprocess.run([sys.executable, "-", "--gradients"], input=source, capture_output=True, text=True,
                              timeout=limits.torch_seconds)
    except subprocess.TimeoutExpired:
        raise NumericalError("--with", f"the PyTorch script ran longer than {limits.torch_seconds} s") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise NumericalError("--with", f"the exported PyTorch script failed: {last}")
    return {name: np.asarray(value, dtype=float) for name, value in json.loads(done.stdout).items()}


def _symbol(name: str, index: tuple) -> str:
    """dJ/dw^{(2)}_{1,3} of the entry `index` (0-based) of parameter W2."""
    kind = name.rstrip("0123456789")
    layer = name[len(kind):]
    below = ",".join(str(i + 1) for i in index)
    return rf"\partial J / \partial {_LETTERS.get(kind, kind)}^{{({layer})}}_{{{below}}}"


def torch_section(derivation, number: int) -> Section:
    """The listing (the numbers' line shortened) and the table of gradients, nnsteps against autograd."""
    from ..derive.torch_export import TOLERANCE, torch_script

    ours = {k: np.asarray(v, dtype=float) for k, v in derivation.backward.gradients.items()}
    theirs = autograd_gradients(torch_script(derivation), derivation.spec.limits)
    entries = [(name, index) for name, array in ours.items() for index in np.ndindex(array.shape)]
    rows, worst = [], 0.0
    for name, index in entries:
        a, b = float(ours[name][index]), float(theirs[name][index])
        worst = max(worst, abs(a - b) / max(float(np.abs(ours[name]).max()), 1.0))
        if len(rows) < ROWS:
            rows.append((text(M(_symbol(name, index))), text(f"{a:.12g}"), text(f"{b:.12g}"), text(f"{abs(a - b):.1e}")))
    verdict = "agree" if worst <= TOLERANCE else "do not agree"
    shown = "" if len(entries) <= ROWS else f" (the first {ROWS} of {len(entries)} entries)"
    items = (
        Paragraph(text(
            "The same network in PyTorch, as nnsteps export --to torch writes it: the rows become "
            "modules of nn.Sequential with this example's parameters copied in (nn.Linear keeps ", M("W^{(l)}"),
            " transposed), the loss keeps the reduction and the ", M(r"\tfrac{1}{2}"), " of this example, and the "
            "update rule becomes its torch.optim optimizer. The script trains on the same batches, prints the cost at "
            "each step, and compares autograd's gradients and the trained parameters with nnsteps' numbers.")),
        Code(torch_script(derivation, elide=True)),
        Paragraph(text(
            f"The gradients at the given parameters{shown}: nnsteps' backward pass beside autograd's, from running "
            "the script above in PyTorch (float64) while this document was made. The largest difference, relative to "
            f"the largest entry of its parameter, is {worst:.1e}: they {verdict} within {TOLERANCE:g}.")),
        Table((text("gradient"), text("nnsteps"), text("autograd (PyTorch)"), text("|difference|")), tuple(rows), "lrrr"),
    )
    return Section("torch", number, "The same computation in PyTorch", items)
