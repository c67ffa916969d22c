"""The layout geometry of the network diagram, shared by SVG, TikZ and the path figures: slots, lines, label places."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple, Optional

COMPACT_LIMIT = 12  # a layer wider than this is drawn as 1, 2, 3, ..., n
COMPACT_HEAD = 3
WEIGHT_LABEL_LIMIT = 16  # label the weights of a layer pair only if n^(l-1) n^(l) <= this
R, SQ = 22.0, 26.0  # neuron radius; side of the receptor square attached left of each neuron
LW, LH = 46.0, 28.0  # weight label box: along the line x across it (name above, value below)
TOP, BOTTOM, LEFT, RIGHT = 78.0, 40.0, 40.0, 40.0  # margins around the outer circles
LABEL_S = (0.3, 0.5, 0.7, 0.4, 0.6, 0.2, 0.8, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.15, 0.85)  # preferred spots


# x^(l)_k drawn as a circle centred at (x, y); k is 1-based
Node = NamedTuple("Node", [("layer", int), ("index", int), ("x", float), ("y", float)])
# a weight label's box centre, on its line, turned by angle degrees (clockwise: SVG's y points down)
Label = NamedTuple("Label", [("x", float), ("y", float), ("angle", float)])
# w^(l)_{i,j} from the rim of x^(l-1)_i to the left middle of the receptor z^(l)_j
Edge = NamedTuple("Edge", [("layer", int), ("i", int), ("j", int), ("x1", float), ("y1", float), ("x2", float),
                           ("y2", float), ("label", Optional[Label])])


@dataclass(frozen=True)
class Layout:
    widths: tuple[int, ...]
    width: float
    height: float
    nodes: tuple[tuple[Node, ...], ...]  # visible neurons per layer 0..L
    ellipses: tuple[tuple[int, float, float], ...]  # (layer, x, y) of the "..." slot
    edges: tuple[Edge, ...]
    cost: tuple[float, float]  # centre of the J box
    compact: bool  # values are left to the tooltips


def visible(n: int, compact: bool) -> tuple[int | None, ...]:
    """Slots of a layer of n neurons: 1..n, or 1, 2, 3, None (ellipsis), n when compact."""
    if compact and n > COMPACT_LIMIT:
        return tuple(range(1, COMPACT_HEAD + 1)) + (None, n)
    return tuple(range(1, n + 1))


def _box(cx, cy, w, h, angle=0.0):
    """Corners of a w x h rectangle centred at (cx, cy), turned by angle degrees."""
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    return [(cx + dx * c - dy * s, cy + dx * s + dy * c) for dx, dy in
            ((-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2))]


def _overlap(a, b) -> bool:
    """Separating-axis test for two convex quadrilaterals."""
    for poly in (a, b):
        for k in range(4):
            (x1, y1), (x2, y2) = poly[k], poly[(k + 1) % 4]
            ax, ay = y1 - y2, x2 - x1  # normal of edge k
            pa = [ax * x + ay * y for x, y in a]
            pb = [ax * x + ay * y for x, y in b]
            if max(pa) <= min(pb) or max(pb) <= min(pa):
                return False
    return True


def layout(widths) -> Layout:
    """Geometry shared by SVG and TikZ: layer l at x = x0 + l*G, slots centred vertically at pitch P."""
    return _layout(tuple(int(n) for n in widths))


@lru_cache(maxsize=64)  # the main diagram and every path figure of a network share one (immutable) layout
def _layout(widths: tuple[int, ...]) -> Layout:
    depth = len(widths) - 1
    compact = max(widths) > COMPACT_LIMIT
    labelled = not compact and all(a * b <= WEIGHT_LABEL_LIMIT for a, b in zip(widths, widths[1:]))
    pitch = 64.0 if compact else 100.0  # room for a value above each receptor and below each neuron
    gap = 250.0 if labelled else 180.0
    slots = [visible(n, compact) for n in widths]
    span = (max(len(s) for s in slots) - 1) * pitch
    mid = TOP + span / 2
    x0 = LEFT + R + 10
    nodes, ellipses, obstacles = [], [], []
    for l, layer_slots in enumerate(slots):
        x = x0 + l * gap
        row = []
        for pos, k in enumerate(layer_slots):
            y = mid + (pos - (len(layer_slots) - 1) / 2) * pitch
            if k is None:
                ellipses.append((l, x, y))
                continue
            row.append(Node(l, k, x, y))
            obstacles.append(_box(x - (SQ / 2 if l else 0), y + 6, 2 * R + (SQ if l else 0) + 8, 2 * R + 40))
        nodes.append(tuple(row))
    edges = []
    for l in range(1, depth + 1):
        segs = []
        for src in nodes[l - 1]:
            for dst in nodes[l]:
                ex, ey = dst.x - R - SQ - 1, dst.y  # receptor's left middle
                dx, dy = ex - src.x, ey - src.y
                length = math.hypot(dx, dy)
                sx, sy = src.x + R * dx / length, src.y + R * dy / length  # leave the circle's rim
                segs.append((src.index, dst.index, sx, sy, ex, ey))
        labels = _place_all(segs, obstacles) if labelled else [None] * len(segs)
        edges += [Edge(l, *seg, label) for seg, label in zip(segs, labels)]
    cost = (x0 + depth * gap + 100.0, mid)
    width = cost[0] + 30 + RIGHT
    return Layout(widths, width, TOP + span + R + BOTTOM, tuple(nodes), tuple(ellipses), tuple(edges),
                  cost, compact)


def _place_all(segs, obstacles) -> list:
    """Greedy label places for one layer pair: first try spots crossed by no other line, then spots
    clear of other labels only; if some line has no spot at all, the pair keeps values in tooltips."""
    lines = [_box((x1 + x2) / 2, (y1 + y2) / 2, math.hypot(x2 - x1, y2 - y1), 1.0,
                  math.degrees(math.atan2(y2 - y1, x2 - x1))) for _, _, x1, y1, x2, y2 in segs]
    placed, labels = list(obstacles), []
    for n, (_, _, x1, y1, x2, y2) in enumerate(segs):
        others = lines[:n] + lines[n + 1:]
        label = _place(x1, y1, x2, y2, placed, others) or _place(x1, y1, x2, y2, placed, [])
        if label is None:
            return [None] * len(segs)
        labels.append(label)
    obstacles[:] = placed
    return labels


def _place(x1, y1, x2, y2, placed, lines) -> Label | None:
    """First fraction s along the segment whose LW x LH label box hits no placed box nor line; records it."""
    length = math.hypot(x2 - x1, y2 - y1)
    angle = math.degrees(math.atan2(y2 - y1, x2 - x1))
    margin = (LW / 2 + 4) / length
    for s in LABEL_S:
        if not margin <= s <= 1 - margin:
            continue
        cx, cy = x1 + s * (x2 - x1), y1 + s * (y2 - y1)
        box = _box(cx, cy, LW, LH, angle)
        if not any(_overlap(box, other) for other in placed + lines):
            placed.append(box)
            return Label(round(cx, 2), round(cy, 2), round(angle, 2))
    return None
