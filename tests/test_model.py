"""The model declaration and the Cypher generated from it (pinned)."""
from __future__ import annotations

import datetime as dt

import pytest

from graph import cypher
from graph.model import ACTOR_LABELS, NODES, RELS, is_active, node_type, rel_key, rel_type


def test_every_label_and_type_of_the_design_is_declared() -> None:
    assert {n.label for n in NODES} == {"Covenant", "Company", "Supplier", "Factory", "Country", "Union",
                                        "NGO", "Organisation", "Risk", "Grievance"}
    assert {r.type for r in RELS} == {
        "PARTY_TO", "SOURCES_FROM", "BUYS_VIA", "SUPPLIES_FROM", "OWNS", "LOCATED_IN", "REPRESENTS",
        "AFFILIATED_WITH", "ACTIVE_IN", "HAS_RISK", "PRIORITISES", "CONCERNS", "ABOUT", "FILED",
        "INVESTS_IN"}
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
    assert cypher.merge_nodes(node_type("Factory")) == (
        "UNWIND $rows AS row MERGE (n:Factory {id: row.id}) SET n += row.props")
    assert cypher.ensure_nodes(node_type("Country")) == "UNWIND $ids AS id MERGE (n:Country {id: id})"
    assert cypher.merge_rels(rel_type("SOURCES_FROM"), "Company", "Factory") == (
        "UNWIND $rows AS row MATCH (a:Company {id: row.start}) MATCH (b:Factory {id: row.end}) "
        "MERGE (a)-[r:SOURCES_FROM {key: row.key}]->(b) SET r += row.props")


def test_merge_rels_refuses_undeclared_endpoints() -> None:
    with pytest.raises(ValueError):
        cypher.merge_rels(rel_type("SOURCES_FROM"), "Factory", "Company")


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
