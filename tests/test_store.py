"""Conformance suite of the GraphStore operations: every test runs on both backends."""
from __future__ import annotations

import datetime as dt

import pytest

from imvo.graph.store import GraphStore, NodeRow, ReadQuery, RelRow, WriteOutsideWriter
from imvo.queries.access import SECRETARIAT
from imvo.queries.navigate import neighbours, nodes_by_id


def _seed(store: GraphStore) -> None:
    with store.writer() as s:
        s.ensure_nodes("Country", ["BD", "NL"])
        s.merge_nodes("Company", [NodeRow("C1", {"name": "Brand One", "country": "NL", "kind": "brand"}),
                                  NodeRow("C2", {"name": "Brand Two", "country": "NL", "kind": "brand"})])
        s.merge_nodes("Factory", [NodeRow("F1", {"name": "Knit Ltd", "country": "BD", "workers": 900,
                                                 "products": ["knitwear", "tops"], "lat": 23.8})])
        s.merge_rels("SOURCES_FROM", "Company", "Factory", [
            RelRow("C1", "F1", {"share": 0.3, "since": dt.date(2020, 1, 1), "disclosure": "public"}),
            RelRow("C1", "F1", {"share": 0.1, "since": dt.date(2015, 1, 1), "until": dt.date(2019, 1, 1),
                                "disclosure": "confidential"}),
            RelRow("C2", "F1", {"disclosure": "confidential"}),
        ])
        s.merge_rels("LOCATED_IN", "Factory", "Country", [RelRow("F1", "BD")])


def test_merge_and_count(store: GraphStore) -> None:
    _seed(store)
    c = store.counts()
    assert c.nodes["Company"] == 2 and c.nodes["Factory"] == 1 and c.nodes["Country"] == 2
    assert c.rels["SOURCES_FROM"] == 3 and c.rels["LOCATED_IN"] == 1
    assert c.nodes["Risk"] == 0


def test_merging_twice_changes_nothing(store: GraphStore) -> None:
    _seed(store)
    before = store.counts()
    _seed(store)
    assert store.counts() == before


def test_properties_round_trip_with_their_types(store: GraphStore) -> None:
    _seed(store)
    f = nodes_by_id(store, "Factory", ["F1", "nope"])
    assert list(f) == ["F1"]
    assert f["F1"].props == {"id": "F1", "name": "Knit Ltd", "country": "BD", "workers": 900,
                             "products": ["knitwear", "tops"], "lat": 23.8}
    edges = neighbours(store, SECRETARIAT, "Factory", ["F1"], "SOURCES_FROM", "in")["F1"]
    assert [(e.node.id, e.get("since"), e.get("share")) for e in edges] == [
        ("C1", dt.date(2015, 1, 1), 0.1), ("C1", dt.date(2020, 1, 1), 0.3), ("C2", None, None)]


def test_update_replaces_given_properties_and_null_removes(store: GraphStore) -> None:
    _seed(store)
    with store.writer() as s:
        s.merge_nodes("Factory", [NodeRow("F1", {"name": "Knit Limited", "workers": None})])
        s.merge_rels("SOURCES_FROM", "Company", "Factory",
                     [RelRow("C1", "F1", {"since": dt.date(2020, 1, 1), "share": 0.35, "disclosure": None})])
    f = nodes_by_id(store, "Factory", ["F1"])["F1"]
    assert f.props["name"] == "Knit Limited" and "workers" not in f.props and f.props["country"] == "BD"
    edges = neighbours(store, SECRETARIAT, "Company", ["C1"], "SOURCES_FROM", "out")["C1"]
    current = [e for e in edges if e.get("since") == dt.date(2020, 1, 1)]
    assert len(current) == 1 and current[0].get("share") == 0.35 and current[0].get("disclosure") is None
    assert store.counts().rels["SOURCES_FROM"] == 3


def test_ensure_nodes_keeps_properties(store: GraphStore) -> None:
    with store.writer() as s:
        s.merge_nodes("Country", [NodeRow("BD", {"name": "Bangladesh"})])
        s.ensure_nodes("Country", ["BD", "VN"])
    got = nodes_by_id(store, "Country", ["BD", "VN"])
    assert got["BD"].props["name"] == "Bangladesh" and got["VN"].props == {"id": "VN"}


def test_relationship_without_endpoint_is_not_created(store: GraphStore) -> None:
    _seed(store)
    with store.writer() as s:
        s.merge_rels("SOURCES_FROM", "Company", "Factory", [RelRow("C1", "F404", {})])
    assert store.counts().rels["SOURCES_FROM"] == 3


def test_labels_of_finds_actor_ids(store: GraphStore) -> None:
    _seed(store)
    assert store.labels_of(["C1", "F1", "X"]) == {"C1": "Company", "F1": "Factory"}
    assert store.labels_of(["C1"], ("Factory",)) == {}
    assert store.labels_of([]) == {}


def test_undeclared_properties_and_endpoints_are_refused(store: GraphStore) -> None:
    with store.writer() as w:
        with pytest.raises(ValueError):
            w.merge_nodes("Factory", [NodeRow("F9", {"colour": "red"})])
        with pytest.raises(ValueError):
            w.merge_rels("SOURCES_FROM", "Factory", "Company", [])
        with pytest.raises(KeyError):
            w.merge_nodes("Planet", [])


def test_a_write_outside_a_writer_is_refused(store: GraphStore) -> None:
    """The store has no write methods, and a writer refuses writes once its block has ended."""
    assert not any(hasattr(store, name) for name in ("merge_nodes", "merge_rels", "ensure_nodes"))
    with store.writer() as w:
        w.merge_nodes("Country", [NodeRow("BD", {"name": "Bangladesh"})])
    before = store.version()
    for attempt in (lambda: w.merge_nodes("Country", [NodeRow("NL", {"name": "Netherlands"})]),
                    lambda: w.ensure_nodes("Country", ["VN"]),
                    lambda: w.merge_rels("LOCATED_IN", "Country", "Country", []),
                    w.clear):
        with pytest.raises(WriteOutsideWriter):
            attempt()
    assert store.labels_of(["BD", "NL", "VN"], ("Country",)) == {"BD": "Country"}
    assert store.version() == before


def test_every_write_session_bumps_the_version(store: GraphStore) -> None:
    v0 = store.version()
    with store.writer() as w:
        w.merge_nodes("Country", [NodeRow("BD", {"name": "Bangladesh"})])
    v1 = store.version()
    with store.writer():
        pass                                   # nothing written: the version stays
    assert v1 > v0 and store.version() == v1


def _echo(view, *, x):  # type: ignore[no-untyped-def]
    return [{"x": x, "companies": sorted(n["id"] for n in view.nodes("Company"))}]


ECHO = ReadQuery("echo", "MATCH (c:Company) WITH c ORDER BY c.id "
                 "RETURN $x AS x, collect(c.id) AS companies", _echo)


def test_read_query_gives_the_same_rows_on_both_backends(store: GraphStore) -> None:
    _seed(store)
    assert store.read(ECHO, x=dt.date(2026, 6, 30)) == [{"x": dt.date(2026, 6, 30), "companies": ["C1", "C2"]}]


def test_clear_empties_the_store(store: GraphStore) -> None:
    _seed(store)
    store.clear()
    assert sum(store.counts().nodes.values()) == 0


def test_ping(store: GraphStore) -> None:
    store.ping()


def test_embedded_store_survives_a_reopen(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from imvo.graph.embedded import EmbeddedStore
    s = EmbeddedStore(tmp_path)
    _seed(s)
    again = EmbeddedStore(tmp_path)
    assert again.counts() == s.counts()
    assert not list(tmp_path.glob("*.tmp")), "no temporary file is left behind"


def test_embedded_store_sees_another_process_writing(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from imvo.graph.embedded import EmbeddedStore
    reader = EmbeddedStore(tmp_path)
    assert reader.counts().nodes["Company"] == 0
    _seed(EmbeddedStore(tmp_path))
    assert reader.counts().nodes["Company"] == 2


@pytest.mark.parametrize("name", ["graph.pickle", "graph.sqlite"])
def test_unreadable_embedded_store_is_a_clear_error(tmp_path, name: str) -> None:  # type: ignore[no-untyped-def]
    from imvo.graph.embedded import EmbeddedStore
    from imvo.kernel.errors import StoreUnavailable
    (tmp_path / name).write_bytes(b"not a store at all, just some bytes" * 100)
    with pytest.raises(StoreUnavailable, match=r"cannot read .* damaged"):
        EmbeddedStore(tmp_path)


def test_a_store_of_another_format_is_refused_in_one_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    from imvo.graph.embedded import FILE_NAME, EmbeddedStore
    from imvo.kernel.errors import StoreUnavailable
    EmbeddedStore(tmp_path).close()
    with sqlite3.connect(tmp_path / FILE_NAME) as c:
        c.execute("UPDATE meta SET value = '99' WHERE key = 'format'")
    with pytest.raises(StoreUnavailable, match=r"format 99; this version reads format"):
        EmbeddedStore(tmp_path)


def test_an_old_pickle_store_is_migrated(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A data directory of the earlier format (a networkx graph pickled) opens with its graph."""
    import pickle

    import networkx as nx

    from imvo.graph.embedded import EmbeddedStore
    g = nx.MultiDiGraph()
    g.add_node(("Company", "C1"), id="C1", name="Brand One", country="NL", kind="brand")
    g.add_node(("Factory", "F1"), id="F1", name="Knit Ltd", country="BD", workers=900)
    g.add_edge(("Company", "C1"), ("Factory", "F1"), key=("SOURCES_FROM", "2020-01-01"),
               since=dt.date(2020, 1, 1), share=0.3, disclosure="public")
    with open(tmp_path / "graph.pickle", "wb") as fh:
        pickle.dump({"format": 2, "version": 4, "graph": g}, fh)
    store = EmbeddedStore(tmp_path)
    assert store.counts().nodes["Factory"] == 1 and store.counts().rels["SOURCES_FROM"] == 1
    e = neighbours(store, SECRETARIAT, "Factory", ["F1"], "SOURCES_FROM", "in")["F1"][0]
    assert e.node.id == "C1" and e.get("since") == dt.date(2020, 1, 1) and e.get("share") == 0.3
    assert (tmp_path / "graph.pickle.migrated").exists() and not (tmp_path / "graph.pickle").exists()
    assert EmbeddedStore(tmp_path).counts() == store.counts()          # opened again: nothing migrated twice


def test_deleting_relationships_and_nodes(store: GraphStore) -> None:
    _seed(store)
    with store.writer() as w:
        w.delete_rels("SOURCES_FROM", "Company", "Factory", [("C1", "F1", "2015-01-01"), ("C1", "F1", "1999-01-01"),
                                                              ("C9", "F1", "")])
    edges = neighbours(store, SECRETARIAT, "Factory", ["F1"], "SOURCES_FROM", "in")["F1"]
    assert sorted((e.node.id, str(e.get("since"))) for e in edges) == [("C1", "2020-01-01"), ("C2", "None")]
    assert store.counts().rels["SOURCES_FROM"] == 2
    with store.writer() as w:
        w.delete_nodes("Company", ["C1", "C404"])
    c = store.counts()
    assert c.nodes["Company"] == 1 and c.rels["SOURCES_FROM"] == 1 and c.rels["LOCATED_IN"] == 1
    assert store.labels_of(["C1", "C2"], ("Company",)) == {"C2": "Company"}
    with store.writer() as w:
        w.delete_nodes("Factory", ["F1"])
    c = store.counts()
    assert c.nodes["Factory"] == 0 and c.rels["SOURCES_FROM"] == 0 and c.rels["LOCATED_IN"] == 0


def test_clearing_does_not_turn_the_version_back(store: GraphStore) -> None:
    """An index cached for version v must never be taken for the graph of a later clear-and-load."""
    _seed(store)
    v = store.version()
    store.clear()
    assert store.version() > v
    _seed(store)
    assert store.version() > v + 1


def test_the_reads_the_ingest_adapters_use_answer_alike_on_both_backends(store: GraphStore) -> None:
    """queries/catalogue.py: each ReadQuery's Cypher and its Python twin give these rows."""
    from imvo.queries.catalogue import (
        BUYER_LINKS,
        COMPANY_NAMES,
        FACTORY_NAMES,
        SUPPLIERS_FOR_MATCHING,
        node_props,
        node_rels,
    )
    _seed(store)
    with store.writer() as s:
        s.merge_nodes("Supplier", [NodeRow("S1", {"name": "Agent One", "country": "BD", "kind": "agent"})])
        s.merge_rels("BUYS_VIA", "Company", "Supplier", [RelRow("C1", "S1", {"since": dt.date(2020, 1, 1)})])
        s.merge_rels("SUPPLIES_FROM", "Supplier", "Factory",
                     [RelRow("S1", "F1", {"since": dt.date(2020, 1, 1), "buyer": "C1", "disclosure": "public"})])
    links = store.read(BUYER_LINKS, buyers=["C1"])
    assert [(r["type"], r["start"], r["end"], r["props"].get("since")) for r in links] == [
        ("BUYS_VIA", "C1", "S1", dt.date(2020, 1, 1)),
        ("SOURCES_FROM", "C1", "F1", dt.date(2015, 1, 1)), ("SOURCES_FROM", "C1", "F1", dt.date(2020, 1, 1)),
        ("SUPPLIES_FROM", "S1", "F1", dt.date(2020, 1, 1))]
    assert links[1]["props"]["key"] == "2015-01-01" and links[1]["props"]["until"] == dt.date(2019, 1, 1)
    assert store.read(BUYER_LINKS, buyers=["C2"]) == [{"type": "SOURCES_FROM", "start": "C2", "end": "F1",
                                                       "props": {"disclosure": "confidential", "key": ""}}]
    rows = store.read(node_rels("Factory"), id="F1")
    assert [(r["type"], r["out"], r["label"], r["other"]) for r in rows] == [
        ("LOCATED_IN", True, "Country", "BD"), ("SOURCES_FROM", False, "Company", "C1"),
        ("SOURCES_FROM", False, "Company", "C1"), ("SOURCES_FROM", False, "Company", "C2"),
        ("SUPPLIES_FROM", False, "Supplier", "S1")]
    assert store.read(node_props("Factory"), ids=["F1", "F404"]) == [
        {"n": {"id": "F1", "name": "Knit Ltd", "country": "BD", "workers": 900, "products": ["knitwear", "tops"],
               "lat": 23.8}}]
    assert store.read(FACTORY_NAMES, ids=["F1"]) == [{"id": "F1", "name": "Knit Ltd"}]
    assert store.read(SUPPLIERS_FOR_MATCHING) == [{"id": "S1", "name": "Agent One", "kind": "agent"}]
    assert [r["id"] for r in store.read(COMPANY_NAMES)] == ["C1", "C2"]
