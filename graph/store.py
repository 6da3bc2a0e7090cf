"""The GraphStore interface shared by both backends.

Public methods validate against the declared model; each backend implements
small primitives.  Reads are expressed as :class:`ReadQuery` objects that carry
both a Cypher text (Neo4j) and a Python function over a read-only
:class:`GraphView` (embedded), so that ``queries/`` never touches the driver or
networkx directly and both backends answer the same question.
"""
from __future__ import annotations

import abc
import contextlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from .model import ACTOR_LABELS, NODES, RELS, node_type, rel_type, rel_key

__all__ = ["NodeRow", "RelRow", "Counts", "GraphView", "ReadQuery", "GraphStore"]


@dataclass(frozen=True, slots=True)
class NodeRow:
    id: str
    props: dict[str, Any]


@dataclass(frozen=True, slots=True)
class RelRow:
    start: str
    end: str
    props: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Counts:
    nodes: dict[str, int]
    rels: dict[str, int]


class GraphView(Protocol):
    """Read-only navigation over the embedded graph (what a ReadQuery's Python side may use)."""

    def node(self, label: str, id_: str) -> dict[str, Any] | None: ...
    def nodes(self, label: str) -> Iterator[dict[str, Any]]: ...
    def out(self, label: str, id_: str, type_: str) -> Iterator[tuple[dict, str, dict]]: ...
    def inc(self, label: str, id_: str, type_: str) -> Iterator[tuple[dict, str, dict]]: ...
    def edges(self, type_: str) -> Iterator[tuple[str, dict, dict, str, dict]]: ...


@dataclass(frozen=True)
class ReadQuery:
    """A read question with one implementation per backend, returning plain rows (dicts).

    ``cypher`` takes the same named parameters that ``compute`` receives as
    keyword arguments.  Both must return equal rows (order included).
    """

    name: str
    cypher: str
    compute: Callable[..., list[dict[str, Any]]]


class GraphStore(abc.ABC):
    """A graph store: upserts keyed on ids, and reads through :class:`ReadQuery`."""

    kind: str = "abstract"
    batch_size: int = 10_000

    # -- writes ----------------------------------------------------------------
    def merge_nodes(self, label: str, rows: Sequence[NodeRow]) -> None:
        """Create or update nodes of ``label`` (properties given replace stored ones)."""
        nt = node_type(label)
        allowed = {p.name for p in nt.props}
        for r in rows:
            unknown = set(r.props) - allowed
            if unknown:
                raise ValueError(f"{label} has no properties {sorted(unknown)}")
        for batch in _batches(rows, self.batch_size):
            self._merge_nodes(label, batch)

    def ensure_nodes(self, label: str, ids: Iterable[str]) -> None:
        """Make sure nodes with these ids exist, without touching their properties."""
        node_type(label)
        for batch in _batches(sorted(set(ids)), self.batch_size):
            self._ensure_nodes(label, batch)

    def merge_rels(self, type_: str, source: str, target: str, rows: Sequence[RelRow]) -> None:
        """Create or update relationships (both endpoints must exist)."""
        rt = rel_type(type_)
        if source not in rt.sources or target not in rt.targets:
            raise ValueError(f"{type_} does not go from {source} to {target}")
        allowed = {p.name for p in rt.props}
        for r in rows:
            unknown = set(r.props) - allowed
            if unknown:
                raise ValueError(f"{type_} has no properties {sorted(unknown)}")
        keyed = [(r, rel_key(rt, r.props)) for r in rows]
        for batch in _batches(keyed, self.batch_size):
            self._merge_rels(type_, source, target, batch)

    @contextlib.contextmanager
    def writing(self) -> Iterator[GraphStore]:
        """A write session: embedded takes a lock and saves on success; Neo4j commits per batch."""
        yield self

    # -- reads -----------------------------------------------------------------
    def labels_of(self, ids: Iterable[str], labels: Sequence[str] = ACTOR_LABELS) -> dict[str, str]:
        """For the ids that exist under one of ``labels``: {id: label}."""
        ids = sorted(set(ids))
        out: dict[str, str] = {}
        if not ids:
            return out
        for label in labels:
            node_type(label)
            for found in self._existing(label, ids):
                out.setdefault(found, label)
        return out

    def counts(self) -> Counts:
        """Node counts per declared label and relationship counts per declared type."""
        return Counts({n.label: self._count_nodes(n.label) for n in NODES},
                      {r.type: self._count_rels(r.type) for r in RELS})

    @abc.abstractmethod
    def read(self, query: ReadQuery, **params: Any) -> list[dict[str, Any]]:
        """Answer a read question."""

    @abc.abstractmethod
    def ping(self) -> None:
        """Raise StoreUnavailable when the store cannot be reached."""

    def describe(self) -> str:
        return self.kind

    def close(self) -> None:
        """Release resources."""

    @abc.abstractmethod
    def clear(self) -> None:
        """Delete everything (tests and `imvo demo`)."""

    # -- primitives --------------------------------------------------------------
    @abc.abstractmethod
    def _merge_nodes(self, label: str, rows: Sequence[NodeRow]) -> None: ...
    @abc.abstractmethod
    def _ensure_nodes(self, label: str, ids: Sequence[str]) -> None: ...
    @abc.abstractmethod
    def _merge_rels(self, type_: str, source: str, target: str,
                    rows: Sequence[tuple[RelRow, str]]) -> None: ...
    @abc.abstractmethod
    def _existing(self, label: str, ids: Sequence[str]) -> Iterable[str]: ...
    @abc.abstractmethod
    def _count_nodes(self, label: str) -> int: ...
    @abc.abstractmethod
    def _count_rels(self, type_: str) -> int: ...

    def __enter__(self) -> GraphStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _batches(items: Sequence, size: int) -> Iterator[Sequence]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
