"""The contract questions (README.md#graphql) on the leverage index, as each role may see them.

Every answer for a viewer is computed from the sourcing links that viewer may
see on the date asked (docs/access.md): exactly the secretariat's answer on a
graph without the other links.  The links are the leverage index's arrays
(:mod:`imvo.queries.leverage`), the role a mask over them; names and other
properties are read from the store only for the rows handed out.  The one
window onto hidden buyers is ``other_buyers``, an estimate from a published
snapshot (:mod:`imvo.queries.publish`).

Time semantics: a relationship is active on ``as_of`` when ``since <= as_of < until``.
:mod:`imvo.queries.reference` answers the same questions with Cypher and
networkx over the store; the test suite checks both agree.
"""
from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from imvo.graph.model import RISKS
from imvo.graph.store import GraphStore, GraphView, ReadQuery
from imvo.kernel import audit

from . import args
from .access import Viewer
from .base import Node, nodes_by_ids, nodes_by_ids_checked
from .grievance_status import OPEN_CYPHER, is_open, status_in_view
from .leverage import LEVELS, LeverageIndex, day, index_for, last_index

__all__ = [
    "RISK_LEVEL_WEIGHT",
    "CoBuyer",
    "FactoryContext",
    "FactoryLeverage",
    "Node",
    "Opportunity",
    "Shared",
    "SharedFactory",
    "SharedPage",
    "UnionPresence",
    "co_buyers",
    "country_parties",
    "factory_context",
    "factory_leverage",
    "joint_action_opportunities",
    "oldest_open_days",
    "score_opportunity",
    "shared_factories",
    "shared_factories_page",
    "shared_rows",
]

I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class SharedFactory:
    factory: Node
    buyers: list[Node]
    buyer_count: int
    other_buyers: int | None = None      # the published estimate of buyers the viewer cannot see


@dataclass(frozen=True)
class SharedPage:
    """One page of a sharedFactories answer: ``total`` rows in all, ``items`` from ``offset``."""

    items: list[SharedFactory]
    total: int
    offset: int


@dataclass(frozen=True)
class CoBuyer:
    company: Node
    shared_factories: list[Node]
    shared_count: int


@dataclass(frozen=True)
class UnionPresence:
    union: Node
    members: int | None
    has_cba: bool | None


@dataclass(frozen=True)
class FactoryContext:
    factory_id: str
    unions: list[UnionPresence]
    ngos: list[Node]
    open_grievances: list[Node]
    risk_levels: dict[str, str]
    organisations: list[Node] = field(default_factory=list)


@dataclass(frozen=True)
class FactoryLeverage:
    factory: Node
    buyers: list[Node]
    signatory_buyers: list[Node]
    buyer_count: int
    signatory_buyer_count: int
    combined_share: float | None
    unions: list[UnionPresence]
    ngos: list[Node]
    open_grievances: list[Node]
    other_buyers: int | None = None
    organisations: list[Node] = field(default_factory=list)   # active in the country, embassies first
    oldest_open_grievance_days: int | None = None


@dataclass(frozen=True)
class Opportunity:
    factory: Node
    signatory_buyers: list[Node]
    signatory_buyer_count: int
    combined_share: float | None
    risk_level: str | None
    open_grievances: list[Node]
    unions: list[UnionPresence]
    ngos: list[Node]
    score: float
    organisations: list[Node] = field(default_factory=list)   # active in the country, embassies first
    oldest_open_grievance_days: int | None = None              # of the open grievances about the risk
    active_projects: list[Node] = field(default_factory=list)  # active projects addressing the risk there
    monthly_gap_eur: float | None = None                      # the living-wage bill (queries.projects)


# ---------------------------------------------------------------------------
# the context of factories (names of unions, NGOs, grievances): read for the rows handed out
# ---------------------------------------------------------------------------

def _context_py(view: GraphView, *, ids: Sequence[str], as_of: dt.date,
                risk: str | None) -> list[dict[str, Any]]:
    rows = []
    by_country: dict[str, list[str]] = {}   # once per country
    for fid in ids:
        factory = view.node("Factory", fid)
        if factory is None:
            continue
        country = str(factory.get("country") or "")
        if country not in by_country:
            by_country[country] = [p["level"] for p, _, r in view.out("Country", country, "HAS_RISK")
                                   if r["id"] == risk]
        levels = by_country[country]
        unions = [{"union": u, "members": p.get("members"), "has_cba": p.get("has_cba")}
                  for p, _, u in view.inc("Factory", fid, "REPRESENTS")]
        griev = [g for _, _, g in view.inc("Factory", fid, "CONCERNS")
                 if g.get("filed_on") is not None and g["filed_on"] <= as_of and is_open(status_in_view(view, g))]
        rows.append({"id": fid, "country": factory.get("country"), "unions": unions, "grievances": griev,
                     "risk_levels": list(levels)})
    return rows


CONTEXT = ReadQuery("factory_context", f"""
UNWIND $ids AS fid
MATCH (f:Factory {{id: fid}})
RETURN f.id AS id, f.country AS country,
  [(u:Union)-[r:REPRESENTS]->(f) | {{union: u {{.*}}, members: r.members, has_cba: r.has_cba}}] AS unions,
  [(g:Grievance)-[:CONCERNS]->(f) WHERE g.filed_on <= $as_of AND {OPEN_CYPHER} | g {{.*}}] AS grievances,
  [(:Country {{id: f.country}})-[h:HAS_RISK]->(k:Risk) WHERE k.id = $risk | h.level] AS risk_levels
""", _context_py)


# ---------------------------------------------------------------------------
# NGOs and organisations active in a country: read once per store version, looked up per country
# (walking a country's relationships for every factory asked was most of factoryLeverage's time)
# ---------------------------------------------------------------------------

def _active_in_py(view: GraphView) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for label in ("NGO", "Organisation"):
        cols = view.edge_columns("ACTIVE_IN", [], source=label)
        props = nodes_of(view, label, cols["start"])
        rows.extend({"country": c, "label": label, "n": props[i]}
                    for i, c in zip(cols["start"], cols["end"], strict=True) if i in props)
    rows.sort(key=lambda r: (r["label"], r["country"], r["n"]["id"]))
    return rows


def nodes_of(view: GraphView, label: str, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    return {i: n for i in dict.fromkeys(ids) if (n := view.node(label, i)) is not None}


ACTIVE_IN = ReadQuery("active_in_countries", """
MATCH (n:NGO|Organisation)-[:ACTIVE_IN]->(c:Country)
WITH c.id AS country, labels(n)[0] AS label, n
RETURN country, label, n {.*} AS n ORDER BY label, country, n.id
""", _active_in_py)


@dataclass(frozen=True)
class CountryParties:
    version: int
    ngos: dict[str, list[Node]]
    organisations: dict[str, list[Node]]


_PARTIES: weakref.WeakKeyDictionary[GraphStore, CountryParties] = weakref.WeakKeyDictionary()


def _org_order(n: Node) -> tuple[int, str, str]:
    """Embassies first (the covenants' 'embassy that talks to the national government'), then by name."""
    return (0 if n.props.get("kind") == "embassy" else 1, str(n.name or "").lower(), n.id)


def country_parties(store: GraphStore, version: int | None = None) -> CountryParties:
    """NGOs (by id) and organisations (embassies first, then by name) active in each country, for the
    store's current version (one read per version, kept like the leverage index).

    ``version``: the store's version as the caller has just checked it (the leverage index's), which
    saves the round trip of checking it again within one answer."""
    cached = _PARTIES.get(store)
    if version is not None and cached is not None and cached.version == version:
        return cached
    version = store.version()
    if cached is not None and cached.version == version:
        return cached
    ngos: dict[str, dict[str, Node]] = {}
    orgs: dict[str, dict[str, Node]] = {}
    for r in store.read(ACTIVE_IN):
        into = ngos if r["label"] == "NGO" else orgs
        into.setdefault(str(r["country"]), {})[r["n"]["id"]] = Node.of(r["label"], r["n"])
    built = CountryParties(
        version,
        {c: sorted(v.values(), key=lambda n: n.id) for c, v in ngos.items()},
        {c: sorted(v.values(), key=_org_order) for c, v in orgs.items()})
    if store.version() == version:
        _PARTIES[store] = built
    return built


RISK_LEVEL_WEIGHT = LEVELS


def _level_weight(level: str) -> int:
    return RISK_LEVEL_WEIGHT.get(level, 0)


def factory_context(store: GraphStore, ids: Sequence[str], *, as_of: dt.date,
                    risk: str | None = None, version: int | None = None) -> dict[str, FactoryContext]:
    """Unions, NGOs active in the country, open grievances and a risk level, for many factories
    (``version``: as for :func:`country_parties`)."""
    if not ids:
        return {}
    return _context_of(store, store.read(CONTEXT, ids=list(ids), as_of=as_of, risk=risk), risk, version)


def _context_of(store: GraphStore, rows: list[dict[str, Any]], risk: str | None,
                version: int | None) -> dict[str, FactoryContext]:
    parties = country_parties(store, version)
    out = {}
    for r in rows:
        unions = sorted((UnionPresence(Node.of("Union", u["union"]), u.get("members"), u.get("has_cba"))
                         for u in r["unions"]), key=lambda u: u.union.id)
        country = str(r.get("country") or "")
        griev = sorted((Node.of("Grievance", g) for g in r["grievances"]), key=lambda g: g.id)
        levels = {risk: max(r["risk_levels"], key=_level_weight)} if r["risk_levels"] and risk else {}
        out[r["id"]] = FactoryContext(r["id"], unions, list(parties.ngos.get(country, [])), griev, levels,
                                      list(parties.organisations.get(country, [])))
    return out


def oldest_open_days(grievances: Sequence[Node], as_of: dt.date) -> int | None:
    """How long the longest-open of these (open) grievances has been open on ``as_of``, in days.

    >>> oldest_open_days([Node("Grievance", "G1", {"filed_on": dt.date(2026, 1, 1)})], dt.date(2026, 1, 11))
    10
    """
    days = [(as_of - g.props["filed_on"]).days for g in grievances
            if isinstance(g.props.get("filed_on"), dt.date) and g.props["filed_on"] <= as_of]
    return max(days) if days else None


# ---------------------------------------------------------------------------
# shared factories, as arrays
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Shared:
    """A sharedFactories answer as arrays of the index (rows in the contract's order).

    Row ``i`` is factory ``facs[i]`` with ``counts[i]`` buyers: ``pair_comp[starts[i]:starts[i] +
    counts[i]]`` (company codes in id order).  ``links`` are the usable signatory links the
    answer counts (positions in the index), for the share sums of the opportunity ranking.
    """

    index: LeverageIndex
    facs: I64
    counts: I64
    starts: I64
    pair_comp: I64
    links: I64

    def buyers(self, i: int) -> I64:
        s = int(self.starts[i])
        return self.pair_comp[s:s + int(self.counts[i])]

    def __len__(self) -> int:
        return len(self.facs)


def shared_rows(idx: LeverageIndex, viewer: Viewer, d: int, *, covenant_id: str | None,
                country: str | None, min_buyers: int) -> Shared:
    """Factories with at least ``min_buyers`` active signatory buyers whose links ``viewer`` may see."""
    sig = idx.signatories(d, covenant_id)
    mask = idx.usable(viewer, d) & sig[idx.l_comp]
    if country is not None:
        code = idx.country_code.get(country, -1)
        mask &= idx.factory_country[idx.l_fac] == code
    pos = np.flatnonzero(mask).astype(np.int64)
    f, c = idx.l_fac[pos], idx.l_comp[pos]            # sorted by (factory, company)
    first_of_pair = np.ones(len(pos), dtype=bool)
    first_of_pair[1:] = (f[1:] != f[:-1]) | (c[1:] != c[:-1])
    pf, pc = f[first_of_pair], c[first_of_pair]
    facs, starts, counts = np.unique(pf, return_index=True, return_counts=True)
    keep = counts >= min_buyers
    facs, starts, counts = facs[keep], starts[keep], counts[keep]
    order = np.lexsort((facs, -counts))               # buyer count descending, then factory id
    return Shared(idx, facs[order].astype(np.int64), counts[order].astype(np.int64),
                  starts[order].astype(np.int64), pc.astype(np.int64), pos)


def _covenant(store: GraphStore, idx: LeverageIndex, value: str | None) -> str | None:
    """args.covenant, answered from the (fresh) index when it knows the covenant: no round trip."""
    if value is not None and value.strip() in idx.covenant_code:
        return value.strip()
    return args.covenant(store, value)


def _company(store: GraphStore, idx: LeverageIndex, value: str) -> str:
    """args.company, answered from the (fresh) index when it knows the company: no round trip."""
    if value.strip() in idx.company_code:
        return value.strip()
    return args.company(store, value)


def _shared_args(store: GraphStore, idx: LeverageIndex, covenant_id: str | None, country: str | None,
                 min_buyers: int, as_of: dt.date | None) -> tuple[str | None, str | None, int, dt.date]:
    return (_covenant(store, idx, covenant_id), args.country(country), args.min_buyers(min_buyers),
            args.as_of(as_of))


_DISCLOSURE_NAMES = ("confidential", "covenant", "public")


def _audit(idx: LeverageIndex, positions: I64) -> None:
    """audit: the sourcing links an answer hands out (imvo.kernel.audit keeps the non-public ones)."""
    if not audit.active() or not len(positions):
        return
    for c, f, d in zip(idx.l_comp[positions].tolist(), idx.l_fac[positions].tolist(),
                       idx.l_disc[positions].tolist(), strict=True):
        audit.link("SOURCES_FROM", idx.companies[c], _DISCLOSURE_NAMES[d], factory=idx.factories[f])


def _links_of_rows(sh: Shared, rows: Sequence[int]) -> I64:
    """The usable links behind these rows of a Shared answer (for the audit)."""
    facs = sh.facs[list(rows)] if len(rows) else np.zeros(0, dtype=np.int64)
    return sh.links[np.isin(sh.index.l_fac[sh.links], facs)]


def _materialise(store: GraphStore, viewer: Viewer, sh: Shared, rows: range, as_of: dt.date,
                 covenant_id: str | None) -> tuple[list[SharedFactory], int, list[I64]]:
    """The rows' factories and buyers read in one round trip, with the store's version that read saw
    and the links handed out (for :func:`_checked`)."""
    idx = sh.index
    fids = [idx.factories[int(sh.facs[i])] for i in rows]
    buyer_codes = {int(c) for i in rows for c in sh.buyers(i)}
    nodes, seen = nodes_by_ids_checked(store, {"Factory": fids,
                                               "Company": [idx.companies[c] for c in sorted(buyer_codes)]},
                                       idx.version)
    if seen != idx.version:                 # the store moved on (a node may be gone): _checked recomputes
        return [], seen, []
    factories, companies = nodes["Factory"], nodes["Company"]
    others = _other_buyers(store, viewer, idx, as_of, covenant_id, fids)
    out = []
    for i, fid in zip(rows, fids, strict=True):
        buyers = [companies[idx.companies[int(c)]] for c in sh.buyers(i)]
        out.append(SharedFactory(factories[fid], buyers, len(buyers), others.get(fid)))
    return out, seen, [_links_of_rows(sh, list(rows))] if audit.active() else []


def _other_buyers(store: GraphStore, viewer: Viewer, idx: LeverageIndex, as_of: dt.date,
                  covenant_id: str | None, fids: Sequence[str]) -> dict[str, int | None]:
    """otherBuyers for these factories (0 for the secretariat; None until a snapshot is published)."""
    from .publish import other_buyers
    return other_buyers(store, viewer, idx, as_of, covenant_id, fids)


def shared_factories_page(store: GraphStore, viewer: Viewer, *, covenant_id: str | None = None,
                          country: str | None = None, min_buyers: int = 2, as_of: dt.date | None = None,
                          first: int | None = None, offset: int = 0) -> SharedPage:
    """One page of :func:`shared_factories` (``first`` rows from ``offset``; all when ``first`` is None)
    and the total number of rows: only the page's rows are read from the store."""
    def compute(idx: LeverageIndex) -> tuple[SharedPage, int, list[I64]]:
        cov, ctry, minimum, day_ = _shared_args(store, idx, covenant_id, country, min_buyers, as_of)
        sh = shared_rows(idx, viewer, day(day_), covenant_id=cov, country=ctry, min_buyers=minimum)
        start = max(offset, 0)
        end = len(sh) if first is None else min(len(sh), start + max(first, 0))
        items, seen, handed = _materialise(store, viewer, sh, range(start, max(end, start)), day_, cov)
        return SharedPage(items, len(sh), start), seen, handed

    return _checked(store, compute)


def shared_factories(store: GraphStore, viewer: Viewer, *, covenant_id: str | None = None,
                     country: str | None = None, min_buyers: int = 2,
                     as_of: dt.date | None = None) -> list[SharedFactory]:
    """Factories where at least ``min_buyers`` active signatories have an active sourcing link
    that the viewer may see.

    Ordered by buyer count descending, then factory id; ``buyers`` are those
    signatories and ``buyer_count`` their number, as if the links the viewer
    may not see did not exist.
    """
    return shared_factories_page(store, viewer, covenant_id=covenant_id, country=country,
                                 min_buyers=min_buyers, as_of=as_of).items


# ---------------------------------------------------------------------------
# co-buyers, factory leverage
# ---------------------------------------------------------------------------

def co_buyers(store: GraphStore, viewer: Viewer, *, company_id: str, covenant_id: str | None = None,
              as_of: dt.date | None = None) -> list[CoBuyer]:
    """Other active signatories sharing at least one active factory with ``company_id``, over the
    links the viewer may see.  Ordered by shared count descending, then company id."""
    as_of = args.as_of(as_of)
    return _checked(store, lambda idx: _co_buyers(store, idx, viewer, company_id, covenant_id, as_of))


T = TypeVar("T")


def _checked(store: GraphStore, compute: Callable[[LeverageIndex], tuple[T, int, list[I64]]]) -> T:
    """An answer computed on the index this process last used, accepted when the store's version seen
    by the answer's last read is that index's (else recomputed on the current index): the version
    check rides on a read the answer makes anyway, instead of a round trip of its own.  The links in
    the accepted answer are audited (``compute`` returns them)."""
    idx = last_index(store)
    for _ in range(4):
        out, seen, handed = compute(idx)
        if seen == idx.version:
            break
        idx = index_for(store)
    for positions in handed:                                                 # audit: handed out
        _audit(idx, positions)
    return out


def _co_buyers(store: GraphStore, idx: LeverageIndex, viewer: Viewer, company_id: str, covenant_id: str | None,
               as_of: dt.date) -> tuple[list[CoBuyer], int, list[I64]]:
    company_id, covenant_id = _company(store, idx, company_id), _covenant(store, idx, covenant_id)
    d = day(as_of)
    me = idx.company_code.get(company_id)
    if me is None:
        return [], store.version(), []
    mine = idx.company_links(me)
    mine = mine[idx.usable(viewer, d, mine)]
    facs = np.unique(idx.l_fac[mine])
    pos = idx.links_at(facs)
    sig = idx.signatories(d, covenant_id)
    comp = idx.l_comp[pos]
    pos = pos[idx.usable(viewer, d, pos) & (comp != me) & sig[comp]]
    comp, fac = idx.l_comp[pos], idx.l_fac[pos]
    order = np.lexsort((fac, comp))
    comp, fac = comp[order], fac[order]
    first_of_pair = np.ones(len(comp), dtype=bool)
    first_of_pair[1:] = (comp[1:] != comp[:-1]) | (fac[1:] != fac[:-1])
    comp, fac = comp[first_of_pair], fac[first_of_pair]
    handed = [pos, mine[np.isin(idx.l_fac[mine], fac)]] if audit.active() else []
    others, starts, counts = np.unique(comp, return_index=True, return_counts=True)
    rank = np.lexsort((others, -counts))
    nodes, seen = nodes_by_ids_checked(store, {"Company": [idx.companies[int(c)] for c in others],
                                              "Factory": [idx.factories[int(f)] for f in np.unique(fac)]},
                                       idx.version)
    if seen != idx.version:                 # the store moved on (a node may be gone): _checked recomputes
        return [], seen, []
    companies, factories = nodes["Company"], nodes["Factory"]
    out = []
    for i in rank:
        s, n = int(starts[i]), int(counts[i])
        shared = [factories[idx.factories[int(f)]] for f in fac[s:s + n]]
        out.append(CoBuyer(companies[idx.companies[int(others[i])]], shared, n))
    return out, seen, handed


def _combined(shares: npt.NDArray[np.float64]) -> float | None:
    known = shares[~np.isnan(shares)]
    return round(float(known.sum()), 10) if len(known) else None


def factory_leverage(store: GraphStore, viewer: Viewer, *, factory_id: str,
                     as_of: dt.date | None = None) -> FactoryLeverage | None:
    """A factory's active buyers, its signatory buyers and their combined share, unions, NGOs in its
    country and open grievances, over the links the viewer may see; ``None`` for an unknown factory."""
    as_of = args.as_of(as_of)
    return _checked(store, lambda idx: _factory_leverage(store, idx, viewer, factory_id, as_of))


def _factory_leverage(store: GraphStore, idx: LeverageIndex, viewer: Viewer, factory_id: str,
                      as_of: dt.date) -> tuple[FactoryLeverage | None, int, list[I64]]:
    d = day(as_of)
    f = idx.factory_code.get(factory_id)
    if f is None:
        return None, store.version(), []
    pos = idx.factory_links(f)
    pos = pos[idx.usable(viewer, d, pos)]
    comps = idx.l_comp[pos]
    sig = idx.signatories(d)
    buyers = np.unique(comps)
    signatory = buyers[sig[buyers]]
    share = _combined(idx.l_share[pos[sig[comps]]])
    nodes = nodes_by_ids(store, {"Company": [idx.companies[int(c)] for c in buyers], "Factory": [factory_id]})
    rows, seen = store.read_checked(CONTEXT, ids=[factory_id], as_of=as_of, risk=None)
    if seen != idx.version:                 # the store moved on (a node may be gone): _checked recomputes
        return None, seen, []
    names, factory = nodes["Company"], nodes["Factory"][factory_id]
    ctx = _context_of(store, rows, None, seen)[factory_id]
    other = _other_buyers(store, viewer, idx, as_of, None, [factory_id]).get(factory_id)
    return (FactoryLeverage(factory, [names[idx.companies[int(c)]] for c in buyers],
                            [names[idx.companies[int(c)]] for c in signatory], len(buyers), len(signatory),
                            share, ctx.unions, ctx.ngos, ctx.open_grievances, other, ctx.organisations,
                            oldest_open_days(ctx.open_grievances, as_of)), seen, [pos])


# ---------------------------------------------------------------------------
# joint action
# ---------------------------------------------------------------------------

def score_opportunity(signatory_buyers: int, combined_share: float | None, risk_level: str | None,
                      open_grievances: int, unions: int, has_cba: bool) -> float:
    """The joint-action score; it rises with each factor the contract names.

    ``2 x signatory buyers + 4 x combined share (0..1) + 1.5 x country risk
    level (low 1, medium 2, high 3) + 2 x open grievances about the risk
    (at most 3 counted) + 2 when a union represents workers + 1 more when it
    has a collective agreement``.  :func:`joint_action_opportunities` computes
    the same sum for all candidates at once.  The factory's monthly living-wage
    bill (workers x (living - prevailing wage), :func:`imvo.queries.projects.living_wage_gap`)
    is given beside the score as ``monthly_gap_eur`` where known, not counted in it;
    factories with an active project on the risk are marked (``active_projects``)
    and can be left out (``exclude_under_way``).

    Organisations active in the factory's country (an embassy first) are listed
    with each opportunity (``organisations``) but do not enter the score: an
    embassy's presence is the same for every factory of a country, so it would
    only lift whole countries (already weighed by the risk level), and the
    score ranks what buyers can do together at a factory.  How long its
    grievances have been open (``oldest_open_grievance_days``) is shown, not
    scored, for the same reason the count of open grievances is capped: the
    ranking should not be driven by one old complaint.

    >>> score_opportunity(3, 0.5, "high", 1, 1, False)
    16.5
    """
    return round(2.0 * signatory_buyers + 4.0 * min(combined_share or 0.0, 1.0)
                 + 1.5 * RISK_LEVEL_WEIGHT.get(risk_level or "", 0)
                 + 2.0 * min(open_grievances, 3) + (2.0 if unions else 0.0) + (1.0 if has_cba else 0.0), 6)


_LEVEL_NAMES = {v: k for k, v in LEVELS.items()}


def joint_action_opportunities(store: GraphStore, viewer: Viewer, *, risk: str,
                               covenant_id: str | None = None, country: str | None = None,
                               first: int = 20, as_of: dt.date | None = None,
                               exclude_under_way: bool = False) -> list[Opportunity]:
    """Factories with at least two signatory buyers, ranked by :func:`score_opportunity` (ties by
    factory id), over the links the viewer may see: the score never encodes a hidden buyer or share.

    Each opportunity names the active projects already addressing the risk at the factory
    (``active_projects``) and its monthly living-wage bill (``monthly_gap_eur``, not in the score);
    ``exclude_under_way`` leaves out the factories with such a project (before ``first`` is applied).
    """
    from .projects import active_project_factories, monthly_gaps
    risk, first = args.risk(risk), args.first(first, 10**9)
    idx = index_for(store)
    covenant_id, country, _, as_of = _shared_args(store, idx, covenant_id, country, 2, as_of)
    d = day(as_of)
    sh = shared_rows(idx, viewer, d, covenant_id=covenant_id, country=country, min_buyers=2)
    if not len(sh) or first == 0:
        return []
    nf = len(idx.factories)
    shares = idx.l_share[sh.links]
    known = ~np.isnan(shares)
    lf = idx.l_fac[sh.links]
    share_sum = np.bincount(lf[known], weights=shares[known], minlength=nf)[sh.facs]
    has_share = np.bincount(lf[known], minlength=nf)[sh.facs] > 0
    r = RISKS.index(risk)
    level = idx.risk_level[idx.factory_country[sh.facs], r].astype(np.float64)
    open_g = (idx.g_risk == r) & (idx.g_filed <= d)
    grievances = np.bincount(idx.g_fac[open_g], minlength=nf)[sh.facs]
    unions = idx.f_unions[sh.facs] > 0
    cba = idx.f_cba[sh.facs]
    raw = (2.0 * sh.counts + 4.0 * np.minimum(np.where(has_share, np.round(share_sum, 10), 0.0), 1.0)
           + 1.5 * level + 2.0 * np.minimum(grievances, 3) + np.where(unions, 2.0, 0.0) + np.where(cba, 1.0, 0.0))
    score = np.round(raw, 6)
    order = np.lexsort((sh.facs, -score))
    under_way = active_project_factories(store, risk, [idx.factories[int(f)] for f in sh.facs])
    if exclude_under_way and under_way:
        order = order[np.array([idx.factories[int(sh.facs[i])] not in under_way for i in order], dtype=bool)]
    order = order[:first]
    fids = [idx.factories[int(sh.facs[i])] for i in order]
    if audit.active():
        _audit(idx, _links_of_rows(sh, order.tolist()))                          # audit: handed out
    buyer_codes = sorted({int(c) for i in order for c in sh.buyers(int(i))})
    nodes = nodes_by_ids(store, {"Factory": fids, "Company": [idx.companies[c] for c in buyer_codes]})
    factories, companies = nodes["Factory"], nodes["Company"]
    ctx = factory_context(store, fids, as_of=as_of, risk=risk, version=idx.version)
    gaps = monthly_gaps(store, [factories[fid] for fid in fids])
    out = []
    for i, fid in zip(order, fids, strict=True):
        c = ctx[fid]
        buyers = [companies[idx.companies[int(b)]] for b in sh.buyers(int(i))]
        combined = round(float(share_sum[i]), 10) if has_share[i] else None
        griev = [g for g in c.open_grievances if g.props.get("risk") == risk]
        out.append(Opportunity(factories[fid], buyers, len(buyers), combined,
                               _LEVEL_NAMES.get(int(level[i])), griev, c.unions, c.ngos,
                               score_opportunity(len(buyers), combined, _LEVEL_NAMES.get(int(level[i])),
                                                 int(grievances[i]), int(unions[i]), bool(cba[i])),
                               c.organisations, oldest_open_days(griev, as_of), under_way.get(fid, []),
                               gaps.get(fid)))
    return out
