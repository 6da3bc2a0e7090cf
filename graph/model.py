"""The graph model, declared once (the design card, section 2).

Everything else is derived from these declarations: the Neo4j constraints and
MERGE statements (:mod:`graph.cypher`), the validation of ingest rows
(:mod:`ingest.canonical`) and the GraphQL object types (:mod:`api.types`).

Labels and relationship types are the only identifiers ever placed into Cypher
text, and they come from here; every value travels as a parameter.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "ACTOR_LABELS",
    "DISCLOSURES",
    "ENVIRONMENTAL_RISKS",
    "GRIEVANCE_CLOSED",
    "GRIEVANCE_FILE_STATUSES",
    "GRIEVANCE_STATUSES",
    "INTERNAL_LABELS",
    "INTERNAL_RELS",
    "NODES",
    "PARTY_LABELS",
    "PROJECT_RELS",
    "PROJECT_ROLES",
    "PROJECT_STATUSES",
    "RELS",
    "RISKS",
    "RISK_NAMES",
    "SOCIAL_RISKS",
    "NodeType",
    "Prop",
    "RelType",
    "is_active",
    "node_type",
    "rel_key",
    "rel_type",
]

PropType = Literal["str", "int", "float", "date", "bool", "list"]

SOCIAL_RISKS = ("human_rights", "forced_labour", "child_labour", "discrimination", "living_wage",
                "health_safety", "excessive_hours", "job_insecurity", "freedom_of_association")
ENVIRONMENTAL_RISKS = ("air_pollution", "water_scarcity", "resource_depletion")
RISKS = SOCIAL_RISKS + ENVIRONMENTAL_RISKS
#: the steps of the complaints mechanism, in process order (grievance_events.csv, docs/access.md)
GRIEVANCE_STATUSES = ("received", "admissible", "forwarded", "in_dialogue", "resolved", "rejected")
#: what grievances.csv's status accepts: the old open/resolved and every step
GRIEVANCE_FILE_STATUSES = ("open", *GRIEVANCE_STATUSES)
#: statuses of a grievance that is no longer open
GRIEVANCE_CLOSED = ("resolved", "rejected")
#: disclosure levels of a sourcing link (docs/access.md): confidential is the default, also for a blank
DISCLOSURES = ("confidential", "covenant", "public")
PROJECT_STATUSES = ("proposed", "active", "completed", "stopped")
PROJECT_ROLES = ("lead", "participant", "supporter")


@dataclass(frozen=True)
class Prop:
    """One property of a node or relationship.

    ``enum`` restricts string values; ``lo``/``hi`` bound numbers (inclusive).
    """

    name: str
    type: PropType = "str"
    required: bool = False
    enum: tuple[str, ...] | None = None
    lo: float | None = None
    hi: float | None = None
    doc: str = ""


@dataclass(frozen=True)
class NodeType:
    label: str
    props: tuple[Prop, ...]
    doc: str = ""
    key: str = "id"

    def prop(self, name: str) -> Prop:
        return next(p for p in self.props if p.name == name)


@dataclass(frozen=True)
class RelType:
    """A relationship type with its allowed endpoints.

    ``key`` names the properties that tell parallel relationships between the
    same two nodes apart (e.g. two sourcing periods of one buyer at one
    factory).  They are folded into the ``key`` property the MERGE matches on,
    so a reload updates instead of duplicating.
    """

    type: str
    sources: tuple[str, ...]
    targets: tuple[str, ...]
    props: tuple[Prop, ...] = ()
    key: tuple[str, ...] = ()
    doc: str = ""

    def prop(self, name: str) -> Prop:
        return next(p for p in self.props if p.name == name)


def _actor(*extra: Prop) -> tuple[Prop, ...]:
    return (Prop("name", required=True), Prop("country", required=True, doc="ISO 3166-1 alpha-2"),
            *extra)


SOURCE = Prop("source", doc="provenance: the file, list or declaration this fact came from")
SINCE = Prop("since", "date")
UNTIL = Prop("until", "date")
PROVENANCE = (Prop("source_type", doc="canonical, oshub or brand-list"),
              Prop("reported_on", "date", doc="the reporting date of the source"))

NODES: tuple[NodeType, ...] = (
    NodeType("Covenant", (
        Prop("name", required=True), Prop("sector", required=True),
        Prop("signed_on", "date", required=True), Prop("ends_on", "date"),
    ), "An IMVO covenant (responsible business conduct agreement)."),
    NodeType("Company", _actor(
        Prop("kind", required=True, enum=("brand", "retailer", "manufacturer", "bank", "insurer",
                                          "pension_fund", "other")),
        Prop("website"),
    ), "A company: a covenant signatory, a buyer, or an investor."),
    NodeType("Supplier", _actor(
        Prop("kind", enum=("agent", "vendor", "group", "other")),
    ), "An agent, vendor or group between buyers and factories."),
    NodeType("Factory", _actor(
        Prop("address"), Prop("os_id", doc="Open Supply Hub id"),
        Prop("lat", "float", lo=-90, hi=90), Prop("lon", "float", lo=-180, hi=180),
        Prop("workers", "int", lo=0), Prop("products", "list"),
        Prop("sector", "list"), Prop("processing_type", "list"), Prop("workers_band"),
        Prop("is_closed", "bool"),
        Prop("has_cba", "bool", doc="a list says a collective bargaining agreement covers the workers "
                                    "(workplace or sector level, with or without a union named)"),
    ), "A production location."),
    NodeType("Country", (
        Prop("name"), Prop("ituc_rating", enum=("1", "2", "3", "4", "5", "5+")),
        Prop("living_wage_gap", "float", lo=0, hi=1),
        Prop("living_wage_eur", "float", lo=0, doc="a living wage, EUR per worker per month"),
        Prop("prevailing_wage_eur", "float", lo=0, doc="the prevailing wage, EUR per worker per month"),
    ), "A country; id is the ISO 3166-1 alpha-2 code."),
    NodeType("Union", _actor(Prop("level", enum=("workplace", "national", "global"))),
             "A trade union."),
    NodeType("NGO", _actor(Prop("focus")), "A non-governmental organisation."),
    NodeType("Organisation", _actor(
        Prop("kind", required=True, enum=("government", "embassy", "facilitator",
                                          "industry_association", "knowledge_institute", "other")),
    ), "A government body, embassy, facilitator, industry association or knowledge institute."),
    NodeType("Risk", (Prop("name"), Prop("category", enum=("social", "environmental"))),
             "A social or environmental risk named by the covenants."),
    NodeType("Grievance", (
        Prop("risk", required=True, enum=RISKS), Prop("filed_on", "date", required=True),
        Prop("status", required=True, enum=GRIEVANCE_FILE_STATUSES,
             doc="the status grievances.csv gives; the current status is the latest event's"),
        Prop("summary"),
    ), "A complaint about a factory."),
    NodeType("GrievanceEvent", (
        Prop("status", required=True, enum=GRIEVANCE_STATUSES), Prop("on", "date", required=True),
        Prop("note", doc="shown to the secretariat only (it may name buyers)"),
    ), "A step of a grievance through the complaints mechanism; id is grievance_id|status|on."),
    NodeType("Project", (
        Prop("name", required=True), Prop("risk", required=True, enum=RISKS),
        Prop("status", required=True, enum=PROJECT_STATUSES),
        Prop("started_on", "date"), Prop("ended_on", "date"), Prop("summary"),
    ), "A joint project at a factory (a living-wage step, a union's recognition, a remedy)."),
    NodeType("Snapshot", (
        Prop("as_of", "date", required=True, doc="the date the counts describe"),
        Prop("published_on", "date", doc="when the secretariat published it"),
    ), "Counts the secretariat published (imvo publish): the basis of otherBuyers and the public list; "
       "id is the as_of date. Never shown as such: only released under the disclosure control."),
)

#: facts the store keeps for the query layer, never navigated or drawn as such
INTERNAL_LABELS = ("Snapshot", "GrievanceEvent")
INTERNAL_RELS = ("COUNTS", "HAS_EVENT", "FORWARDED_TO")
#: project relationships: read through queries.projects only (a company's participation would reveal a link)
PROJECT_RELS = ("AT", "ADDRESSES", "PARTICIPATES_IN")
ACTOR_LABELS = ("Company", "Supplier", "Factory", "Union", "NGO", "Organisation")
PARTY_LABELS = ("Company", "Union", "NGO", "Organisation")

RELS: tuple[RelType, ...] = (
    RelType("PARTY_TO", PARTY_LABELS, ("Covenant",),
            (Prop("role", required=True, enum=("signatory", "facilitator", "observer")),
             SINCE, UNTIL, SOURCE, *PROVENANCE), key=("role", "since")),
    RelType("SOURCES_FROM", ("Company",), ("Factory",),
            (Prop("share", "float", lo=0, hi=1), Prop("products", "list"), SINCE, UNTIL,
             Prop("disclosure", enum=DISCLOSURES), SOURCE, *PROVENANCE),
            key=("since",)),
    RelType("BUYS_VIA", ("Company",), ("Supplier",),
            (SINCE, UNTIL, Prop("disclosure", enum=DISCLOSURES), SOURCE, *PROVENANCE),
            key=("since",)),
    # A SUPPLIES_FROM loaded from a sourcing row (its supplier_id) names that row's buyer and carries its
    # disclosure: it is a fact of that link, and whoever may not see the link does not see it either.
    RelType("SUPPLIES_FROM", ("Supplier",), ("Factory",),
            (SINCE, UNTIL, Prop("buyer", doc="the buyer whose sourcing link this comes from"),
             Prop("disclosure", enum=DISCLOSURES), SOURCE, *PROVENANCE),
            key=("buyer", "since")),
    RelType("OWNS", ("Supplier",), ("Factory",), (SOURCE, *PROVENANCE)),
    RelType("LOCATED_IN", ACTOR_LABELS, ("Country",), (SOURCE,)),
    RelType("REPRESENTS", ("Union",), ("Factory",),
            (Prop("members", "int", lo=0), Prop("has_cba", "bool"), SOURCE, *PROVENANCE)),
    RelType("AFFILIATED_WITH", ("Union",), ("Union",), (SOURCE,)),
    RelType("ACTIVE_IN", ("NGO", "Organisation"), ("Country",), (SOURCE,)),
    RelType("HAS_RISK", ("Country",), ("Risk",),
            (Prop("level", required=True, enum=("low", "medium", "high")), SOURCE)),
    RelType("PRIORITISES", ("Covenant",), ("Risk",), (SOURCE,)),
    RelType("CONCERNS", ("Grievance",), ("Factory",), (SOURCE,)),
    RelType("ABOUT", ("Grievance",), ("Risk",), (SOURCE,)),
    RelType("FILED", ("Union", "NGO"), ("Grievance",), (SOURCE,)),
    RelType("HAS_EVENT", ("Grievance",), ("GrievanceEvent",), (SOURCE,)),
    # which active signatory buyers of the factory the secretariat informed (imvo grievances forward):
    # never navigated; the query layer shows a company only whether it was one of them
    RelType("FORWARDED_TO", ("Grievance",), ("Company",), (Prop("on", "date", required=True), SOURCE)),
    RelType("COUNTS", ("Snapshot",), ("Factory",),
            (Prop("covenant", required=True, doc="a covenant id, or '*' for any covenant"),
             Prop("buyers", "int", required=True, lo=0, doc="active signatory buyers on the snapshot's date")),
            key=("covenant",)),
    RelType("AT", ("Project",), ("Factory",), (SOURCE,), doc="the factory a project works at"),
    RelType("ADDRESSES", ("Project",), ("Risk",), (SOURCE,), doc="the risk a project addresses"),
    RelType("PARTICIPATES_IN", PARTY_LABELS, ("Project",),
            (Prop("role", required=True, enum=PROJECT_ROLES), SOURCE), key=("role",)),
    RelType("INVESTS_IN", ("Company",), ("Company",),
            (Prop("kind", enum=("loan", "equity", "bond")), Prop("amount_eur", "float", lo=0),
             SINCE, UNTIL, SOURCE, *PROVENANCE), key=("since",)),
)

_NODES = {n.label: n for n in NODES}
_RELS = {r.type: r for r in RELS}


def node_type(label: str) -> NodeType:
    """The declared node type of ``label`` (KeyError when it is not declared)."""
    return _NODES[label]


def rel_type(type_: str) -> RelType:
    """The declared relationship type ``type_`` (KeyError when it is not declared)."""
    return _RELS[type_]


def is_active(props: dict[str, Any], on: dt.date) -> bool:
    """A relationship is active on ``on`` when ``since <= on < until`` (open ends allowed).

    >>> import datetime as dt
    >>> is_active({"since": dt.date(2020, 1, 1), "until": dt.date(2021, 1, 1)}, dt.date(2021, 1, 1))
    False
    >>> is_active({"since": dt.date(2020, 1, 1)}, dt.date(2020, 1, 1))
    True
    """
    since, until = props.get("since"), props.get("until")
    return bool((since is None or since <= on) and (until is None or on < until))


def rel_key(rel: RelType, props: dict[str, Any]) -> str:
    """The value of the ``key`` property a MERGE matches on ('' when the type has none)."""
    parts = []
    for name in rel.key:
        v = props.get(name)
        parts.append("" if v is None else v.isoformat() if isinstance(v, dt.date) else str(v))
    return "|".join(parts)


RISK_NAMES = {r: r.replace("_", " ").capitalize() for r in RISKS}
