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

import contextlib
import datetime as dt
import os
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from imvo.graph.model import RISKS
from imvo.graph.store import GraphStore, GraphView, ReadQuery

from .access import Viewer
from .grievance_status import OPEN_CYPHER, current_statuses, is_open

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

def _text(values: list[Any], blank: str = "") -> list[str]:
    return [blank if v is None else str(v) for v in values]


def _feed_ids_py(view: GraphView, *, label: str) -> list[dict[str, Any]]:
    return [{"ids": view.node_columns(label, [])["id"]}]


def _feed_factories_py(view: GraphView) -> list[dict[str, Any]]:
    cols = view.node_columns("Factory", ["country"])
    return [{"ids": cols["id"], "countries": _text(cols["country"])}]


def _feed_links_py(view: GraphView) -> list[dict[str, Any]]:
    cols = view.edge_columns("SOURCES_FROM", ["since", "until", "disclosure", "share"])
    return [{"company": cols["start"], "factory": cols["end"], "since": _text(cols["since"]),
             "until": _text(cols["until"]), "disclosure": _text(cols["disclosure"], "confidential"),
             "share": [-1.0 if v is None else float(v) for v in cols["share"]]}]


def _feed_members_py(view: GraphView) -> list[dict[str, Any]]:
    cols = view.edge_columns("PARTY_TO", ["role", "since", "until"], source="Company")
    keep = [i for i, r in enumerate(cols["role"]) if r == "signatory"]
    return [{"company": [cols["start"][i] for i in keep], "covenant": [cols["end"][i] for i in keep],
             "since": _text([cols["since"][i] for i in keep]), "until": _text([cols["until"][i] for i in keep])}]


def _feed_unions_py(view: GraphView) -> list[dict[str, Any]]:
    cols = view.edge_columns("REPRESENTS", ["has_cba"])
    return [{"factory": cols["end"], "cba": [bool(v) for v in cols["has_cba"]]}]


def _feed_grievances_py(view: GraphView) -> list[dict[str, Any]]:
    g = view.node_columns("Grievance", ["risk", "filed_on"])
    current = current_statuses(view)
    about = {i: (current.get(i), r, f) for i, r, f in zip(g["id"], g["risk"], g["filed_on"], strict=True)}
    cols = view.edge_columns("CONCERNS", [])
    factory, risk, filed = [], [], []
    for gid, fid in zip(cols["start"], cols["end"], strict=True):
        status, r, on = about.get(gid, (None, None, None))
        if gid in about and is_open(status):
            factory.append(fid)
            risk.append(r or "")
            filed.append(on or "")
    return [{"factory": factory, "risk": risk, "filed": filed}]


def _feed_risks_py(view: GraphView) -> list[dict[str, Any]]:
    cols = view.edge_columns("HAS_RISK", ["level"])
    return [{"country": cols["start"], "risk": cols["end"], "level": _text(cols["level"])}]


def _feed_snapshots_py(view: GraphView) -> list[dict[str, Any]]:
    snaps = view.node_columns("Snapshot", ["as_of"])
    day_of = dict(zip(snaps["id"], _text(snaps["as_of"]), strict=True))
    cols = view.edge_columns("COUNTS", ["covenant", "buyers"])
    return [{"dates": [d for d in day_of.values() if d], "snapshot": [day_of.get(s, "") for s in cols["start"]],
             "factory": cols["end"], "covenant": _text(cols["covenant"], "*"),
             "buyers": [int(v or 0) for v in cols["buyers"]]}]


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
    "grievances": ReadQuery("feed_grievances", f"""
MATCH (g:Grievance)-[:CONCERNS]->(f:Factory) WHERE {OPEN_CYPHER}
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


_STRINGS = ("companies", "factories", "countries", "covenants")
#: the meaning of the saved arrays; bumped whenever what a field holds changes (e.g. open grievances
#: by their current status, issue 13), so an index saved by an older version is rebuilt, not trusted
INDEX_FORMAT = 2
_CODES = {"companies": "company_code", "factories": "factory_code", "countries": "country_code",
          "covenants": "covenant_code"}


def _save(idx: LeverageIndex, folder: Path) -> None:
    """Keep the index beside the store (``leverage-<version>.npz``; older ones removed)."""
    folder.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, Any] = {}
    for f in fields(idx):
        value = getattr(idx, f.name)
        if f.name in _STRINGS:
            arrays[f.name] = np.array(value, dtype=str)
        elif isinstance(value, np.ndarray):
            arrays[f.name] = value
    arrays["version"] = np.array([idx.version])
    arrays["index_format"] = np.array([INDEX_FORMAT])
    tmp = folder / f".leverage-{idx.version}.{os.getpid()}.npz"
    np.savez(tmp, **arrays)
    os.replace(tmp, folder / f"leverage-{idx.version}.npz")
    for old in folder.glob("leverage-*.npz"):
        if old.name != f"leverage-{idx.version}.npz":
            old.unlink(missing_ok=True)


def _load(folder: Path, version: int) -> LeverageIndex | None:
    path = folder / f"leverage-{version}.npz"
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            values: dict[str, Any] = {}
            for f in fields(LeverageIndex):
                if f.name in _STRINGS:
                    values[f.name] = tuple(data[f.name].tolist())
                elif f.name in _CODES.values() or f.name == "version":
                    continue
                else:
                    values[f.name] = data[f.name]
            if int(data["version"][0]) != version or "index_format" not in data.files \
                    or int(data["index_format"][0]) != INDEX_FORMAT:
                return None
    except (OSError, KeyError, ValueError):
        return None                           # a damaged cache is rebuilt, never trusted
    for strings, code in _CODES.items():
        values[code] = {v: i for i, v in enumerate(values[strings])}
    return LeverageIndex(version=version, **values)


_CACHE: weakref.WeakKeyDictionary[GraphStore, LeverageIndex] = weakref.WeakKeyDictionary()
_LOCKS: weakref.WeakKeyDictionary[GraphStore, threading.Lock] = weakref.WeakKeyDictionary()
_GUARD = threading.Lock()


def last_index(store: GraphStore) -> LeverageIndex:
    """The index this process last used for the store, without checking the store's version (the
    caller checks it on its last read: :meth:`GraphStore.read_checked`); :func:`index_for` when none."""
    cached = _CACHE.get(store)
    return cached if cached is not None else index_for(store)


def index_for(store: GraphStore) -> LeverageIndex:
    """The index of the store's current version (rebuilt when a write has committed since; kept on disk
    beside an embedded store, so a reopened store does not rebuild it)."""
    version = store.version()
    cached = _CACHE.get(store)
    if cached is not None and cached.version == version:
        return cached
    with _GUARD:
        lock = _LOCKS.setdefault(store, threading.Lock())
    with lock:
        version = store.version()
        cached = _CACHE.get(store)
        if cached is not None and cached.version == version:
            return cached
        folder = store.cache_dir()
        loaded = _load(folder, version) if folder is not None else None
        if loaded is not None:
            _CACHE[store] = loaded
            return loaded
        built = None
        for _ in range(5):
            before = store.version()
            built = LeverageIndex.build(store, before)
            if store.version() == before:
                _CACHE[store] = built
                if folder is not None:
                    with contextlib.suppress(OSError):
                        _save(built, folder)
                return built
        assert built is not None
        return built           # writes keep coming: this build is as fresh as any
