"""Marching squares: the level set {f = c} of a function sampled on a lattice, as polylines.

Each cell of the lattice has four corners, each above the level (f > c) or not. An edge whose two corners
differ is crossed once, at the linear interpolation t = (c - f0) / (f1 - f0) along it; a cell has 0, 2 or 4
crossed edges. With 4 (a saddle: opposite corners alike) the mean of the corners decides which corners are
joined through the cell's centre. Segments meet on shared edges, so they are chained by edge into polylines
(closed ones end where they start). A cell with a corner that is not finite is left out.
"""

from __future__ import annotations

import math

# a cell's edges, counter-clockwise from the bottom: ("h", r, c) joins (r, c)-(r, c+1), ("v", r, c) joins (r, c)-(r+1, c)
_EDGES = (lambda r, c: ("h", r, c), lambda r, c: ("v", r, c + 1), lambda r, c: ("h", r + 1, c), lambda r, c: ("v", r, c))


def _cell_segments(r: int, c: int, corners: tuple, level: float) -> list[tuple]:
    """The segments of one cell as pairs of edge ids; corners are f at bottom-left, bottom-right, top-right, top-left."""
    above = [value > level for value in corners]
    edges = [_EDGES[k](r, c) for k in range(4)]
    crossed = [k for k in range(4) if above[k] != above[(k + 1) % 4]]  # edge k joins corners k and k+1
    if len(crossed) == 2:
        return [(edges[crossed[0]], edges[crossed[1]])]
    if len(crossed) == 4:
        centre_above = sum(corners) / 4 > level
        if centre_above == above[0]:  # corners 0 and 2 joined through the centre: cut off corners 1 and 3
            return [(edges[0], edges[1]), (edges[2], edges[3])]
        return [(edges[3], edges[0]), (edges[1], edges[2])]  # cut off corners 0 and 2
    return []


def _point(edge: tuple, xs, ys, grid, level: float) -> tuple[float, float]:
    """Where f = level on an edge, by linear interpolation between its two corners."""
    kind, r, c = edge
    r1, c1 = (r, c + 1) if kind == "h" else (r + 1, c)
    f0, f1 = grid[r][c], grid[r1][c1]
    t = (level - f0) / (f1 - f0)
    return xs[c] + t * (xs[c1] - xs[c]), ys[r] + t * (ys[r1] - ys[r])


def _chains(segments: list[tuple]) -> list[list[tuple]]:
    """Segments joined where they share an edge: open chains first (from an edge used once), then closed loops."""
    touching: dict = {}
    for index, (a, b) in enumerate(segments):
        touching.setdefault(a, []).append(index)
        touching.setdefault(b, []).append(index)
    used, chains = set(), []
    starts = [edge for edge, indices in touching.items() if len(indices) == 1] + list(touching)
    for start in starts:
        if all(index in used for index in touching[start]):
            continue
        chain, edge = [start], start
        while True:
            free = [index for index in touching[edge] if index not in used]
            if not free:
                break
            used.add(free[0])
            a, b = segments[free[0]]
            edge = b if a == edge else a
            chain.append(edge)
        chains.append(chain)
    return chains


def contour_lines(xs, ys, grid, level: float) -> list[list[tuple[float, float]]]:
    """The polylines of {f = level}, where grid[r][c] = f(xs[c], ys[r]); a closed one repeats its first point last."""
    segments = []
    for r in range(len(ys) - 1):
        for c in range(len(xs) - 1):
            corners = (grid[r][c], grid[r][c + 1], grid[r + 1][c + 1], grid[r + 1][c])
            if all(math.isfinite(value) for value in corners):
                segments += _cell_segments(r, c, corners, level)
    return [[_point(edge, xs, ys, grid, level) for edge in chain] for chain in _chains(segments)]
