"""Confidential sourcing links never reach a viewer who may not see them (docs/access.md).

Two layers of proof: property-based tests over generated graphs at the query
layer (every function, every role), and the real HTTP API on the contract
dataset, walking every field that can tie a company to a factory.
"""
from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict

import pytest
from conftest import CONTRACT_DATASET, LiveServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imvo.graph.embedded import EmbeddedStore
from imvo.graph.store import NodeRow, RelRow
from imvo.queries import analytics, core
from imvo.queries.access import PUBLIC, SECRETARIAT, Viewer, viewer_for_role
from imvo.queries.navigate import neighbours

D = dt.date(2026, 6, 30)

# a link: (buyer index, factory index, public?, share or None, active?)
links_st = st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5), st.booleans(),
                              st.one_of(st.none(), st.floats(0, 0.5)), st.booleans()),
                    min_size=1, max_size=30)


def build(links: list, signatories: list[bool], investors: list[tuple[int, int]]) -> EmbeddedStore:
    s = EmbeddedStore(None)
    with s.writer() as w:
        w.merge_nodes("Covenant", [NodeRow("COV", {"name": "Cov", "sector": "x", "signed_on": dt.date(2016, 1, 1)})])
        w.merge_nodes("Company", [NodeRow(f"C{i}", {"name": f"Co {i}", "country": "NL", "kind": "brand"})
                                  for i in range(6)] + [NodeRow("BANK", {"name": "Bank", "country": "NL",
                                                                         "kind": "bank"})])
        w.merge_nodes("Factory", [NodeRow(f"F{i}", {"name": f"Fa {i}", "country": "BD"}) for i in range(6)])
        w.merge_rels("PARTY_TO", "Company", "Covenant",
                     [RelRow(f"C{i}", "COV", {"role": "signatory"}) for i, yes in enumerate(signatories) if yes])
        rows = []
        for n, (b, f, public, share, active) in enumerate(links):
            since = dt.date(2020, 1, 1) + dt.timedelta(days=n)      # distinct periods, never duplicates
            rows.append(RelRow(f"C{b}", f"F{f}", {"disclosure": "public" if public else "confidential",
                                                  "share": share, "since": since,
                                                  "until": None if active else dt.date(2021, 1, 1) + dt.timedelta(days=n)}))
        w.merge_rels("SOURCES_FROM", "Company", "Factory", rows)
        w.merge_rels("INVESTS_IN", "Company", "Company", [RelRow("BANK", f"C{c}", {"kind": "loan"}) for _, c in investors])
    return s


def allowed_pairs(store: EmbeddedStore, viewer: Viewer) -> set[tuple[str, str]]:
    """(company, factory) pairs the viewer may see: any link of the pair visible to it."""
    out = set()
    for _, c, props, _, f in _edges(store):
        if viewer.sees_link(c["id"], props.get("disclosure")):
            out.add((c["id"], f["id"]))
    return out


def _edges(store: EmbeddedStore):  # type: ignore[no-untyped-def]
    from imvo.graph.embedded import _View
    return _View(store._snap).edges("SOURCES_FROM")


VIEWERS = [PUBLIC, viewer_for_role("company:C0"), viewer_for_role("company:C3")]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(links=links_st, signatories=st.lists(st.booleans(), min_size=6, max_size=6),
       investors=st.lists(st.tuples(st.just(0), st.integers(0, 5)), max_size=3))
def test_no_query_reveals_a_hidden_link(links: list, signatories: list[bool], investors: list) -> None:
    store = build(links, signatories, investors)
    for viewer in VIEWERS:
        ok = allowed_pairs(store, viewer)
        secret = {s.factory.id: s for s in core.shared_factories(store, SECRETARIAT, min_buyers=1, as_of=D)}
        for s in core.shared_factories(store, viewer, min_buyers=1, as_of=D):
            assert s.buyer_count == secret[s.factory.id].buyer_count           # counts are for everyone
            assert {(b.id, s.factory.id) for b in s.buyers} <= ok
        for i in range(6):
            for cb in core.co_buyers(store, viewer, company_id=f"C{i}", as_of=D):
                for f in cb.shared_factories:
                    assert (cb.company.id, f.id) in ok and (f"C{i}", f.id) in ok
                assert cb.shared_count == len(cb.shared_factories)
            lev = core.factory_leverage(store, viewer, factory_id=f"F{i}", as_of=D)
            assert lev is not None
            assert {(b.id, f"F{i}") for b in lev.buyers + lev.signatory_buyers} <= ok
            full = core.factory_leverage(store, SECRETARIAT, factory_id=f"F{i}", as_of=D)
            assert full is not None and lev.buyer_count == full.buyer_count
            visible_shares = [s for _, c, p, _, f in _edges(store)
                              if f["id"] == f"F{i}" and p.get("share") is not None and p.get("until") is None
                              and c["id"] in {b.id for b in lev.signatory_buyers}
                              for s in [p["share"]]]
            if lev.combined_share is not None:
                assert lev.combined_share == pytest.approx(sum(visible_shares), abs=1e-9)
            for inv in analytics.factory_investors(store, viewer, f"F{i}", as_of=D):
                assert (inv.company.id, f"F{i}") in ok
            for label, direction in (("Factory", "in"),):
                for e in neighbours(store, viewer, label, [f"F{i}"], "SOURCES_FROM", direction)[f"F{i}"]:
                    assert (e.node.id, f"F{i}") in ok
            for e in neighbours(store, viewer, "Company", [f"C{i}"], "SOURCES_FROM", "out")[f"C{i}"]:
                assert (f"C{i}", e.node.id) in ok
        for o in core.joint_action_opportunities(store, viewer, risk="living_wage", as_of=D):
            assert {(b.id, o.factory.id) for b in o.signatory_buyers} <= ok
        net = analytics.co_buyer_network(store, viewer, as_of=D)
        for a, b in net.graph.edges:
            shared = {f for (c, f) in ok if c == a} & {f for (c, f) in ok if c == b}
            assert shared, (a, b)
        for p in analytics.paths(store, viewer, "C0", "C5", max_hops=4, as_of=D):
            for x, y, rel in zip(p.nodes, p.nodes[1:], p.rels):
                if rel == "SOURCES_FROM":
                    pair = (x.id, y.id) if x.label == "Company" else (y.id, x.id)
                    assert pair in ok


# ---------------------------------------------------------------------------
# the real HTTP API on the contract dataset
# ---------------------------------------------------------------------------

def _contract_visible() -> dict[str, set[tuple[str, str]]]:
    with open(CONTRACT_DATASET / "sourcing.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    out: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for r in rows:
        pair = (r["buyer_id"], r["factory_id"])
        out["secretariat"].add(pair)
        if r["disclosure"] == "public":
            out["public"].add(pair)
            out["co27"].add(pair)
        if r["buyer_id"] == "C027":
            out["co27"].add(pair)
    return out


WALK = """
query($after: String) {
  factories(first: 1000, after: $after) {
    nodes { id buyers { company { id } factory { id } disclosure } suppliers { id buyers { id } } }
  }
  companies(first: 100) {
    nodes { id sourcing { company { id } factory { id } } suppliers { id factories { factory { id } } } }
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
    assert seen and seen <= allowed
    assert seen == allowed          # and everything it may see is reachable by navigation
    # the contract questions, factory by factory
    q = ("{ sharedFactories(asOf: \"2026-06-30\", minBuyers: 1) { factory { id } buyers { id } buyerCount } "
         "jointActionOpportunities(risk: \"living_wage\", first: 500, asOf: \"2026-06-30\") "
         "{ factory { id } signatoryBuyers { id } } }")
    data = contract_server.graphql(q, token)["data"]
    for s in data["sharedFactories"]:
        assert {(b["id"], s["factory"]["id"]) for b in s["buyers"]} <= allowed
    for o in data["jointActionOpportunities"]:
        assert {(b["id"], o["factory"]["id"]) for b in o["signatoryBuyers"]} <= allowed
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
            f'signatoryBuyers {{ id }} buyerCount }} factoryInvestors(factoryId: "{fid}", asOf: "2026-06-30") '
            f'{{ buyer {{ id }} }} }}', token)["data"]
        names = {b["id"] for b in lev["factoryLeverage"]["buyers"] + lev["factoryLeverage"]["signatoryBuyers"]}
        assert {(c, fid) for c in names} <= allowed
        assert {(i["buyer"]["id"], fid) for i in lev["factoryInvestors"]} <= allowed
        assert lev["factoryLeverage"]["buyerCount"] >= len(names)


def test_unknown_token_is_refused(contract_server: LiveServer) -> None:
    import httpx
    r = httpx.post(contract_server.url + "/graphql", json={"query": "{ viewer }"},
                   headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401
    assert contract_server.graphql("{ viewer }", "co27")["data"]["viewer"] == "company:C027"
    assert contract_server.graphql("{ viewer }")["data"]["viewer"] == "public"
