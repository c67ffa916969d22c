"""The cost over the plane of two trained parameters, for the contour plot of `render --compare` (numbers only).

When exactly two entries of the parameters train (e.g. a 1-1 network's w and b), every rule's trajectory
lies in their plane. The cost J(p, q) is evaluated on a GRID x GRID lattice over a window holding every
trajectory with a margin, all other parameters at their given values; render/contours.py draws its levels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from .netspec import check_training_work
from .training import moves

GRID = 41  # lattice points per axis: 40 cells, fine enough for smooth level sets of a hand-sized network
MARGIN = 0.15  # the window reaches this fraction of its span beyond the trajectories on each side


@dataclass(frozen=True)
class Landscape:
    """J at every lattice point: costs[r][c] = J(xs[c], ys[r]); entries name the two axes as (parameter, index)."""

    entries: tuple  # ((name, index tuple), (name, index tuple)): x axis, y axis
    xs: tuple
    ys: tuple
    costs: tuple  # rows of floats, one row per y (nan where J is not defined)


def trained_entries(spec, params) -> tuple:
    """(name, index) of every entry that training moves, in parameter order then row-major."""
    moving = moves(spec)
    return tuple((name, tuple(int(i) for i in index)) for name, value in params.items() if moving(name)
                 for index in np.ndindex(np.shape(value)))


def _window(values: list[float]) -> tuple[float, float]:
    """[low, high] around the values with MARGIN on each side; a span of at least 0.2 (or 20% of |value|)."""
    low, high = min(values), max(values)
    least = max(0.2, 0.2 * max(abs(low), abs(high)))
    if high - low < least:
        middle = (low + high) / 2
        low, high = middle - least / 2, middle + least / 2
    pad = MARGIN * (high - low)
    return low - pad, high + pad


def landscape(derivation, paths) -> Optional[Landscape]:
    """The lattice of J over the two trained entries, spanning every path ((p, q) per step); None unless exactly two."""
    spec = derivation.spec
    params = {name: np.array(value, dtype=float) for name, value in derivation.params.items()}
    entries = trained_entries(spec, params)
    if len(entries) != 2 or not paths:
        return None
    check_training_work("--compare", GRID * GRID, spec.n_parameters, spec.n_samples, spec.limits)
    points = [point for path in paths for point in path if all(np.isfinite(point))]
    if not points:
        return None
    (x_low, x_high), (y_low, y_high) = (_window([p[axis] for p in points]) for axis in (0, 1))
    xs, ys = np.linspace(x_low, x_high, GRID), np.linspace(y_low, y_high, GRID)
    X, Y = np.asarray(derivation.X, dtype=float), np.asarray(derivation.Y, dtype=float)
    (name_x, index_x), (name_y, index_y) = entries
    rows = []
    with np.errstate(all="ignore"):
        for y in ys:
            row = []
            for x in xs:
                params[name_x][index_x], params[name_y][index_y] = x, y
                row.append(float(derivation.compiled.cost(params, X, Y)))
            rows.append(tuple(row))
    return Landscape(entries, tuple(float(x) for x in xs), tuple(float(y) for y in ys), tuple(rows))
