"""The embedded backend: a networkx multi-digraph in memory, saved as one file.

Nodes are keyed ``(label, id)`` and hold their properties; relationships are
keyed ``(type, key)`` so that a reload updates instead of duplicating.  The
file is written to a temporary name and atomically renamed, so a crash never
leaves a half-written store; writers take an exclusive lock on a side file.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import gc
import os
import pickle
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import networkx as nx

from imvo.errors import StoreUnavailable

from .store import GraphStore, NodeRow, ReadQuery, RelRow

__all__ = ["EmbeddedStore"]

FILE_NAME = "graph.pickle"
_FORMAT = 1


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


class EmbeddedStore(GraphStore):
    """networkx store persisted under ``data_dir`` (None: memory only)."""

    kind = "embedded"
    batch_size = 100_000

    def __init__(self, data_dir: Path | None) -> None:
        self.path = Path(data_dir) / FILE_NAME if data_dir is not None else None
        self._g = nx.MultiDiGraph()
        self._by_type: dict[str, set[tuple]] = defaultdict(set)
        self._by_label: dict[str, set[str]] = defaultdict(set)
        self._mtime: float | None = None
        self._values: dict[Any, Any] = {}
        self._refresh()

    # -- persistence -------------------------------------------------------------
    def _refresh(self) -> None:
        """(Re)load the file when another process has replaced it."""
        if self.path is None:
            return
        try:
            mtime = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return
        if mtime == self._mtime:
            return
        try:
            with open(self.path, "rb") as fh, _no_gc():
                doc = pickle.load(fh)
        except (OSError, pickle.UnpicklingError, EOFError) as exc:
            raise StoreUnavailable(f"cannot read the embedded store {self.path}: {exc}") from exc
        if not isinstance(doc, dict) or doc.get("format") != _FORMAT:
            raise StoreUnavailable(f"{self.path} is not an IMVO embedded store of format {_FORMAT}")
        self._g = doc["graph"]
        self._reindex()
        self._mtime = mtime

    def _reindex(self) -> None:
        self._by_type = defaultdict(set)
        self._by_label = defaultdict(set)
        for label, id_ in self._g.nodes:
            self._by_label[label].add(id_)
        for u, v, k in self._g.edges(keys=True):
            self._by_type[k[0]].add((u, v, k))

    def save(self) -> None:
        """Write the graph atomically (temp file, fsync, rename)."""
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{FILE_NAME}.{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            pickle.dump({"format": _FORMAT, "graph": self._g}, fh, protocol=pickle.HIGHEST_PROTOCOL)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
        self._mtime = self.path.stat().st_mtime_ns

    @contextlib.contextmanager
    def writing(self) -> Iterator[EmbeddedStore]:
        if self.path is None:
            yield self
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(FILE_NAME + ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                with _no_gc():
                    self._refresh()
                    yield self
                    self.save()
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def describe(self) -> str:
        return f"embedded ({self.path or 'in memory'})"

    def ping(self) -> None:
        self._refresh()

    def clear(self) -> None:
        self._g = nx.MultiDiGraph()
        self._reindex()
        self.save()

    # -- primitives --------------------------------------------------------------
    def _merge_nodes(self, label: str, rows: Sequence[NodeRow]) -> None:
        g, ids = self._g, self._by_label[label]
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
        g, known = self._g, self._by_label[label]
        for id_ in ids:
            if (label, id_) not in g:
                g.add_node((label, id_), id=id_)
                known.add(id_)

    def _merge_rels(self, type_: str, source: str, target: str,
                    rows: Sequence[tuple[RelRow, str]]) -> None:
        # Hot loop (300k rows for a large dataset): this does what MultiDiGraph.add_edge
        # does for two existing nodes, on its dicts directly -- the public API
        # costs 3x here.  Equal string and date values are shared (interned), which
        # keeps the graph in memory and the pickle on disk smaller.
        g, index = self._g, self._by_type[type_]
        succ, pred = g._succ, g._pred
        new_keydict = g.edge_key_dict_factory
        share = self._shared_value
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

    def _shared_value(self, value: Any) -> Any:
        """One object per distinct str/date value (lists: their items)."""
        if isinstance(value, list):
            return [self._values.setdefault(x, x) if isinstance(x, (str, dt.date)) else x for x in value]
        if isinstance(value, (str, dt.date)):
            return self._values.setdefault(value, value)
        return value

    def _existing(self, label: str, ids: Sequence[str]) -> Iterable[str]:
        self._refresh()
        known = self._by_label.get(label, set())
        return [i for i in ids if i in known]

    def _count_nodes(self, label: str) -> int:
        self._refresh()
        return len(self._by_label.get(label, ()))

    def _count_rels(self, type_: str) -> int:
        self._refresh()
        return len(self._by_type.get(type_, ()))

    # -- reads -------------------------------------------------------------------
    def read(self, query: ReadQuery, **params: Any) -> list[dict[str, Any]]:
        self._refresh()
        return query.compute(_View(self), **params)


class _View:
    """The read-only GraphView a ReadQuery's Python implementation navigates."""

    def __init__(self, store: EmbeddedStore) -> None:
        self._g = store._g
        self._store = store

    def node(self, label: str, id_: str) -> dict[str, Any] | None:
        data = self._g.nodes.get((label, id_))
        return dict(data) if data is not None else None

    def nodes(self, label: str) -> Iterator[dict[str, Any]]:
        g = self._g
        for id_ in self._store._by_label.get(label, ()):
            yield dict(g.nodes[(label, id_)])

    def out(self, label: str, id_: str, type_: str) -> Iterator[tuple[dict, str, dict]]:
        n = (label, id_)
        if n not in self._g:
            return
        for v, keyed in self._g._adj[n].items():  # noqa: SLF001
            for k, data in keyed.items():
                if k[0] == type_:
                    yield dict(data), v[0], dict(self._g.nodes[v])

    def inc(self, label: str, id_: str, type_: str) -> Iterator[tuple[dict, str, dict]]:
        n = (label, id_)
        if n not in self._g:
            return
        for u, keyed in self._g._pred[n].items():  # noqa: SLF001
            for k, data in keyed.items():
                if k[0] == type_:
                    yield dict(data), u[0], dict(self._g.nodes[u])

    def edges(self, type_: str) -> Iterator[tuple[str, dict, dict, str, dict]]:
        g = self._g
        for u, v, k in self._store._by_type.get(type_, ()):
            yield u[0], g.nodes[u], g._adj[u][v][k], v[0], g.nodes[v]  # noqa: SLF001
