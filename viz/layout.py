"""Positions for the views, computed once on the server so a picture is still and legible at once.

Two layouts:

- :func:`columns`: one column per kind of node (e.g. buyers | suppliers |
  factory | unions | country), nodes in each column ordered by the barycentre
  of their neighbours (a few sweeps; fewer crossings), evenly spaced.  Kinds
  stay apart by construction.
- :func:`circle`: the co-buyer network -- companies on a circle, grouped by
  community, so every label has its own radial slot.

The page draws the labels itself (``viz/assets/view.js``): most important
node first, a label only where it overlaps no other label or node, at a fixed
screen size -- so labels never overlap, and zooming in shows more of them.
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence

from .model import ViewGraph, ViewNode

__all__ = ["COLUMN_GAP", "ROW", "circle", "columns"]

COLUMN_GAP = 250.0
ROW = 44.0


def _neighbours(g: ViewGraph) -> dict[str, list[str]]:
    adj: dict[str, list[str]] = defaultdict(list)
    for e in g.edges:
        adj[e.source].append(e.target)
        adj[e.target].append(e.source)
    return adj


def columns(g: ViewGraph, column_of: Callable[[ViewNode], int], *, gap: float = COLUMN_GAP, row: float = ROW,
            sweeps: int = 4) -> None:
    """Place every node of ``g`` in its column (``column_of(node)``); empty columns are closed up."""
    used = sorted({column_of(n) for n in g.nodes})
    index = {c: i for i, c in enumerate(used)}
    cols: dict[int, list[str]] = defaultdict(list)
    nodes = {n.key: n for n in g.nodes}
    for n in sorted(g.nodes, key=lambda n: (-n.value, n.label.lower(), n.key)):
        cols[index[column_of(n)]].append(n.key)
    adj = _neighbours(g)
    rank: dict[str, float] = {}

    def refresh() -> None:
        for keys in cols.values():
            for i, k in enumerate(keys):
                rank[k] = (i - (len(keys) - 1) / 2) / max(len(keys), 1)

    refresh()
    order = list(range(len(cols)))
    for sweep in range(sweeps):
        for c in (order if sweep % 2 == 0 else order[::-1]):
            keys = cols[c]

            def bary(k: str, keys: list[str] = keys) -> tuple[float, float, str]:
                near = [rank[o] for o in adj.get(k, ()) if o in rank and o not in keys]
                return (sum(near) / len(near) if near else rank[k], -nodes[k].value, k)
            keys.sort(key=bary)
            refresh()
    for c, keys in cols.items():
        for i, k in enumerate(keys):
            side = "left" if c == 0 and len(cols) > 1 else "right"
            g.positions[k] = (c * gap, (i - (len(keys) - 1) / 2) * row, side)


def circle(g: ViewGraph, groups: Sequence[Sequence[str]], *, spacing: float = 46.0,
           min_radius: float = 260.0) -> None:
    """Nodes on a circle, each group (community) on one arc; labels point outwards."""
    keys = [k for grp in groups for k in grp]
    keys += [n.key for n in g.nodes if n.key not in set(keys)]
    n = len(keys)
    if n == 0:
        return
    if n == 1:
        g.positions[keys[0]] = (0.0, 0.0, "right")
        return
    radius = max(min_radius, n * spacing / (2 * math.pi))
    for i, k in enumerate(keys):
        a = -math.pi / 2 + 2 * math.pi * i / n
        g.positions[k] = (radius * math.cos(a), radius * math.sin(a), "radial")
