"""The embedded backend: a networkx multi-digraph in memory, saved as one file.

Nodes are keyed ``(label, id)`` and hold their properties; relationships are
keyed ``(type, key)`` so that a reload updates instead of duplicating.  The
file is written to a temporary name and atomically renamed, so a crash never
leaves a half-written store; writers take an exclusive lock on a side file.

Consistency: the graph and its indexes form one :class:`_Snapshot`.  A read
takes the current snapshot once and answers from it; when another process has
replaced the file, a complete new snapshot is loaded and swapped in with one
assignment, so a reader sees the old or the new graph, never a mix.  Within
one process a writer changes the snapshot in place while holding the write
side of a readers-writer lock, which readers hold for the length of a read.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import gc
import os
import pickle
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from imvo.kernel import deadline
from imvo.kernel.errors import StoreUnavailable

from .store import GraphStore, NodeRow, ReadQuery, RelRow, Writer

__all__ = ["FILE_NAME", "FORMAT", "EmbeddedStore"]

FILE_NAME = "graph.pickle"
FORMAT = 2


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector during bulk work on the graph.

    Loading or writing a large graph allocates millions of dicts and tuples
    that all survive; every full collection would walk all of them again (a
    100k-factory load spent about half its time there).  Reference counting
    still frees memory as usual; the collector resumes (if it was on) afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


Key = tuple[str, str]
EdgeKey = tuple[Key, Key, tuple[str, str]]


@dataclass
class _Snapshot:
    """One complete state: the graph, its indexes and its version."""

    g: nx.MultiDiGraph = field(default_factory=nx.MultiDiGraph)
    by_label: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    by_type: dict[str, set[EdgeKey]] = field(default_factory=lambda: defaultdict(set))
    version: int = 0
    mtime: int | None = None

    @classmethod
    def of(cls, g: nx.MultiDiGraph, version: int, mtime: int | None) -> _Snapshot:
        snap = cls(g, defaultdict(set), defaultdict(set), version, mtime)
        for label, id_ in g.nodes:
            snap.by_label[label].add(id_)
        for u, v, k in g.edges(keys=True):
            snap.by_type[k[0]].add((u, v, k))
        return snap


class _RWLock:
    """Many readers or one writer; a waiting writer goes before new readers (re-entrant for the
    writer's own reads)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._waiting = 0
        self._writer: int | None = None

    @contextlib.contextmanager
    def read(self) -> Iterator[None]:
        me = threading.get_ident()
        if self._writer == me:
            yield
            return
        with self._cond:
            while self._writer is not None or self._waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._waiting += 1
            try:
                while self._writer is not None or self._readers:
                    self._cond.wait()
            finally:
                self._waiting -= 1
            self._writer = threading.get_ident()
        try:
            yield
        finally:
            with self._cond:
                self._writer = None
                self._cond.notify_all()


class EmbeddedStore(GraphStore):
    """networkx store persisted under ``data_dir`` (None: memory only)."""

    kind = "embedded"

    def __init__(self, data_dir: Path | None) -> None:
        self.path = Path(data_dir) / FILE_NAME if data_dir is not None else None
        self._snap = _Snapshot()
        self._lock = _RWLock()
        self._values: dict[Any, Any] = {}
        self._refresh()

    # -- persistence -------------------------------------------------------------
    def _refresh(self) -> _Snapshot:
        """The current snapshot, (re)loaded first when another process has replaced the file."""
        snap = self._snap
        if self.path is None:
            return snap
        try:
            mtime = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return snap
        if mtime == snap.mtime:
            return snap
        try:
            with open(self.path, "rb") as fh, _no_gc():
                doc = pickle.load(fh)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError,
                TypeError, IndexError, KeyError) as exc:
            raise StoreUnavailable(f"cannot read the embedded store {self.path} ({type(exc).__name__}); "
                                   f"it is damaged or not an IMVO store: move it away and load again") from None
        if not isinstance(doc, dict) or "format" not in doc:
            raise StoreUnavailable(f"{self.path} is not an IMVO embedded store")
        if doc["format"] != FORMAT:
            raise StoreUnavailable(f"{self.path} is an embedded store of format {doc['format']}, this "
                                   f"version reads format {FORMAT}: load the data again into a new "
                                   f"IMVO_DATA_DIR")
        with _no_gc():
            new = _Snapshot.of(doc["graph"], int(doc.get("version", 0)), mtime)
        # The graph is millions of long-lived objects: left in the collector's generations, every full
        # collection walks them all (150-350 ms at 10k factories, seconds at 100k, with the GIL held:
        # every other thread and the API's event loop stop meanwhile).  Frozen, collections skip them;
        # reference counting still frees them with their snapshot.
        gc.freeze()
        self._snap = new        # one assignment: readers hold the old snapshot or the new one
        return new

    def _save(self, snap: _Snapshot) -> None:
        """Write the graph atomically (temp file, fsync, rename)."""
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{FILE_NAME}.{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            pickle.dump({"format": FORMAT, "version": snap.version, "graph": snap.g}, fh,
                        protocol=pickle.HIGHEST_PROTOCOL)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
        snap.mtime = self.path.stat().st_mtime_ns

    @contextlib.contextmanager
    def writer(self) -> Iterator[_EmbeddedWriter]:
        with contextlib.ExitStack() as stack:
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                lock = stack.enter_context(open(self.path.with_name(FILE_NAME + ".lock"), "w"))
                fcntl.flock(lock, fcntl.LOCK_EX)
                stack.callback(fcntl.flock, lock, fcntl.LOCK_UN)
            stack.enter_context(self._lock.write())
            stack.enter_context(_no_gc())
            snap = self._refresh()
            w = _EmbeddedWriter(self, snap)
            try:
                yield w
            except BaseException:
                w.close()
                if self.path is not None and self.path.exists():
                    self._snap = _Snapshot()     # drop the half-done changes: reload the saved file
                    self._refresh()
                raise
            w.close()
            if w.changed:
                snap.version += 1
                self._save(snap)

    def describe(self) -> str:
        return f"embedded ({self.path or 'in memory'})"

    def ping(self) -> None:
        self._refresh()

    def version(self) -> int:
        return self._refresh().version

    # -- reads -------------------------------------------------------------------
    def read(self, query: ReadQuery, **params: Any) -> list[dict[str, Any]]:
        deadline.check()
        with self._lock.read():
            return query.compute(_View(self._refresh()), **params)

    def _existing(self, label: str, ids: Sequence[str]) -> Iterable[str]:
        with self._lock.read():
            known = self._refresh().by_label.get(label, set())
            return [i for i in ids if i in known]

    def _count_nodes(self, label: str) -> int:
        return len(self._refresh().by_label.get(label, ()))

    def _count_rels(self, type_: str) -> int:
        return len(self._refresh().by_type.get(type_, ()))

    def _shared_value(self, value: Any) -> Any:
        """One object per distinct str/date value (lists: their items)."""
        if isinstance(value, list):
            return [self._values.setdefault(x, x) if isinstance(x, (str, dt.date)) else x for x in value]
        if isinstance(value, (str, dt.date)):
            return self._values.setdefault(value, value)
        return value


class _EmbeddedWriter(Writer):
    batch_size = 100_000

    def __init__(self, store: EmbeddedStore, snap: _Snapshot) -> None:
        super().__init__()
        self._store = store
        self._snap = snap
        self.changed = False

    def read(self, query: ReadQuery, **params: Any) -> list[dict[str, Any]]:
        self._check()
        return query.compute(_View(self._snap), **params)

    def _existing(self, label: str, ids: Sequence[str]) -> Iterable[str]:
        known = self._snap.by_label.get(label, set())
        return [i for i in ids if i in known]

    def _clear(self) -> None:
        self._snap.g = nx.MultiDiGraph()
        self._snap.by_label = defaultdict(set)
        self._snap.by_type = defaultdict(set)
        self.changed = True

    def _delete_rels(self, type_: str, source: str, target: str,
                     keys: Sequence[tuple[str, str, str]]) -> None:
        g, index = self._snap.g, self._snap.by_type[type_]
        for start, end, key in keys:
            u, v, k = (source, start), (target, end), (type_, key)
            keydict = g._succ.get(u, {}).get(v)
            if keydict is not None and k in keydict:
                g.remove_edge(u, v, key=k)
                index.discard((u, v, k))
                self.changed = True

    def _delete_nodes(self, label: str, ids: Sequence[str]) -> None:
        g, snap = self._snap.g, self._snap
        for id_ in ids:
            n = (label, id_)
            if n not in g:
                continue
            for u, v, k in [*g.out_edges(n, keys=True), *g.in_edges(n, keys=True)]:
                snap.by_type[k[0]].discard((u, v, k))
            g.remove_node(n)
            snap.by_label[label].discard(id_)
            self.changed = True

    def _merge_nodes(self, label: str, rows: Sequence[NodeRow]) -> None:
        g, ids = self._snap.g, self._snap.by_label[label]
        self.changed = True
        for r in rows:
            key = (label, r.id)
            if key in g:
                data = g.nodes[key]
                data.update(r.props)
            else:
                g.add_node(key, id=r.id, **r.props)
                ids.add(r.id)
                data = g.nodes[key]
            for k in [k for k, v in data.items() if v is None]:
                del data[k]

    def _ensure_nodes(self, label: str, ids: Sequence[str]) -> None:
        g, known = self._snap.g, self._snap.by_label[label]
        for id_ in ids:
            if (label, id_) not in g:
                g.add_node((label, id_), id=id_)
                known.add(id_)
                self.changed = True

    def _merge_rels(self, type_: str, source: str, target: str,
                    rows: Sequence[tuple[RelRow, str]]) -> None:
        # Hot loop (300k rows for a large dataset): this does what MultiDiGraph.add_edge
        # does for two existing nodes, on its dicts directly -- the public API
        # costs 3x here.  Equal string and date values are shared (interned), which
        # keeps the graph in memory and the pickle on disk smaller.
        g, index = self._snap.g, self._snap.by_type[type_]
        succ, pred = g._succ, g._pred
        new_keydict = g.edge_key_dict_factory
        share = self._store._shared_value
        self.changed = True
        for r, key in rows:
            u, v = (source, r.start), (target, r.end)
            out = succ.get(u)
            if out is None or v not in succ:
                continue  # like MATCH in Cypher: no endpoint, no relationship
            k = (type_, key)
            keydict = out.get(v)
            if keydict is None:
                keydict = new_keydict()
                out[v] = keydict
                pred[v][u] = keydict
            existing = keydict.get(k)
            if existing is None:
                keydict[k] = {a: share(b) for a, b in r.props.items() if b is not None}
                index.add((u, v, k))
            else:
                existing.update(r.props)
                for a in [a for a, b in existing.items() if b is None]:
                    del existing[a]
        nx._clear_cache(g)


class _View:
    """The read-only GraphView a ReadQuery's Python implementation navigates (one snapshot).

    Every step of a walk ticks; every :data:`~imvo.kernel.deadline.CHECK_EVERY`
    ticks the request's deadline is looked at, so a read that runs past it
    stops (:class:`~imvo.kernel.errors.TooExpensive`) instead of running on
    in a thread nobody can stop.
    """

    def __init__(self, snap: _Snapshot) -> None:
        self._g = snap.g
        self._snap = snap
        self._deadline = deadline.current()
        self._steps = 0

    def _tick(self) -> None:
        self._steps += 1
        if self._steps >= deadline.CHECK_EVERY:
            self._steps = 0
            if self._deadline is not None:
                self._deadline.check()

    def node(self, label: str, id_: str) -> dict[str, Any] | None:
        self._tick()
        data = self._g.nodes.get((label, id_))
        return dict(data) if data is not None else None

    def nodes(self, label: str) -> Iterator[dict[str, Any]]:
        g = self._g
        for id_ in self._snap.by_label.get(label, ()):
            self._tick()
            yield dict(g.nodes[(label, id_)])

    def out(self, label: str, id_: str, type_: str) -> Iterator[tuple[dict[str, Any], str, dict[str, Any]]]:
        self._tick()
        n = (label, id_)
        if n not in self._g:
            return
        for v, keyed in self._g._adj[n].items():
            for k, data in keyed.items():
                if k[0] == type_:
                    self._tick()
                    yield dict(data), v[0], dict(self._g.nodes[v])

    def inc(self, label: str, id_: str, type_: str) -> Iterator[tuple[dict[str, Any], str, dict[str, Any]]]:
        self._tick()
        n = (label, id_)
        if n not in self._g:
            return
        for u, keyed in self._g._pred[n].items():
            for k, data in keyed.items():
                if k[0] == type_:
                    self._tick()
                    yield dict(data), u[0], dict(self._g.nodes[u])

    def edges(self, type_: str) -> Iterator[tuple[str, dict[str, Any], dict[str, Any], str, dict[str, Any]]]:
        g = self._g
        for u, v, k in self._snap.by_type.get(type_, ()):
            self._tick()
            yield u[0], g.nodes[u], g._adj[u][v][k], v[0], g.nodes[v]
