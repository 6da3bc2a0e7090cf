"""Bulk loading into an empty local Neo4j with Neo4j's offline importer (``neo4j-admin database import``).

``with bulk_writer(store, instance) as w:`` gives a :class:`~imvo.graph.store.Writer` with the
semantics of the store's own (a merge replaces the given properties, ``None`` removes one; a
relationship needs both ends, else it is skipped; the ``key`` tells parallel relationships apart),
so the very same loader -- the same validation, rejects and report -- writes through it.  The
writer only collects; when the block ends it writes the importer's CSV files (one per label, one
per relationship type and end labels, with typed headers derived from the model), stops the local
server (``imvo neo4j start``), runs ``org.neo4j.cli.AdminTool database import full`` from the
launcher's own ``lib/``, starts the server again on the same port and creates the constraints.

It refuses a database that is not empty: the importer replaces a database, it does not add to one.
"""
from __future__ import annotations

import contextlib
import csv
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from imvo.kernel.errors import InvalidInput, StoreUnavailable

from . import neo4j_launcher
from .model import NODES, node_type, rel_type
from .neo4j_store import META_LABEL, Neo4jStore, make_driver
from .store import NodeRow, ReadQuery, RelRow, Writer

__all__ = ["BulkWriter", "bulk_writer"]

ARRAY = "\x1f"        # the importer's array delimiter: a character no list item holds
_TYPES = {"str": "string", "int": "long", "float": "double", "bool": "boolean", "date": "date", "list": "string[]"}


class BulkWriter(Writer):
    """Collects a load in memory (merged as the store would merge it); :meth:`write_files` writes it out."""

    batch_size = 1_000_000

    def __init__(self) -> None:
        super().__init__()
        self.nodes: dict[str, dict[str, dict[str, Any]]] = {n.label: {} for n in NODES}
        self.rels: dict[tuple[str, str, str], dict[tuple[str, str, str], dict[str, Any]]] = {}

    def read(self, query: ReadQuery, **params: Any) -> list[dict[str, Any]]:
        raise InvalidInput("a bulk load cannot answer questions before it is imported")

    def _existing(self, label: str, ids: Sequence[str]) -> Iterable[str]:
        known = self.nodes[label]
        return [i for i in ids if i in known]

    def _clear(self) -> None:
        for v in self.nodes.values():
            v.clear()
        self.rels.clear()

    def _merge_nodes(self, label: str, rows: Sequence[NodeRow]) -> None:
        known = self.nodes[label]
        for r in rows:
            props = known.setdefault(r.id, {})
            props.update(r.props)
            for k in [k for k, v in props.items() if v is None]:
                del props[k]

    def _ensure_nodes(self, label: str, ids: Sequence[str]) -> None:
        known = self.nodes[label]
        for i in ids:
            known.setdefault(i, {})

    def _merge_rels(self, type_: str, source: str, target: str, rows: Sequence[tuple[RelRow, str]]) -> None:
        starts, ends = self.nodes[source], self.nodes[target]
        out = self.rels.setdefault((type_, source, target), {})
        for r, key in rows:
            if r.start not in starts or r.end not in ends:
                continue                                   # like MATCH: no end, no relationship
            props = out.setdefault((r.start, r.end, key), {})
            props.update(r.props)
            for k in [k for k, v in props.items() if v is None]:
                del props[k]

    def _delete_rels(self, type_: str, source: str, target: str, keys: Sequence[tuple[str, str, str]]) -> None:
        out = self.rels.get((type_, source, target), {})
        for k in keys:
            out.pop(k, None)

    def _delete_nodes(self, label: str, ids: Sequence[str]) -> None:
        gone = set(ids)
        for i in gone:
            self.nodes[label].pop(i, None)
        for (_, s, t), rels in self.rels.items():
            if label in (s, t):
                for k in [k for k in rels if (s == label and k[0] in gone) or (t == label and k[1] in gone)]:
                    del rels[k]

    # -- files ----------------------------------------------------------------------
    def write_files(self, folder: Path) -> list[str]:
        """The importer's CSV files in ``folder``; returns its --nodes / --relationships arguments."""
        folder.mkdir(parents=True, exist_ok=True)
        out: list[str] = []
        for label, rows in self.nodes.items():
            if not rows:
                continue
            names = [p.name for p in node_type(label).props]
            path = folder / f"nodes-{label}.csv"
            with open(path, "w", encoding="utf-8", newline="") as fh:
                w = csv.writer(fh)
                w.writerow([f"id:ID({label})", *(f"{n}:{_TYPES[node_type(label).prop(n).type]}" for n in names)])
                for id_, props in rows.items():
                    w.writerow([id_, *(_cell(props.get(n)) for n in names)])
            out.append(f"--nodes={label}={path}")
        for (type_, s, t), rels in self.rels.items():
            if not rels:
                continue
            rt = rel_type(type_)
            names = [p.name for p in rt.props]
            path = folder / f"rels-{type_}-{s}-{t}.csv"
            with open(path, "w", encoding="utf-8", newline="") as fh:
                w = csv.writer(fh)
                w.writerow([f":START_ID({s})", f":END_ID({t})", "key",
                            *(f"{n}:{_TYPES[rt.prop(n).type]}" for n in names)])
                for (a, b, key), props in rels.items():
                    w.writerow([a, b, key, *(_cell(props.get(n)) for n in names)])
            out.append(f"--relationships={type_}={path}")
        return out


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ARRAY.join(str(v) for v in value)
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def _empty(store: Neo4jStore) -> bool:
    return not any(store.counts().nodes.values())


@contextlib.contextmanager
def bulk_writer(store: Neo4jStore, instance: Path) -> Iterator[BulkWriter]:
    """Collect a load, then import it offline into the local Neo4j of ``instance`` (see the module notes).

    ``store`` must talk to that server (the caller checks), and its database must be empty.
    """
    server = neo4j_launcher.read_state(instance)
    if server is None:
        raise StoreUnavailable(f"--bulk loads into the local Neo4j of `imvo neo4j start` ({instance}), which is "
                               f"not running: start it first")
    if not _empty(store):
        raise InvalidInput("--bulk loads into an empty database only (the importer replaces a database); "
                           "this one holds data: load without --bulk, or start from an empty one")
    w = BulkWriter()
    try:
        yield w
    finally:
        w.close()
    work = Path(tempfile.mkdtemp(prefix="imvo-bulk-", dir=instance))
    try:
        files = w.write_files(work / "csv")
        database = store.database
        store.driver.close()
        server.stop()
        _import(instance, database, files, work, server.heap)
        restarted = neo4j_launcher.start(instance, port=server.port, heap=server.heap, pagecache=server.pagecache)
        store.driver = make_driver(restarted.uri, "neo4j", "")
        store._schema_ready = False
        # a JVM just started answers its first requests slowly on a busy machine: retry for a while
        # rather than fail a finished import on the connection timeout
        give_up = time.monotonic() + 60
        while True:
            try:
                store._ensure_schema()
                break
            except StoreUnavailable:
                if time.monotonic() > give_up:
                    raise
                time.sleep(1)
        store._execute(f"MERGE (m:{META_LABEL} {{id: 'store'}}) SET m.version = coalesce(m.version, 0) + 1", {},
                       write=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _import(instance: Path, database: str, files: list[str], work: Path, heap: str) -> None:
    lib = neo4j_launcher.ensure_distribution() / "lib"
    home = Path(instance).expanduser().resolve()
    cmd = ["java", f"-Xmx{heap}", *neo4j_launcher.JAVA_OPTS, "-cp", f"{lib}/*", "org.neo4j.cli.AdminTool",
           "database", "import", "full", *files, f"--array-delimiter={ARRAY}", "--multiline-fields=true",
           "--skip-duplicate-nodes=true", "--skip-bad-relationships=true", "--overwrite-destination=true",
           f"--report-file={work / 'import-report.txt'}", database]
    env = {**os.environ, "NEO4J_HOME": str(home), "NEO4J_CONF": str(home / "conf")}
    done = subprocess.run(cmd, cwd=home, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = " ".join((done.stderr or done.stdout).split())[-300:]
        raise StoreUnavailable(f"neo4j-admin database import failed ({tail})")
