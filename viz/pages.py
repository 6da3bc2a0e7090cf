"""The workbench's entity pages (DESIGN.md section 10), built only from query-layer results.

Each function takes the viewer and hands it to the query layer
(:mod:`imvo.queries.core`, :mod:`~imvo.queries.navigate`,
:mod:`~imvo.queries.analytics`), which applies the access rules: a page shows
exactly what the role may see, like every other door.  Nothing here reads the
store another way and nothing here knows about HTTP: a :class:`Page` is plain
data (facts and tables whose cells may be links to other entity pages), which
:mod:`imvo.viz.html` renders and :mod:`imvo.viz.exports` writes as CSV/XLSX.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from imvo.graph.model import INTERNAL_RELS, PROJECT_RELS, RELS, RISK_NAMES, is_active, node_type
from imvo.graph.store import GraphStore
from imvo.kernel.errors import InvalidInput, NotFound
from imvo.queries import args
from imvo.queries import projects as pq
from imvo.queries.access import Viewer
from imvo.queries.analytics import country_overview, factory_investors
from imvo.queries.core import Node, co_buyers, factory_leverage, joint_action_opportunities, shared_factories
from imvo.queries.grievance_status import is_open
from imvo.queries.grievances import facts as grievance_facts
from imvo.queries.grievances import forwarded_to, open_days
from imvo.queries.navigate import Direction, Edge, list_nodes, neighbours, nodes_by_id, search

__all__ = [
    "ENTITY_LABELS",
    "PAGE_KINDS",
    "Link",
    "Page",
    "Table",
    "entity_page",
    "href",
    "landing",
    "search_page",
]

#: URL segment -> label of the entity pages (/factory/{id}, ...)
PAGE_KINDS = {"factory": "Factory", "company": "Company", "covenant": "Covenant", "country": "Country",
              "supplier": "Supplier", "union": "Union", "ngo": "NGO", "organisation": "Organisation",
              "grievance": "Grievance", "risk": "Risk"}
ENTITY_LABELS = {v: k for k, v in PAGE_KINDS.items()}
VIEW_OF = {"Factory": "factory", "Company": "company", "Covenant": "covenant", "Country": "country"}


@dataclass(frozen=True)
class Link:
    """A name that links to its entity page; ``id`` is written beside the name in exports."""

    text: str
    href: str
    id: str = ""


Cell = str | int | float | Link | list[Link] | None


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    note: str = ""
    empty: str = "none"


@dataclass
class Page:
    kind: str                      # factory | company | ... | landing | search
    subject: str
    title: str
    viewer: str
    as_of: dt.date
    facts: list[tuple[str, Cell]] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    view: str | None = None        # the network view to embed (a /views/... URL)
    subtitle: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def table(self, key: str) -> Table:
        for t in self.tables:
            if t.key == key:
                return t
        raise NotFound(f"no table {key!r} on this page")


def href(label: str, id_: str) -> str:
    return f"/{ENTITY_LABELS[label]}/{quote(str(id_), safe='')}"


def link(n: Node | None) -> Link | None:
    if n is None:
        return None
    return Link(str(n.name or n.id), href(n.label, n.id), n.id)


def _d(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return "; ".join(_d(v) for v in value)
    return str(value)


def _pct(share: Any) -> str:
    return "" if share is None else f"{float(share) * 100:.0f}%"


def _status(e: Edge, as_of: dt.date) -> str:
    if is_active(e.props, as_of):
        return "active"
    since = e.get("since")
    return "not yet" if since is not None and since > as_of else "ended"


def _view_url(kind: str, id_: str, as_of: dt.date | None) -> str:
    q = urlencode({"asOf": as_of.isoformat()}) if as_of else ""
    return f"/views/{kind}/{quote(id_, safe='')}" + (f"?{q}" if q else "")


def _props(n: Node, skip: Iterable[str] = ("name",)) -> list[tuple[str, Cell]]:
    out: list[tuple[str, Cell]] = [("id", n.id)]
    for p in node_type(n.label).props:
        if p.name in skip:
            continue
        v = n.props.get(p.name)
        if v is None or v == "" or v == []:
            continue
        if p.name == "country" and n.label != "Country":
            out.append(("country", Link(str(v), href("Country", str(v)), str(v))))
        elif p.name == "risk" and isinstance(v, str):
            out.append(("risk", Link(RISK_NAMES.get(v, v), href("Risk", v), v)))
        else:
            out.append((p.name.replace("_", " "), _d(v)))
    return out


def _one(store: GraphStore, label: str, id_: str) -> Node:
    found = nodes_by_id(store, label, [id_.strip()]).get(id_.strip())
    if found is None:
        raise NotFound(f"unknown {label.lower()} {id_!r}")
    return found


def _new(kind: str, n: Node, viewer: Viewer, as_of: dt.date, title: str | None = None) -> Page:
    page = Page(kind, n.id, title or str(n.name or n.id), str(viewer), as_of, _props(n))
    if n.label in VIEW_OF:
        page.view = _view_url(VIEW_OF[n.label], n.id, as_of)
    return page


def _restricted(page: Page, viewer: Viewer) -> None:
    if not viewer.is_secretariat:
        page.notes.append("Counts, shares and scores here come from the sourcing links your role may see "
                          "(docs/access.md); further buyers are only ever estimated from a published snapshot.")


def _sourcing_rows(edges: Sequence[Edge], as_of: dt.date, anchor_label: str) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    for e in edges:
        other = link(e.node)
        rows.append([other, *([_d(e.node.props.get("country"))] if anchor_label == "Company" else []),
                     _pct(e.get("share")), _d(e.get("products")), _d(e.get("since")), _d(e.get("until")),
                     _d(e.get("disclosure") or "confidential"), _d(e.get("source")), _d(e.get("source_type")),
                     _d(e.get("reported_on")), _status(e, as_of)])
    return rows


_LINK_COLS = ["share", "products", "since", "until", "disclosure", "source", "source type", "reported on",
              "status"]


# ---------------------------------------------------------------------------
# factory
# ---------------------------------------------------------------------------

def factory_page(store: GraphStore, viewer: Viewer, factory_id: str, as_of: dt.date) -> Page:
    lev = factory_leverage(store, viewer, factory_id=factory_id.strip(), as_of=as_of)
    if lev is None:
        raise NotFound(f"unknown factory {factory_id!r}")
    f = lev.factory
    page = _new("factory", f, viewer, as_of)
    page.subtitle = "Factory"
    page.facts += [("buyers on this date", (f"{lev.buyer_count} ({lev.signatory_buyer_count} covenant "
                                           f"signatories)")),
                   ("combined share of the signatory buyers shown", _pct(lev.combined_share) or "unknown")]
    if not viewer.is_secretariat:
        page.facts.append(("further signatory buyers (published estimate)",
                           "withheld" if lev.other_buyers is None else f"at least {lev.other_buyers}"))
    _restricted(page, viewer)
    signatory = {c.id for c in lev.signatory_buyers}
    links = neighbours(store, viewer, "Factory", [f.id], "SOURCES_FROM", "in")[f.id]
    active = [e for e in links if is_active(e.props, as_of)]
    shown = {c.id for c in lev.buyers}
    buyers = Table("buyers", f"Buyers on {as_of.isoformat()}",
                   ["company", "covenant signatory", *_LINK_COLS])
    for row, e in zip(_sourcing_rows(active, as_of, "Factory"), active):
        if e.node.id in shown:
            buyers.rows.append([row[0], "yes" if e.node.id in signatory else "no", *row[1:]])
    page.tables.append(buyers)
    page.tables.append(Table("history", "List history: every sourcing period your role may see",
                             ["company", *_LINK_COLS], _sourcing_rows(links, as_of, "Factory"),
                             note="Each row is one period of one buyer's link, with the list it came from."))
    page.tables.append(Table("unions", "Unions representing workers here", ["union", "members", ("collective "
                             "agreement")], [[link(u.union), _d(u.members), _d(u.has_cba)] for u in lev.unions]))
    sup = Table("suppliers", "Suppliers and owner", ["supplier", "relationship", "since", "until", "source"])
    for type_, what in (("OWNS", "owns"), ("SUPPLIES_FROM", "supplies from")):
        for e in neighbours(store, viewer, "Factory", [f.id], type_, "in", as_of=as_of)[f.id]:
            sup.rows.append([link(e.node), what, _d(e.get("since")), _d(e.get("until")), _d(e.get("source"))])
    page.tables.append(sup)
    griev = sorted(neighbours(store, viewer, "Factory", [f.id], "CONCERNS", "in")[f.id],
                   key=lambda e: str(e.node.props.get("filed_on")))
    steps = grievance_facts(store, viewer, [e.node.id for e in griev])
    cols = ["grievance", "risk", "filed on", "status", "open for (days)", "steps", "summary"]
    if viewer.role == "company":
        cols.insert(6, "you were informed")
    rows: list[list[Cell]] = []
    for e in griev:
        g, st = e.node, steps.get(e.node.id)
        status = st.status if st else g.props.get("status")
        cells: list[Cell] = [Link(g.id, href("Grievance", g.id), g.id), _risk_link(g.props.get("risk")),
                             _d(g.props.get("filed_on")), _d(status),
                             _d(open_days(g.props.get("filed_on"), as_of) if is_open(status) else None),
                             "; ".join(f"{x.status} {x.on.isoformat()}" for x in st.events) if st else None,
                             _d(g.props.get("summary"))]
        if viewer.role == "company":
            cells.insert(6, _d(st.informed if st else None))
        rows.append(cells)
    page.tables.append(Table("grievances", "Grievances", cols, rows,
                             note="Open for: days from filing to this date while neither resolved nor rejected. "
                                  "Steps of the complaints mechanism as recorded by the secretariat."))
    code = str(f.props.get("country") or "")
    risks = neighbours(store, viewer, "Country", [code], "HAS_RISK", "out")[code] if code else []
    page.tables.append(Table("risks", f"Risks in {code}", ["risk", "level", "source"],
                             _risk_rows(risks)))
    page.tables.append(Table("ngos", f"NGOs active in {code}", ["NGO", "country", "focus"],
                             [[link(n), _d(n.props.get("country")), _d(n.props.get("focus"))] for n in lev.ngos]))
    page.tables.append(Table("organisations", f"Organisations active in {code} (embassies first)",
                             ["organisation", "kind", "country"],
                             [[link(o), _d(o.props.get("kind")), _d(o.props.get("country"))]
                              for o in lev.organisations]))
    inv = factory_investors(store, viewer, f.id, as_of=as_of)
    page.tables.append(Table("investors", "Banks, insurers and pension funds behind its buyers",
                             ["investor", "finances buyer", "kind", "amount (EUR)"],
                             [[link(i.investor), link(i.company), _d(i.kind), _d(i.amount_eur)] for i in inv]))
    page.tables.append(Table("projects", "Joint projects", ["project", "risk", "status", "started", "ended",
                                                            "participants"],
                             [[_d(p.get("name")), _risk_link(p.get("risk")), _d(p.get("status")),
                               _d(p.get("started_on")), _d(p.get("ended_on")),
                               "; ".join(f"{x.party.name or x.party.id} ({x.role})" for x in p.participants)]
                              for p in pq.projects(store, viewer, factory_id=f.id)],
                             note="Participating companies are shown when your role may see their link here."))
    gap = pq.living_wage_gap(store, viewer, factory_id=f.id, as_of=as_of)
    if gap is not None:
        page.facts.append(("living-wage gap per month (EUR)",
                           f"{gap.monthly_gap_eur:,.0f}" if gap.monthly_gap_eur is not None else
                           f"unknown: {gap.reason}"))
        page.tables.append(Table("living-wage", "Living-wage bill: each signatory buyer's part by its share",
                                 ["company", "share", "EUR per month"],
                                 [[link(b.company), _pct(b.share) or "unknown",
                                   _d(None if b.monthly_eur is None else f"{b.monthly_eur:,.0f}")]
                                  for b in gap.buyers],
                                 note=(gap.reason or "workers x (living wage - prevailing wage), country "
                                                     "figures")))
    lat, lon = f.props.get("lat"), f.props.get("lon")
    if lat is not None and lon is not None:
        page.extra["map"] = f"/map?factory={quote(f.id)}"
    return page


def _risk_link(rid: Any) -> Link | None:
    if not rid:
        return None
    return Link(RISK_NAMES.get(str(rid), str(rid)), href("Risk", str(rid)), str(rid))


_LEVEL = {"high": 0, "medium": 1, "low": 2}


def _risk_rows(edges: Sequence[Edge]) -> list[list[Cell]]:
    return [[link(e.node), _d(e.get("level")), _d(e.get("source"))]
            for e in sorted(edges, key=lambda e: (_LEVEL.get(str(e.get("level")), 3), e.node.id))]


# ---------------------------------------------------------------------------
# company
# ---------------------------------------------------------------------------

def company_page(store: GraphStore, viewer: Viewer, company_id: str, as_of: dt.date) -> Page:
    c = _one(store, "Company", company_id)
    page = _new("company", c, viewer, as_of)
    page.subtitle = f"Company ({c.props.get('kind') or 'company'})"
    cov = neighbours(store, viewer, "Company", [c.id], "PARTY_TO", "out")[c.id]
    page.tables.append(Table("covenants", "Covenants", ["covenant", "role", "since", "until", "status"],
                             [[link(e.node), _d(e.get("role")), _d(e.get("since")), _d(e.get("until")),
                               _status(e, as_of)] for e in cov]))
    links = neighbours(store, viewer, "Company", [c.id], "SOURCES_FROM", "out")[c.id]
    active = [e for e in links if is_active(e.props, as_of)]
    page.tables.append(Table("sourcing", f"Factories it buys from on {as_of.isoformat()} (as your role may "
                             f"see them)", ["factory", "country", *_LINK_COLS],
                             _sourcing_rows(active, as_of, "Company")))
    page.tables.append(Table("history", "List history: every sourcing period your role may see",
                             ["factory", "country", *_LINK_COLS], _sourcing_rows(links, as_of, "Company")))
    found = co_buyers(store, viewer, company_id=c.id, as_of=as_of)
    page.tables.append(Table("cobuyers", "Co-buyers: other signatories at the same factories",
                             ["company", "shared factories", "factories"],
                             [[link(x.company), x.shared_count, [lk for f in x.shared_factories
                                                                  if (lk := link(f)) is not None]]
                              for x in found]))
    sup = neighbours(store, viewer, "Company", [c.id], "BUYS_VIA", "out", as_of=as_of)[c.id]
    page.tables.append(Table("suppliers", "Buys via (agents, vendors)", ["supplier", "since", "until", "source"],
                             [[link(e.node), _d(e.get("since")), _d(e.get("until")), _d(e.get("source"))]
                              for e in sup]))
    invest: tuple[tuple[str, Direction, str, str], ...] = (("investors", "in", "Financed by", "investor"),
                                                          ("investments", "out", "Finances", "company"))
    for key, direction, title, col in invest:
        es = neighbours(store, viewer, "Company", [c.id], "INVESTS_IN", direction, as_of=as_of)[c.id]
        if es:
            page.tables.append(Table(key, title, [col, "kind", "amount (EUR)", "since", "until"],
                                     [[link(e.node), _d(e.get("kind")), _d(e.get("amount_eur")),
                                       _d(e.get("since")), _d(e.get("until"))] for e in es]))
    return page


# ---------------------------------------------------------------------------
# covenant
# ---------------------------------------------------------------------------

def covenant_page(store: GraphStore, viewer: Viewer, covenant_id: str, as_of: dt.date,
                  risk: str = "living_wage") -> Page:
    cov = _one(store, "Covenant", covenant_id)
    page = _new("covenant", cov, viewer, as_of)
    page.subtitle = "Covenant"
    pr = neighbours(store, viewer, "Covenant", [cov.id], "PRIORITISES", "out")[cov.id]
    page.facts.append(("priority risks", [lk for e in pr if (lk := link(e.node)) is not None]))
    parties = neighbours(store, viewer, "Covenant", [cov.id], "PARTY_TO", "in")[cov.id]
    page.tables.append(Table("parties", "Parties", ["party", "type", "role", "since", "until", "status"],
                             [[link(e.node), e.node.label, _d(e.get("role")), _d(e.get("since")),
                               _d(e.get("until")), _status(e, as_of)]
                              for e in sorted(parties, key=lambda e: (str(e.get("role")), e.node.label,
                                                                      str(e.node.name)))]))
    shared = shared_factories(store, viewer, covenant_id=cov.id, min_buyers=2, as_of=as_of)
    t = Table("shared", f"Shared factories on {as_of.isoformat()}: two or more signatory buyers",
              ["factory", "country", "signatory buyers", "buyers", "further buyers (estimate)"],
              [[link(s.factory), _country_link(s.factory), s.buyer_count,
                [lk for b in s.buyers if (lk := link(b)) is not None],
                "-" if viewer.is_secretariat else ("withheld" if s.other_buyers is None else f">= {s.other_buyers}")]
               for s in shared])
    if not viewer.is_secretariat:
        t.note = "Drawn from the links your role may see; the estimate comes from the latest published snapshot."
    page.tables.append(t)
    risk = args.risk(risk)
    opp = joint_action_opportunities(store, viewer, risk=risk, covenant_id=cov.id, first=15, as_of=as_of)
    page.tables.append(Table("opportunities", f"Where to act together on {RISK_NAMES[risk].lower()} "
                             f"(top 15, score in docs)", ["factory", "country", "score", "signatory buyers",
                                                          "buyers shown", "risk level", "open grievances",
                                                          "unions", "oldest open grievance (days)",
                                                          "organisations in the country"],
                             [[link(o.factory), _country_link(o.factory), o.score, o.signatory_buyer_count,
                               [lk for b in o.signatory_buyers if (lk := link(b)) is not None],
                               _d(o.risk_level), len(o.open_grievances),
                               [lk for u in o.unions if (lk := link(u.union)) is not None],
                               _d(o.oldest_open_grievance_days),
                               [lk for x in o.organisations if (lk := link(x)) is not None]] for o in opp]))
    page.extra["risk"] = risk
    page.extra["map"] = f"/map?covenant={quote(cov.id)}"
    return page


def _country_link(n: Node) -> Link | None:
    code = n.props.get("country")
    return Link(str(code), href("Country", str(code)), str(code)) if code else None


# ---------------------------------------------------------------------------
# country
# ---------------------------------------------------------------------------

def country_page(store: GraphStore, viewer: Viewer, code: str, as_of: dt.date) -> Page:
    try:
        cc = args.country(code) or ""
    except InvalidInput:
        raise NotFound(f"no country with code {code!r}") from None
    ov = country_overview(store, viewer, cc, as_of=as_of)
    if ov is None:
        raise NotFound(f"no country with code {code!r}")
    page = _new("country", ov.country, viewer, as_of)
    page.subtitle = "Country"
    page.facts += [("factories", ov.factory_count), ("shared factories (2+ signatory buyers)",
                                                     ov.shared_factory_count),
                   ("signatory buyers with a factory here", ov.signatory_buyer_count)]
    risks = neighbours(store, viewer, "Country", [cc], "HAS_RISK", "out")[cc]
    page.tables.append(Table("risks", "Risks", ["risk", "level", "source"], _risk_rows(risks)))
    shared = shared_factories(store, viewer, country=cc, min_buyers=2, as_of=as_of)
    page.tables.append(Table("shared", f"Shared factories on {as_of.isoformat()}",
                             ["factory", "signatory buyers", "buyers shown"],
                             [[link(s.factory), s.buyer_count, [lk for b in s.buyers if (lk := link(b))]]
                              for s in shared]))
    page.tables.append(Table("unions", "Unions", ["union", "level"],
                             [[link(u), _d(u.props.get("level"))] for u in ov.unions]))
    active = neighbours(store, viewer, "Country", [cc], "ACTIVE_IN", "in")[cc]
    page.tables.append(Table("active", "NGOs and organisations active here", ["name", "type", "kind / focus"],
                             [[link(e.node), e.node.label, _d(e.node.props.get("kind") or
                                                                e.node.props.get("focus"))] for e in active]))
    fs = list_nodes(store, "Factory", country=cc, limit=500)
    t = Table("factories", f"Factories ({fs.total})", ["factory", "address", "workers", "OS ID"],
              [[link(f), _d(f.props.get("address")), _d(f.props.get("workers")), _d(f.props.get("os_id"))]
               for f in fs.items])
    if fs.total > len(fs.items):
        t.note = f"The first {len(fs.items)} of {fs.total} by id; search or the map find the others."
    page.tables.append(t)
    page.extra["map"] = f"/map?country={quote(cc)}"
    return page


# ---------------------------------------------------------------------------
# every other label: the node and its relationships, through navigation
# ---------------------------------------------------------------------------

def node_page(store: GraphStore, viewer: Viewer, label: str, id_: str, as_of: dt.date) -> Page:
    n = _one(store, label, id_)
    if label == "Risk":
        n = Node(n.label, n.id, {**n.props, "name": n.props.get("name") or RISK_NAMES.get(n.id, n.id)})
    page = _new(ENTITY_LABELS[label], n, viewer, as_of)
    page.subtitle = label
    for rt in RELS:
        if rt.type in INTERNAL_RELS or rt.type in PROJECT_RELS:   # projects: on factory pages, by role
            continue
        for direction, ends in (("out", rt.sources), ("in", rt.targets)):
            if label not in ends or (rt.type == "LOCATED_IN" and direction == "in" and label != "Country"):
                continue
            es = neighbours(store, viewer, label, [n.id], rt.type, direction)[n.id]  # type: ignore[arg-type]
            if not es:
                continue
            cols = [p.name for p in rt.props if any(e.get(p.name) is not None for e in es)]
            title = (f"{rt.type.lower().replace('_', ' ')} \u2192" if direction == "out"
                     else f"\u2190 {rt.type.lower().replace('_', ' ')}")
            page.tables.append(Table(f"{rt.type.lower()}-{direction}", title,
                                     ["name", "type", *[c.replace("_", " ") for c in cols]],
                                     [[link(e.node), e.node.label, *[_d(e.get(c)) for c in cols]] for e in es]))
    if label == "Grievance":
        _grievance_tables(store, viewer, page, n, as_of)
    return page


def _grievance_tables(store: GraphStore, viewer: Viewer, page: Page, g: Node, as_of: dt.date) -> None:
    """The complaints mechanism: steps (notes for the secretariat only) and whom it was forwarded to,
    as the role may see it (imvo.queries.grievances)."""
    st = grievance_facts(store, viewer, [g.id]).get(g.id)
    if st is None:
        return
    page.facts.append(("current status", st.status or ""))
    if is_open(st.status):
        page.facts.append(("open for (days)", _d(open_days(g.props.get("filed_on"), as_of))))
    page.tables.append(Table("steps", "Steps of the complaints mechanism", ["status", "on", "note"],
                             [[e.status, e.on.isoformat(), _d(e.note)] for e in st.events]))
    if viewer.is_secretariat:
        sent = forwarded_to(store, viewer, [g.id])[g.id]
        page.tables.append(Table("forwarded", "Forwarded to", ["company"], [[link(c)] for c in sent]))
    elif viewer.role == "company":
        page.facts.append(("you were informed", _d(st.informed)))


def entity_page(store: GraphStore, viewer: Viewer, kind: str, id_: str, *, as_of: dt.date | None = None,
                risk: str | None = None) -> Page:
    """The page of ``/{kind}/{id}``; NotFound for an unknown kind or id."""
    day = args.as_of(as_of)
    if kind not in PAGE_KINDS:
        raise NotFound(f"no such page /{kind}")
    if not id_.strip():
        raise NotFound(f"no {kind} id given")
    if kind == "factory":
        return factory_page(store, viewer, id_, day)
    if kind == "company":
        return company_page(store, viewer, id_, day)
    if kind == "covenant":
        return covenant_page(store, viewer, id_, day, risk or "living_wage")
    if kind == "country":
        return country_page(store, viewer, id_, day)
    return node_page(store, viewer, PAGE_KINDS[kind], id_, day)


# ---------------------------------------------------------------------------
# landing and search
# ---------------------------------------------------------------------------

def landing(store: GraphStore, viewer: Viewer, as_of: dt.date | None = None) -> Page:
    day = args.as_of(as_of)
    page = Page("landing", "", "IMVO leverage graph", str(viewer), day)
    covs = list_nodes(store, "Covenant", limit=1000).items
    page.tables.append(Table("covenants", "Covenants", ["covenant", "sector", "signed on"],
                             [[link(c), _d(c.props.get("sector")), _d(c.props.get("signed_on"))]
                              for c in sorted(covs, key=lambda c: str(c.props.get("signed_on") or ""))]))
    countries = list_nodes(store, "Country", limit=1000).items
    page.tables.append(Table("countries", "Countries", ["country", "code", "ITUC rating"],
                             [[link(c), c.id, _d(c.props.get("ituc_rating"))]
                              for c in sorted(countries, key=lambda c: str(c.name or c.id))]))
    return page


def search_page(store: GraphStore, viewer: Viewer, text: str | None, limit: int = 100) -> Page:
    q = (text or "").strip()
    page = Page("search", q, f"Search: {q}" if q else "Search", str(viewer), args.today())
    if not q:
        return page
    if len(q) > 200:
        raise InvalidInput("search text is too long (at most 200 characters)")
    found = search(store, q, limit=args.first(limit))
    page.tables.append(Table("results", f"{len(found)} result{'s' if len(found) != 1 else ''} for \u201c{q}\u201d",
                             ["name", "type", "country", "id"],
                             [[link(n), n.label, _d(n.props.get("country")), n.id] for n in found],
                             empty="nothing found: try part of a name, or an id"))
    return page
