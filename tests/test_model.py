"""The model declaration and the Cypher generated from it (pinned)."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from imvo.graph import cypher
from imvo.graph.model import ACTOR_LABELS, NODES, RELS, is_active, node_type, rel_key, rel_type
from imvo.graph.neo4j_store import Neo4jStore
from imvo.graph.store import NodeRow, RelRow


def test_every_label_and_type_of_the_design_is_declared() -> None:
    assert {n.label for n in NODES} == {"Covenant", "Company", "Supplier", "Factory", "Country", "Union",
                                        "NGO", "Organisation", "Risk", "Grievance", "Snapshot",
                                        "GrievanceEvent", "Project"}
    assert {r.type for r in RELS} == {
        "PARTY_TO", "SOURCES_FROM", "BUYS_VIA", "SUPPLIES_FROM", "OWNS", "LOCATED_IN", "REPRESENTS",
        "AFFILIATED_WITH", "ACTIVE_IN", "HAS_RISK", "PRIORITISES", "CONCERNS", "ABOUT", "FILED",
        "INVESTS_IN", "COUNTS", "HAS_EVENT", "FORWARDED_TO", "AT", "ADDRESSES", "PARTICIPATES_IN"}
    for r in RELS:
        for label in r.sources + r.targets:
            node_type(label)


def test_constraints_are_pinned() -> None:
    stmts = cypher.constraint_statements()
    assert stmts[0] == ("CREATE CONSTRAINT covenant_id IF NOT EXISTS FOR (n:Covenant) "
                        "REQUIRE n.id IS UNIQUE")
    assert len([s for s in stmts if "CONSTRAINT" in s]) == len(NODES)
    assert "CREATE INDEX factory_os_id IF NOT EXISTS FOR (n:Factory) ON (n.os_id)" in stmts


def test_merge_statements_are_pinned_and_take_parameters_only() -> None:
    assert cypher.merge_nodes_positional(node_type("Factory"), ("name", "workers")) == (
        "UNWIND $rows AS row MERGE (n:Factory {id: row[0]}) SET n += {`name`: row[1], `workers`: row[2]}")
    assert cypher.ensure_nodes(node_type("Country")) == "UNWIND $ids AS id MERGE (n:Country {id: id})"
    assert cypher.merge_rels_positional(rel_type("SOURCES_FROM"), "Company", "Factory", ("share",)) == (
        "UNWIND $rows AS row MATCH (a:Company {id: row[0]}) MATCH (b:Factory {id: row[1]}) "
        "MERGE (a)-[r:SOURCES_FROM {key: row[2]}]->(b) SET r += {`share`: row[3]}")


def test_merge_statements_refuse_undeclared_endpoints_and_properties() -> None:
    with pytest.raises(ValueError):
        cypher.merge_rels_positional(rel_type("SOURCES_FROM"), "Factory", "Company", ())
    with pytest.raises(ValueError):
        cypher.merge_nodes_positional(node_type("Factory"), ("name`}) DETACH DELETE n //",))


class _RecordingDriver:
    """Stands in for the Neo4j driver and records what the store sends."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def execute_query(self, query: str, params: dict[str, Any], **kw: Any) -> tuple[list[Any], None, None]:
        self.sent.append((query, params))
        return [], None, None


def test_the_neo4j_writer_sends_the_pinned_statements_with_values_as_parameters() -> None:
    driver = _RecordingDriver()
    store = Neo4jStore(driver, "neo4j")  # type: ignore[arg-type]
    store._schema_ready = True
    evil = "x'}) DETACH DELETE n //"
    with store.writer() as w:
        w.merge_nodes("Factory", [NodeRow("F1", {"name": evil, "workers": 10})])
        w.merge_rels("SOURCES_FROM", "Company", "Factory",
                     [RelRow("C1", "F1", {"share": 0.5, "since": dt.date(2020, 1, 2)})])
    sent = [q for q, _ in driver.sent]
    assert sent[0] == cypher.merge_nodes_positional(node_type("Factory"), ("name", "workers"))
    assert driver.sent[0][1] == {"rows": [["F1", evil, 10]]}
    assert sent[1] == cypher.merge_rels_positional(rel_type("SOURCES_FROM"), "Company", "Factory",
                                                   ("share", "since"))
    assert driver.sent[1][1] == {"rows": [["C1", "F1", "2020-01-02", 0.5, dt.date(2020, 1, 2)]]}
    assert sent[2].startswith("MERGE (m:ImvoMeta {id: 'store'}) SET m.version")
    assert all(evil not in q for q in sent)


def test_relationship_key_tells_periods_apart() -> None:
    rt = rel_type("SOURCES_FROM")
    assert rel_key(rt, {"since": dt.date(2020, 1, 2)}) == "2020-01-02"
    assert rel_key(rt, {}) == ""
    assert rel_key(rel_type("OWNS"), {"since": dt.date(2020, 1, 2)}) == ""


@pytest.mark.parametrize(("since", "until", "on", "active"), [
    (None, None, dt.date(2026, 6, 30), True),
    (dt.date(2026, 6, 30), None, dt.date(2026, 6, 30), True),       # since is inclusive
    (None, dt.date(2026, 6, 30), dt.date(2026, 6, 30), False),      # until is exclusive
    (dt.date(2026, 7, 1), None, dt.date(2026, 6, 30), False),
])
def test_active_on_a_date(since: dt.date | None, until: dt.date | None, on: dt.date, active: bool) -> None:
    assert is_active({"since": since, "until": until}, on) is active


def test_actor_labels_have_name_and_country() -> None:
    for label in ACTOR_LABELS:
        nt = node_type(label)
        assert nt.prop("name").required and nt.prop("country").required
