"""Joint projects, the living-wage bill and responsible exit (DESIGN section 11), as each role may see them.

Projects are facts about a factory (its name, risk, status and the unions, NGOs and organisations
taking part are not confidential).  A *company* taking part in a project at a factory says that it
buys there, so for every role but the secretariat a participating company is shown only when it is
the viewer, or when the viewer may see at least one of that company's sourcing links to that
factory (docs/access.md, "Projects").  Filters (``covenantId``) work on the participants shown, so
a filter never reveals a hidden one.

The living-wage bill of a factory (workers x (living wage - prevailing wage)) is a fact of the
factory and its country; its split over buyers is computed on the links the viewer may see, on
the leverage index's masks like every other answer of :mod:`imvo.queries.core`.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from imvo.graph.model import PROJECT_STATUSES
from imvo.graph.store import GraphStore, GraphView, ReadQuery
from imvo.kernel.errors import InvalidInput

from . import args
from .access import Viewer
from .base import Node, nodes_by_id
from .core import _audit
from .leverage import LeverageIndex, day, index_for

__all__ = ["EndedLink", "LivingWageGap", "Participant", "Project", "WageShare", "active_project_factories",
           "ended_links", "living_wage_gap", "monthly_gaps", "projects"]


@dataclass(frozen=True)
class Participant:
    party: Node
    role: str


@dataclass(frozen=True)
class Project:
    node: Node
    factory: Node
    country: str
    participants: list[Participant]

    @property
    def id(self) -> str:
        return self.node.id

    def get(self, name: str) -> Any:
        return self.node.props.get(name)


@dataclass(frozen=True)
class WageShare:
    company: Node
    share: float | None
    monthly_eur: float | None


@dataclass(frozen=True)
class LivingWageGap:
    factory: Node
    workers: int | None
    living_wage_eur: float | None
    prevailing_wage_eur: float | None
    monthly_gap_eur: float | None
    reason: str | None
    buyers: list[WageShare]


@dataclass(frozen=True)
class EndedLink:
    company: Node
    factory: Node
    ended_on: dt.date
    reasons: list[str]


# ---------------------------------------------------------------------------
# reading projects
# ---------------------------------------------------------------------------

def _projects_py(view: GraphView, *, factories: list[str] | None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for p in view.nodes("Project"):
        at = [n for _, _, n in view.out("Project", p["id"], "AT")]
        if not at or (factories is not None and at[0]["id"] not in factories):
            continue
        parts: list[dict[str, Any]] = []
        for r, label, n in view.inc("Project", p["id"], "PARTICIPATES_IN"):
            covs = [{"covenant": c["id"], "since": m.get("since"), "until": m.get("until")}
                    for m, _, c in view.out(label, n["id"], "PARTY_TO")]
            parts.append({"label": label, "node": dict(n), "role": r.get("role"), "covenants": covs})
        parts.sort(key=lambda x: (x["node"]["id"], x["role"] or ""))
        rows.append({"p": dict(p), "factory": dict(at[0]), "participants": parts})
    rows.sort(key=lambda r: r["p"]["id"])
    return rows


PROJECTS = ReadQuery("projects", """
MATCH (p:Project)-[:AT]->(f:Factory)
WHERE $factories IS NULL OR f.id IN $factories
RETURN p {.*} AS p, f {.*} AS factory,
  [(x)-[r:PARTICIPATES_IN]->(p) | {label: labels(x)[0], node: x {.*}, role: r.role,
     covenants: [(x)-[m:PARTY_TO]->(c:Covenant) | {covenant: c.id, since: m.since, until: m.until}]}]
  AS participants
ORDER BY p.id
""", _projects_py)


def _sees_company_at(idx: LeverageIndex, viewer: Viewer, d: int, company: str, factory: str) -> bool:
    """May ``viewer`` learn that ``company`` is involved at ``factory``?  When it is the viewer, or when
    the viewer may see one of the company's sourcing links there (whatever their dates)."""
    if viewer.is_secretariat or (viewer.role == "company" and viewer.company_id == company):
        return True
    c, f = idx.company_code.get(company), idx.factory_code.get(factory)
    if c is None or f is None:
        return False
    pos = idx.factory_links(f)
    pos = pos[idx.l_comp[pos] == c]
    if not len(pos):
        return False
    vis = idx.visible(viewer, d, pos)
    return True if vis is None else bool(vis.any())


def _on(m: dict[str, Any], on: dt.date) -> bool:
    since, until = m.get("since"), m.get("until")
    return (since is None or since <= on) and (until is None or on < until)


def _read(store: GraphStore, viewer: Viewer, factories: list[str] | None,
          covenant_id: str | None = None) -> list[Project]:
    today = args.today()
    idx, d = index_for(store), day(today)
    out = []
    for r in store.read(PROJECTS, factories=factories):
        fid = r["factory"]["id"]
        parts, covenant_ok = [], covenant_id is None
        for x in sorted(r["participants"], key=lambda x: (x["node"]["id"], x["role"] or "")):
            if x["label"] == "Company" and not _sees_company_at(idx, viewer, d, x["node"]["id"], fid):
                continue
            parts.append(Participant(Node.of(x["label"], x["node"]), x["role"]))
            if covenant_id is not None and any(m["covenant"] == covenant_id and _on(m, today)
                                               for m in x["covenants"] or ()):
                covenant_ok = True
        if covenant_ok:
            out.append(Project(Node.of("Project", r["p"]), Node.of("Factory", r["factory"]),
                               str(r["factory"].get("country") or ""), parts))
    return out


def projects(store: GraphStore, viewer: Viewer, *, status: str | None = None, covenant_id: str | None = None,
             risk: str | None = None, country: str | None = None,
             factory_id: str | None = None) -> list[Project]:
    """Projects (ordered by id), optionally of one status, risk, factory country, or with a participant
    that is an active party of ``covenant_id`` (among the participants the viewer may see)."""
    if status is not None and status not in PROJECT_STATUSES:
        raise InvalidInput(f"unknown project status {status!r}: use {', '.join(PROJECT_STATUSES)}")
    risk = args.risk(risk) if risk is not None else None
    country = args.country(country)
    covenant_id = args.covenant(store, covenant_id)
    rows = _read(store, viewer, [factory_id] if factory_id is not None else None, covenant_id)
    return [p for p in rows if (status is None or p.get("status") == status)
            and (risk is None or p.get("risk") == risk) and (country is None or p.country == country)]


def active_project_factories(store: GraphStore, risk: str, factories: list[str]) -> dict[str, list[Node]]:
    """{factory id: its active projects addressing ``risk``} (a factory fact, the same for every role)."""
    out: dict[str, list[Node]] = {}
    if not factories:
        return out
    for r in store.read(PROJECTS, factories=list(factories)):
        p = r["p"]
        if p.get("status") == "active" and p.get("risk") == risk:
            out.setdefault(r["factory"]["id"], []).append(Node.of("Project", p))
    return out


# ---------------------------------------------------------------------------
# the living-wage bill
# ---------------------------------------------------------------------------

def _gap(workers: Any, living: Any, prevailing: Any) -> float | None:
    if workers is None or living is None or prevailing is None:
        return None
    return round(int(workers) * max(float(living) - float(prevailing), 0.0), 2)


def monthly_gaps(store: GraphStore, factories: list[Node]) -> dict[str, float | None]:
    """{factory id: its monthly living-wage gap in EUR, None when an input is unknown}."""
    codes = sorted({str(f.props.get("country") or "") for f in factories} - {""})
    countries = nodes_by_id(store, "Country", codes)
    out = {}
    for f in factories:
        c = countries.get(str(f.props.get("country") or ""))
        out[f.id] = _gap(f.props.get("workers"), c.props.get("living_wage_eur") if c else None,
                         c.props.get("prevailing_wage_eur") if c else None)
    return out


def living_wage_gap(store: GraphStore, viewer: Viewer, *, factory_id: str,
                    as_of: dt.date | None = None) -> LivingWageGap | None:
    """workers x (living wage - prevailing wage) per month at a factory, and each active signatory
    buyer's part by its share (over the links the viewer may see); ``None`` for an unknown factory.

    An unknown input gives ``monthly_gap_eur = None`` with the reason, never a guess; a prevailing
    wage at or above the living wage gives 0 with the reason.
    """
    as_of = args.as_of(as_of)
    factory = nodes_by_id(store, "Factory", [factory_id]).get(factory_id)
    if factory is None:
        return None
    code = str(factory.props.get("country") or "")
    country = nodes_by_id(store, "Country", [code]).get(code) if code else None
    workers = factory.props.get("workers")
    living = country.props.get("living_wage_eur") if country else None
    prevailing = country.props.get("prevailing_wage_eur") if country else None
    reasons = []
    if workers is None:
        reasons.append("the number of workers is unknown")
    if living is None:
        reasons.append(f"no living wage figure for the country ({code or 'unknown'})")
    if prevailing is None:
        reasons.append(f"no prevailing wage figure for the country ({code or 'unknown'})")
    gap: float | None = None
    reason: str | None = "; ".join(reasons) or None
    if not reasons:
        assert workers is not None and living is not None and prevailing is not None
        per_worker = float(living) - float(prevailing)
        if per_worker <= 0:
            gap, reason = 0.0, "the prevailing wage meets the living wage"
        else:
            gap = round(int(workers) * per_worker, 2)

    idx, d = index_for(store), day(as_of)
    buyers: list[WageShare] = []
    f = idx.factory_code.get(factory_id)
    if f is not None:
        pos = idx.factory_links(f)
        sig = idx.signatories(d)
        pos = pos[idx.usable(viewer, d, pos) & sig[idx.l_comp[pos]]]
        _audit(idx, pos)                                                          # audit: handed out
        comps = np.unique(idx.l_comp[pos])
        names = nodes_by_id(store, "Company", [idx.companies[int(c)] for c in comps])
        for c in comps:
            shares = idx.l_share[pos[idx.l_comp[pos] == c]]
            known = shares[~np.isnan(shares)]
            share = round(min(float(known.sum()), 1.0), 10) if len(known) else None
            part = round(share * gap, 2) if share is not None and gap is not None else None
            buyers.append(WageShare(names[idx.companies[int(c)]], share, part))
    return LivingWageGap(factory, None if workers is None else int(workers),
                         None if living is None else float(living),
                         None if prevailing is None else float(prevailing), gap, reason, buyers)


# ---------------------------------------------------------------------------
# responsible exit
# ---------------------------------------------------------------------------

def ended_links(store: GraphStore, viewer: Viewer, *, covenant_id: str | None = None, start: dt.date,
                end: dt.date) -> list[EndedLink]:
    """Signatory sourcing links that ended (``until``) in ``[start, end)`` at factories with an open
    grievance, an active project or a union present, as the viewer may see them.

    A link counts when its buyer was an active signatory (of ``covenant_id``, of any covenant when
    None) on the link's last day (the day before ``until``), and the viewer may see it on that day.
    Ordered by end date, factory id, company id.
    """
    if end <= start:
        raise InvalidInput(f"'to' {end} must be after 'from' {start}")
    covenant_id = args.covenant(store, covenant_id)
    idx = index_for(store)
    lo, hi = day(start), day(end)
    cand = np.flatnonzero((idx.l_until >= lo) & (idx.l_until < hi)).astype(np.int64)
    keep = []
    for p in cand.tolist():
        last = int(idx.l_until[p]) - 1
        if not idx.signatories(last, covenant_id)[idx.l_comp[p]]:
            continue
        one = np.array([p], dtype=np.int64)
        vis = idx.visible(viewer, last, one)
        if vis is not None and not bool(vis[0]):
            continue
        keep.append(p)
    if not keep:
        return []
    facs = sorted({idx.factories[int(idx.l_fac[p])] for p in keep})
    griev = {idx.factories[int(f)] for f, on in zip(idx.g_fac.tolist(), idx.g_filed.tolist(), strict=True)
             if on < hi}
    active = {fid for fid, ps in _active_projects(store, facs).items() if ps}
    unions = {fid for fid in facs if idx.f_unions[idx.factory_code[fid]] > 0}
    rows = []
    for p in keep:
        fid = idx.factories[int(idx.l_fac[p])]
        reasons = [why for why, hit in (("open grievance", fid in griev), ("active project", fid in active),
                                        ("union present", fid in unions)) if hit]
        if reasons:
            rows.append((int(idx.l_until[p]), fid, idx.companies[int(idx.l_comp[p])], reasons, p))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    seen: set[tuple[int, str, str]] = set()
    rows = [r for r in rows if (r[0], r[1], r[2]) not in seen and not seen.add((r[0], r[1], r[2]))]  # type: ignore[func-returns-value]
    _audit(idx, np.array([r[4] for r in rows], dtype=np.int64))                   # audit: handed out
    factories = nodes_by_id(store, "Factory", [r[1] for r in rows])
    companies = nodes_by_id(store, "Company", [r[2] for r in rows])
    epoch = dt.date(1970, 1, 1)
    return [EndedLink(companies[c], factories[f], epoch + dt.timedelta(days=u), reasons)
            for u, f, c, reasons, _ in rows]


def _active_projects(store: GraphStore, factories: list[str]) -> dict[str, list[Node]]:
    out: dict[str, list[Node]] = {}
    for r in store.read(PROJECTS, factories=list(factories)):
        if r["p"].get("status") == "active":
            out.setdefault(r["factory"]["id"], []).append(Node.of("Project", r["p"]))
    return out
