"""The Neo4j backend: official driver, batched ``UNWIND $rows`` MERGE, parameters only.

The driver is created once by the caller (CLI entry or app lifespan) and
passed in.  Constraints are created on first use; reads are routed as reads.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import neo4j
from neo4j import GraphDatabase, RoutingControl
from neo4j.exceptions import AuthError, ConfigurationError, DriverError, Neo4jError, ServiceUnavailable

from imvo.errors import StoreUnavailable

from . import cypher
from .model import node_type, rel_type
from .store import GraphStore, NodeRow, ReadQuery, RelRow

__all__ = ["Neo4jStore", "make_driver"]

_UNAVAILABLE = (ServiceUnavailable, AuthError, ConfigurationError, DriverError, OSError)


def make_driver(uri: str, user: str, password: str) -> neo4j.Driver:
    """A driver for ``uri`` (bolt:// or neo4j:// routing); no credentials when password is empty."""
    auth = (user, password) if password else None
    try:
        return GraphDatabase.driver(uri, auth=auth, connection_timeout=10,
                                    connection_acquisition_timeout=30,
                                    notifications_min_severity="OFF", max_transaction_retry_time=10)
    except (ValueError, ConfigurationError) as exc:
        raise StoreUnavailable(f"bad NEO4J_URI {uri!r}: {exc}") from exc


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


def _runs(items: Iterable[tuple[Any, dict[str, Any]]]) -> list[tuple[tuple[str, ...], list[tuple[Any, list]]]]:
    """Consecutive rows whose props have the same keys, as (sorted keys, [(row, values in that order)]).

    Writes go as lists (``[id, v1, v2, ...]``) instead of ``{id, props}`` maps: half
    the Bolt message, and a statement with a literal property map
    (:func:`graph.cypher.merge_nodes_positional`).  Keeping runs in order keeps
    the effect of a row that repeats an id (the last one wins).
    """
    out: list[tuple[tuple[str, ...], list[tuple[Any, list]]]] = []
    for item, props in items:
        names = tuple(sorted(props))
        if not out or out[-1][0] != names:
            out.append((names, []))
        out[-1][1].append((item, [props[n] for n in names]))
    return out


class Neo4jStore(GraphStore):
    kind = "neo4j"
    batch_size = 10_000

    def __init__(self, driver: neo4j.Driver, database: str = "neo4j", uri: str = "") -> None:
        self.driver = driver
        self.database = database
        self.uri = uri
        self._schema_ready = False

    def describe(self) -> str:
        return f"neo4j ({self.uri or 'driver'}, database {self.database})"

    # -- plumbing ----------------------------------------------------------------
    def _write(self, query: str, **params: Any) -> None:
        self._ensure_schema()
        self._execute(query, params, write=True)

    def _execute(self, query: str, params: dict[str, Any], write: bool) -> list[dict[str, Any]]:
        try:
            records, _, _ = self.driver.execute_query(
                query, params, database_=self.database,
                routing_=RoutingControl.WRITE if write else RoutingControl.READ)
        except _UNAVAILABLE as exc:
            raise StoreUnavailable(self._unreachable(exc)) from exc
        except Neo4jError as exc:
            if exc.code and ("DatabaseNotFound" in exc.code or "Unavailable" in exc.code):
                raise StoreUnavailable(f"Neo4j database {self.database!r}: {exc.message}") from exc
            raise
        return [{k: _native(v) for k, v in r.items()} for r in records]

    def _unreachable(self, exc: BaseException) -> str:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        if "Connection refused" in reason:
            reason = "connection refused"
        return (f"Neo4j at {self.uri or '?'} is unreachable ({reason[:160].rstrip(':')}); is it running? "
                f"(`imvo neo4j start` runs one locally)")

    def _ensure_schema(self) -> None:
        if self._schema_ready:
            return
        for stmt in cypher.constraint_statements():
            self._execute(stmt, {}, write=True)
        self._schema_ready = True

    def ping(self) -> None:
        """One tiny read on the configured database (raises StoreUnavailable)."""
        try:
            self._execute("RETURN 1 AS ok", {}, write=False)
        except Neo4jError as exc:
            raise StoreUnavailable(f"Neo4j: {exc.message}") from exc

    def close(self) -> None:
        self.driver.close()

    def clear(self) -> None:
        # CALL ... IN TRANSACTIONS needs an implicit (auto-commit) transaction.  Relationships go
        # first, in batches: DETACH DELETE of 10,000 nodes at once deletes all their relationships
        # in one inner transaction, which exceeds the transaction memory pool on a large graph
        # (100k factories / 300k links with a 2 GB heap: the companies hold ~400k relationships).
        try:
            with self.driver.session(database=self.database) as session:
                session.run("MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 10000 ROWS").consume()
                session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
        except _UNAVAILABLE as exc:
            raise StoreUnavailable(self._unreachable(exc)) from exc

    # -- primitives --------------------------------------------------------------
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
        if len(runs) == 1:
            self._write(runs[0][0], rows=runs[0][1])
            return
        self._ensure_schema()

        def work(tx: neo4j.ManagedTransaction) -> None:
            for query, rows in runs:
                tx.run(query, rows=rows).consume()
        try:
            with self.driver.session(database=self.database) as session:
                session.execute_write(work)
        except _UNAVAILABLE as exc:
            raise StoreUnavailable(self._unreachable(exc)) from exc

    def _existing(self, label: str, ids: Sequence[str]) -> Iterable[str]:
        node_type(label)
        rows = self._execute(f"MATCH (n:{label}) WHERE n.id IN $ids RETURN n.id AS id",
                             {"ids": list(ids)}, write=False)
        return [r["id"] for r in rows]

    def _count_nodes(self, label: str) -> int:
        node_type(label)
        return self._execute(f"MATCH (n:{label}) RETURN count(n) AS c", {}, False)[0]["c"]

    def _count_rels(self, type_: str) -> int:
        rel_type(type_)
        return self._execute(f"MATCH ()-[r:{type_}]->() RETURN count(r) AS c", {}, False)[0]["c"]

    # -- reads -------------------------------------------------------------------
    def read(self, query: ReadQuery, **params: Any) -> list[dict[str, Any]]:
        return self._execute(query.cypher, params, write=False)


