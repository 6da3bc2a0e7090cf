"""What every query module shares: the :class:`Node` the query layer hands on, and lookups by id."""
from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from imvo.graph.model import node_type
from imvo.graph.store import GraphStore, GraphView, ReadQuery

__all__ = ["Node", "nodes_by_id", "nodes_by_ids", "nodes_by_ids_checked"]


@dataclass(frozen=True)
class Node:
    """A node as the query layer hands it on: label, id and its stored properties."""

    label: str
    id: str
    props: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def of(cls, label: str, props: dict[str, Any]) -> Node:
        return cls(label, props["id"], {k: v for k, v in props.items() if k != "key"})

    @property
    def name(self) -> str | None:
        name = self.props.get("name")
        return None if name is None else str(name)


def _nodes_py(view: GraphView, *, label: str, ids: Sequence[str]) -> list[dict[str, Any]]:
    return [{"n": n} for i in ids if (n := view.node(label, i)) is not None]


@cache
def _nodes_query(label: str) -> ReadQuery:
    node_type(label)
    return ReadQuery(f"nodes_{label}", f"UNWIND $ids AS i MATCH (n:{label} {{id: i}}) RETURN n {{.*}} AS n",
                     lambda view, ids, label_=label: _nodes_py(view, label=label_, ids=ids))


def nodes_by_id(store: GraphStore, label: str, ids: Sequence[str]) -> dict[str, Node]:
    """{id: Node} for the ids that exist (one round trip)."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    rows = store.read(_nodes_query(label), ids=wanted)
    return {r["n"]["id"]: Node.of(label, r["n"]) for r in rows}


def _nodes_many_py(view: GraphView, *, labels: tuple[str, ...], pairs: list[list[Any]]) -> list[dict[str, Any]]:
    return [{"l": labels[k], "n": n} for k, i in pairs if (n := view.node(labels[k], i)) is not None]


@cache
def _nodes_many_query(labels: tuple[str, ...]) -> ReadQuery:
    """Nodes of several labels in one query, asked as one list of [label number, id].  One list, not
    one per label: Neo4j plans a query again for each new combination of its list parameters' size
    classes (1-10, 11-100, ...: 80-180 ms each, measured), so two lists meant 4x the plans."""
    for label in labels:
        node_type(label)
    parts = " UNION ALL ".join(f"WITH p WHERE p[0] = {k} MATCH (n:{label} {{id: p[1]}}) RETURN '{label}' AS l, n"
                               for k, label in enumerate(labels))
    return ReadQuery(f"nodes_{'_'.join(labels)}", f"UNWIND $pairs AS p CALL (p) {{ {parts} }} RETURN l, n {{.*}} AS n",
                     lambda view, pairs, labels_=labels: _nodes_many_py(view, labels=labels_, pairs=pairs))


def _pairs(labels: tuple[str, ...], lists: dict[str, list[str]]) -> list[list[Any]]:
    return [[k, i] for k, label in enumerate(labels) for i in lists[label]]


def _distinct(wanted: dict[str, Sequence[str]]) -> tuple[dict[str, list[str]], dict[str, dict[str, Node]]]:
    """Each label's ids without repeats, and an empty answer for every label."""
    return {label: list(dict.fromkeys(ids)) for label, ids in wanted.items()}, {label: {} for label in wanted}


def _read_many(store: GraphStore, lists: dict[str, list[str]], out: dict[str, dict[str, Node]],
               checked: bool) -> int | None:
    """Read the listed nodes (one round trip) into ``out``; the version that read saw when ``checked``."""
    labels = tuple(label for label, ids in lists.items() if ids)
    if not labels:
        return store.version() if checked else None
    query, pairs = _nodes_many_query(labels), _pairs(labels, lists)
    rows, version = store.read_checked(query, pairs=pairs) if checked else (store.read(query, pairs=pairs), None)
    for r in rows:
        out[r["l"]][r["n"]["id"]] = Node.of(r["l"], r["n"])
    return version


def nodes_by_ids(store: GraphStore, wanted: dict[str, Sequence[str]]) -> dict[str, dict[str, Node]]:
    """{label: {id: Node}} for the ids of several labels that exist, in one round trip."""
    lists, out = _distinct(wanted)
    _read_many(store, lists, out, checked=False)
    return out


def nodes_by_ids_checked(store: GraphStore, wanted: dict[str, Sequence[str]],
                         expected: int | None = None) -> tuple[dict[str, dict[str, Node]], int]:
    """:func:`nodes_by_ids` and the store's version as that read saw it (one round trip on Neo4j).

    ``expected``: the version the caller's answer was computed on (its leverage index's).  Then the
    nodes of :data:`CACHED_LABELS` that an earlier answer of that version read are served from a copy
    kept per store version, and only the others are read; the copy is never used for an answer of
    another version (the caller accepts its answer only when the returned version is ``expected``)."""
    lists, out = _distinct(wanted)
    copies: dict[str, dict[str, Node]] = {}
    if expected is not None:
        with _COPIES_GUARD:
            held = _COPIES.get(store)
            if held is None or held[0] != expected:
                held = (expected, {label: {} for label in CACHED_LABELS})
                _COPIES[store] = held
        copies = held[1]
        for label, copy in copies.items():
            if lists.get(label):
                out[label] = {i: copy[i] for i in lists[label] if i in copy}
                lists[label] = [i for i in lists[label] if i not in copy]
    version = _read_many(store, lists, out, checked=True)
    assert version is not None
    if version == expected:
        for label, copy in copies.items():
            if lists.get(label):
                copy.update(out[label])                 # (dict updates are atomic under the GIL)
    return out, version


CACHED_LABELS = ("Company",)   # few (tens of thousands at 1M factories), named by almost every leverage answer

_COPIES: weakref.WeakKeyDictionary[GraphStore, tuple[int, dict[str, dict[str, Node]]]] = weakref.WeakKeyDictionary()
_COPIES_GUARD = threading.Lock()
