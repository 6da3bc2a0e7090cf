"""GraphQL object types.

The scalar fields of every node type are derived from the model declaration
(:mod:`graph.model`); navigation fields are resolvers that go through
per-request DataLoaders, so a request costs a bounded number of store round
trips whatever the size of its result.  Access rules are applied by the query
layer those loaders call.
"""
from __future__ import annotations

import datetime as dt
import inspect
from typing import Annotated, Any, Generic, Optional, TypeVar, Union

import strawberry
from strawberry.types import Info

from imvo.graph.model import node_type
from imvo.queries.core import Node
from imvo.queries.navigate import Edge

from .context import Context, in_thread
from .enums import CompanyKind, Disclosure, PartyRole, RiskId, as_enum
from .limits import count_nodes

_PY: dict[str, Any] = {"str": Optional[str], "int": Optional[int], "float": Optional[float],
                       "date": Optional[dt.date], "bool": Optional[bool], "list": Optional[list[str]]}


def model_type(label: str, name: str | None = None) -> Any:
    """Add the declared properties of ``label`` as fields, then make a strawberry type."""
    nt = node_type(label)

    def wrap(cls: type) -> Any:
        ann = {"id": strawberry.ID}
        for p in nt.props:
            ann[p.name] = _PY[p.type]
            setattr(cls, p.name, strawberry.field(default=None, description=p.doc or None))
        ann.update(inspect.get_annotations(cls))
        cls.__annotations__ = ann
        cls._label = label  # type: ignore[attr-defined]
        cls.from_domain = classmethod(_from_domain)  # type: ignore[attr-defined]
        return strawberry.type(cls, name=name or label, description=nt.doc)
    return wrap


def _from_domain(cls: Any, node: Node | None) -> Any:
    if node is None:
        return None
    fields = {p.name: node.props.get(p.name) for p in node_type(cls._label).props}
    return cls(id=node.id, **fields)


def entity(node: Node | None) -> Any:
    """The GraphQL object for any node (counted against the request's result limit)."""
    if node is None:
        return None
    count_nodes()
    return BY_LABEL[node.label].from_domain(node)


async def _edges(info: Info[Context, None], label: str, id_: str, type_: str, direction: str,
                 as_of: dt.date | None = None) -> list[Edge]:
    return await info.context.edge_loader(label, type_, direction, as_of).load(id_)  # type: ignore[arg-type]


async def _node(info: Info[Context, None], label: str, id_: str | None) -> Any:
    if not id_:
        return None
    return entity(await info.context.node_loader(label).load(id_))


# ---------------------------------------------------------------------------
# relationship types
# ---------------------------------------------------------------------------

@strawberry.type(description="A buyer's sourcing link to a factory, with its provenance.")
class SourcingLink:
    company: Company
    factory: Factory
    share: Optional[float]
    products: Optional[list[str]]
    since: Optional[dt.date]
    until: Optional[dt.date]
    disclosure: Optional[str]
    source: Optional[str]
    source_type: Optional[str]
    reported_on: Optional[dt.date]

    @strawberry.field(description="disclosure as an enum (blank = confidential)")
    def disclosure_level(self) -> Disclosure:
        return as_enum(Disclosure, self.disclosure or "confidential")

    @classmethod
    def of(cls, company: Node, factory: Node, e: Edge) -> SourcingLink:
        return cls(company=entity(company), factory=entity(factory), share=e.get("share"),
                   products=e.get("products"), since=e.get("since"), until=e.get("until"),
                   disclosure=e.get("disclosure"), source=e.get("source"),
                   source_type=e.get("source_type"), reported_on=e.get("reported_on"))


@strawberry.type(description="A party's membership of a covenant.")
class Participation:
    party: Party
    covenant: Covenant
    role: Optional[str]
    since: Optional[dt.date]
    until: Optional[dt.date]
    source: Optional[str]

    @strawberry.field(description="role as an enum")
    def party_role(self) -> Optional[PartyRole]:
        return as_enum(PartyRole, self.role)

    @classmethod
    def of(cls, party: Node, covenant: Node, e: Edge) -> Participation:
        return cls(party=entity(party), covenant=entity(covenant), role=e.get("role"),
                   since=e.get("since"), until=e.get("until"), source=e.get("source"))


@strawberry.type(description="A union representing workers at a factory.")
class UnionPresence:
    union: TradeUnion
    factory: Optional[Factory]
    members: Optional[int]
    has_cba: Optional[bool] = strawberry.field(description="a collective bargaining agreement is in force")
    source: Optional[str] = None
    source_type: Optional[str] = None
    reported_on: Optional[dt.date] = None


@strawberry.type(description="A financial link: a bank, insurer or pension fund financing a company.")
class Investment:
    investor: Company
    company: Company
    kind: Optional[str]
    amount_eur: Optional[float]
    since: Optional[dt.date]
    until: Optional[dt.date]
    source: Optional[str]

    @classmethod
    def of(cls, investor: Node, company: Node, e: Edge) -> Investment:
        return cls(investor=entity(investor), company=entity(company), kind=e.get("kind"),
                   amount_eur=e.get("amount_eur"), since=e.get("since"), until=e.get("until"),
                   source=e.get("source"))


@strawberry.type(description="A country's level of a risk.")
class CountryRisk:
    country: Country
    risk: Risk
    level: Optional[str]
    source: Optional[str]


@strawberry.type(description="A supplier's link to a factory (supplies from, or owns).")
class SupplierLink:
    supplier: Supplier
    factory: Factory
    since: Optional[dt.date]
    until: Optional[dt.date]
    source: Optional[str]
    source_type: Optional[str] = None
    reported_on: Optional[dt.date] = None


# ---------------------------------------------------------------------------
# node types
# ---------------------------------------------------------------------------

@model_type("Covenant")
class Covenant:
    id: strawberry.ID

    @strawberry.field(description="Parties (companies, unions, NGOs, organisations), optionally by role "
                                  "and active on a date.")
    async def parties(self, info: Info[Context, None], role: Optional[str] = None,
                      as_of: Optional[dt.date] = None) -> list[Participation]:
        me = Node("Covenant", self.id)
        edges = await _edges(info, "Covenant", self.id, "PARTY_TO", "in", as_of)
        return [Participation.of(e.node, me, e) for e in edges if role is None or e.get("role") == role]

    @strawberry.field(description="Risks the covenant prioritises.")
    async def priority_risks(self, info: Info[Context, None]) -> list[Risk]:
        return [entity(e.node) for e in await _edges(info, "Covenant", self.id, "PRIORITISES", "out")]


@model_type("Company")
class Company:
    id: strawberry.ID

    @strawberry.field(description="kind as an enum")
    def company_kind(self) -> Optional[CompanyKind]:
        return as_enum(CompanyKind, self.kind)  # type: ignore[attr-defined]

    @strawberry.field(description="The country the company is based in.")
    async def location(self, info: Info[Context, None]) -> Optional[Country]:
        return await _node(info, "Country", self.country)  # type: ignore[attr-defined]

    @strawberry.field(description="Covenants the company is party to.")
    async def covenants(self, info: Info[Context, None],
                        as_of: Optional[dt.date] = None) -> list[Participation]:
        me = Node("Company", self.id)
        return [Participation.of(me, e.node, e)
                for e in await _edges(info, "Company", self.id, "PARTY_TO", "out", as_of)]

    @strawberry.field(description="Sourcing links the viewer may see (active on asOf when given).")
    async def sourcing(self, info: Info[Context, None], as_of: Optional[dt.date] = None) -> list[SourcingLink]:
        me = Node("Company", self.id)
        return [SourcingLink.of(me, e.node, e)
                for e in await _edges(info, "Company", self.id, "SOURCES_FROM", "out", as_of)]

    @strawberry.field(description="Agents and vendors the company buys through (visible links only).")
    async def suppliers(self, info: Info[Context, None], as_of: Optional[dt.date] = None) -> list[Supplier]:
        edges = await _edges(info, "Company", self.id, "BUYS_VIA", "out", as_of)
        return [entity(n) for n in {e.node.id: e.node for e in edges}.values()]

    @strawberry.field(description="Companies this company finances.")
    async def investments(self, info: Info[Context, None]) -> list[Investment]:
        me = Node("Company", self.id)
        return [Investment.of(me, e.node, e)
                for e in await _edges(info, "Company", self.id, "INVESTS_IN", "out")]

    @strawberry.field(description="Banks, insurers and pension funds financing this company.")
    async def investors(self, info: Info[Context, None]) -> list[Investment]:
        me = Node("Company", self.id)
        return [Investment.of(e.node, me, e)
                for e in await _edges(info, "Company", self.id, "INVESTS_IN", "in")]


@model_type("Supplier")
class Supplier:
    id: strawberry.ID

    @strawberry.field(description="Factories the supplier sources from.")
    async def factories(self, info: Info[Context, None], as_of: Optional[dt.date] = None) -> list[SupplierLink]:
        me = entity(Node("Supplier", self.id, {}))
        return [SupplierLink(supplier=me, factory=entity(e.node), since=e.get("since"), until=e.get("until"),
                             source=e.get("source"), source_type=e.get("source_type"),
                             reported_on=e.get("reported_on"))
                for e in await _edges(info, "Supplier", self.id, "SUPPLIES_FROM", "out", as_of)]

    @strawberry.field(description="Factories the supplier owns.")
    async def owns(self, info: Info[Context, None]) -> list[Factory]:
        return [entity(e.node) for e in await _edges(info, "Supplier", self.id, "OWNS", "out")]

    @strawberry.field(description="Companies buying through this supplier (visible links only).")
    async def buyers(self, info: Info[Context, None], as_of: Optional[dt.date] = None) -> list[Company]:
        edges = await _edges(info, "Supplier", self.id, "BUYS_VIA", "in", as_of)
        return [entity(n) for n in {e.node.id: e.node for e in edges}.values()]


@model_type("Factory")
class Factory:
    id: strawberry.ID

    @strawberry.field(description="The factory's country.")
    async def location(self, info: Info[Context, None]) -> Optional[Country]:
        return await _node(info, "Country", self.country)  # type: ignore[attr-defined]

    @strawberry.field(description="Sourcing links of buyers, those the viewer may see (active on asOf "
                                  "when given).")
    async def buyers(self, info: Info[Context, None], as_of: Optional[dt.date] = None) -> list[SourcingLink]:
        me = Node("Factory", self.id)
        return [SourcingLink.of(e.node, me, e)
                for e in await _edges(info, "Factory", self.id, "SOURCES_FROM", "in", as_of)]

    @strawberry.field(description="Suppliers sourcing from this factory.")
    async def suppliers(self, info: Info[Context, None], as_of: Optional[dt.date] = None) -> list[Supplier]:
        edges = await _edges(info, "Factory", self.id, "SUPPLIES_FROM", "in", as_of)
        return [entity(n) for n in {e.node.id: e.node for e in edges}.values()]

    @strawberry.field(description="The group or supplier that owns the factory.")
    async def owner(self, info: Info[Context, None]) -> Optional[Supplier]:
        edges = await _edges(info, "Factory", self.id, "OWNS", "in")
        return entity(edges[0].node) if edges else None

    @strawberry.field(description="Unions representing workers here.")
    async def unions(self, info: Info[Context, None]) -> list[UnionPresence]:
        me = entity(Node("Factory", self.id, {}))
        return [UnionPresence(union=entity(e.node), factory=me, members=e.get("members"),
                              has_cba=e.get("has_cba"), source=e.get("source"),
                              source_type=e.get("source_type"), reported_on=e.get("reported_on"))
                for e in await _edges(info, "Factory", self.id, "REPRESENTS", "in")]

    @strawberry.field(description="Joint projects at this factory (participating companies as the viewer "
                                  "may see them, docs/access.md), optionally of one status.")
    async def projects(self, info: Info[Context, None], status: Optional[str] = None) -> list[Project]:
        from imvo.queries import projects as pq
        rows = await in_thread(pq.projects, info.context.store, info.context.viewer, status=status,
                               factory_id=self.id)
        return [project_of(p) for p in rows]

    @strawberry.field(description="Grievances about this factory, optionally by status.")
    async def grievances(self, info: Info[Context, None], status: Optional[str] = None) -> list[Grievance]:
        edges = await _edges(info, "Factory", self.id, "CONCERNS", "in")
        return [entity(e.node) for e in edges if status is None or e.node.props.get("status") == status]


@model_type("Country")
class Country:
    id: strawberry.ID

    @strawberry.field(description="The country's risk levels.")
    async def risks(self, info: Info[Context, None]) -> list[CountryRisk]:
        me = entity(Node("Country", self.id, {"name": self.name}))  # type: ignore[attr-defined]
        return [CountryRisk(country=me, risk=entity(e.node), level=e.get("level"), source=e.get("source"))
                for e in await _edges(info, "Country", self.id, "HAS_RISK", "out")]

    @strawberry.field(description="NGOs and organisations active in the country.")
    async def active(self, info: Info[Context, None]) -> list[Actor]:
        return [entity(e.node) for e in await _edges(info, "Country", self.id, "ACTIVE_IN", "in")]

    @strawberry.field(description="Actors located in the country (factories, companies, unions, ...), "
                                  "optionally of one type.")
    async def located(self, info: Info[Context, None], type: Optional[str] = None) -> list[Actor]:
        edges = await _edges(info, "Country", self.id, "LOCATED_IN", "in")
        return [entity(e.node) for e in edges if type is None or e.node.label == type]


@model_type("Union", name="Union")
class TradeUnion:
    id: strawberry.ID

    @strawberry.field(description="Factories where the union represents workers.")
    async def factories(self, info: Info[Context, None]) -> list[UnionPresence]:
        me = entity(Node("Union", self.id, {}))
        return [UnionPresence(union=me, factory=entity(e.node), members=e.get("members"),
                              has_cba=e.get("has_cba"))
                for e in await _edges(info, "Union", self.id, "REPRESENTS", "out")]

    @strawberry.field(description="The union this one is affiliated with.")
    async def affiliated_to(self, info: Info[Context, None]) -> list[TradeUnion]:
        return [entity(e.node) for e in await _edges(info, "Union", self.id, "AFFILIATED_WITH", "out")]

    @strawberry.field(description="Unions affiliated with this one.")
    async def affiliates(self, info: Info[Context, None]) -> list[TradeUnion]:
        return [entity(e.node) for e in await _edges(info, "Union", self.id, "AFFILIATED_WITH", "in")]

    @strawberry.field(description="Covenants the union is party to.")
    async def covenants(self, info: Info[Context, None]) -> list[Participation]:
        me = Node("Union", self.id)
        return [Participation.of(me, e.node, e) for e in await _edges(info, "Union", self.id, "PARTY_TO", "out")]

    @strawberry.field(description="Grievances the union filed.")
    async def filed(self, info: Info[Context, None]) -> list[Grievance]:
        return [entity(e.node) for e in await _edges(info, "Union", self.id, "FILED", "out")]


@model_type("NGO")
class NGO:
    id: strawberry.ID

    @strawberry.field(description="Countries the NGO is active in.")
    async def active_in(self, info: Info[Context, None]) -> list[Country]:
        return [entity(e.node) for e in await _edges(info, "NGO", self.id, "ACTIVE_IN", "out")]

    @strawberry.field(description="Covenants the NGO is party to.")
    async def covenants(self, info: Info[Context, None]) -> list[Participation]:
        me = Node("NGO", self.id)
        return [Participation.of(me, e.node, e) for e in await _edges(info, "NGO", self.id, "PARTY_TO", "out")]

    @strawberry.field(description="Grievances the NGO filed.")
    async def filed(self, info: Info[Context, None]) -> list[Grievance]:
        return [entity(e.node) for e in await _edges(info, "NGO", self.id, "FILED", "out")]


@model_type("Organisation")
class Organisation:
    id: strawberry.ID

    @strawberry.field(description="Countries the organisation is active in.")
    async def active_in(self, info: Info[Context, None]) -> list[Country]:
        return [entity(e.node) for e in await _edges(info, "Organisation", self.id, "ACTIVE_IN", "out")]

    @strawberry.field(description="Covenants the organisation is party to.")
    async def covenants(self, info: Info[Context, None]) -> list[Participation]:
        me = Node("Organisation", self.id)
        return [Participation.of(me, e.node, e)
                for e in await _edges(info, "Organisation", self.id, "PARTY_TO", "out")]


@model_type("Risk")
class Risk:
    id: strawberry.ID

    @strawberry.field(description="Countries with this risk, optionally at one level.")
    async def countries(self, info: Info[Context, None], level: Optional[str] = None) -> list[CountryRisk]:
        me = entity(Node("Risk", self.id, {"name": self.name}))  # type: ignore[attr-defined]
        return [CountryRisk(country=entity(e.node), risk=me, level=e.get("level"), source=e.get("source"))
                for e in await _edges(info, "Risk", self.id, "HAS_RISK", "in")
                if level is None or e.get("level") == level]

    @strawberry.field(description="Covenants prioritising this risk.")
    async def covenants(self, info: Info[Context, None]) -> list[Covenant]:
        return [entity(e.node) for e in await _edges(info, "Risk", self.id, "PRIORITISES", "in")]


@model_type("Grievance")
class Grievance:
    id: strawberry.ID

    @strawberry.field(description="risk as an enum")
    def risk_id(self) -> Optional[RiskId]:
        return as_enum(RiskId, self.risk)  # type: ignore[attr-defined]

    @strawberry.field(description="The factory the grievance concerns.")
    async def factory(self, info: Info[Context, None]) -> Optional[Factory]:
        edges = await _edges(info, "Grievance", self.id, "CONCERNS", "out")
        return entity(edges[0].node) if edges else None

    @strawberry.field(description="The union or NGO that filed it.")
    async def filed_by(self, info: Info[Context, None]) -> Optional[Actor]:
        edges = await _edges(info, "Grievance", self.id, "FILED", "in")
        return entity(edges[0].node) if edges else None

    # -- the complaints mechanism (docs/access.md#grievances) -----------------------------------
    @strawberry.field(description="The current status: the latest event's (received, admissible, forwarded, "
                                  "in_dialogue, resolved, rejected), else `status` as grievances.csv gives it.")
    async def current_status(self, info: Info[Context, None]) -> Optional[str]:
        f = await info.context.grievance_loader().load(self.id)
        return f.status if f is not None else self.status  # type: ignore[attr-defined]

    @strawberry.field(description="True while the current status is neither resolved nor rejected.")
    async def is_open(self, info: Info[Context, None]) -> bool:
        from imvo.queries.grievance_status import is_open
        return is_open(await self.current_status(info))

    @strawberry.field(description="Days the grievance has been open on asOf (default today): from filing "
                                  "to asOf; null once resolved or rejected, or before it was filed.")
    async def open_days(self, info: Info[Context, None], as_of: Optional[dt.date] = None) -> Optional[int]:
        from imvo.queries.args import as_of as day_of
        from imvo.queries.grievance_status import is_open
        from imvo.queries.grievances import open_days
        if not is_open(await self.current_status(info)):
            return None
        return open_days(self.filed_on, day_of(as_of))  # type: ignore[attr-defined]

    @strawberry.field(description="Its steps through the complaints mechanism, oldest first; the notes are "
                                  "the secretariat's only (null for every other role).")
    async def events(self, info: Info[Context, None]) -> list[GrievanceEvent]:
        f = await info.context.grievance_loader().load(self.id)
        return [GrievanceEvent(status=e.status, on=e.on, note=e.note) for e in (f.events if f else [])]

    @strawberry.field(description="The signatory buyers the secretariat forwarded it to: all of them for the "
                                  "secretariat, at most the company itself for a company, none for the public.")
    async def forwarded_to(self, info: Info[Context, None]) -> list[Company]:
        f = await info.context.grievance_loader().load(self.id)
        ids = f.forwarded_to if f else []
        return [entity(n) for i in ids if (n := await info.context.node_loader("Company").load(i)) is not None]

    @strawberry.field(description="For a company: whether it was one of the buyers informed; null for the "
                                  "secretariat and the public.")
    async def informed(self, info: Info[Context, None]) -> Optional[bool]:
        f = await info.context.grievance_loader().load(self.id)
        return f.informed if f is not None else None


@strawberry.type(description="A step of a grievance through the complaints mechanism.")
class GrievanceEvent:
    status: str
    on: dt.date
    note: Optional[str] = strawberry.field(default=None, description="the secretariat's only")


Party = Annotated[Union[Company, TradeUnion, NGO, Organisation], strawberry.union("Party")]
Actor = Annotated[Union[Company, Supplier, Factory, TradeUnion, NGO, Organisation],
                  strawberry.union("Actor")]
Entity = Annotated[Union[Covenant, Company, Supplier, Factory, Country, TradeUnion, NGO, Organisation, Risk,
                         Grievance], strawberry.union("Entity")]

@strawberry.type(description="A party taking part in a project, with its role (lead, participant, supporter).")
class ProjectParticipant:
    party: Party
    role: Optional[str]


@strawberry.type(description="A joint project at a factory (DESIGN section 11). Participating companies are "
                             "those the viewer may see at the factory (docs/access.md, Projects).")
class Project:
    id: strawberry.ID
    name: Optional[str]
    status: Optional[str]
    risk: Optional[str]
    summary: Optional[str]
    started_on: Optional[dt.date]
    ended_on: Optional[dt.date]
    factory: Factory
    participants: list[ProjectParticipant]


def project_of(p: Any) -> Project:
    """The GraphQL Project of a :class:`imvo.queries.projects.Project`."""
    g = p.node.props.get
    count_nodes()
    return Project(id=p.id, name=g("name"), status=g("status"), risk=g("risk"), summary=g("summary"),
                   started_on=g("started_on"), ended_on=g("ended_on"), factory=entity(p.factory),
                   participants=[ProjectParticipant(party=entity(x.party), role=x.role) for x in p.participants])


BY_LABEL: dict[str, Any] = {"Covenant": Covenant, "Company": Company, "Supplier": Supplier,
                            "Factory": Factory, "Country": Country, "Union": TradeUnion, "NGO": NGO,
                            "Organisation": Organisation, "Risk": Risk, "Grievance": Grievance}

T = TypeVar("T")


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: Optional[str]


@strawberry.type(description="One page of a list, with the total count.")
class Connection(Generic[T]):
    total_count: int
    nodes: list[T]
    page_info: PageInfo
