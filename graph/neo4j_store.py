"""The Neo4j backend: official driver, batched ``UNWIND $rows`` MERGE, parameters only.

The driver is created once by the caller (CLI entry or app lifespan) and
passed in.  Constraints are created on first use; reads are routed as reads.
"""
from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

import neo4j
from neo4j import GraphDatabase, RoutingControl
from neo4j.exceptions import AuthError, ConfigurationError, DriverError, Neo4jError, ServiceUnavailable, TransientError

from imvo.kernel import deadline
from imvo.kernel.errors import ConfigError, StoreUnavailable

from . import cypher
from .model import node_type, rel_type
from .store import GraphStore, NodeRow, ReadQuery, RelRow, Writer

__all__ = ["META_LABEL", "Neo4jStore", "make_driver"]

_UNAVAILABLE = (ServiceUnavailable, AuthError, ConfigurationError, DriverError, OSError)
_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")
T = TypeVar("T")
_RETRIES = 4                 # attempts of a write batch that meets a transient error (e.g. a deadlock)


def _retrying(call: Callable[[], T], give_up: Callable[[TransientError], bool] = lambda exc: False) -> T:
    """``call``, again after a transient error (e.g. a deadlock), up to :data:`_RETRIES` attempts
    (``give_up``: errors not worth another attempt)."""
    for attempt in range(_RETRIES - 1):
        try:
            return call()
        except TransientError as exc:
            if give_up(exc):
                raise
            time.sleep(0.2 * (attempt + 1))
    return call()
#: the one node outside the model: the store's version, bumped by every write session
META_LABEL = "ImvoMeta"


def make_driver(uri: str, user: str, password: str, timeout: float = 1.5) -> neo4j.Driver:
    """A driver for ``uri`` (bolt:// or neo4j:// routing); no credentials when password is empty.

    ``timeout`` bounds connecting (socket and Bolt handshake) and acquiring a
    connection; the driver does not retry on its own (our writers retry
    transient errors, :meth:`_Neo4jWriter._write_runs`), so an unreachable or
    hanging server is reported within about that many seconds, not after the
    driver's default 30 s of retries.
    """
    scheme = uri.partition("://")[0].lower() if "://" in uri else ""
    if scheme not in _SCHEMES:
        raise ConfigError(f"NEO4J_URI={uri!r} is not a Neo4j address: use bolt://host:7687 or "
                          f"neo4j://host:7687")
    auth = (user, password) if password else None
    try:
        return GraphDatabase.driver(uri, auth=auth, connection_timeout=timeout,
                                    connection_acquisition_timeout=timeout,
                                    notifications_min_severity="OFF", max_transaction_retry_time=0)
    except (ValueError, ConfigurationError) as exc:
        raise ConfigError(f"NEO4J_URI={uri!r} cannot be used: {exc}") from None


_PLAIN = frozenset({str, int, float, bool, type(None)})


def _native(value: Any) -> Any:
    """neo4j.time values -> datetime; lists and maps recursively.

    Called on every value of every record, so plain values (the vast majority)
    are recognised by their exact type first.
    """
    t = type(value)
    if t in _PLAIN:
        return value
    if t is dict:
        return {k: v if type(v) in _PLAIN else _native(v) for k, v in value.items()}
    if t is list:
        return [v if type(v) in _PLAIN else _native(v) for v in value]
    if isinstance(value, (neo4j.time.Date, neo4j.time.DateTime)):
        return value.to_native()
    if isinstance(value, list):
        return [_native(v) for v in value]
    if isinstance(value, dict):
        return {k: _native(v) for k, v in value.items()}
    return value


def _runs(items: Iterable[tuple[Any, dict[str, Any]]]) -> list[tuple[tuple[str, ...], list[tuple[Any, list[Any]]]]]:
    """Consecutive rows whose props have the same keys, as (sorted keys, [(row, values in that order)]).

    Writes go as lists (``[id, v1, v2, ...]``) instead of ``{id, props}`` maps: half
    the Bolt message, and a statement with a literal property map
    (:func:`graph.cypher.merge_nodes_positional`).  Keeping runs in order keeps
    the effect of a row that repeats an id (the last one wins).
    """
    out: list[tuple[tuple[str, ...], list[tuple[Any, list[Any]]]]] = []
    for item, props in items:
        names = tuple(sorted(props))
        if not out or out[-1][0] != names:
            out.append((names, []))
        out[-1][1].append((item, [props[n] for n in names]))
    return out


class Neo4jStore(GraphStore):
    kind = "neo4j"

    def __init__(self, driver: neo4j.Driver, database: str = "neo4j", uri: str = "") -> None:
        self.driver = driver
        self.database = database
        self.uri = uri
        self._schema_ready = False

    def describe(self) -> str:
        return f"neo4j ({self.uri or 'driver'}, database {self.database})"

    # -- plumbing ----------------------------------------------------------------
    def _execute(self, query: str, params: dict[str, Any], write: bool) -> list[dict[str, Any]]:
        # Under a request's deadline (imvo.kernel.deadline) the time left is the transaction's
        # timeout, so the server stops the query too instead of running on after we gave up.
        limit = deadline.current()
        timeout = None
        if limit is not None and not write:
            timeout = limit.remaining()
            if timeout <= 0.001:
                raise limit.error()
        try:
            records = self._write_records(query, params) if write else self._read_records(query, params, timeout)
        except _UNAVAILABLE as exc:
            raise StoreUnavailable(self._unreachable(exc)) from None
        except Neo4jError as exc:
            if exc.code and ("DatabaseNotFound" in exc.code or "Unavailable" in exc.code):
                raise StoreUnavailable(f"Neo4j database {self.database!r}: {exc.message}") from None
            if limit is not None and exc.code and ("TransactionTimedOut" in exc.code or limit.expired()):
                raise limit.error() from None
            raise
        out = [{k: _native(v) for k, v in dict(r).items()} for r in records]
        if limit is not None and not write:
            limit.check()
        return out

    def _write_records(self, query: str, params: dict[str, Any]) -> list[Any]:
        records, _, _ = self.driver.execute_query(query, params, database_=self.database,
                                                  routing_=RoutingControl.WRITE)
        return list(records)

    def _read_records(self, query: str, params: dict[str, Any], timeout: float | None) -> list[Any]:
        # A read is one auto-commit query (RUN and PULL in one round trip), not a managed
        # transaction (BEGIN+RUN+PULL, then COMMIT: two), with the bookmarks of execute_query's
        # writes so a cluster still reads its own writes.  Measured on the 100k server: 4.0-4.6 ms
        # against 7.1 ms p50 for the version check.  Transient errors are retried like writes.
        q = neo4j.Query(query, timeout=timeout) if timeout is not None else neo4j.Query(query)

        def run() -> list[Any]:
            with self.driver.session(database=self.database, default_access_mode=neo4j.READ_ACCESS,
                                     bookmark_manager=self.driver.execute_query_bookmark_manager) as s:
                return list(s.run(q, params))

        def past_deadline(exc: TransientError) -> bool:
            limit = deadline.current()
            return "TimedOut" in (exc.code or "") or bool(limit and limit.expired())
        return _retrying(run, past_deadline)

    def _unreachable(self, exc: BaseException) -> str:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        if "Connection refused" in reason or "Failed to establish connection" in reason:
            reason = "connection refused"
        elif "handshake" in reason or "timed out" in reason.lower():
            reason = "no answer in time: the address accepts connections but does not answer as Neo4j"
        return (f"Neo4j at {self.uri or '?'} is unreachable ({reason[:160].rstrip(':')}); is it running? "
                f"(`imvo neo4j start` runs one locally)")

    def _ensure_schema(self) -> None:
        if self._schema_ready:
            return
        for stmt in cypher.constraint_statements():
            self._execute(stmt, {}, write=True)
        self._schema_ready = True

    def ping(self) -> None:
        """One tiny read on the configured database, without retries (raises StoreUnavailable)."""
        try:
            with self.driver.session(database=self.database, default_access_mode=neo4j.READ_ACCESS) as s:
                s.run("RETURN 1 AS ok").consume()
        except _UNAVAILABLE as exc:
            raise StoreUnavailable(self._unreachable(exc)) from None
        except Neo4jError as exc:
            raise StoreUnavailable(f"Neo4j: {exc.message}") from None

    def version(self) -> int:
        rows = self._execute(f"OPTIONAL MATCH (m:{META_LABEL} {{id: 'store'}}) RETURN m.version AS v", {},
                             write=False)
        return int(rows[0]["v"] or 0) if rows else 0

    def read_checked(self, query: ReadQuery, **params: Any) -> tuple[list[dict[str, Any]], int]:
        # The version is read first in the same transaction, so the rows are of that version or
        # newer, as with a separate check before the read (an empty answer costs the second trip).
        rows = self._execute(f"OPTIONAL MATCH (imvo_m:{META_LABEL} {{id: 'store'}}) "
                             f"WITH coalesce(imvo_m.version, 0) AS imvo_v CALL () {{ {query.cypher} }} RETURN *",
                             params, write=False)
        if not rows:
            return [], self.version()
        version = int(rows[0]["imvo_v"])
        return [{k: v for k, v in r.items() if k != "imvo_v"} for r in rows], version

    def close(self) -> None:
        self.driver.close()

    @contextlib.contextmanager
    def writer(self) -> Iterator[_Neo4jWriter]:
        """Batches commit one by one (a rerun after a crash completes them: MERGE is idempotent);
        the store's version is bumped when the session ends, also after a failure."""
        self._ensure_schema()
        w = _Neo4jWriter(self)
        try:
            yield w
        finally:
            w.close()
            if w.changed:
                self._execute(f"MERGE (m:{META_LABEL} {{id: 'store'}}) "
                              f"SET m.version = coalesce(m.version, 0) + 1", {}, write=True)

    def _existing(self, label: str, ids: Sequence[str]) -> Iterable[str]:
        node_type(label)
        rows = self._execute(f"MATCH (n:{label}) WHERE n.id IN $ids RETURN n.id AS id",
                             {"ids": list(ids)}, write=False)
        return [r["id"] for r in rows]

    def _count_nodes(self, label: str) -> int:
        node_type(label)
        return int(self._execute(f"MATCH (n:{label}) RETURN count(n) AS c", {}, False)[0]["c"])

    def _count_rels(self, type_: str) -> int:
        rel_type(type_)
        return int(self._execute(f"MATCH ()-[r:{type_}]->() RETURN count(r) AS c", {}, False)[0]["c"])

    # -- reads -------------------------------------------------------------------
    def read(self, query: ReadQuery, **params: Any) -> list[dict[str, Any]]:
        return self._execute(query.cypher, params, write=False)




class _Neo4jWriter(Writer):
    batch_size = 10_000

    def __init__(self, store: Neo4jStore) -> None:
        super().__init__()
        self._store = store
        self.changed = False

    def read(self, query: ReadQuery, **params: Any) -> list[dict[str, Any]]:
        self._check()
        return self._store.read(query, **params)

    def _existing(self, label: str, ids: Sequence[str]) -> Iterable[str]:
        return self._store._existing(label, ids)

    def _write(self, query: str, **params: Any) -> None:
        self.changed = True
        _retrying(lambda: self._store._execute(query, params, write=True))

    def _clear(self) -> None:
        # CALL ... IN TRANSACTIONS needs an implicit (auto-commit) transaction.  Relationships go
        # first, in batches: DETACH DELETE of 10,000 nodes at once deletes all their relationships
        # in one inner transaction, which exceeds the transaction memory pool on a large graph
        # (100k factories / 300k links with a 2 GB heap: the companies hold ~400k relationships).
        self.changed = True
        try:
            with self._store.driver.session(database=self._store.database) as session:
                session.run("MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 10000 ROWS").consume()
                # the version node stays: a store cleared and loaded again must not go back to an old version
                session.run(f"MATCH (n) WHERE NOT n:{META_LABEL} "
                            "CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
        except _UNAVAILABLE as exc:
            raise StoreUnavailable(self._store._unreachable(exc)) from None

    def _delete_rels(self, type_: str, source: str, target: str,
                     keys: Sequence[tuple[str, str, str]]) -> None:
        self._write(cypher.delete_rels(rel_type(type_), source, target), rows=[list(k) for k in keys])

    def _delete_nodes(self, label: str, ids: Sequence[str]) -> None:
        self._write(cypher.delete_nodes(node_type(label)), ids=list(ids))

    def _merge_nodes(self, label: str, rows: Sequence[NodeRow]) -> None:
        nt = node_type(label)
        self._write_runs([(cypher.merge_nodes_positional(nt, names), [[r.id, *vals] for r, vals in run])
                          for names, run in _runs((r, r.props) for r in rows)])

    def _ensure_nodes(self, label: str, ids: Sequence[str]) -> None:
        self._write(cypher.ensure_nodes(node_type(label)), ids=list(ids))

    def _merge_rels(self, type_: str, source: str, target: str,
                    rows: Sequence[tuple[RelRow, str]]) -> None:
        rt = rel_type(type_)
        self._write_runs([(cypher.merge_rels_positional(rt, source, target, names),
                           [[r.start, r.end, k, *vals] for (r, k), vals in run])
                          for names, run in _runs((rk, rk[0].props) for rk in rows)])

    def _write_runs(self, runs: list[tuple[str, list[list[Any]]]]) -> None:
        """One batch, as one transaction: usually a single statement (every row has the same keys)."""
        if not runs:
            return
        if len(runs) == 1:
            self._write(runs[0][0], rows=runs[0][1])
            return
        self.changed = True

        def work(tx: neo4j.ManagedTransaction) -> None:
            for query, rows in runs:
                tx.run(query, rows=rows).consume()
        def write() -> None:
            with self._store.driver.session(database=self._store.database) as session:
                session.execute_write(work)
        try:
            _retrying(write)
        except _UNAVAILABLE as exc:
            raise StoreUnavailable(self._store._unreachable(exc)) from None
