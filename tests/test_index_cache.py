"""The leverage index kept beside an embedded store: reused when it is of the store's version and of
this code's format, rebuilt otherwise (a stale or foreign cache is never trusted); and never used
for an answer once another writer has committed."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from conftest import SAMPLE_DIR

from imvo.graph.embedded import EmbeddedStore
from imvo.graph.store import GraphStore, NodeRow, RelRow
from imvo.ingest.canonical import ingest_dir
from imvo.queries import core, leverage
from imvo.queries.access import SECRETARIAT


def _same(a: leverage.LeverageIndex, b: leverage.LeverageIndex) -> bool:
    return (a.version == b.version and a.factories == b.factories and a.companies == b.companies
            and np.array_equal(a.l_fac, b.l_fac) and np.array_equal(a.l_until, b.l_until)
            and np.array_equal(a.f_unions, b.f_unions))


def test_a_reopened_store_reads_its_index_back(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path)
    ingest_dir(store, SAMPLE_DIR)
    built = leverage.index_for(store)
    saved = list((tmp_path / "cache").glob("leverage-*.npz"))
    assert [p.name for p in saved] == [f"leverage-{store.version()}.npz"]
    again = leverage._load(tmp_path / "cache", store.version())
    assert again is not None and _same(again, built)
    assert leverage._load(tmp_path / "cache", store.version() + 1) is None     # another version: not used


def test_an_index_of_another_format_is_rebuilt(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path)
    ingest_dir(store, SAMPLE_DIR)
    built = leverage.index_for(store)
    path = tmp_path / "cache" / f"leverage-{store.version()}.npz"
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["index_format"] = np.array([leverage.INDEX_FORMAT - 1])         # saved by an older version
    np.savez(path, **arrays)
    assert leverage._load(tmp_path / "cache", store.version()) is None
    del arrays["index_format"]                                              # saved before formats existed
    np.savez(path, **arrays)
    assert leverage._load(tmp_path / "cache", store.version()) is None
    path.write_bytes(b"not an npz")                                         # damaged
    assert leverage._load(tmp_path / "cache", store.version()) is None
    fresh = leverage.index_for(EmbeddedStore(tmp_path))                     # a new process: rebuilt
    assert _same(fresh, built)


def _other_handle(store: GraphStore, request: pytest.FixtureRequest) -> GraphStore:
    """Another handle on the same data, as another process would have (its own index cache)."""
    if isinstance(store, EmbeddedStore):
        return EmbeddedStore(store.data_dir)
    from conftest import _neo4j_store
    return _neo4j_store(request.getfixturevalue("neo4j_driver"))


def test_answers_follow_a_write_made_through_another_handle(store: GraphStore, request: pytest.FixtureRequest) -> None:
    """coBuyers, factoryLeverage and sharedFactories check the index's version on the read they make anyway
    (GraphStore.read_checked), not on a round trip of their own: an answer after another writer's
    commit is of the new version, including a company or factory the old index did not know."""
    d = dt.date(2026, 6, 30)
    with store.writer() as w:
        w.merge_nodes("Covenant", [NodeRow("COV1", {"name": "Cov", "sector": "x", "signed_on": dt.date(2016, 1, 1)})])
        w.merge_nodes("Company", [NodeRow(c, {"name": c, "country": "NL", "kind": "brand"}) for c in ("C1", "C2")])
        w.merge_nodes("Factory", [NodeRow("F1", {"name": "Fa 1", "country": "BD"})])
        w.merge_rels("PARTY_TO", "Company", "Covenant", [RelRow(c, "COV1", {"role": "signatory"}) for c in ("C1", "C2")])
        w.merge_rels("SOURCES_FROM", "Company", "Factory",
                     [RelRow(c, "F1", {"disclosure": "public", "since": dt.date(2020, 1, 1)}) for c in ("C1", "C2")])
    assert [(c.company.id, c.shared_count) for c in core.co_buyers(store, SECRETARIAT, company_id="C1", as_of=d)] \
        == [("C2", 1)]
    assert core.factory_leverage(store, SECRETARIAT, factory_id="F1", as_of=d).buyer_count == 2  # type: ignore[union-attr]
    assert core.factory_leverage(store, SECRETARIAT, factory_id="F2", as_of=d) is None
    page = core.shared_factories_page(store, SECRETARIAT, covenant_id="COV1", as_of=d, first=10)
    assert [(r.factory.id, r.buyer_count) for r in page.items] == [("F1", 2)] and page.total == 1
    other = _other_handle(store, request)
    with other.writer() as w:
        w.merge_nodes("Company", [NodeRow("C3", {"name": "C3", "country": "NL", "kind": "brand"})])
        w.merge_nodes("Factory", [NodeRow("F2", {"name": "Fa 2", "country": "BD"})])
        w.merge_rels("PARTY_TO", "Company", "Covenant", [RelRow("C3", "COV1", {"role": "signatory"})])
        w.merge_rels("SOURCES_FROM", "Company", "Factory",
                     [RelRow(c, f, {"disclosure": "public", "since": dt.date(2020, 1, 1)})
                      for c, f in (("C3", "F1"), ("C1", "F2"), ("C2", "F2"))])
    assert [(c.company.id, c.shared_count) for c in core.co_buyers(store, SECRETARIAT, company_id="C1", as_of=d)] \
        == [("C2", 2), ("C3", 1)]
    assert [c.company.id for c in core.co_buyers(store, SECRETARIAT, company_id="C3", as_of=d)] == ["C1", "C2"]
    assert core.factory_leverage(store, SECRETARIAT, factory_id="F1", as_of=d).buyer_count == 3  # type: ignore[union-attr]
    assert core.factory_leverage(store, SECRETARIAT, factory_id="F2", as_of=d).buyer_count == 2  # type: ignore[union-attr]
    page = core.shared_factories_page(store, SECRETARIAT, covenant_id="COV1", as_of=d, first=10)
    assert [(r.factory.id, r.buyer_count, [b.id for b in r.buyers]) for r in page.items] \
        == [("F1", 3, ["C1", "C2", "C3"]), ("F2", 2, ["C1", "C2"])] and page.total == 2


def test_the_copy_of_companies_follows_a_write_made_through_another_handle(
        store: GraphStore, request: pytest.FixtureRequest) -> None:
    """Companies an answer names are served from a copy kept per store version
    (imvo.queries.base.CACHED_LABELS): a company renamed or added by another writer is named as it
    now is, in pages of shared factories and in coBuyers."""
    d = dt.date(2026, 6, 30)
    many = [f"C{i:03d}" for i in range(70)]
    with store.writer() as w:
        w.merge_nodes("Covenant", [NodeRow("COV1", {"name": "Cov", "sector": "x", "signed_on": dt.date(2016, 1, 1)})])
        w.merge_nodes("Company", [NodeRow(c, {"name": f"Old {c}", "country": "NL", "kind": "brand"}) for c in many])
        w.merge_nodes("Factory", [NodeRow("F1", {"name": "Fa 1", "country": "BD"})])
        w.merge_rels("PARTY_TO", "Company", "Covenant", [RelRow(c, "COV1", {"role": "signatory"}) for c in many])
        w.merge_rels("SOURCES_FROM", "Company", "Factory",
                     [RelRow(c, "F1", {"disclosure": "public", "since": dt.date(2020, 1, 1)}) for c in many])

    def names() -> tuple[list[str | None], list[str | None]]:
        page = core.shared_factories_page(store, SECRETARIAT, covenant_id="COV1", as_of=d, first=1)
        co = core.co_buyers(store, SECRETARIAT, company_id="C000", as_of=d)
        return [b.name for b in page.items[0].buyers], [c.company.name for c in co]

    for _ in range(2):                                      # the second time from the copy
        shared, co = names()
        assert shared == [f"Old {c}" for c in many] and co == [f"Old {c}" for c in many[1:]]
    other = _other_handle(store, request)
    with other.writer() as w:
        w.merge_nodes("Company", [NodeRow("C005", {"name": "New name"}), NodeRow("C999", {"name": "Newcomer"})])
        w.merge_rels("PARTY_TO", "Company", "Covenant", [RelRow("C999", "COV1", {"role": "signatory"})])
        w.merge_rels("SOURCES_FROM", "Company", "Factory",
                     [RelRow("C999", "F1", {"disclosure": "public", "since": dt.date(2020, 1, 1)})])
    shared, co = names()
    expected = ["New name" if c == "C005" else f"Old {c}" for c in many] + ["Newcomer"]
    assert shared == expected and co == expected[1:]


def test_a_factory_deleted_by_another_handle_is_not_named(store: GraphStore, request: pytest.FixtureRequest) -> None:
    """The index this process last used still knows a factory another writer has deleted (e.g. two
    nodes merged): its answers are recomputed on the new version, never fail on the missing node."""
    d = dt.date(2026, 6, 30)
    with store.writer() as w:
        w.merge_nodes("Covenant", [NodeRow("COV1", {"name": "Cov", "sector": "x", "signed_on": dt.date(2016, 1, 1)})])
        w.merge_nodes("Company", [NodeRow(c, {"name": c, "country": "NL", "kind": "brand"}) for c in ("C1", "C2")])
        w.merge_nodes("Factory", [NodeRow(f, {"name": f, "country": "BD"}) for f in ("F1", "F2")])
        w.merge_rels("PARTY_TO", "Company", "Covenant", [RelRow(c, "COV1", {"role": "signatory"}) for c in ("C1", "C2")])
        w.merge_rels("SOURCES_FROM", "Company", "Factory",
                     [RelRow(c, f, {"disclosure": "public", "since": dt.date(2020, 1, 1)})
                      for c in ("C1", "C2") for f in ("F1", "F2")])
    page = core.shared_factories_page(store, SECRETARIAT, covenant_id="COV1", as_of=d)
    assert [r.factory.id for r in page.items] == ["F1", "F2"]
    assert [c.shared_count for c in core.co_buyers(store, SECRETARIAT, company_id="C1", as_of=d)] == [2]
    assert core.factory_leverage(store, SECRETARIAT, factory_id="F2", as_of=d) is not None
    other = _other_handle(store, request)
    with other.writer() as w:
        w.delete_nodes("Factory", ["F2"])
    page = core.shared_factories_page(store, SECRETARIAT, covenant_id="COV1", as_of=d)
    assert [r.factory.id for r in page.items] == ["F1"] and page.total == 1
    assert [(c.company.id, c.shared_count) for c in core.co_buyers(store, SECRETARIAT, company_id="C1", as_of=d)] \
        == [("C2", 1)]
    assert core.factory_leverage(store, SECRETARIAT, factory_id="F2", as_of=d) is None
