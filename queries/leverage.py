"""The leverage index: the facts the leverage questions need, as columnar numpy arrays.

Both backends feed it through a handful of :class:`~imvo.graph.store.ReadQuery`
objects (one round trip each, the columns returned as lists); the leverage
questions (:mod:`imvo.queries.core`) then compute on the arrays with
vectorised group-bys, and the access rules of docs/access.md are boolean masks
over the links (:meth:`LeverageIndex.visible`).

Exactness: the index is built for one :meth:`~imvo.graph.store.GraphStore.version`
of the store; :func:`index_for` checks the version on every call (one cheap
round trip) and rebuilds the index when a write has committed since, so an
answer never comes from a stale index.  A build that saw the version change
under it is thrown away and done again.

Dates are days since 1970-01-01 (``int64``); an open ``since`` is the smallest
value, an open ``until`` the largest, so "active on d" is ``since <= d < until``.
"""
from __future__ import annotations

import datetime as dt
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from imvo.graph.model import RISKS
from imvo.graph.store import GraphStore, GraphView, ReadQuery

from .access import Viewer

__all__ = [
    "CONFIDENTIAL",
    "COVENANT",
    "FEEDS",
    "LEVELS",
    "OPEN_END",
    "OPEN_START",
    "PUBLIC",
    "LeverageIndex",
    "day",
    "index_for",
]

I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]
I8 = npt.NDArray[np.int8]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

OPEN_START = np.iinfo(np.int64).min
OPEN_END = np.iinfo(np.int64).max
CONFIDENTIAL, COVENANT, PUBLIC = 0, 1, 2
_DISCLOSURE = {"confidential": CONFIDENTIAL, "covenant": COVENANT, "public": PUBLIC}
LEVELS = {"low": 1, "medium": 2, "high": 3}
_RISK_CODE = {r: i for i, r in enumerate(RISKS)}
_EPOCH = dt.date(1970, 1, 1).toordinal()


def day(d: dt.date) -> int:
    """The index's day number of a date."""
    return d.toordinal() - _EPOCH


def _days(texts: Sequence[str], open_value: int) -> I64:
    """ISO dates ('' for none) -> day numbers (none -> ``open_value``)."""
    arr = np.array(texts, dtype="datetime64[D]").astype(np.int64)
    arr[arr == np.iinfo(np.int64).min] = open_value
    return arr


# ---------------------------------------------------------------------------
# the feeds: one ReadQuery per family of facts, columns as lists (Cypher and Python agree)
# ---------------------------------------------------------------------------

def _iso(value: Any) -> str:
    return value.isoformat() if value is not None else ""


def _feed_ids_py(view: GraphView, *, label: str) -> list[dict[str, Any]]:
    return [{"ids": [n["id"] for n in view.nodes(label)]}]


def _feed_factories_py(view: GraphView) -> list[dict[str, Any]]:
    ids, countries = [], []
    for n in view.nodes("Factory"):
        ids.append(n["id"])
        countries.append(n.get("country") or "")
    return [{"ids": ids, "countries": countries}]


def _feed_links_py(view: GraphView) -> list[dict[str, Any]]:
    cols: dict[str, list[Any]] = {k: [] for k in ("company", "factory", "since", "until", "disclosure", "share")}
    for _, c, props, _, f in view.edges("SOURCES_FROM"):
        cols["company"].append(c["id"])
        cols["factory"].append(f["id"])
        cols["since"].append(_iso(props.get("since")))
        cols["until"].append(_iso(props.get("until")))
        cols["disclosure"].append(props.get("disclosure") or "confidential")
        share = props.get("share")
        cols["share"].append(-1.0 if share is None else float(share))
    return [cols]


def _feed_members_py(view: GraphView) -> list[dict[str, Any]]:
    cols: dict[str, list[Any]] = {k: [] for k in ("company", "covenant", "since", "until")}
    for label, p, props, _, cov in view.edges("PARTY_TO"):
        if label == "Company" and props.get("role") == "signatory":
            cols["company"].append(p["id"])
            cols["covenant"].append(cov["id"])
            cols["since"].append(_iso(props.get("since")))
            cols["until"].append(_iso(props.get("until")))
    return [cols]


def _feed_unions_py(view: GraphView) -> list[dict[str, Any]]:
    factory, cba = [], []
    for _, _, props, _, f in view.edges("REPRESENTS"):
        factory.append(f["id"])
        cba.append(bool(props.get("has_cba")))
    return [{"factory": factory, "cba": cba}]


def _feed_grievances_py(view: GraphView) -> list[dict[str, Any]]:
    factory, risk, filed = [], [], []
    for _, g, _, _, f in view.edges("CONCERNS"):
        if g.get("status") == "open":
            factory.append(f["id"])
            risk.append(g.get("risk") or "")
            filed.append(_iso(g.get("filed_on")))
    return [{"factory": factory, "risk": risk, "filed": filed}]


def _feed_risks_py(view: GraphView) -> list[dict[str, Any]]:
    country, risk, level = [], [], []
    for _, c, props, _, r in view.edges("HAS_RISK"):
        country.append(c["id"])
        risk.append(r["id"])
        level.append(props.get("level") or "")
    return [{"country": country, "risk": risk, "level": level}]


def _feed_snapshots_py(view: GraphView) -> list[dict[str, Any]]:
    cols: dict[str, list[Any]] = {k: [] for k in ("snapshot", "factory", "covenant", "buyers")}
    for _, s, props, _, f in view.edges("COUNTS"):
        cols["snapshot"].append(_iso(s.get("as_of")))
        cols["factory"].append(f["id"])
        cols["covenant"].append(props.get("covenant") or "*")
        cols["buyers"].append(int(props.get("buyers") or 0))
    dates = [_iso(n.get("as_of")) for n in view.nodes("Snapshot")]
    return [{**cols, "dates": dates}]


FEEDS: dict[str, ReadQuery] = {
    "companies": ReadQuery("feed_companies", "MATCH (n:Company) RETURN collect(n.id) AS ids",
                           lambda view: _feed_ids_py(view, label="Company")),
    "covenants": ReadQuery("feed_covenants", "MATCH (n:Covenant) RETURN collect(n.id) AS ids",
                           lambda view: _feed_ids_py(view, label="Covenant")),
    "factories": ReadQuery("feed_factories", """
MATCH (f:Factory) RETURN collect(f.id) AS ids, collect(coalesce(f.country, '')) AS countries
""", _feed_factories_py),
    "links": ReadQuery("feed_links", """
MATCH (c:Company)-[s:SOURCES_FROM]->(f:Factory)
RETURN collect(c.id) AS company, collect(f.id) AS factory,
  collect(coalesce(toString(s.since), '')) AS since, collect(coalesce(toString(s.until), '')) AS until,
  collect(coalesce(s.disclosure, 'confidential')) AS disclosure, collect(coalesce(toFloat(s.share), -1.0)) AS share
""", _feed_links_py),
    "members": ReadQuery("feed_members", """
MATCH (c:Company)-[p:PARTY_TO]->(v:Covenant) WHERE p.role = 'signatory'
RETURN collect(c.id) AS company, collect(v.id) AS covenant,
  collect(coalesce(toString(p.since), '')) AS since, collect(coalesce(toString(p.until), '')) AS until
""", _feed_members_py),
    "unions": ReadQuery("feed_unions", """
MATCH (:Union)-[r:REPRESENTS]->(f:Factory)
RETURN collect(f.id) AS factory, collect(coalesce(r.has_cba, false)) AS cba
""", _feed_unions_py),
    "grievances": ReadQuery("feed_grievances", """
MATCH (g:Grievance)-[:CONCERNS]->(f:Factory) WHERE g.status = 'open'
RETURN collect(f.id) AS factory, collect(coalesce(g.risk, '')) AS risk,
  collect(coalesce(toString(g.filed_on), '')) AS filed
""", _feed_grievances_py),
    "snapshots": ReadQuery("feed_snapshots", """
CALL () { MATCH (s:Snapshot) RETURN collect(toString(s.as_of)) AS dates }
CALL () {
  MATCH (s:Snapshot)-[k:COUNTS]->(f:Factory)
  RETURN collect(toString(s.as_of)) AS snapshot, collect(f.id) AS factory,
    collect(coalesce(k.covenant, '*')) AS covenant, collect(coalesce(k.buyers, 0)) AS buyers
}
RETURN dates, snapshot, factory, covenant, buyers
""", _feed_snapshots_py),
    "risks": ReadQuery("feed_risks", """
MATCH (c:Country)-[h:HAS_RISK]->(r:Risk)
RETURN collect(c.id) AS country, collect(r.id) AS risk, collect(coalesce(h.level, '')) AS level
""", _feed_risks_py),
}


# ---------------------------------------------------------------------------
# the index
# ---------------------------------------------------------------------------

def _codes(values: Sequence[str], code: dict[str, int]) -> tuple[I64, B]:
    """Codes of ``values`` in ``code`` (-1 for unknown) and the mask of known ones."""
    out = np.fromiter((code.get(v, -1) for v in values), dtype=np.int64, count=len(values))
    return out, out >= 0


def _offsets(keys: I64, n: int) -> I64:
    """CSR offsets of sorted ``keys`` over 0..n-1 (``offsets[k]:offsets[k+1]`` is key k's run)."""
    return np.searchsorted(keys, np.arange(n + 1)).astype(np.int64)


@dataclass(frozen=True, eq=False)
class LeverageIndex:
    """Columnar facts of one store version (see the module notes)."""

    version: int
    companies: tuple[str, ...]
    company_code: dict[str, int]
    factories: tuple[str, ...]
    factory_code: dict[str, int]
    countries: tuple[str, ...]
    country_code: dict[str, int]
    factory_country: I64
    covenants: tuple[str, ...]
    covenant_code: dict[str, int]
    # sourcing links, sorted by (factory, company)
    l_fac: I64
    l_comp: I64
    l_since: I64
    l_until: I64
    l_disc: I8
    l_share: F64                 # NaN: unknown
    fac_start: I64               # CSR over factories
    by_comp: I64                 # link positions sorted by (company, factory)
    comp_start: I64              # CSR over companies (into by_comp)
    # signatory memberships of companies, sorted by company
    m_comp: I64
    m_cov: I64
    m_since: I64
    m_until: I64
    mem_start: I64
    # per factory
    f_unions: I64
    f_cba: B
    # open grievances
    g_fac: I64
    g_risk: I64
    g_filed: I64
    # country x risk -> level (0: none)
    risk_level: I8
    # published snapshots: their days (ascending) and counts sorted by (snapshot, factory, covenant)
    s_days: I64
    s_snap: I64                  # index into s_days
    s_fac: I64
    s_cov: I64                   # covenant code, -1 for any covenant
    s_buyers: I64

    # -- building -----------------------------------------------------------------
    @classmethod
    def build(cls, store: GraphStore, version: int) -> LeverageIndex:
        feed = {name: store.read(q)[0] for name, q in FEEDS.items()}
        companies = tuple(sorted(feed["companies"]["ids"]))
        company_code = {c: i for i, c in enumerate(companies)}
        covenants = tuple(sorted(feed["covenants"]["ids"]))
        covenant_code = {c: i for i, c in enumerate(covenants)}
        fac_rows = sorted(zip(feed["factories"]["ids"], feed["factories"]["countries"], strict=True))
        factories = tuple(f for f, _ in fac_rows)
        factory_code = {f: i for i, f in enumerate(factories)}
        countries = tuple(sorted({c for _, c in fac_rows} | set(feed["risks"]["country"])))
        country_code = {c: i for i, c in enumerate(countries)}
        factory_country = np.fromiter((country_code[c] for _, c in fac_rows), dtype=np.int64,
                                      count=len(fac_rows))

        lk = feed["links"]
        comp, ok_c = _codes(lk["company"], company_code)
        fac, ok_f = _codes(lk["factory"], factory_code)
        ok = ok_c & ok_f
        since = _days(lk["since"], OPEN_START)
        until = _days(lk["until"], OPEN_END)
        disc = np.fromiter((_DISCLOSURE.get(d, CONFIDENTIAL) for d in lk["disclosure"]), dtype=np.int8,
                           count=len(lk["disclosure"]))
        share = np.asarray(lk["share"], dtype=np.float64)
        share[share < 0] = np.nan
        order = np.lexsort((comp[ok], fac[ok]))
        l_fac, l_comp = fac[ok][order], comp[ok][order]
        l_since, l_until, l_disc, l_share = since[ok][order], until[ok][order], disc[ok][order], share[ok][order]
        by_comp = np.lexsort((l_fac, l_comp)).astype(np.int64)

        mb = feed["members"]
        m_comp, mok_c = _codes(mb["company"], company_code)
        m_cov, mok_v = _codes(mb["covenant"], covenant_code)
        mok = mok_c & mok_v
        m_since, m_until = _days(mb["since"], OPEN_START)[mok], _days(mb["until"], OPEN_END)[mok]
        m_comp, m_cov = m_comp[mok], m_cov[mok]
        morder = np.lexsort((m_cov, m_comp))
        m_comp, m_cov, m_since, m_until = m_comp[morder], m_cov[morder], m_since[morder], m_until[morder]

        un = feed["unions"]
        u_fac, uok = _codes(un["factory"], factory_code)
        f_unions = np.bincount(u_fac[uok], minlength=len(factories)).astype(np.int64)
        cba = np.asarray(un["cba"], dtype=bool)[uok]
        f_cba = np.zeros(len(factories), dtype=bool)
        f_cba[u_fac[uok][cba]] = True

        gr = feed["grievances"]
        g_fac, gok = _codes(gr["factory"], factory_code)
        g_risk = np.fromiter((_RISK_CODE.get(r, -1) for r in gr["risk"]), dtype=np.int64, count=len(gr["risk"]))
        g_filed = _days(gr["filed"], OPEN_END)

        rk = feed["risks"]
        risk_level = np.zeros((len(countries), len(RISKS)), dtype=np.int8)
        for c, r, lv in zip(rk["country"], rk["risk"], rk["level"], strict=True):
            if r in _RISK_CODE and c in country_code:
                ci, ri = country_code[c], _RISK_CODE[r]
                risk_level[ci, ri] = max(int(risk_level[ci, ri]), LEVELS.get(lv, 0))

        sn = feed["snapshots"]
        s_days = np.unique(_days([d for d in sn["dates"] if d], OPEN_START))
        snap_day = _days(sn["snapshot"], OPEN_START)
        s_snap = np.searchsorted(s_days, snap_day).astype(np.int64)
        s_fac, sok = _codes(sn["factory"], factory_code)
        s_cov = np.fromiter((-1 if c == "*" else covenant_code.get(c, -2) for c in sn["covenant"]),
                            dtype=np.int64, count=len(sn["covenant"]))
        sok &= s_cov >= -1
        s_buyers = np.asarray(sn["buyers"], dtype=np.int64)
        sorder = np.lexsort((s_cov[sok], s_fac[sok], s_snap[sok]))
        s_snap, s_fac, s_cov, s_buyers = (s_snap[sok][sorder], s_fac[sok][sorder], s_cov[sok][sorder],
                                          s_buyers[sok][sorder])

        return cls(version, companies, company_code, factories, factory_code, countries, country_code,
                   factory_country, covenants, covenant_code, l_fac, l_comp, l_since, l_until, l_disc, l_share,
                   _offsets(l_fac, len(factories)), by_comp, _offsets(l_comp[by_comp], len(companies)),
                   m_comp, m_cov, m_since, m_until, _offsets(m_comp, len(companies)), f_unions, f_cba,
                   g_fac[gok], g_risk[gok], g_filed[gok], risk_level, s_days, s_snap, s_fac, s_cov, s_buyers)

    # -- masks ----------------------------------------------------------------------
    def active(self, d: int, positions: I64 | None = None) -> B:
        """Links (all, or those at ``positions``) active on day ``d``."""
        if positions is None:
            return (self.l_since <= d) & (d < self.l_until)
        return (self.l_since[positions] <= d) & (d < self.l_until[positions])

    def signatories(self, d: int, covenant: str | None = None) -> B:
        """Companies that are active signatories on ``d`` (of ``covenant``, of any when None)."""
        act = (self.m_since <= d) & (d < self.m_until)
        if covenant is not None:
            code = self.covenant_code.get(covenant, -1)
            act &= self.m_cov == code
        out = np.zeros(len(self.companies), dtype=bool)
        out[self.m_comp[act]] = True
        return out

    def covenants_of(self, company: int, d: int) -> I64:
        """Covenant codes ``company`` is an active signatory of on ``d``."""
        lo, hi = self.mem_start[company], self.mem_start[company + 1]
        act = (self.m_since[lo:hi] <= d) & (d < self.m_until[lo:hi])
        return np.unique(self.m_cov[lo:hi][act])

    def co_signatories(self, company: int, d: int) -> B:
        """Companies sharing an active covenant with ``company`` on ``d`` (itself included when a
        signatory)."""
        mine = self.covenants_of(company, d)
        out = np.zeros(len(self.companies), dtype=bool)
        if len(mine):
            act = (self.m_since <= d) & (d < self.m_until) & np.isin(self.m_cov, mine)
            out[self.m_comp[act]] = True
        return out

    def visible(self, viewer: Viewer, d: int, positions: I64 | None = None) -> B | None:
        """The links (all, or at ``positions``) ``viewer`` may see on ``d``; None: every link.

        ``public`` sees public links; ``company:X`` also its own links and the ``covenant``
        links of companies sharing an active covenant with it on ``d``.
        """
        if viewer.is_secretariat:
            return None
        disc = self.l_disc if positions is None else self.l_disc[positions]
        vis: B = disc == PUBLIC
        if viewer.role == "company" and viewer.company_id in self.company_code:
            me = self.company_code[viewer.company_id]
            comp = self.l_comp if positions is None else self.l_comp[positions]
            vis |= comp == me
            if (disc == COVENANT).any():
                cosig = self.co_signatories(me, d)
                vis |= (disc == COVENANT) & cosig[comp]
        return vis

    def usable(self, viewer: Viewer, d: int, positions: I64 | None = None) -> B:
        """Links active on ``d`` that ``viewer`` may see: the graph the viewer's answers come from."""
        act = self.active(d, positions)
        vis = self.visible(viewer, d, positions)
        return act if vis is None else act & vis

    # -- CSR helpers ----------------------------------------------------------------
    def factory_links(self, factory: int) -> I64:
        return np.arange(self.fac_start[factory], self.fac_start[factory + 1], dtype=np.int64)

    def company_links(self, company: int) -> I64:
        return self.by_comp[self.comp_start[company]:self.comp_start[company + 1]]

    def links_at(self, factories: I64) -> I64:
        """Link positions at these factories (in factory order)."""
        if not len(factories):
            return np.zeros(0, dtype=np.int64)
        starts, ends = self.fac_start[factories], self.fac_start[factories + 1]
        lengths = ends - starts
        total = int(lengths.sum())
        if total == 0:
            return np.zeros(0, dtype=np.int64)
        offs = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
        return np.arange(total, dtype=np.int64) + offs


_CACHE: weakref.WeakKeyDictionary[GraphStore, LeverageIndex] = weakref.WeakKeyDictionary()
_LOCKS: weakref.WeakKeyDictionary[GraphStore, threading.Lock] = weakref.WeakKeyDictionary()
_GUARD = threading.Lock()


def index_for(store: GraphStore) -> LeverageIndex:
    """The index of the store's current version (rebuilt when a write has committed since)."""
    version = store.version()
    cached = _CACHE.get(store)
    if cached is not None and cached.version == version:
        return cached
    with _GUARD:
        lock = _LOCKS.setdefault(store, threading.Lock())
    with lock:
        cached = _CACHE.get(store)
        if cached is not None and cached.version == store.version():
            return cached
        for _ in range(5):
            before = store.version()
            built = LeverageIndex.build(store, before)
            if store.version() == before:
                _CACHE[store] = built
                return built
        return built           # writes keep coming: this build is as fresh as any
