"""The GraphQL schema: the contract queries (README.md#graphql) and what analysts need beside them."""
from __future__ import annotations

import base64
import datetime as dt
from typing import Annotated, Any, Optional

import strawberry
from graphql import GraphQLError
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, ParserCache, QueryDepthLimiter, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types import Info

from imvo.kernel.errors import ImvoError, InvalidInput
from imvo.kernel.vocab import parse_date
from imvo.queries import analytics, args, core, navigate
from imvo.queries import projects as pq

from . import limits
from .context import Context, in_thread
from .enums import ViewerRole, Vocabulary, vocabulary
from .types import (
    NGO,
    Company,
    Connection,
    Covenant,
    Entity,
    Factory,
    Grievance,
    Organisation,
    PageInfo,
    Project,
    Risk,
    Supplier,
    TradeUnion,
    UnionPresence,
    entity,
    project_of,
)
from .types import Country as CountryT

MAX_DEPTH = 12


_check_risk = args.risk
_country = args.country


def _first(info: Info[Context, None], first: int) -> int:
    return args.first(first, info.context.settings.max_results)


def _presence(u: core.UnionPresence, factory: core.Node | None = None) -> UnionPresence:
    return UnionPresence(union=entity(u.union), factory=entity(factory), members=u.members, has_cba=u.has_cba)


# ---------------------------------------------------------------------------
# contract result types
# ---------------------------------------------------------------------------

@strawberry.type(description="A factory where several signatory buyers meet.")
class SharedFactory:
    factory: Factory
    buyers: list[Company] = strawberry.field(description="the active signatory buyers, over the links the "
                                                         "viewer may see")
    buyer_count: int = strawberry.field(description="their number (for the secretariat: all of them)")
    other_buyers: Optional[int] = strawberry.field(
        default=None, description="at least this many further active signatory buyers the viewer cannot "
                                  "see, from the latest published snapshot, under the disclosure control of "
                                  "docs/access.md; null: withheld (or no snapshot yet); 0 for the secretariat")


@strawberry.type(description="One page of sharedFactories, with the total.")
class SharedFactoryConnection:
    total_count: int
    nodes: list[SharedFactory]
    page_info: PageInfo


@strawberry.type(description="Another signatory sharing factories with a company.")
class CoBuyer:
    company: Company
    shared_factories: list[Factory]
    shared_count: int


@strawberry.type(description="What gives leverage at one factory.")
class FactoryLeverage:
    factory: Factory
    buyers: list[Company] = strawberry.field(description="all active buyers the viewer may see")
    signatory_buyers: list[Company]
    buyer_count: int = strawberry.field(description="their number")
    signatory_buyer_count: int
    combined_share: Optional[float] = strawberry.field(
        description="sum of the known shares of the signatory buyers' links the viewer may see")
    unions: list[TradeUnion]
    union_presence: list[UnionPresence]
    ngos: list[NGO] = strawberry.field(description="NGOs active in the factory's country")
    open_grievances: list[Grievance]
    other_buyers: Optional[int] = strawberry.field(
        default=None, description="at least this many further active signatory buyers the viewer cannot "
                                  "see (published snapshot, disclosure control); null: withheld")
    organisations: list[Organisation] = strawberry.field(
        default_factory=list, description="organisations active in the factory's country (embassies first, "
                                          "then by name), with their kind")
    oldest_open_grievance_days: Optional[int] = strawberry.field(
        default=None, description="days the longest-open of the open grievances has been open on asOf")


@strawberry.type(description="A factory ranked for joint action on a risk.")
class Opportunity:
    factory: Factory
    signatory_buyers: list[Company]
    signatory_buyer_count: int
    combined_share: Optional[float]
    risk_level: Optional[str] = strawberry.field(description="the factory country's level of the risk")
    open_grievances: list[Grievance] = strawberry.field(description="open grievances about the risk")
    unions: list[TradeUnion]
    ngos: list[NGO]
    score: float = strawberry.field(description="see queries.core.score_opportunity")
    organisations: list[Organisation] = strawberry.field(
        default_factory=list, description="organisations active in the factory's country (embassies first, "
                                          "then by name), with their kind; not part of the score")
    oldest_open_grievance_days: Optional[int] = strawberry.field(
        default=None, description="days the longest-open of openGrievances (about the risk) has been open on "
                                  "asOf")
    active_projects: list[Project] = strawberry.field(
        default_factory=list, description="active projects already addressing the risk at the factory "
                                          "(participants not listed here: ask projects or Factory.projects)")
    project_under_way: bool = strawberry.field(default=False, description="an active project already "
                                                                          "addresses the risk here")
    monthly_gap_eur: Optional[float] = strawberry.field(
        default=None, description="the factory's monthly living-wage bill (livingWageGap), when known; "
                                  "not part of the score")


@strawberry.type(description="A signatory buyer's pro-rata part of a factory's living-wage bill.")
class WageShare:
    company: Company
    share: Optional[float] = strawberry.field(description="the known share of its active links (0..1)")
    monthly_eur: Optional[float] = strawberry.field(description="share x monthlyGapEur; null when either "
                                                                "is unknown")


@strawberry.type(description="The living-wage bill of a factory: workers x (living - prevailing wage).")
class LivingWageGap:
    factory: Factory
    workers: Optional[int]
    living_wage_eur: Optional[float]
    prevailing_wage_eur: Optional[float]
    monthly_gap_eur: Optional[float] = strawberry.field(description="EUR per month; null when an input is "
                                                                    "unknown (see reason)")
    reason: Optional[str]
    buyers: list[WageShare] = strawberry.field(description="active signatory buyers the viewer may see")


@strawberry.type(description="A signatory's sourcing link that ended at a factory needing follow-up.")
class EndedLink:
    company: Company
    factory: Factory
    ended_on: dt.date
    reasons: list[str]


@strawberry.type(description="Facts about one country.")
class CountryOverview:
    country: CountryT
    factory_count: int
    signatory_buyer_count: int = strawberry.field(description="distinct active signatory buyers with a "
                                                              "factory in the country")
    shared_factory_count: int = strawberry.field(description="factories with two or more signatory buyers")
    unions: list[TradeUnion]
    ngos: list[NGO]
    risk_levels: list[RiskLevel]


@strawberry.type
class RiskLevel:
    risk: str
    level: Optional[str]


@strawberry.type(description="A chain of relationships between two nodes.")
class GraphPath:
    nodes: list[Entity]
    relationships: list[str]
    length: int


@strawberry.type
class CompanyCovenants:
    company: Company
    covenants: list[Covenant]


@strawberry.type(description="An investor financing a buyer of a factory.")
class FactoryInvestor:
    investor: Company
    buyer: Company
    kind: Optional[str]
    amount_eur: Optional[float]


@strawberry.type
class NetworkEdge:
    source: Company
    target: Company
    shared_factories: int


@strawberry.type
class Centrality:
    id: strawberry.ID
    score: float


@strawberry.type(description="The co-buyer network of a covenant's signatories (networkx analytics).")
class CoBuyerNetwork:
    companies: list[Company]
    edges: list[NetworkEdge]
    communities: list[list[Company]] = strawberry.field(description="clusters, by greedy modularity")
    central_companies: list[Centrality] = strawberry.field(description="weighted degree centrality, "
                                                                       "highest first")
    central_factories: list[Centrality] = strawberry.field(description="betweenness in the company-factory "
                                                                       "graph, highest first")


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()


def _offset(after: Optional[str]) -> int:
    if not after:
        return 0
    try:
        kind, _, n = base64.urlsafe_b64decode(after.encode()).decode().partition(":")
        if kind == "o" and int(n) >= 0:
            return int(n)
    except (ValueError, UnicodeDecodeError):
        pass
    raise InvalidInput(f"invalid cursor {after!r}")


async def _page(info: Info[Context, None], label: str, country: Optional[str], search: Optional[str],
                first: int, after: Optional[str], where: Optional[dict[str, Optional[str]]] = None,
                ids: Optional[list[str]] = None) -> Connection[Any]:
    offset = _offset(after)
    page = await in_thread(navigate.list_nodes, info.context.store, label, country=_country(country),
                           text=search, where={k: v for k, v in (where or {}).items() if v is not None},
                           ids=ids, offset=offset, limit=_first(info, first))
    end = offset + len(page.items)
    return Connection(total_count=page.total, nodes=[entity(n) for n in page.items],
                      page_info=PageInfo(has_next_page=end < page.total,
                                         end_cursor=_cursor(end) if page.items else None))


def _shared(r: core.SharedFactory) -> SharedFactory:
    return SharedFactory(factory=entity(r.factory), buyers=[entity(b) for b in r.buyers], buyer_count=r.buyer_count,
                         other_buyers=r.other_buyers)


async def _shared_page(info: Info[Context, None], covenant_id: Optional[str], country: Optional[str],
                       min_buyers: int, as_of: Optional[dt.date], first: Optional[int],
                       after: Optional[str]) -> core.SharedPage:
    page: core.SharedPage = await in_thread(
        core.shared_factories_page, info.context.store, info.context.viewer, covenant_id=covenant_id,
        country=country, min_buyers=min_buyers, as_of=as_of,
        first=None if first is None else _first(info, first), offset=_offset(after))
    return page


async def _lookup(info: Info[Context, None], label: str, id_: str) -> Any:
    return entity(await info.context.node_loader(label).load(id_))


@strawberry.type
class Query:
    # -- the contract ------------------------------------------------------------
    @strawberry.field(description="Factories where at least minBuyers active signatories of covenantId "
                                  "(any covenant when omitted) have an active sourcing link on asOf "
                                  "(default today). Ordered by buyerCount descending, then factory id.")
    async def shared_factories(self, info: Info[Context, None], covenant_id: Optional[strawberry.ID] = None,
                               country: Optional[str] = None, min_buyers: int = 2,
                               as_of: Optional[dt.date] = None, first: Optional[int] = None,
                               after: Optional[str] = None) -> list[SharedFactory]:
        page = await _shared_page(info, covenant_id, country, min_buyers, as_of, first, after)
        return [_shared(r) for r in page.items]

    @strawberry.field(description="sharedFactories as pages: totalCount, nodes and a cursor (first/after).")
    async def shared_factories_connection(self, info: Info[Context, None],
                                          covenant_id: Optional[strawberry.ID] = None,
                                          country: Optional[str] = None, min_buyers: int = 2,
                                          as_of: Optional[dt.date] = None, first: int = 100,
                                          after: Optional[str] = None) -> SharedFactoryConnection:
        page = await _shared_page(info, covenant_id, country, min_buyers, as_of, first, after)
        end = page.offset + len(page.items)
        return SharedFactoryConnection(
            total_count=page.total, nodes=[_shared(r) for r in page.items],
            page_info=PageInfo(has_next_page=end < page.total, end_cursor=_cursor(end) if page.items else None))

    @strawberry.field(description="Other signatory companies sharing at least one active factory with the "
                                  "company. Ordered by sharedCount descending, then company id.")
    async def co_buyers(self, info: Info[Context, None], company_id: strawberry.ID,
                        covenant_id: Optional[strawberry.ID] = None,
                        as_of: Optional[dt.date] = None) -> list[CoBuyer]:
        rows = await in_thread(core.co_buyers, info.context.store, info.context.viewer,
                               company_id=company_id, covenant_id=covenant_id, as_of=as_of)
        return [CoBuyer(company=entity(r.company), shared_factories=[entity(f) for f in r.shared_factories],
                        shared_count=r.shared_count) for r in rows]

    @strawberry.field(description="Buyers, signatory buyers, their combined share, unions, NGOs and open "
                                  "grievances at a factory; null for an unknown factory.")
    async def factory_leverage(self, info: Info[Context, None], factory_id: strawberry.ID,
                               as_of: Optional[dt.date] = None) -> Optional[FactoryLeverage]:
        r = await in_thread(core.factory_leverage, info.context.store, info.context.viewer,
                            factory_id=factory_id, as_of=as_of)
        if r is None:
            return None
        return FactoryLeverage(
            factory=entity(r.factory), buyers=[entity(b) for b in r.buyers],
            signatory_buyers=[entity(b) for b in r.signatory_buyers], buyer_count=r.buyer_count,
            signatory_buyer_count=r.signatory_buyer_count, combined_share=r.combined_share,
            unions=[entity(u.union) for u in r.unions],
            union_presence=[_presence(u, r.factory) for u in r.unions],
            ngos=[entity(n) for n in r.ngos], open_grievances=[entity(g) for g in r.open_grievances],
            other_buyers=r.other_buyers, organisations=[entity(o) for o in r.organisations],
            oldest_open_grievance_days=r.oldest_open_grievance_days)

    @strawberry.field(description="Factories with at least two signatory buyers, ranked by a score that "
                                  "rises with the number of signatory buyers, their combined share, the "
                                  "country's level of the risk, open grievances about it and union presence.")
    async def joint_action_opportunities(self, info: Info[Context, None], risk: str,
                                         covenant_id: Optional[strawberry.ID] = None,
                                         country: Optional[str] = None, first: int = 20,
                                         as_of: Optional[dt.date] = None,
                                         exclude_under_way: bool = False) -> list[Opportunity]:
        rows = await in_thread(core.joint_action_opportunities, info.context.store, info.context.viewer,
                               risk=_check_risk(risk), covenant_id=covenant_id, country=_country(country),
                               first=_first(info, first), as_of=as_of, exclude_under_way=exclude_under_way)
        return [Opportunity(factory=entity(o.factory), signatory_buyers=[entity(b) for b in o.signatory_buyers],
                            signatory_buyer_count=o.signatory_buyer_count, combined_share=o.combined_share,
                            risk_level=o.risk_level, open_grievances=[entity(g) for g in o.open_grievances],
                            unions=[entity(u.union) for u in o.unions], ngos=[entity(n) for n in o.ngos],
                            score=o.score, organisations=[entity(x) for x in o.organisations],
                            oldest_open_grievance_days=o.oldest_open_grievance_days,
                            active_projects=[project_of(pq.Project(p, o.factory, "", [])) for p in o.active_projects],
                            project_under_way=bool(o.active_projects), monthly_gap_eur=o.monthly_gap_eur)
                for o in rows]

    @strawberry.field(description="Joint projects, optionally of one status, covenant (a participant the "
                                  "viewer may see is an active party of it), risk or factory country.")
    async def projects(self, info: Info[Context, None], status: Optional[str] = None,
                       covenant_id: Optional[strawberry.ID] = None, risk: Optional[str] = None,
                       country: Optional[str] = None) -> list[Project]:
        rows = await in_thread(pq.projects, info.context.store, info.context.viewer, status=status,
                               covenant_id=covenant_id, risk=risk, country=country)
        return [project_of(p) for p in rows]

    @strawberry.field(description="The monthly living-wage bill of a factory and each active signatory "
                                  "buyer's part by its share; null for an unknown factory.")
    async def living_wage_gap(self, info: Info[Context, None], factory_id: strawberry.ID,
                              as_of: Optional[dt.date] = None) -> Optional[LivingWageGap]:
        r = await in_thread(pq.living_wage_gap, info.context.store, info.context.viewer,
                            factory_id=factory_id, as_of=as_of)
        if r is None:
            return None
        return LivingWageGap(factory=entity(r.factory), workers=r.workers, living_wage_eur=r.living_wage_eur,
                             prevailing_wage_eur=r.prevailing_wage_eur, monthly_gap_eur=r.monthly_gap_eur,
                             reason=r.reason,
                             buyers=[WageShare(company=entity(b.company), share=b.share, monthly_eur=b.monthly_eur)
                                     for b in r.buyers])

    @strawberry.field(description="Signatory sourcing links that ended in [from, to) at factories with an open "
                                  "grievance, an active project or a union present, as the viewer may see them.")
    async def ended_links(self, info: Info[Context, None], from_: Annotated[dt.date, strawberry.argument(name="from")],
                          to: dt.date, covenant_id: Optional[strawberry.ID] = None) -> list[EndedLink]:
        rows = await in_thread(pq.ended_links, info.context.store, info.context.viewer, covenant_id=covenant_id,
                               start=from_, end=to)
        return [EndedLink(company=entity(r.company), factory=entity(r.factory), ended_on=r.ended_on,
                          reasons=r.reasons) for r in rows]

    # -- lookups -----------------------------------------------------------------
    @strawberry.field
    async def factory(self, info: Info[Context, None], id: strawberry.ID) -> Optional[Factory]:
        return await _lookup(info, "Factory", id)

    @strawberry.field
    async def company(self, info: Info[Context, None], id: strawberry.ID) -> Optional[Company]:
        return await _lookup(info, "Company", id)

    @strawberry.field
    async def covenant(self, info: Info[Context, None], id: strawberry.ID) -> Optional[Covenant]:
        return await _lookup(info, "Covenant", id)

    @strawberry.field(description="A country by ISO 3166-1 alpha-2 code.")
    async def country(self, info: Info[Context, None], code: str) -> Optional[CountryT]:
        return await _lookup(info, "Country", code.strip().upper())

    @strawberry.field
    async def supplier(self, info: Info[Context, None], id: strawberry.ID) -> Optional[Supplier]:
        return await _lookup(info, "Supplier", id)

    @strawberry.field(name="union")
    async def trade_union(self, info: Info[Context, None], id: strawberry.ID) -> Optional[TradeUnion]:
        return await _lookup(info, "Union", id)

    @strawberry.field
    async def ngo(self, info: Info[Context, None], id: strawberry.ID) -> Optional[NGO]:
        return await _lookup(info, "NGO", id)

    @strawberry.field
    async def organisation(self, info: Info[Context, None], id: strawberry.ID) -> Optional[Organisation]:
        return await _lookup(info, "Organisation", id)

    @strawberry.field
    async def grievance(self, info: Info[Context, None], id: strawberry.ID) -> Optional[Grievance]:
        return await _lookup(info, "Grievance", id)

    @strawberry.field
    async def risk(self, info: Info[Context, None], id: strawberry.ID) -> Optional[Risk]:
        return await _lookup(info, "Risk", id)

    @strawberry.field(description="Entities whose name contains the text (or whose id equals it).")
    async def search(self, info: Info[Context, None], text: str, first: int = 20) -> list[Entity]:
        if not text.strip():
            raise InvalidInput("search text must not be empty")
        found = await in_thread(navigate.search, info.context.store, text.strip(), limit=_first(info, first))
        return [entity(n) for n in found]

    # -- lists with filters and cursor pagination ----------------------------------
    @strawberry.field(description="Factories ordered by id; filter by country and name.")
    async def factories(self, info: Info[Context, None], country: Optional[str] = None,
                        search: Optional[str] = None, first: int = 50,
                        after: Optional[str] = None) -> Connection[Factory]:
        return await _page(info, "Factory", country, search, first, after)

    @strawberry.field(description="Companies ordered by id; filter by country, name, kind (brand, bank, "
                                  "...), and by covenant (active parties on asOf, optionally of one role).")
    async def companies(self, info: Info[Context, None], country: Optional[str] = None,
                        search: Optional[str] = None, kind: Optional[str] = None,
                        covenant_id: Optional[strawberry.ID] = None, role: Optional[str] = None,
                        as_of: Optional[dt.date] = None, first: int = 50,
                        after: Optional[str] = None) -> Connection[Company]:
        ids = None
        if covenant_id is not None:
            edges = (await in_thread(navigate.neighbours, info.context.store, info.context.viewer, "Covenant",
                                     [covenant_id], "PARTY_TO", "in",
                                     as_of=args.as_of(as_of)))[covenant_id]
            ids = sorted({e.node.id for e in edges if e.node.label == "Company"
                          and (role is None or e.get("role") == role)})
        return await _page(info, "Company", country, search, first, after, {"kind": kind}, ids)

    @strawberry.field
    async def covenants(self, info: Info[Context, None], search: Optional[str] = None, first: int = 50,
                        after: Optional[str] = None) -> Connection[Covenant]:
        return await _page(info, "Covenant", None, search, first, after)

    @strawberry.field
    async def countries(self, info: Info[Context, None], search: Optional[str] = None, first: int = 50,
                        after: Optional[str] = None) -> Connection[CountryT]:
        return await _page(info, "Country", None, search, first, after)

    @strawberry.field
    async def suppliers(self, info: Info[Context, None], country: Optional[str] = None,
                        search: Optional[str] = None, kind: Optional[str] = None, first: int = 50,
                        after: Optional[str] = None) -> Connection[Supplier]:
        return await _page(info, "Supplier", country, search, first, after, {"kind": kind})

    @strawberry.field
    async def unions(self, info: Info[Context, None], country: Optional[str] = None,
                     search: Optional[str] = None, first: int = 50,
                     after: Optional[str] = None) -> Connection[TradeUnion]:
        return await _page(info, "Union", country, search, first, after)

    @strawberry.field
    async def ngos(self, info: Info[Context, None], country: Optional[str] = None,
                   search: Optional[str] = None, first: int = 50,
                   after: Optional[str] = None) -> Connection[NGO]:
        return await _page(info, "NGO", country, search, first, after)

    @strawberry.field
    async def organisations(self, info: Info[Context, None], country: Optional[str] = None,
                            search: Optional[str] = None, kind: Optional[str] = None, first: int = 50,
                            after: Optional[str] = None) -> Connection[Organisation]:
        return await _page(info, "Organisation", country, search, first, after, {"kind": kind})

    @strawberry.field(description="Grievances ordered by id; filter by status (open, resolved) and risk.")
    async def grievances(self, info: Info[Context, None], status: Optional[str] = None,
                         risk: Optional[str] = None, search: Optional[str] = None, first: int = 50,
                         after: Optional[str] = None) -> Connection[Grievance]:
        return await _page(info, "Grievance", None, search, first, after,
                           {"status": status, "risk": _check_risk(risk) if risk else None})

    # -- analyst questions ---------------------------------------------------------
    @strawberry.field(description="Factories, signatory buyers, shared factories, unions, NGOs and risk "
                                  "levels of a country.")
    async def country_overview(self, info: Info[Context, None], code: str,
                               covenant_id: Optional[strawberry.ID] = None,
                               as_of: Optional[dt.date] = None) -> Optional[CountryOverview]:
        code = _country(code) or ""
        o = await in_thread(analytics.country_overview, info.context.store, info.context.viewer, code,
                            covenant_id=covenant_id, as_of=as_of)
        if o is None:
            return None
        return CountryOverview(country=entity(o.country), factory_count=o.factory_count,
                               signatory_buyer_count=o.signatory_buyer_count,
                               shared_factory_count=o.shared_factory_count,
                               unions=[entity(u) for u in o.unions], ngos=[entity(n) for n in o.ngos],
                               risk_levels=[RiskLevel(risk=k, level=v) for k, v in sorted(o.risk_levels.items())])

    @strawberry.field(description="Shortest paths between two nodes over relationships the viewer may see.")
    async def paths(self, info: Info[Context, None], from_id: strawberry.ID, to_id: strawberry.ID,
                    max_hops: int = 4, first: int = 5, as_of: Optional[dt.date] = None) -> list[GraphPath]:
        if not 1 <= max_hops <= 6:
            raise InvalidInput("maxHops must be between 1 and 6")
        found = await in_thread(analytics.paths, info.context.store, info.context.viewer, from_id, to_id,
                                max_hops=max_hops, limit=_first(info, first), as_of=as_of)
        return [GraphPath(nodes=[entity(n) for n in p.nodes], relationships=p.rels, length=len(p.rels))
                for p in found]

    @strawberry.field(description="Companies party to several covenants.")
    async def multi_covenant_companies(self, info: Info[Context, None], min_covenants: int = 2,
                                       as_of: Optional[dt.date] = None) -> list[CompanyCovenants]:
        found = await in_thread(analytics.multi_covenant_companies, info.context.store,
                                min_covenants=min_covenants, as_of=as_of)
        return [CompanyCovenants(company=entity(m.company), covenants=[entity(c) for c in m.covenants])
                for m in found]

    @strawberry.field(description="Banks, insurers and pension funds linked to a factory through the "
                                  "buyers they finance (buyers the viewer may see).")
    async def factory_investors(self, info: Info[Context, None], factory_id: strawberry.ID,
                                as_of: Optional[dt.date] = None) -> list[FactoryInvestor]:
        found = await in_thread(analytics.factory_investors, info.context.store, info.context.viewer,
                                factory_id, as_of=as_of)
        return [FactoryInvestor(investor=entity(f.investor), buyer=entity(f.company), kind=f.kind,
                                amount_eur=f.amount_eur) for f in found]

    @strawberry.field(description="The co-buyer network of a covenant's signatories: edges weighted by "
                                  "shared factories, clusters and the most central companies and factories.")
    async def co_buyer_network(self, info: Info[Context, None], covenant_id: Optional[strawberry.ID] = None,
                               as_of: Optional[dt.date] = None, top: int = 10) -> CoBuyerNetwork:
        n = await in_thread(analytics.co_buyer_network, info.context.store, info.context.viewer,
                            covenant_id=covenant_id, as_of=as_of)
        top = _first(info, top)
        comp = {cid: entity(c) for cid, c in n.companies.items()}
        rank = lambda d: sorted(d.items(), key=lambda kv: (-kv[1], kv[0]))[:top]  # noqa: E731
        return CoBuyerNetwork(
            companies=[comp[c] for c in sorted(comp)],
            edges=[NetworkEdge(source=comp[a], target=comp[b], shared_factories=d["weight"])
                   for a, b, d in sorted(n.graph.edges(data=True))],
            communities=[[comp[c] for c in group] for group in n.communities],
            central_companies=[Centrality(id=k, score=round(v, 6)) for k, v in rank(n.company_centrality)],
            central_factories=[Centrality(id=k, score=round(v, 6)) for k, v in rank(n.factory_centrality)])

    @strawberry.field(description="Who is asking: secretariat, public or company:<id>.")
    def viewer(self, info: Info[Context, None]) -> str:
        return str(info.context.viewer)

    @strawberry.field(description="The kind of role asking, as an enum.")
    def viewer_role(self, info: Info[Context, None]) -> ViewerRole:
        return ViewerRole(info.context.viewer.role)

    @strawberry.field(description="The vocabulary (risks, disclosures, roles, kinds) as enums.")
    def vocabulary(self) -> Vocabulary:
        return vocabulary()


class _Schema(strawberry.Schema):
    """Operations are executed off the server's event loop (:func:`api.limits.execute_off_loop`);
    expected failures (ImvoError, and syntax or validation errors in the query) are reported to the
    caller, not logged with a traceback."""

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        return await limits.execute_off_loop(lambda: strawberry.Schema.execute(self, *args, **kwargs))

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        unexpected = [e for e in errors
                      if e.original_error is not None and not isinstance(e.original_error, ImvoError)]
        if unexpected:
            super().process_errors(unexpected, execution_context)


def _parse_date(value: Any) -> dt.date:
    if not isinstance(value, str):
        raise InvalidInput(f"asOf {value!r} is not a date YYYY-MM-DD")
    return parse_date(value, "date")


#: dates as the other doors read them (YYYY-MM-DD only; the same one-line error)
DATE = strawberry.scalar(name="Date", description="A date, YYYY-MM-DD",
                         serialize=lambda d: d.isoformat(), parse_value=_parse_date)


def _max_cost(context: Any) -> int:
    return int(context.settings.max_query_cost) if isinstance(context, Context) else limits.DEFAULT_MAX_COST


def make_schema(max_depth: int = MAX_DEPTH) -> strawberry.Schema:
    """The schema with its limits: depth, tokens, and the query cost (api.limits.QueryCost).

    Parsing and validating an operation costs more than answering a small one (2-5 ms of
    graphql-core's visitors): both are cached per query text, so a client asking the same
    question with other variables pays them once.
    """
    # the depth rule is made once: the validation cache is keyed on the rules, so they must be the same
    # objects for every request (a QueryDepthLimiter per request would make its rule anew each time)
    depth_rules = QueryDepthLimiter(max_depth=max_depth).validation_rules
    return _Schema(query=Query, config=StrawberryConfig(scalar_map={dt.date: DATE}),
                   extensions=[lambda: MaxTokensLimiter(max_token_count=5000), lambda: ParserCache(maxsize=512),
                               lambda: AddValidationRules(depth_rules), lambda: ValidationCache(maxsize=512),
                               lambda: limits.QueryCost(max_cost=_max_cost)])

