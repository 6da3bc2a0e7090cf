"""Confidentiality that survives inference (docs/access.md).

1. A differential property test: on random graphs, for random roles and dates, every query's answer
   for the role equals the secretariat's answer on a copy of the graph without the links that role
   may not see (tests/support/restrict.py builds the copy from the documentation, independently of
   the query layer).  The same copies check the leverage index against the Cypher / networkx
   reference implementations.  Both backends.
2. The attacks of issue 10 as tests: differencing by date, by covenant and by country, subtracting
   one's own links, share arithmetic, neighbouring facts -- on the contract dataset and the sample.
3. The real HTTP API walked field by field on the contract dataset.
"""
from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from typing import Any

import pytest
from conftest import CONTRACT_DATASET, SAMPLE_DIR, LiveServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.restrict import dump, memberships, restricted_copy, sees

from imvo.graph.store import GraphStore, NodeRow, RelRow
from imvo.queries import analytics, core, reference
from imvo.queries.access import PUBLIC, SECRETARIAT, Viewer, viewer_for_role
from imvo.queries.navigate import neighbours

D = dt.date(2026, 6, 30)
DAYS = [dt.date(2026, 1, 1) + dt.timedelta(days=i) for i in range(0, 360, 30)]
DISCLOSURES = ["confidential", "covenant", "public", None]

# ---------------------------------------------------------------------------
# random graphs
# ---------------------------------------------------------------------------

day_st = st.one_of(st.none(), st.sampled_from(DAYS))
link_st = st.tuples(st.integers(0, 5), st.integers(0, 7), st.sampled_from(DISCLOSURES),
                    st.one_of(st.none(), st.sampled_from([0.05, 0.1, 0.25, 0.4])), day_st, day_st,
                    st.one_of(st.none(), st.integers(0, 1)))
member_st = st.tuples(st.integers(0, 5), st.sampled_from(["COV1", "COV2"]), day_st, day_st)
graph_st = st.fixed_dictionaries({
    "links": st.lists(link_st, min_size=1, max_size=28),
    "members": st.lists(member_st, min_size=1, max_size=10),
    "unions": st.lists(st.tuples(st.integers(0, 7), st.booleans()), max_size=4),
    "grievances": st.lists(st.tuples(st.integers(0, 7), st.sampled_from(["living_wage", "child_labour"]),
                                     st.sampled_from(DAYS), st.sampled_from(["open", "resolved"])), max_size=4),
})
viewer_st = st.sampled_from([PUBLIC, *(Viewer("company", f"C{i}") for i in range(6)), Viewer("company", "C404")])


def _span(a: dt.date | None, b: dt.date | None) -> tuple[dt.date | None, dt.date | None]:
    if a is not None and b is not None and b <= a:
        return b, a if a != b else None
    return a, b


def load(store: GraphStore, g: dict[str, Any]) -> None:
    with store.writer() as w:
        w.clear()
        w.ensure_nodes("Country", ["BD", "VN"])
        w.merge_nodes("Covenant", [NodeRow(c, {"name": c, "sector": "x", "signed_on": dt.date(2016, 1, 1)})
                                   for c in ("COV1", "COV2")])
        w.merge_nodes("Company", [NodeRow(f"C{i}", {"name": f"Co {i}", "country": "NL", "kind": "brand"})
                                  for i in range(6)])
        w.merge_nodes("Factory", [NodeRow(f"F{i}", {"name": f"Fa {i}", "country": "BD" if i < 5 else "VN"})
                                  for i in range(8)])
        w.merge_nodes("Supplier", [NodeRow(f"S{i}", {"name": f"Sup {i}", "country": "BD"}) for i in range(2)])
        w.merge_nodes("Union", [NodeRow("U1", {"name": "Union", "country": "BD"})])
        w.merge_nodes("NGO", [NodeRow("N1", {"name": "NGO", "country": "NL"})])
        w.merge_rels("ACTIVE_IN", "NGO", "Country", [RelRow("N1", "BD")])
        w.merge_rels("LOCATED_IN", "Factory", "Country",
                     [RelRow(f"F{i}", "BD" if i < 5 else "VN") for i in range(8)])
        w.merge_rels("HAS_RISK", "Country", "Risk", [])
        w.merge_nodes("Risk", [NodeRow("living_wage", {"name": "Living wage"})])
        w.merge_rels("HAS_RISK", "Country", "Risk", [RelRow("BD", "living_wage", {"level": "high"})])
        w.merge_rels("PARTY_TO", "Company", "Covenant", [
            RelRow(f"C{c}", cov, {"role": "signatory", "since": s, "until": u})
            for n, (c, cov, a, b) in enumerate(g["members"]) for s, u in [_span(a, b)]])
        links, via, supplies = [], [], []
        for n, (b, f, disc, share, a, z, sup) in enumerate(g["links"]):
            since, until = _span(a, z)
            since = since or dt.date(2000, 1, 1) + dt.timedelta(days=n)       # distinct keys per row
            props = {"disclosure": disc, "share": share, "since": since, "until": until}
            links.append(RelRow(f"C{b}", f"F{f}", props))
            if sup is not None:
                period = {"since": since, "until": until}
                via.append(RelRow(f"C{b}", f"S{sup}", {**period, "disclosure": disc or "confidential"}))
                supplies.append(RelRow(f"S{sup}", f"F{f}", {**period, "buyer": f"C{b}",
                                                            "disclosure": disc or "confidential"}))
        w.merge_rels("SOURCES_FROM", "Company", "Factory", links)
        w.merge_rels("BUYS_VIA", "Company", "Supplier", via)
        w.merge_rels("SUPPLIES_FROM", "Supplier", "Factory", supplies)
        w.merge_rels("REPRESENTS", "Union", "Factory", [RelRow("U1", f"F{f}", {"has_cba": cba})
                                                        for f, cba in g["unions"]])
        w.merge_nodes("Grievance", [NodeRow(f"G{i}", {"risk": r, "filed_on": on, "status": st_})
                                    for i, (_, r, on, st_) in enumerate(g["grievances"])])
        w.merge_rels("CONCERNS", "Grievance", "Factory", [RelRow(f"G{i}", f"F{f}")
                                                          for i, (f, *_) in enumerate(g["grievances"])])


# ---------------------------------------------------------------------------
# answers as comparable values (otherBuyers aside: the one documented window)
# ---------------------------------------------------------------------------

def _ids(nodes: list[Any]) -> list[str]:
    return [n.id for n in nodes]


def _share(x: float | None) -> float | None:
    return None if x is None else round(x, 9)


def answers(store: GraphStore, viewer: Viewer, on: dt.date, impl: Any = core) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for cov in (None, "COV1", "COV2"):
        for country in (None, "BD"):
            for mb in (1, 2):
                out[f"shared {cov} {country} {mb}"] = [
                    (s.factory.id, _ids(s.buyers), s.buyer_count) for s in impl.shared_factories(
                        store, viewer, covenant_id=cov, country=country, min_buyers=mb, as_of=on)]
        for c in range(6):
            out[f"cobuyers C{c} {cov}"] = [(x.company.id, _ids(x.shared_factories), x.shared_count)
                                           for x in impl.co_buyers(store, viewer, company_id=f"C{c}",
                                                                   covenant_id=cov, as_of=on)]
        out[f"jao {cov}"] = [(o.factory.id, _ids(o.signatory_buyers), o.signatory_buyer_count,
                              _share(o.combined_share), round(o.score, 6), o.risk_level, _ids(o.open_grievances))
                             for o in impl.joint_action_opportunities(store, viewer, risk="living_wage",
                                                                      covenant_id=cov, first=50, as_of=on)]
    for f in range(8):
        lev = impl.factory_leverage(store, viewer, factory_id=f"F{f}", as_of=on)
        out[f"leverage F{f}"] = None if lev is None else (
            _ids(lev.buyers), _ids(lev.signatory_buyers), lev.buyer_count, lev.signatory_buyer_count,
            _share(lev.combined_share), [u.union.id for u in lev.unions], _ids(lev.ngos), _ids(lev.open_grievances))
    if impl is core:
        ov = analytics.country_overview(store, viewer, "BD", as_of=on)
        assert ov is not None
        out["overview"] = (ov.factory_count, ov.signatory_buyer_count, ov.shared_factory_count)
        net = analytics.co_buyer_network(store, viewer, as_of=on)
        out["network"] = (sorted((*tuple(sorted(e[:2])), e[2]["weight"]) for e in net.graph.edges(data=True)),
                          net.communities)
        for a, b in (("C0", "C1"), ("C2", "F3"), ("S0", "C4")):
            out[f"paths {a} {b}"] = [[n.id for n in p.nodes] for p in analytics.paths(store, viewer, a, b, as_of=on)]
        for label, ids, type_, direction in (("Factory", [f"F{i}" for i in range(8)], "SOURCES_FROM", "in"),
                                             ("Factory", [f"F{i}" for i in range(8)], "SUPPLIES_FROM", "in"),
                                             ("Company", [f"C{i}" for i in range(6)], "BUYS_VIA", "out"),
                                             ("Supplier", ["S0", "S1"], "SUPPLIES_FROM", "out")):
            found = neighbours(store, viewer, label, ids, type_, direction, as_of=on)
            out[f"navigate {label} {type_}"] = {k: sorted((e.node.id, str(e.get("since"))) for e in v)
                                                for k, v in found.items()}
    return out


def _differential(store: GraphStore, g: dict[str, Any], viewer: Viewer, on: dt.date) -> None:
    load(store, g)
    restricted = restricted_copy(dump(store), viewer, on)
    theirs = answers(restricted, SECRETARIAT, on)
    assert answers(store, viewer, on) == theirs
    # the index answers the secretariat's questions exactly as the Cypher / networkx reference does
    ref = answers(restricted, SECRETARIAT, on, reference)
    assert {k: theirs[k] for k in ref} == ref


PROPERTY = settings(max_examples=200, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.mark.slow
@given(g=graph_st, viewer=viewer_st, on=st.sampled_from(DAYS))
@PROPERTY
def test_every_answer_equals_the_secretariats_on_the_restricted_graph_embedded(
        g: dict[str, Any], viewer: Viewer, on: dt.date) -> None:
    from imvo.graph.embedded import EmbeddedStore
    _differential(EmbeddedStore(None), g, viewer, on)


@pytest.mark.neo4j
@pytest.mark.slow
@given(g=graph_st, viewer=viewer_st, on=st.sampled_from(DAYS))
@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_every_answer_equals_the_secretariats_on_the_restricted_graph_neo4j(
        neo4j_graph: GraphStore, g: dict[str, Any], viewer: Viewer, on: dt.date) -> None:
    _differential(neo4j_graph, g, viewer, on)


@pytest.fixture
def neo4j_graph(request: pytest.FixtureRequest) -> GraphStore:
    from conftest import _neo4j_holds, _neo4j_store
    store = _neo4j_store(request.getfixturevalue("neo4j_driver"))
    _neo4j_holds["dataset"] = None          # this test rewrites the database
    return store


def test_the_oracle_can_fail() -> None:
    """The differential check notices a leak: a store that answers from every link fails it."""
    from imvo.graph.embedded import EmbeddedStore
    g = {"links": [(0, 0, "confidential", 0.2, None, None, None), (1, 0, "public", 0.1, None, None, None)],
         "members": [(0, "COV1", None, None), (1, "COV1", None, None)], "unions": [], "grievances": []}
    store = EmbeddedStore(None)
    load(store, g)
    restricted = restricted_copy(dump(store), PUBLIC, D)
    assert answers(store, SECRETARIAT, D) != answers(restricted, SECRETARIAT, D)


# ---------------------------------------------------------------------------
# the attacks, on real datasets
# ---------------------------------------------------------------------------

def _rows(name: str, folder: Any = CONTRACT_DATASET) -> list[dict[str, str]]:
    with open(folder / name, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


_DUMPS: dict[int, Any] = {}


def _dump(store: GraphStore) -> Any:
    """The read-only datasets' dumps, once per store and version."""
    key = id(store)
    if key not in _DUMPS or _DUMPS[key][0] != store.version():
        _DUMPS[key] = (store.version(), dump(store))
    return _DUMPS[key][1]


def _visible_pairs(store: GraphStore, viewer: Viewer, on: dt.date) -> set[tuple[str, str]]:
    """(company, factory) pairs with an active link the viewer may see on ``on`` (the oracle)."""
    d = _dump(store)
    members = memberships(d)
    return {(a, b) for a, b, p in d.rels.get(("SOURCES_FROM", "Company", "Factory"), [])
            if sees(viewer, a, p.get("disclosure"), on, members)
            and (p.get("since") is None or p["since"] <= on) and (p.get("until") is None or on < p["until"])}


def _membership_changes(folder: Any) -> list[tuple[str, str, dt.date]]:
    out = []
    for r in _rows("covenant_parties.csv", folder):
        if r["role"] == "signatory" and r["party_id"].startswith("C"):
            for col in ("since", "until"):
                if r.get(col):
                    out.append((r["party_id"], r["covenant_id"], dt.date.fromisoformat(r[col])))
    return out


@pytest.fixture(params=["contract", "sample"])
def dataset(request: pytest.FixtureRequest, backend: str) -> tuple[GraphStore, Any]:
    if request.param == "contract":
        return request.getfixturevalue("contract_store"), CONTRACT_DATASET
    return request.getfixturevalue("sample_store"), SAMPLE_DIR


ROLES = [PUBLIC, viewer_for_role("company:C027"), viewer_for_role("company:C006")]


@pytest.mark.parametrize("viewer", ROLES, ids=str)
def test_differencing_by_membership_dates_names_nobody(dataset: tuple[GraphStore, Any], viewer: Viewer) -> None:
    """The attack: compare sharedFactories(covenant, minBuyers: 1) the day before and the day a
    signatory joined or left; a count that moved names that signatory's factories.  Every change the
    role sees must come from links it may see: the buyers it is shown on each side."""
    store, folder = dataset
    named: set[tuple[str, str]] = set()
    for company, cov, when in _membership_changes(folder):
        sides = []
        for d in (when - dt.timedelta(days=1), when):
            shown = {s.factory.id: (s.buyer_count, {b.id for b in s.buyers})
                     for s in core.shared_factories(store, viewer, covenant_id=cov, min_buyers=1, as_of=d)}
            allowed = _visible_pairs(store, viewer, d)
            for fid, (count, buyers) in shown.items():
                assert count == len(buyers) and {(b, fid) for b in buyers} <= allowed
            sides.append(shown)
        before, after = sides
        for fid in before.keys() | after.keys():
            n0, b0 = before.get(fid, (0, set()))
            n1, b1 = after.get(fid, (0, set()))
            if n0 != n1 and company not in b0 | b1 and b0 == b1:
                named.add((company, fid))        # the count moved, and not by a buyer the role is shown
    assert not named, sorted(named)[:10]


@pytest.mark.parametrize("viewer", ROLES, ids=str)
def test_counts_are_the_names_the_role_may_see(dataset: tuple[GraphStore, Any], viewer: Viewer) -> None:
    """Subtraction, covenants and countries: every count a role gets is the number of buyers it is
    shown, and every buyer shown is a link it may see -- so subtracting its own links from a count,
    or comparing covenants or countries, leaves nothing hidden to find."""
    store, folder = dataset
    allowed = _visible_pairs(store, viewer, D)
    covenants = sorted({r["covenant_id"] for r in _rows("covenant_parties.csv", folder)})
    countries = sorted({r["country"] for r in _rows("factories.csv", folder)})[:4]
    for cov in (None, *covenants):
        for country in (None, *countries):
            for s in core.shared_factories(store, viewer, covenant_id=cov, country=country, min_buyers=1, as_of=D):
                assert s.buyer_count == len(s.buyers)
                assert {(b.id, s.factory.id) for b in s.buyers} <= allowed
    for country in countries:
        ov = analytics.country_overview(store, viewer, country, as_of=D)
        assert ov is not None
        shown = core.shared_factories(store, viewer, country=country, min_buyers=1, as_of=D)
        assert ov.signatory_buyer_count == len({b.id for s in shown for b in s.buyers})
        assert ov.shared_factory_count == sum(1 for s in shown if s.buyer_count >= 2)


@pytest.mark.parametrize("viewer", ROLES, ids=str)
def test_shares_add_only_visible_links(dataset: tuple[GraphStore, Any], viewer: Viewer) -> None:
    """A buyer named through one public link adds only that link's share, never its hidden ones'."""
    store, _folder = dataset
    d = _dump(store)
    members = memberships(d)
    visible_share: dict[str, float] = defaultdict(float)
    signatory = {s for s, _, p in members if (p.get("since") is None or p["since"] <= D)
                 and (p.get("until") is None or p["until"] > D)}
    for a, b, p in d.rels[("SOURCES_FROM", "Company", "Factory")]:
        active = (p.get("since") is None or p["since"] <= D) and (p.get("until") is None or p["until"] > D)
        if active and a in signatory and p.get("share") is not None and sees(viewer, a, p.get("disclosure"), D,
                                                                             members):
            visible_share[b] += p["share"]
    for o in core.joint_action_opportunities(store, viewer, risk="living_wage", first=10_000, as_of=D):
        assert (o.combined_share or 0.0) == pytest.approx(visible_share.get(o.factory.id, 0.0), abs=1e-9)
    for fid in list(visible_share)[:40]:
        lev = core.factory_leverage(store, viewer, factory_id=fid, as_of=D)
        assert lev is not None and (lev.combined_share or 0.0) == pytest.approx(visible_share[fid], abs=1e-9)


def test_neighbouring_facts_are_hidden_with_their_link(store: GraphStore, tmp_path: Any) -> None:
    """A confidential sourcing row with a supplier: its BUYS_VIA and SUPPLIES_FROM (with the row's dates
    and source) are hidden from every role that may not see the link."""
    from imvo.ingest.canonical import ingest_dir
    files = {
        "companies.csv": "id,name,country,kind\nC1,Secret Buyer,NL,brand\nC2,Other,NL,brand\n",
        "suppliers.csv": "id,name,country,kind\nS1,Agent,BD,agent\n",
        "factories.csv": "id,name,country\nF1,Knit,BD\n",
        "sourcing.csv": "buyer_id,factory_id,supplier_id,since,disclosure,source\n"
                        "C1,F1,S1,2024-01-01,confidential,secret list 2024\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert ingest_dir(store, tmp_path).exit_code == 0
    for viewer in (PUBLIC, viewer_for_role("company:C2")):
        for label, id_, type_, direction in (("Factory", "F1", "SUPPLIES_FROM", "in"),
                                             ("Supplier", "S1", "SUPPLIES_FROM", "out"),
                                             ("Supplier", "S1", "BUYS_VIA", "in"),
                                             ("Company", "C1", "BUYS_VIA", "out"),
                                             ("Factory", "F1", "SOURCES_FROM", "in")):
            assert neighbours(store, viewer, label, [id_], type_, direction)[id_] == [], (viewer, type_)
        assert analytics.paths(store, viewer, "S1", "F1") == []
    for viewer in (SECRETARIAT, viewer_for_role("company:C1")):
        assert [e.node.id for e in neighbours(store, viewer, "Factory", ["F1"], "SUPPLIES_FROM", "in")["F1"]] == ["S1"]


# ---------------------------------------------------------------------------
# otherBuyers: the one window, and what differencing it gives
# ---------------------------------------------------------------------------

def test_other_buyers_is_null_until_published_then_banded(store: GraphStore) -> None:
    from imvo.queries.publish import BANDS, publish
    g = {"links": [(b, 0, "confidential", 0.1, None, None, None) for b in range(6)]
         + [(0, 1, "public", 0.1, None, None, None), (1, 1, "confidential", 0.1, None, None, None)],
         "members": [(b, "COV1", None, None) for b in range(6)], "unions": [], "grievances": []}
    load(store, g)
    me = viewer_for_role("company:C0")
    assert core.factory_leverage(store, me, factory_id="F0", as_of=D).other_buyers is None  # type: ignore[union-attr]
    publish(store, dt.date(2026, 3, 1))
    # all six signatories buy at F0: C0 cannot see the five others -- but five of five would name them:
    # at most half of the candidates is implied, so the band is 2; the public cannot see six of six: 3
    for d in (dt.date(2026, 3, 1), D, dt.date(2027, 1, 1)):       # constant across the snapshot's period
        assert core.factory_leverage(store, me, factory_id="F0", as_of=d).other_buyers == 2  # type: ignore[union-attr]
        assert core.factory_leverage(store, PUBLIC, factory_id="F0", as_of=d).other_buyers == 3  # type: ignore[union-attr]
    assert core.factory_leverage(store, SECRETARIAT, factory_id="F0", as_of=D).other_buyers == 0  # type: ignore[union-attr]
    # one hidden buyer is never indicated (F1: the company sees its own link; one other, hidden)
    assert core.factory_leverage(store, me, factory_id="F1", as_of=D).other_buyers is None  # type: ignore[union-attr]
    # before the snapshot's date: no snapshot applies
    assert core.factory_leverage(store, me, factory_id="F0", as_of=dt.date(2026, 2, 1)).other_buyers is None  # type: ignore[union-attr]
    values = {s.other_buyers for cov in (None, "COV1")
              for s in core.shared_factories(store, PUBLIC, covenant_id=cov, min_buyers=1, as_of=D)}
    assert values <= {None, *BANDS}


def test_other_buyers_never_implies_a_member_of_a_small_covenant(store: GraphStore) -> None:
    """Three signatories; C0 asks about a factory where both others buy: "at least two" would name them."""
    from imvo.queries.publish import publish
    g = {"links": [(0, 0, "confidential", None, None, None, None), (1, 0, "confidential", None, None, None, None),
                   (2, 0, "confidential", None, None, None, None)],
         "members": [(b, "COV1", None, None) for b in range(3)], "unions": [], "grievances": []}
    load(store, g)
    publish(store, D)
    lev = core.factory_leverage(store, viewer_for_role("company:C0"), factory_id="F0", as_of=D)
    assert lev is not None and lev.other_buyers is None


# ---------------------------------------------------------------------------
# the HTTP API, field by field
# ---------------------------------------------------------------------------

def _contract_visible() -> dict[str, set[tuple[str, str]]]:
    """(company, factory) pairs each role may see, from the contract files, on D."""
    rows = _rows("sourcing.csv")
    out: dict[str, set[tuple[str, str]]] = {"public": set(), "co27": set()}
    for r in rows:
        active = (not r["since"] or dt.date.fromisoformat(r["since"]) <= D) and \
                 (not r["until"] or dt.date.fromisoformat(r["until"]) > D)
        if not active:
            continue
        pair = (r["buyer_id"], r["factory_id"])
        if r["disclosure"] == "public":
            out["public"].add(pair)
            out["co27"].add(pair)
        if r["buyer_id"] == "C027":
            out["co27"].add(pair)
    return out


WALK = """
{
  factories(first: 1000) {
    nodes { id buyers(asOf: "2026-06-30") { company { id } factory { id } }
            suppliers { id } }
  }
  companies(first: 100) {
    nodes { id sourcing(asOf: "2026-06-30") { company { id } factory { id } } }
  }
}
"""


def _pairs(doc: object, acc: set[tuple[str, str]]) -> None:
    """Every object in the answer that holds both a company and a factory."""
    if isinstance(doc, dict):
        if isinstance(doc.get("company"), dict) and isinstance(doc.get("factory"), dict):
            acc.add((doc["company"]["id"], doc["factory"]["id"]))
        for v in doc.values():
            _pairs(v, acc)
    elif isinstance(doc, list):
        for v in doc:
            _pairs(v, acc)


@pytest.mark.parametrize("token", ["co27", None])
def test_http_api_never_reveals_a_hidden_link(contract_server: LiveServer, token: str | None) -> None:
    allowed = _contract_visible()["co27" if token else "public"]
    doc = contract_server.graphql(WALK, token)
    assert "errors" not in doc, doc.get("errors")
    seen: set[tuple[str, str]] = set()
    _pairs(doc["data"], seen)
    assert seen == allowed          # nothing more, and everything it may see is reachable by navigation
    q = ("{ sharedFactories(asOf: \"2026-06-30\", minBuyers: 1) { factory { id } buyers { id } buyerCount } "
         "jointActionOpportunities(risk: \"living_wage\", first: 500, asOf: \"2026-06-30\") "
         "{ factory { id } signatoryBuyers { id } signatoryBuyerCount } }")
    data = contract_server.graphql(q, token)["data"]
    for s in data["sharedFactories"]:
        assert {(b["id"], s["factory"]["id"]) for b in s["buyers"]} <= allowed
        assert s["buyerCount"] == len(s["buyers"])
    for o in data["jointActionOpportunities"]:
        assert {(b["id"], o["factory"]["id"]) for b in o["signatoryBuyers"]} <= allowed
        assert o["signatoryBuyerCount"] == len(o["signatoryBuyers"])
    for cid in ("C027", "C029", "C001", "C038"):
        cb = contract_server.graphql(
            f'{{ coBuyers(companyId: "{cid}", asOf: "2026-06-30") {{ company {{ id }} sharedFactories {{ id }} }} }}',
            token)["data"]["coBuyers"]
        for c in cb:
            for f in c["sharedFactories"]:
                assert (c["company"]["id"], f["id"]) in allowed and (cid, f["id"]) in allowed
    for fid in ("F0057", "F0136", "F0198", "F0153"):
        lev = contract_server.graphql(
            f'{{ factoryLeverage(factoryId: "{fid}", asOf: "2026-06-30") {{ buyers {{ id }} '
            f'signatoryBuyers {{ id }} buyerCount otherBuyers }} factoryInvestors(factoryId: "{fid}", '
            f'asOf: "2026-06-30") {{ buyer {{ id }} }} }}', token)["data"]
        names = {b["id"] for b in lev["factoryLeverage"]["buyers"] + lev["factoryLeverage"]["signatoryBuyers"]}
        assert {(c, fid) for c in names} <= allowed
        assert {(i["buyer"]["id"], fid) for i in lev["factoryInvestors"]} <= allowed
        assert lev["factoryLeverage"]["buyerCount"] == len({b["id"] for b in lev["factoryLeverage"]["buyers"]})


def test_unknown_token_is_refused(contract_server: LiveServer) -> None:
    import httpx
    r = httpx.post(contract_server.url + "/graphql", json={"query": "{ viewer }"},
                   headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401
    assert contract_server.graphql("{ viewer }", "co27")["data"]["viewer"] == "company:C027"
    assert contract_server.graphql("{ viewer }")["data"]["viewer"] == "public"
