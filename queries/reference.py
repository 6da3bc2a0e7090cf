"""Reference answers to the contract questions, one ReadQuery per question (Cypher on Neo4j,
Python over the embedded graph): the semantics :mod:`imvo.queries.core` computes on the leverage
index, kept to check it (tests/test_index.py compares both on generated graphs and both backends).

These functions compute the **secretariat's** answers (they count every link); an answer for
another role is, by docs/access.md, the secretariat's answer on the graph without the links that
role may not see -- which is how the tests use them.  Time semantics: a relationship is active
on ``as_of`` when ``since <= as_of < until``.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from imvo.graph.model import is_active
from imvo.graph.store import GraphStore, GraphView, ReadQuery

from . import args
from .access import Viewer
from .base import Node
from .core import (
    CoBuyer,
    FactoryLeverage,
    Opportunity,
    SharedFactory,
    _level_weight,
    factory_context,
    oldest_open_days,
    score_opportunity,
)
from .grievance_status import OPEN_CYPHER, is_open, status_in_view

__all__ = ["BuyerLink", "co_buyers", "factory_leverage", "joint_action_opportunities", "shared_factories"]


@dataclass(frozen=True)
class BuyerLink:
    """A buyer's active sourcing at one factory (its links folded together)."""

    company: Node
    disclosures: tuple[str, ...]
    shares: tuple[float, ...]
    covenants: tuple[str, ...] = ()   # covenants the buyer is an active signatory of

    @property
    def share(self) -> float | None:
        return sum(self.shares) if self.shares else None


# ---------------------------------------------------------------------------
# raw facts, one ReadQuery per question; the Cypher and the Python agree
# ---------------------------------------------------------------------------

_ACTIVE = "({r}.since IS NULL OR {r}.since <= $as_of) AND ({r}.until IS NULL OR $as_of < {r}.until)"


def _active(r: str) -> str:
    return _ACTIVE.format(r=r)


def _signatories(view: GraphView, covenant_id: str | None, as_of: dt.date) -> dict[str, set[str]]:
    """{company id: covenants it is an active signatory of}."""
    out: dict[str, set[str]] = defaultdict(set)
    covenants = ([covenant_id] if covenant_id else [c["id"] for c in view.nodes("Covenant")])
    for cid in covenants:
        for props, label, party in view.inc("Covenant", cid, "PARTY_TO"):
            if label == "Company" and props.get("role") == "signatory" and is_active(props, as_of):
                out[party["id"]].add(cid)
    return out


def _fold(links: Iterable[dict[str, Any]]) -> tuple[tuple[str, ...], tuple[float, ...]]:
    links = list(links)
    return (tuple(sorted(ln.get("disclosure") or "confidential" for ln in links)),
            tuple(ln["share"] for ln in links if ln.get("share") is not None))


def _shared_py(view: GraphView, *, covenant_id: str | None, country: str | None, as_of: dt.date,
               min_buyers: int) -> list[dict[str, Any]]:
    per_factory: dict[str, dict[str, Any]] = {}
    buyers: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for cid in _signatories(view, covenant_id, as_of):
        for props, _, factory in view.out("Company", cid, "SOURCES_FROM"):
            if is_active(props, as_of) and (country is None or factory.get("country") == country):
                per_factory[factory["id"]] = factory
                buyers[factory["id"]][cid].append(props)
    rows = []
    for fid, by in buyers.items():
        if len(by) >= min_buyers:
            rows.append({"factory": per_factory[fid],
                         "buyers": [[c, *map(list, _fold(ls))] for c, ls in by.items()]})
    return rows


# active signatory buyers per factory: the part both questions below share
_SIGNATORY_BUYERS = f"""
MATCH (c:Company)-[p:PARTY_TO]->(cov:Covenant)
WHERE p.role = 'signatory' AND ($covenant_id IS NULL OR cov.id = $covenant_id) AND {_active('p')}
WITH DISTINCT c
MATCH (c)-[s:SOURCES_FROM]->(f:Factory)
WHERE {_active('s')} AND ($country IS NULL OR f.country = $country)
WITH f, c.id AS cid, collect(coalesce(s.disclosure, 'confidential')) AS disclosures, collect(s.share) AS shares
WITH f, collect([cid, disclosures, shares]) AS buyers
"""

# One row per shared factory; a buyer is [company id, disclosures, shares] and the
# companies' properties are read once for all rows (COMPANIES), instead of once per
# (factory, buyer) pair: a covenant-wide answer on 100k factories repeated ~115k
# company maps, most of the bytes on the wire and of the decoding time.
SHARED = ReadQuery("shared_factories", _SIGNATORY_BUYERS + """WHERE size(buyers) >= $min_buyers
RETURN f {.*} AS factory, buyers
""", _shared_py)


# The same question for one country: starting from the country's factories (the
# factory_country index) reads only that country's links instead of every
# signatory's (a planner cannot use the index under `$country IS NULL OR ...`).
SHARED_IN_COUNTRY = ReadQuery("shared_factories_in_country", f"""
MATCH (f:Factory {{country: $country}})<-[s:SOURCES_FROM]-(c:Company)
WHERE {_active('s')}
  AND EXISTS {{
    MATCH (c)-[p:PARTY_TO]->(cov:Covenant)
    WHERE p.role = 'signatory' AND ($covenant_id IS NULL OR cov.id = $covenant_id) AND {_active('p')}
  }}
WITH f, c.id AS cid, collect(coalesce(s.disclosure, 'confidential')) AS disclosures, collect(s.share) AS shares
WITH f, collect([cid, disclosures, shares]) AS buyers
WHERE size(buyers) >= $min_buyers
RETURN f {{.*}} AS factory, buyers
""", _shared_py)


def _companies_py(view: GraphView, *, ids: Sequence[str]) -> list[dict[str, Any]]:
    return [{"company": c} for c in (view.node("Company", i) for i in ids) if c is not None]


COMPANIES = ReadQuery("companies", """
UNWIND $ids AS cid
MATCH (c:Company {id: cid})
RETURN c {.*} AS company
""", _companies_py)


def _shared_rows(store: GraphStore, **params: Any) -> list[tuple[dict[str, Any], list[BuyerLink]]]:
    """SHARED with each buyer as a BuyerLink (ordered by company id), companies read once."""
    rows = store.read(SHARED if params.get("country") is None else SHARED_IN_COUNTRY, **params)
    ids = sorted({b[0] for r in rows for b in r["buyers"]})
    companies = {c["company"]["id"]: Node.of("Company", c["company"])
                 for c in (store.read(COMPANIES, ids=ids) if ids else [])}
    return [(r["factory"], sorted((BuyerLink(companies[b[0]], tuple(sorted(b[1])), tuple(sorted(b[2])))
                                   for b in r["buyers"]), key=lambda b: b.company.id))
            for r in rows]


def _company_covenants(view: GraphView, company_id: str, as_of: dt.date) -> set[str]:
    """Covenants the company is an active signatory of (one company's part of :func:`_signatories`)."""
    return {cov["id"] for props, label, cov in view.out("Company", company_id, "PARTY_TO")
            if label == "Covenant" and props.get("role") == "signatory" and is_active(props, as_of)}


def _factory_buyers_py(view: GraphView, *, ids: Sequence[str], as_of: dt.date) -> list[dict[str, Any]]:
    rows = []
    for fid in ids:
        factory = view.node("Factory", fid)
        if factory is None:
            continue
        by: dict[str, list[dict[str, Any]]] = defaultdict(list)
        companies: dict[str, dict[str, Any]] = {}
        for props, _, company in view.inc("Factory", fid, "SOURCES_FROM"):
            if is_active(props, as_of):
                by[company["id"]].append(props)
                companies[company["id"]] = company
        rows.append({"factory": factory, "buyers": [
            {"company": companies[c], "disclosures": list(_fold(ls)[0]), "shares": list(_fold(ls)[1]),
             "covenants": sorted(_company_covenants(view, c, as_of))} for c, ls in by.items()]})
    return rows


FACTORY_BUYERS = ReadQuery("factory_buyers", f"""
UNWIND $ids AS fid
MATCH (f:Factory {{id: fid}})
OPTIONAL MATCH (c:Company)-[s:SOURCES_FROM]->(f) WHERE {_active('s')}
WITH f, c, collect(coalesce(s.disclosure, 'confidential')) AS disclosures, collect(s.share) AS shares
WITH f, collect(CASE WHEN c IS NULL THEN NULL ELSE {{
  company: c {{.*}}, disclosures: disclosures, shares: shares,
  covenants: [(c)-[p:PARTY_TO]->(cv:Covenant) WHERE p.role = 'signatory' AND {_active('p')} | cv.id]
}} END) AS buyers
RETURN f {{.*}} AS factory, buyers
""", _factory_buyers_py)


def _joint_py(view: GraphView, *, covenant_id: str | None, country: str | None, as_of: dt.date,
              risk: str) -> list[dict[str, Any]]:
    rows = []
    for r in _shared_py(view, covenant_id=covenant_id, country=country, as_of=as_of, min_buyers=2):
        fid = r["factory"]["id"]
        rows.append({
            "id": fid, "country": r["factory"].get("country"), "buyers": r["buyers"],
            "union_cba": [p.get("has_cba") for p, _, _ in view.inc("Factory", fid, "REPRESENTS")],
            "grievances": sum(1 for _, _, g in view.inc("Factory", fid, "CONCERNS")
                              if is_open(status_in_view(view, g)) and g.get("filed_on") is not None
                              and g["filed_on"] <= as_of and g.get("risk") == risk)})
    return rows


# What jointActionOpportunities needs to rank every candidate (the shared factories):
# the counts that enter the score, without the factories' or companies' properties.
# Those, and the full context, are then read for the `first` ranked factories only.
JOINT_CANDIDATES = ReadQuery("joint_candidates", _SIGNATORY_BUYERS + f"""
WHERE size(buyers) >= 2
RETURN f.id AS id, f.country AS country, buyers,
  [(:Union)-[r:REPRESENTS]->(f) | r.has_cba] AS union_cba,
  size([(g:Grievance)-[:CONCERNS]->(f) WHERE g.filed_on <= $as_of AND g.risk = $risk AND {OPEN_CYPHER} | 1])
    AS grievances
""", _joint_py)


def _country_risk_py(view: GraphView, *, risk: str) -> list[dict[str, Any]]:
    levels: dict[str, list[str]] = defaultdict(list)
    for _, country, props, _, r in view.edges("HAS_RISK"):
        if r["id"] == risk:
            levels[country["id"]].append(props["level"])
    return [{"country": c, "levels": ls} for c, ls in levels.items()]


COUNTRY_RISK = ReadQuery("country_risk", """
MATCH (co:Country)-[h:HAS_RISK]->(:Risk {id: $risk})
RETURN co.id AS country, collect(h.level) AS levels
""", _country_risk_py)


def _factories_py(view: GraphView, *, ids: Sequence[str]) -> list[dict[str, Any]]:
    return [{"factory": f} for f in (view.node("Factory", i) for i in ids) if f is not None]


FACTORIES = ReadQuery("factories", """
UNWIND $ids AS fid
MATCH (f:Factory {id: fid})
RETURN f {.*} AS factory
""", _factories_py)


def _cobuyers_py(view: GraphView, *, company_id: str, covenant_id: str | None,
                 as_of: dt.date) -> list[dict[str, Any]]:
    signatory = _signatories(view, covenant_id, as_of)
    own: dict[str, list[dict[str, Any]]] = defaultdict(list)
    factories: dict[str, dict[str, Any]] = {}
    for props, _, f in view.out("Company", company_id, "SOURCES_FROM"):
        if is_active(props, as_of):
            own[f["id"]].append(props)
            factories[f["id"]] = f
    rows = []
    for fid, mine in own.items():
        other: dict[str, list[dict[str, Any]]] = defaultdict(list)
        companies: dict[str, dict[str, Any]] = {}
        for props, _, c in view.inc("Factory", fid, "SOURCES_FROM"):
            if c["id"] != company_id and c["id"] in signatory and is_active(props, as_of):
                other[c["id"]].append(props)
                companies[c["id"]] = c
        for cid, links in other.items():
            rows.append({"company": companies[cid], "factory": factories[fid],
                         "own": list(_fold(mine)[0]), "other": list(_fold(links)[0])})
    return rows


COBUYERS = ReadQuery("co_buyers", f"""
MATCH (me:Company {{id: $company_id}})-[s1:SOURCES_FROM]->(f:Factory)<-[s2:SOURCES_FROM]-(o:Company)
WHERE o <> me AND {_active('s1')} AND {_active('s2')}
  AND EXISTS {{
    MATCH (o)-[p:PARTY_TO]->(cv:Covenant)
    WHERE p.role = 'signatory' AND ($covenant_id IS NULL OR cv.id = $covenant_id) AND {_active('p')}
  }}
WITH o, f, collect(DISTINCT coalesce(s1.disclosure, 'confidential')) AS own,
     collect(coalesce(s2.disclosure, 'confidential')) AS other
RETURN o {{.*}} AS company, f {{.*}} AS factory, own, other
""", _cobuyers_py)


# ---------------------------------------------------------------------------
# the questions
# ---------------------------------------------------------------------------

def _buyer_links(rows: list[dict[str, Any]]) -> list[BuyerLink]:
    return sorted((BuyerLink(Node.of("Company", b["company"]), tuple(sorted(b["disclosures"])),
                             tuple(sorted(b["shares"])), tuple(sorted(b.get("covenants") or ())))
                   for b in rows), key=lambda b: b.company.id)


def _visible(viewer: Viewer, links: Iterable[BuyerLink]) -> list[Node]:
    return [b.company for b in links if viewer.sees_any(b.company.id, b.disclosures)]


def shared_factories(store: GraphStore, viewer: Viewer, *, covenant_id: str | None = None,
                     country: str | None = None, min_buyers: int = 2,
                     as_of: dt.date | None = None) -> list[SharedFactory]:
    """Factories where at least ``min_buyers`` active signatories have an active sourcing link.

    Ordered by buyer count descending, then factory id.  ``buyer_count``
    counts all such buyers; ``buyers`` names only those the viewer may see.
    """
    as_of = args.as_of(as_of)
    covenant_id, country = args.covenant(store, covenant_id), args.country(country)
    rows = _shared_rows(store, covenant_id=covenant_id, country=country, as_of=as_of,
                        min_buyers=args.min_buyers(min_buyers))
    out = []
    for factory, links in rows:
        out.append(SharedFactory(Node.of("Factory", factory), _visible(viewer, links), len(links)))
    out.sort(key=lambda s: (-s.buyer_count, s.factory.id))
    return out


def co_buyers(store: GraphStore, viewer: Viewer, *, company_id: str, covenant_id: str | None = None,
              as_of: dt.date | None = None) -> list[CoBuyer]:
    """Other signatory companies sharing at least one active factory with ``company_id``.

    For a viewer other than the secretariat a shared factory counts only when
    both links there are visible to it, so no confidential link is revealed.
    Ordered by shared count descending, then company id.
    """
    as_of = args.as_of(as_of)
    company_id, covenant_id = args.company(store, company_id), args.covenant(store, covenant_id)
    rows = store.read(COBUYERS, company_id=company_id, covenant_id=covenant_id, as_of=as_of)
    shared: dict[str, list[Node]] = defaultdict(list)
    companies: dict[str, Node] = {}
    for r in rows:
        other = Node.of("Company", r["company"])
        if not (viewer.sees_any(company_id, r["own"]) and viewer.sees_any(other.id, r["other"])):
            continue
        companies[other.id] = other
        shared[other.id].append(Node.of("Factory", r["factory"]))
    out = [CoBuyer(companies[c], sorted(fs, key=lambda f: f.id), len(fs)) for c, fs in shared.items()]
    out.sort(key=lambda c: (-c.shared_count, c.company.id))
    return out


def _combined(viewer: Viewer, links: Iterable[BuyerLink]) -> float | None:
    """Sum of the known shares of the buyers whose link the viewer may see."""
    shares = [b.share for b in links if b.share is not None and viewer.sees_any(b.company.id, b.disclosures)]
    return round(sum(shares), 10) if shares else None


def factory_leverage(store: GraphStore, viewer: Viewer, *, factory_id: str,
                     as_of: dt.date | None = None) -> FactoryLeverage | None:
    """A factory's buyers, signatory buyers, their combined share, unions, NGOs and open grievances.

    ``None`` for an unknown factory.  A viewer other than the secretariat sees
    only buyers with a visible link, and ``combined_share`` sums only their
    shares; the counts cover all buyers.
    """
    as_of = args.as_of(as_of)
    rows = store.read(FACTORY_BUYERS, ids=[factory_id], as_of=as_of)
    if not rows:
        return None
    links = _buyer_links(rows[0]["buyers"])
    signatory = [b for b in links if b.covenants]
    ctx = factory_context(store, [factory_id], as_of=as_of)[factory_id]
    return FactoryLeverage(Node.of("Factory", rows[0]["factory"]), _visible(viewer, links),
                           _visible(viewer, signatory), len(links), len(signatory),
                           _combined(viewer, signatory), ctx.unions, ctx.ngos, ctx.open_grievances,
                           organisations=ctx.organisations,
                           oldest_open_grievance_days=oldest_open_days(ctx.open_grievances, as_of))


def joint_action_opportunities(store: GraphStore, viewer: Viewer, *, risk: str,
                               covenant_id: str | None = None, country: str | None = None,
                               first: int = 20, as_of: dt.date | None = None) -> list[Opportunity]:
    """Factories with at least two signatory buyers, ranked by :func:`score_opportunity`.

    Ties are broken by factory id.  The score uses the shares the viewer may
    see, so it never encodes a hidden buyer's share.
    """
    as_of = args.as_of(as_of)
    risk, first = args.risk(risk), args.first(first, 10**9)
    covenant_id, country = args.covenant(store, covenant_id), args.country(country)
    candidates = store.read(JOINT_CANDIDATES, covenant_id=covenant_id, country=country, as_of=as_of, risk=risk)
    levels = {r["country"]: r["levels"] for r in store.read(COUNTRY_RISK, risk=risk)} if candidates else {}
    ranked = []
    for r in candidates:
        links = sorted((BuyerLink(Node("Company", b[0]), tuple(sorted(b[1])), tuple(sorted(b[2])))
                        for b in r["buyers"]), key=lambda b: b.company.id)
        level_list = levels.get(r["country"])
        level = max(level_list, key=_level_weight) if level_list else None
        score = score_opportunity(len(links), _combined(viewer, links), level, r["grievances"],
                                  len(r["union_cba"]), any(r["union_cba"]))
        ranked.append((-score, r["id"], score, links))
    ranked.sort(key=lambda x: (x[0], x[1]))
    top = ranked[:max(first, 0)]
    if not top:
        return []
    ids = [t[1] for t in top]
    factories = {r["factory"]["id"]: r["factory"] for r in store.read(FACTORIES, ids=ids)}
    buyer_ids = sorted({b.company.id for t in top for b in t[3]})
    companies = {r["company"]["id"]: Node.of("Company", r["company"])
                 for r in store.read(COMPANIES, ids=buyer_ids)}
    ctx = factory_context(store, ids, as_of=as_of, risk=risk)
    out = []
    for _, fid, score, links in top:
        c = ctx[fid]
        links = [BuyerLink(companies[b.company.id], b.disclosures, b.shares) for b in links]
        griev = [g for g in c.open_grievances if g.props.get("risk") == risk]
        out.append(Opportunity(Node.of("Factory", factories[fid]), _visible(viewer, links), len(links),
                               _combined(viewer, links), c.risk_levels.get(risk), griev, c.unions, c.ngos,
                               score, c.organisations, oldest_open_days(griev, as_of)))
    return out
