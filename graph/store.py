"""The GraphStore interface shared by both backends.

A store is split the way nomenklatura splits its stores: the :class:`GraphStore`
only reads, and every write goes through a :class:`Writer`, which exists only
inside ``with store.writer() as w:`` -- the embedded backend saves on a clean
exit, the Neo4j backend commits batch by batch.  A write attempted on a writer
whose block has ended is refused (:class:`WriteOutsideWriter`), so no write can
be made that is then silently never saved.

Public methods validate against the declared model; each backend implements
small primitives.  Reads are expressed as :class:`ReadQuery` objects that carry
both a Cypher text (Neo4j) and a Python function over a read-only
:class:`GraphView` (embedded), so that ``queries/`` never touches the driver or
networkx directly and both backends answer the same question.
"""
from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, Self, TypeVar

from .model import ACTOR_LABELS, NODES, RELS, node_type, rel_key, rel_type

__all__ = [
    "Counts",
    "GraphStore",
    "GraphView",
    "NodeRow",
    "ReadQuery",
    "RelRow",
    "WriteOutsideWriter",
    "Writer",
]


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
    """Read-only navigation over the embedded graph (what a ReadQuery's Python side may use).

    ``node``/``nodes``/``out``/``inc``/``edges`` hand out typed properties (dates as dates);
    ``node_columns`` and ``edge_columns`` are columnar scans for large answers, with values as
    stored (dates as ISO strings, like Cypher's ``toString``); ``find`` is a filtered, paged list.
    """

    def node(self, label: str, id_: str) -> dict[str, Any] | None: ...
    def nodes(self, label: str) -> Iterator[dict[str, Any]]: ...
    def out(self, label: str, id_: str, type_: str) -> Iterator[tuple[dict[str, Any], str, dict[str, Any]]]: ...
    def inc(self, label: str, id_: str, type_: str) -> Iterator[tuple[dict[str, Any], str, dict[str, Any]]]: ...
    def edges(self, type_: str) -> Iterator[tuple[str, dict[str, Any], dict[str, Any], str, dict[str, Any]]]: ...
    def node_columns(self, label: str, names: Sequence[str]) -> dict[str, list[Any]]: ...
    def edge_columns(self, type_: str, names: Sequence[str], source: str | None = None,
                     target: str | None = None) -> dict[str, list[Any]]: ...
    def find(self, label: str, *, country: str | None = None, text: str | None = None,
             ids: Sequence[str] | None = None, where: dict[str, Any] | None = None, skip: int = 0,
             limit: int = 50) -> tuple[int, list[dict[str, Any]]]: ...


@dataclass(frozen=True)
class ReadQuery:
    """A read question with one implementation per backend, returning plain rows (dicts).

    ``cypher`` takes the same named parameters that ``compute`` receives as
    keyword arguments.  Both must return equal rows (order included).
    """

    name: str
    cypher: str
    compute: Callable[..., list[dict[str, Any]]]


class WriteOutsideWriter(RuntimeError):
    """A write was attempted on a writer whose ``with store.writer()`` block has ended."""


T = TypeVar("T")


def _batches(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


class Writer(abc.ABC):
    """The writes of one write session (``with store.writer() as w``).

    Public methods validate rows against the declared model and batch them;
    backends implement the primitives.  The writer also reads (``read``,
    ``labels_of``), seeing its own writes.
    """

    batch_size: int = 10_000

    def __init__(self) -> None:
        self._open = True

    def _check(self) -> None:
        if not self._open:
            raise WriteOutsideWriter("this writer's `with store.writer()` block has ended; "
                                     "open a new one to write")

    def close(self) -> None:
        self._open = False

    # -- writes ----------------------------------------------------------------
    def merge_nodes(self, label: str, rows: Sequence[NodeRow]) -> None:
        """Create or update nodes of ``label`` (properties given replace stored ones; None removes)."""
        self._check()
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
        self._check()
        node_type(label)
        for batch in _batches(sorted(set(ids)), self.batch_size):
            self._ensure_nodes(label, batch)

    def merge_rels(self, type_: str, source: str, target: str, rows: Sequence[RelRow]) -> None:
        """Create or update relationships (both endpoints must exist; others are skipped)."""
        self._check()
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

    def delete_rels(self, type_: str, source: str, target: str, keys: Sequence[tuple[str, str, str]]) -> None:
        """Delete relationships, each given as ``(start id, end id, key)`` (see :func:`rel_key`);
        absent ones are ignored."""
        self._check()
        rt = rel_type(type_)
        if source not in rt.sources or target not in rt.targets:
            raise ValueError(f"{type_} does not go from {source} to {target}")
        for batch in _batches(list(keys), self.batch_size):
            self._delete_rels(type_, source, target, batch)

    def delete_nodes(self, label: str, ids: Iterable[str]) -> None:
        """Delete nodes and every relationship they have (absent ids are ignored)."""
        self._check()
        node_type(label)
        for batch in _batches(sorted(set(ids)), self.batch_size):
            self._delete_nodes(label, batch)

    def clear(self) -> None:
        """Delete everything (tests and `imvo demo`)."""
        self._check()
        self._clear()

    # -- reads inside the session ----------------------------------------------
    @abc.abstractmethod
    def read(self, query: ReadQuery, **params: Any) -> list[dict[str, Any]]:
        """Answer a read question, seeing this session's writes."""

    def labels_of(self, ids: Iterable[str], labels: Sequence[str] = ACTOR_LABELS) -> dict[str, str]:
        """For the ids that exist under one of ``labels``: {id: label}."""
        return _labels_of(self._existing, ids, labels)

    # -- primitives --------------------------------------------------------------
    @abc.abstractmethod
    def _merge_nodes(self, label: str, rows: Sequence[NodeRow]) -> None: ...
    @abc.abstractmethod
    def _ensure_nodes(self, label: str, ids: Sequence[str]) -> None: ...
    @abc.abstractmethod
    def _merge_rels(self, type_: str, source: str, target: str,
                    rows: Sequence[tuple[RelRow, str]]) -> None: ...
    @abc.abstractmethod
    def _delete_rels(self, type_: str, source: str, target: str,
                     keys: Sequence[tuple[str, str, str]]) -> None: ...
    @abc.abstractmethod
    def _delete_nodes(self, label: str, ids: Sequence[str]) -> None: ...
    @abc.abstractmethod
    def _existing(self, label: str, ids: Sequence[str]) -> Iterable[str]: ...
    @abc.abstractmethod
    def _clear(self) -> None: ...


def _labels_of(existing: Callable[[str, Sequence[str]], Iterable[str]], ids: Iterable[str],
               labels: Sequence[str]) -> dict[str, str]:
    wanted = sorted(set(ids))
    out: dict[str, str] = {}
    if not wanted:
        return out
    for label in labels:
        node_type(label)
        for found in existing(label, wanted):
            out.setdefault(found, label)
    return out


class GraphStore(abc.ABC):
    """A graph store: reads through :class:`ReadQuery`; writes only through :meth:`writer`."""

    kind: str = "abstract"

    @abc.abstractmethod
    def writer(self) -> AbstractContextManager[Writer]:
        """A write session: ``with store.writer() as w: w.merge_nodes(...)``."""

    @abc.abstractmethod
    def read(self, query: ReadQuery, **params: Any) -> list[dict[str, Any]]:
        """Answer a read question (on one consistent state of the graph)."""

    def labels_of(self, ids: Iterable[str], labels: Sequence[str] = ACTOR_LABELS) -> dict[str, str]:
        """For the ids that exist under one of ``labels``: {id: label}."""
        return _labels_of(self._existing, ids, labels)

    def counts(self) -> Counts:
        """Node counts per declared label and relationship counts per declared type."""
        return Counts({n.label: self._count_nodes(n.label) for n in NODES},
                      {r.type: self._count_rels(r.type) for r in RELS})

    @abc.abstractmethod
    def version(self) -> int:
        """A number that changes with every committed write (one cheap round trip)."""

    def read_checked(self, query: ReadQuery, **params: Any) -> tuple[list[dict[str, Any]], int]:
        """The rows of :meth:`read` and the store's :meth:`version` as seen by that read, so that a
        caller who computed on data of version V and sees V here knows its answer is V's (Neo4j
        does both in one round trip).  Here: the version before and after the read; when a write
        came between them, -1, a version no answer was computed on."""
        before = self.version()
        rows = self.read(query, **params)
        return rows, before if self.version() == before else -1

    def cache_dir(self) -> Path | None:
        """A folder where derived data (the leverage index) may be cached by version (None: none)."""
        return None

    @abc.abstractmethod
    def ping(self) -> None:
        """Raise StoreUnavailable when the store cannot be reached."""

    def describe(self) -> str:
        return self.kind

    def close(self) -> None:  # noqa: B027 - most backends hold nothing to release
        """Release resources."""

    def clear(self) -> None:
        """Delete everything (a write session of its own)."""
        with self.writer() as w:
            w.clear()

    @abc.abstractmethod
    def _existing(self, label: str, ids: Sequence[str]) -> Iterable[str]: ...
    @abc.abstractmethod
    def _count_nodes(self, label: str) -> int: ...
    @abc.abstractmethod
    def _count_rels(self, type_: str) -> int: ...

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
