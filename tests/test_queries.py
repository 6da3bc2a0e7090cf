"""The contract questions on both backends: expected answers, identical results, time semantics."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import CONTRACT_DIR

from imvo.graph.embedded import EmbeddedStore
from imvo.graph.store import GraphStore
from imvo.ingest.canonical import ingest_dir
from imvo.queries import analytics, core
from imvo.queries.access import PUBLIC, SECRETARIAT, Viewer, viewer_for_role

AS_OF = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def expected() -> dict[str, Any]:
    path = CONTRACT_DIR / "expected.json"
    if not path.is_file():
        pytest.skip(f"no contract expectations at {path}")
    return json.loads(path.read_text())


def test_shared_factories_match_the_contract(contract_store: GraphStore, expected: dict) -> None:
    for q in expected["sharedFactories"]:
        a = q["args"]
        got = core.shared_factories(contract_store, SECRETARIAT, covenant_id=a.get("covenantId"),
                                    country=a.get("country"), min_buyers=a.get("minBuyers", 2), as_of=AS_OF)
        assert [(s.factory.id, [b.id for b in s.buyers], s.buyer_count) for s in got] == \
            [(e["factory"], e["buyers"], e["buyerCount"]) for e in q["expected"]], a


def test_co_buyers_match_the_contract(contract_store: GraphStore, expected: dict) -> None:
    for q in expected["coBuyers"]:
        a = q["args"]
        got = core.co_buyers(contract_store, SECRETARIAT, company_id=a["companyId"],
                             covenant_id=a.get("covenantId"), as_of=AS_OF)
        assert [(c.company.id, [f.id for f in c.shared_factories], c.shared_count) for c in got] == \
            [(e["company"], e["sharedFactories"], e["sharedCount"]) for e in q["expected"]], a


def test_factory_leverage_matches_the_contract(contract_store: GraphStore, expected: dict) -> None:
    for q in expected["factoryLeverage"]:
        e = q["expected"]
        got = core.factory_leverage(contract_store, SECRETARIAT, factory_id=q["args"]["factoryId"], as_of=AS_OF)
        if e is None:
            assert got is None
            continue
        assert got is not None
        assert [b.id for b in got.buyers] == e["buyers"]
        assert [b.id for b in got.signatory_buyers] == e["signatoryBuyers"]
        assert got.combined_share == pytest.approx(e["combinedShare"]) if e["combinedShare"] is not None \
            else got.combined_share is None
        assert [u.union.id for u in got.unions] == e["unions"]
        assert [n.id for n in got.ngos] == e["ngos"]
        assert [g.id for g in got.open_grievances] == e["openGrievances"]
        assert got.factory.props.get("os_id", "") == e["factoryFields"]["osId"] or \
            (got.factory.props.get("os_id") is None and e["factoryFields"]["osId"] == "")


def test_joint_action_candidates_match_the_contract(contract_store: GraphStore, expected: dict) -> None:
    for q in expected["jointActionOpportunities"]:
        a = q["args"]
        got = core.joint_action_opportunities(contract_store, SECRETARIAT, risk=a["risk"],
                                              covenant_id=a.get("covenantId"), country=a.get("country"),
                                              first=a.get("first", 20), as_of=AS_OF)
        ids = [o.factory.id for o in got]
        if q["kind"] == "default-first":
            assert len(ids) == q["expectedCount"] and set(ids) <= set(q["candidates"])
            continue
        assert set(ids) == set(q["candidates"])
        for o in got:
            assert [b.id for b in o.signatory_buyers] == q["candidates"][o.factory.id]
        scores = [o.score for o in got]
        assert scores == sorted(scores, reverse=True)


def test_score_rises_with_each_factor() -> None:
    base = {"signatory_buyers": 2, "combined_share": 0.2, "risk_level": "medium", "open_grievances": 0, "unions": 0,
                "has_cba": False}
    s0 = core.score_opportunity(**base)  # type: ignore[arg-type]
    for change in ({"signatory_buyers": 3}, {"combined_share": 0.5}, {"risk_level": "high"},
                   {"open_grievances": 1}, {"unions": 1}):
        assert core.score_opportunity(**{**base, **change}) > s0, change  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# both backends give identical answers, on the sample and on generated data
# ---------------------------------------------------------------------------

def _plain(x: Any) -> Any:
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        if isinstance(x, core.Node):
            return (x.label, x.id, tuple(sorted((k, str(v)) for k, v in x.props.items())))
        return {f.name: _plain(getattr(x, f.name)) for f in dataclasses.fields(x)}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    return x


def _answers(store: GraphStore, viewer: Viewer, companies: list[str], factories: list[str],
             covenants: list[str | None], dates: list[dt.date]) -> Any:
    out = []
    for d in dates:
        for cov in covenants:
            out.append(core.shared_factories(store, viewer, covenant_id=cov, as_of=d))
            out.append(core.shared_factories(store, viewer, covenant_id=cov, min_buyers=3, as_of=d))
            out.append(core.joint_action_opportunities(store, viewer, risk="living_wage", covenant_id=cov,
                                                       first=50, as_of=d))
        for c in companies:
            out.append(core.co_buyers(store, viewer, company_id=c, as_of=d))
        for f in factories:
            out.append(core.factory_leverage(store, viewer, factory_id=f, as_of=d))
            out.append(analytics.factory_investors(store, viewer, f, as_of=d))
        out.append(analytics.country_overview(store, viewer, "BD", as_of=d))
        out.append(analytics.multi_covenant_companies(store, as_of=d))
    return _plain(out)


@pytest.mark.neo4j
@pytest.mark.parametrize("dataset", ["sample", "generated"])
def test_both_backends_give_identical_answers(dataset: str, request: pytest.FixtureRequest,
                                              tmp_path: Path) -> None:
    from conftest import SAMPLE_DIR, _loaded
    if dataset == "sample":
        folder = SAMPLE_DIR
    else:
        from support.synthetic import generate
        folder = tmp_path / "gen"
        generate(folder, factories=1500, links=4500, seed=11)
    neo = _loaded("neo4j", request, folder, {})
    emb = EmbeddedStore(tmp_path / "emb")
    assert ingest_dir(emb, folder).exit_code == 0
    assert neo.counts() == emb.counts()
    companies = [r["id"] for r in _csv(folder / "companies.csv")][:25]
    factories = [r["id"] for r in _csv(folder / "factories.csv")][:60]
    covenants: list[str | None] = [None] + [r["id"] for r in _csv(folder / "covenants.csv")]
    dates = [dt.date(2019, 1, 1), AS_OF, dt.date(2030, 1, 1)]
    for viewer in (SECRETARIAT, PUBLIC, viewer_for_role(f"company:{companies[0]}")):
        assert _answers(neo, viewer, companies, factories, covenants, dates) == \
            _answers(emb, viewer, companies, factories, covenants, dates), viewer


def _csv(path: Path) -> list[dict[str, str]]:
    import csv
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


# ---------------------------------------------------------------------------
# time semantics on a tiny graph, both backends
# ---------------------------------------------------------------------------

def _tiny(store: GraphStore, tmp_path: Path) -> None:
    from test_ingest import make_dataset, write
    folder = make_dataset(tmp_path / "t")
    write(folder, "covenant_parties.csv", """
covenant_id,party_id,role,since,until
COV-G,C1,signatory,2016-07-04,
COV-G,C2,signatory,2016-07-04,2026-06-30
COV-G,C3,signatory,2026-06-30,
""")
    write(folder, "companies.csv", "id,name,country,kind\nC1,One,NL,brand\nC2,Two,NL,brand\nC3,Three,NL,brand\n")
    write(folder, "sourcing.csv", """
buyer_id,factory_id,supplier_id,products,share,since,until,disclosure,source
C1,F1,,,0.2,2020-01-01,,public,
C2,F1,,,0.3,2020-01-01,,public,
C3,F1,,,0.1,2026-06-30,2026-07-01,confidential,
C1,F2,,,,,2026-06-30,public,
C3,F2,,,,,,public,
""")
    assert ingest_dir(store, folder).exit_code == 0


def test_since_is_inclusive_and_until_exclusive(store: GraphStore, tmp_path: Path) -> None:
    _tiny(store, tmp_path)

    def shared(d: dt.date) -> list[tuple[str, list[str], int]]:
        return [(s.factory.id, [b.id for b in s.buyers], s.buyer_count)
                for s in core.shared_factories(store, SECRETARIAT, as_of=d)]
    # on 2026-06-29: C1 and C2 are signatories (C3 joins on the 30th); F2's C1 link still active
    assert shared(dt.date(2026, 6, 29)) == [("F1", ["C1", "C2"], 2)]
    # on 2026-06-30: C2 left (until exclusive), C3 joined and its link starts (since inclusive)
    assert shared(dt.date(2026, 6, 30)) == [("F1", ["C1", "C3"], 2)]
    # on 2026-07-01 C3's link has ended, F2's C1 link ended on 06-30
    assert shared(dt.date(2026, 7, 1)) == []
    lev = core.factory_leverage(store, SECRETARIAT, factory_id="F1", as_of=dt.date(2026, 6, 30))
    assert lev is not None and [b.id for b in lev.buyers] == ["C1", "C2", "C3"]
    assert [b.id for b in lev.signatory_buyers] == ["C1", "C3"]
    assert lev.combined_share == pytest.approx(0.3)
    assert core.factory_leverage(store, SECRETARIAT, factory_id="nope") is None
    assert [c.company.id for c in core.co_buyers(store, SECRETARIAT, company_id="C1",
                                                 as_of=dt.date(2026, 6, 30))] == ["C3"]


def test_default_as_of_is_today(store: GraphStore, tmp_path: Path) -> None:
    _tiny(store, tmp_path)
    assert core.shared_factories(store, SECRETARIAT) == \
        core.shared_factories(store, SECRETARIAT, as_of=dt.date.today())


def test_paths_connect_two_actors(contract_store: GraphStore) -> None:
    found = analytics.paths(contract_store, SECRETARIAT, "C027", "C029", as_of=AS_OF)
    assert found and all(len(p.rels) == len(found[0].rels) for p in found)
    assert found[0].nodes[0].id == "C027" and found[0].nodes[-1].id == "C029"
    assert analytics.paths(contract_store, SECRETARIAT, "C027", "nope") == []


def test_co_buyer_network_clusters_and_centrality(contract_store: GraphStore) -> None:
    net = analytics.co_buyer_network(contract_store, SECRETARIAT, covenant_id="COV-GARMENT", as_of=AS_OF)
    assert net.graph.number_of_edges() > 0 and net.communities
    assert {c for group in net.communities for c in group} == set(net.graph.nodes)
    assert max(net.company_centrality, key=net.company_centrality.get) in net.graph
