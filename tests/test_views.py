"""Network views (docs/views.md): built from the query layer, per role, offline, served and exported.

The view graphs are compared with the query results they come from; the
pages with the view graphs.  Runs on both backends through ``sample_store``.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import warnings
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from imvo.graph.store import GraphStore
from imvo.kernel.errors import InvalidInput, NotFound
from imvo.queries.access import PUBLIC, SECRETARIAT, Viewer, viewer_for_role
from imvo.queries.analytics import country_overview, paths
from imvo.queries.core import co_buyers, country_parties, factory_leverage, shared_factories
from imvo.queries.navigate import neighbours
from imvo.viz.model import MAX_NODES, ViewEdge, ViewGraph, ViewNode
from imvo.viz.render import VIS_JS, network_data, render_html
from imvo.viz.views import (
    TOP_MEMBERS,
    ViewFilters,
    build_view,
    company_view,
    country_view,
    covenant_view,
    factory_view,
    path_view,
)

with warnings.catch_warnings():        # starlette warns about httpx on import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

DAY = dt.date(2026, 6, 30)
ROLES = [SECRETARIAT, viewer_for_role("company:C001"), viewer_for_role("company:C027"), PUBLIC]
ROLE_IDS = [str(v) for v in ROLES]
FACTORY = "F0249"          # five signatory buyers, two of them confidential, a union, a supplier
COMPANY = "C001"
COVENANT = "COV-GARMENT"
COUNTRY = "BD"
FACTORIES = ViewFilters(mode="factories")      # the covenant view as companies and their shared factories


def ids_of(g: ViewGraph, *kinds: str) -> set[str]:
    return {n.id for n in g.nodes if n.kind in kinds}


def edges_of(g: ViewGraph, type_: str) -> list[ViewEdge]:
    return [e for e in g.edges if e.type == type_]


def page_data(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="imvo-data">(.*?)</script>', html, re.DOTALL)
    assert m, "the page carries its network as JSON"
    return json.loads(m.group(1))


# ---------------------------------------------------------------------------
# each view equals the query result it is built from
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("viewer", ROLES, ids=ROLE_IDS)
def test_factory_view_is_factory_leverage(sample_store: GraphStore, viewer: Viewer) -> None:
    lev = factory_leverage(sample_store, viewer, factory_id=FACTORY, as_of=DAY)
    g = factory_view(sample_store, viewer, FACTORY, as_of=DAY)
    assert lev is not None
    assert ids_of(g, "Company", "Buyer") == {b.id for b in lev.buyers}
    assert ids_of(g, "Company") == {b.id for b in lev.signatory_buyers}
    assert len(edges_of(g, "SOURCES_FROM")) == len(lev.buyers)
    assert ids_of(g, "Union") == {u.union.id for u in lev.unions}
    assert ids_of(g, "NGO") == {n.id for n in lev.ngos}
    assert ids_of(g, "Grievance") == {x.id for x in lev.open_grievances}
    assert ids_of(g, "Factory") == {FACTORY}
    hidden = lev.buyer_count - len(lev.buyers)
    assert bool(hidden) == any("not shown" in n for n in g.notes)
    factory = next(n for n in g.nodes if n.kind == "Factory")
    assert ("buyers", f"{lev.buyer_count} ({lev.signatory_buyer_count} covenant signatories)") in factory.facts


def test_factory_view_never_names_a_hidden_buyer(sample_store: GraphStore) -> None:
    everyone = factory_leverage(sample_store, SECRETARIAT, factory_id=FACTORY, as_of=DAY)
    assert everyone is not None
    for viewer in ROLES[1:]:
        lev = factory_leverage(sample_store, viewer, factory_id=FACTORY, as_of=DAY)
        assert lev is not None
        hidden = [b for b in everyone.buyers if b.id not in {x.id for x in lev.buyers}]
        assert hidden, "the sample factory has confidential buyers"
        html = render_html(factory_view(sample_store, viewer, FACTORY, as_of=DAY))
        for b in hidden:
            assert b.id not in html and str(b.name) not in html, f"{viewer} sees hidden buyer {b.id}"


@pytest.mark.parametrize("viewer", ROLES, ids=ROLE_IDS)
def test_company_view_is_co_buyers(sample_store: GraphStore, viewer: Viewer) -> None:
    found = co_buyers(sample_store, viewer, company_id=COMPANY, as_of=DAY)
    g = company_view(sample_store, viewer, COMPANY, as_of=DAY)
    assert ids_of(g, "Company", "Buyer") == {COMPANY} | {c.company.id for c in found}
    factories = {f.id for c in found for f in c.shared_factories}
    assert ids_of(g, "Factory") == factories
    assert len(edges_of(g, "SOURCES_FROM")) == len(factories) + sum(c.shared_count for c in found)
    assert not g.aggregated


@pytest.mark.parametrize("viewer", ROLES, ids=ROLE_IDS)
def test_covenant_view_is_shared_factories(sample_store: GraphStore, viewer: Viewer) -> None:
    shared = shared_factories(sample_store, viewer, covenant_id=COVENANT, as_of=DAY)
    g = covenant_view(sample_store, viewer, COVENANT, as_of=DAY, filters=FACTORIES)
    assert ids_of(g, "Factory") == {s.factory.id for s in shared}
    drawn = {(e.source.split(":", 1)[1], e.target.split(":", 1)[1]) for e in edges_of(g, "SOURCES_FROM")}
    assert drawn == {(b.id, s.factory.id) for s in shared for b in s.buyers}
    assert ids_of(g, "Company") == {b.id for s in shared for b in s.buyers}
    assert set(g.positions) == {n.key for n in g.nodes}
    for s in shared:
        node = next(n for n in g.nodes if n.key == f"Factory:{s.factory.id}")
        assert ("signatory buyers", str(s.buyer_count)) in node.facts


@pytest.mark.parametrize("viewer", ROLES, ids=ROLE_IDS)
def test_covenant_view_is_the_co_buyer_network(sample_store: GraphStore, viewer: Viewer) -> None:
    """The default covenant view: signatories joined by the shared factories where both are visible."""
    shared = shared_factories(sample_store, viewer, covenant_id=COVENANT, as_of=DAY)
    g = covenant_view(sample_store, viewer, COVENANT, as_of=DAY)
    assert g.mode == "cobuyers" and ids_of(g, "Company") == {b.id for s in shared for b in s.buyers}
    want: Counter[frozenset[str]] = Counter()
    for s in shared:
        ids = sorted(b.id for b in s.buyers)
        want.update(frozenset((a, b)) for i, a in enumerate(ids) for b in ids[i + 1:])
    got = {frozenset((e.source.split(":", 1)[1], e.target.split(":", 1)[1])): dict(e.facts)["shared factories"]
           for e in edges_of(g, "CO_BUYS")}
    assert got == {k: str(v) for k, v in want.items()}
    assert all(side == "radial" for _, _, side in g.positions.values()) and len(g.positions) == len(g.nodes)


@pytest.mark.parametrize("viewer", ROLES, ids=ROLE_IDS)
def test_covenant_view_draws_the_embassies_of_the_factories_countries(sample_store: GraphStore,
                                                                      viewer: Viewer) -> None:
    """Issue 13: beside each shared factory's country, the organisations active there (the embassy among
    them), exactly those ``factoryLeverage`` lists for the factories of that country."""
    shared = shared_factories(sample_store, viewer, covenant_id=COVENANT, as_of=DAY)
    g = covenant_view(sample_store, viewer, COVENANT, as_of=DAY, filters=FACTORIES)
    assert not g.aggregated
    want: dict[str, set[str]] = {}
    for s in shared:
        lev = factory_leverage(sample_store, viewer, factory_id=s.factory.id, as_of=DAY)
        assert lev is not None
        want.setdefault(str(s.factory.props["country"]), set()).update(o.id for o in lev.organisations)
    active = edges_of(g, "ACTIVE_IN")
    drawn: dict[str, set[str]] = {}
    for e in active:
        assert e.source.startswith("Organisation:") and e.target.startswith("Country:")
        drawn.setdefault(e.target.split(":", 1)[1], set()).add(e.source.split(":", 1)[1])
    assert drawn == {c: os for c, os in want.items() if os}
    assert "O-EMB-BD" in drawn["BD"], "the sample's garment covenant shares factories in Bangladesh"
    located = {(e.source.split(":", 1)[1], e.target.split(":", 1)[1]) for e in edges_of(g, "LOCATED_IN")}
    assert located == {(s.factory.id, str(s.factory.props["country"])) for s in shared
                       if str(s.factory.props["country"]) in drawn}
    assert set(g.positions) == {n.key for n in g.nodes}
    default = covenant_view(sample_store, viewer, COVENANT, as_of=DAY)          # the co-buyer network
    assert any("Embassy of the Kingdom of the Netherlands in Dhaka (BD)" in n for n in default.notes)


@pytest.mark.parametrize("viewer", [SECRETARIAT, PUBLIC], ids=["secretariat", "public"])
def test_filters_narrow_the_shared_factories(sample_store: GraphStore, viewer: Viewer) -> None:
    every = shared_factories(sample_store, viewer, covenant_id=COVENANT, as_of=DAY)
    three = shared_factories(sample_store, viewer, covenant_id=COVENANT, min_buyers=3, as_of=DAY)
    g = covenant_view(sample_store, viewer, COVENANT, as_of=DAY, filters=ViewFilters(min_buyers=3,
                                                                                    mode="factories"))
    assert ids_of(g, "Factory") == {s.factory.id for s in three} and len(three) < len(every)
    reps = neighbours(sample_store, viewer, "Factory", [s.factory.id for s in every], "REPRESENTS", "in")
    g = covenant_view(sample_store, viewer, COVENANT, as_of=DAY, filters=ViewFilters(union=True, mode="factories"))
    assert ids_of(g, "Factory") == {s.factory.id for s in every if reps[s.factory.id]}
    g = covenant_view(sample_store, viewer, COVENANT, as_of=DAY,
                      filters=ViewFilters.read(country="Bangladesh", mode="factories"))
    assert ids_of(g, "Factory") == {s.factory.id for s in every if s.factory.props.get("country") == "BD"}
    g = covenant_view(sample_store, viewer, COVENANT, as_of=DAY,
                      filters=ViewFilters.read(risk="child_labour", mode="factories"))
    levels = neighbours(sample_store, viewer, "Country", sorted({str(s.factory.props["country"]) for s in every}),
                        "HAS_RISK", "out")
    griev = neighbours(sample_store, viewer, "Factory", [s.factory.id for s in every], "CONCERNS", "in")
    want = {s.factory.id for s in every
            if any(e.node.id == "child_labour" and e.get("level") in ("medium", "high")
                   for e in levels[str(s.factory.props["country"])])
            or any(e.node.props.get("risk") == "child_labour" and e.node.props.get("status") == "open"
                   for e in griev[s.factory.id])}
    assert ids_of(g, "Factory") == want and 0 < len(want) < len(every)
    with pytest.raises(InvalidInput):
        ViewFilters.read(min_buyers="0")
    with pytest.raises(InvalidInput):
        ViewFilters.read(mode="hairball")


@pytest.mark.parametrize("viewer", ROLES[1:], ids=ROLE_IDS[1:])
def test_covenant_view_draws_only_links_the_role_may_see(sample_store: GraphStore, viewer: Viewer) -> None:
    g = covenant_view(sample_store, viewer, COVENANT, as_of=DAY, filters=FACTORIES)
    factory_ids = sorted(ids_of(g, "Factory"))
    links = neighbours(sample_store, SECRETARIAT, "Factory", factory_ids, "SOURCES_FROM", "in", as_of=DAY)
    for e in edges_of(g, "SOURCES_FROM"):
        buyer, factory = e.source.split(":", 1)[1], e.target.split(":", 1)[1]
        disclosures = [x.get("disclosure") or "confidential" for x in links[factory] if x.node.id == buyer]
        assert "public" in disclosures or buyer == viewer.company_id, (buyer, factory, disclosures)


@pytest.mark.parametrize("viewer", ROLES, ids=ROLE_IDS)
def test_country_view_is_country_overview(sample_store: GraphStore, viewer: Viewer) -> None:
    ov = country_overview(sample_store, viewer, COUNTRY, as_of=DAY)
    shared = shared_factories(sample_store, viewer, country=COUNTRY, as_of=DAY)
    g = country_view(sample_store, viewer, COUNTRY.lower(), as_of=DAY)
    assert ov is not None
    assert ids_of(g, "Risk") == set(ov.risk_levels)
    assert {u.id for u in ov.unions} <= ids_of(g, "Union")
    assert {n.id for n in ov.ngos} <= ids_of(g, "NGO")
    assert ids_of(g, "Factory") == {s.factory.id for s in shared}
    assert len(edges_of(g, "SOURCES_FROM")) == sum(len(s.buyers) for s in shared)
    country = next(n for n in g.nodes if n.kind == "Country")
    assert ("shared factories", str(ov.shared_factory_count)) in country.facts


@pytest.mark.parametrize("viewer", ROLES, ids=ROLE_IDS)
def test_path_view_is_paths(sample_store: GraphStore, viewer: Viewer) -> None:
    found = paths(sample_store, viewer, COMPANY, "U101", as_of=DAY)
    g = path_view(sample_store, viewer, COMPANY, "U101", as_of=DAY)
    assert {(n.label_type, n.id) for n in g.nodes} == \
        {(n.label, n.id) for p in found for n in p.nodes} | {("Company", COMPANY), ("Union", "U101")}
    assert len(g.edges) == len({frozenset([(a.label, a.id), (b.label, b.id)])
                                for p in found for a, b in zip(p.nodes, p.nodes[1:])})


def test_unknown_ids_and_bad_arguments(sample_store: GraphStore) -> None:
    for kind, ids in [("factory", ["NOPE"]), ("company", ["NOPE"]), ("company", [FACTORY]),
                      ("covenant", ["NOPE"]), ("country", ["XX"]), ("path", [COMPANY, "NOPE"])]:
        with pytest.raises(NotFound):
            build_view(sample_store, PUBLIC, kind, ids, as_of=DAY)
    for kind, ids in [("planet", ["X"]), ("path", [COMPANY]), ("factory", [""])]:
        with pytest.raises(InvalidInput):
            build_view(sample_store, PUBLIC, kind, ids, as_of=DAY)


def test_as_of_changes_the_view(sample_store: GraphStore) -> None:
    """The covenant's signatories and links differ between 2017 and 2026, as the query layer says."""
    early = dt.date(2017, 1, 1)
    g = covenant_view(sample_store, SECRETARIAT, COVENANT, as_of=early, filters=FACTORIES)
    assert ids_of(g, "Factory") == {s.factory.id for s in shared_factories(
        sample_store, SECRETARIAT, covenant_id=COVENANT, as_of=early)}
    assert g.as_of == early
    assert ids_of(g, "Factory") != ids_of(covenant_view(sample_store, SECRETARIAT, COVENANT, as_of=DAY,
                                                        filters=FACTORIES), "Factory")


# ---------------------------------------------------------------------------
# the page: its network is the view graph, and it is offline
# ---------------------------------------------------------------------------

ALL_VIEWS = [("factory", [FACTORY]), ("company", [COMPANY]), ("covenant", [COVENANT]), ("country", [COUNTRY]),
             ("path", [COMPANY, "U101"])]
URL_IN_ATTR = re.compile(r"""(?:\b(?:src|href|action|poster|data)\s*=\s*["']?\s*|url\(\s*["']?\s*|@import\s+["'])"""
                         r"""((?:https?:)?//[^"')\s>]+)""", re.IGNORECASE)
ANY_URL = re.compile(r"https?://[^\s\"'<>)\\]+")


def external_urls(html: str) -> list[str]:
    """URLs in src/href/url()/@import that point anywhere but localhost."""
    return [u for u in URL_IN_ATTR.findall(html) if not re.match(r"(?:https?:)?//(?:127\.0\.0\.1|localhost)\b", u)]


def test_external_url_check_catches_links() -> None:
    assert external_urls('<link href="https://cdn.example/x.css"><script src="//cdn.example/a.js">') == \
        ["https://cdn.example/x.css", "//cdn.example/a.js"]
    assert external_urls("<style>a{background:url('http://x.example/i.png')}</style>") == ["http://x.example/i.png"]
    assert external_urls('<img src="http://127.0.0.1:8000/a.png"><a href="data:x">') == []


@pytest.mark.parametrize("kind,ids", ALL_VIEWS, ids=[k for k, _ in ALL_VIEWS])
def test_page_is_offline_and_holds_the_view(sample_store: GraphStore, kind: str, ids: list[str]) -> None:
    g = build_view(sample_store, SECRETARIAT, kind, ids, as_of=DAY)
    html = render_html(g)
    assert external_urls(html) == []
    assert not re.search(r"<(?:script|img|iframe)[^>]*\ssrc=|<link\b", html, re.IGNORECASE), "everything is inline"
    # the only URL text is vis-network's own licence comment / SVG namespace, never loaded
    allowed = set(ANY_URL.findall(VIS_JS.read_text("utf-8")))
    assert set(ANY_URL.findall(html)) <= allowed
    data = page_data(html)
    assert [n["id"] for n in data["nodes"]] == [n.key for n in g.nodes]
    assert [(e["from"], e["to"], e["type"]) for e in data["edges"]] == [(e.source, e.target, e.type)
                                                                          for e in g.edges]
    # still from the first frame: every node has its position from viz.layout, and no physics runs
    assert data["still"] is True and data["options"]["physics"]["enabled"] is False
    assert all({"x", "y", "side"} <= set(n) for n in data["nodes"])
    assert sorted(data["order"]) == sorted(n.key for n in g.nodes) and (g.focus is None or data["order"][0] == g.focus)
    for k in {n.kind for n in g.nodes}:
        assert f'data-kind="{k}"' in html, f"legend entry for {k}"


def test_page_escapes_text() -> None:
    evil = '</script><script>alert(1)</script> & <i>x</i>'
    g = ViewGraph("factory", "F1", evil, DAY, "public",
                  nodes=[ViewNode("Factory:F1", "Factory", evil, facts=(("website", "https://evil.example"),)),
                         ViewNode("Company:C1", "Company", "x")],
                  notes=[evil])
    g.add_edge(ViewEdge("Company:C1", "Factory:F1", "SOURCES_FROM"))
    html = render_html(g)
    assert "<script>alert(1)" not in html and "<i>x" not in html and "evil.example" in html
    assert page_data(html)["nodes"][0]["label"].startswith("</script>")     # the text survives as text
    assert network_data(g)["nodes"][0]["title"].startswith(evil)


def test_view_graph_rejects_dangling_edges() -> None:
    g = ViewGraph("factory", "F1", "t", DAY, "public", nodes=[ViewNode("Factory:F1", "Factory", "f")])
    with pytest.raises(ValueError):
        g.add_edge(ViewEdge("Company:C9", "Factory:F1", "SOURCES_FROM"))


# ---------------------------------------------------------------------------
# aggregated form for large views
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def big_store(tmp_path_factory: pytest.TempPathFactory) -> GraphStore:
    from support.synthetic import generate

    from imvo.graph.embedded import EmbeddedStore
    from imvo.ingest.canonical import ingest_dir

    folder = tmp_path_factory.mktemp("big-csv")
    generate(folder, factories=2500, links=7500, seed=3)
    store = EmbeddedStore(tmp_path_factory.mktemp("big-store"))
    ingest_dir(store, folder)
    return store


@pytest.mark.slow
@pytest.mark.parametrize("viewer", [SECRETARIAT], ids=["secretariat"])
def test_large_covenant_view_is_aggregated(big_store: GraphStore, viewer: Viewer) -> None:
    shared = shared_factories(big_store, viewer, covenant_id=COVENANT, as_of=DAY)
    assert len(shared) > MAX_NODES, "the synthetic covenant is large enough to need aggregation"
    g = covenant_view(big_store, viewer, COVENANT, as_of=DAY, filters=FACTORIES)
    assert g.aggregated and len(g.nodes) <= MAX_NODES
    groups = [n for n in g.nodes if n.kind == "FactoryGroup"]
    assert sum(int(dict(n.facts)["shared factories"]) for n in groups) == len(shared)
    assert not ids_of(g, "Factory")
    visible = Counter((b.id, str(s.factory.props["country"])) for s in shared for b in s.buyers)
    named = ids_of(g, "Company", "Buyer")
    assert 0 < len(named) <= TOP_MEMBERS
    grouped = {c for c, _ in visible} - named
    for e in edges_of(g, "SOURCES_FROM"):   # every count is of links this role may see
        kind, src = e.source.split(":", 1)
        country = e.target.split(":", 1)[1]
        if kind == "Company":
            assert int(e.label) == visible[(src, country)]
        else:
            assert int(e.label) == sum(n for (c, k), n in visible.items() if k == country and c in grouped)
    assert render_html(g).count('"kind":"FactoryGroup"') == len(groups)
    countries = {str(s.factory.props["country"]) for s in shared}
    active = {(e.source, e.target) for e in edges_of(g, "ACTIVE_IN")}
    want = {(f"Organisation:{o.id}", f"FactoryGroup:{c}") for c in countries
            for o in country_parties(big_store).organisations.get(c, [])}
    assert active == want and want, "the organisations active in each country sit beside its factories"


@pytest.mark.slow
def test_large_views_stay_under_the_limit(big_store: GraphStore) -> None:
    shared = shared_factories(big_store, SECRETARIAT, as_of=DAY)
    top = shared[0]
    busiest = Counter(b.id for s in shared for b in s.buyers).most_common(1)[0][0]
    for kind, ids in [("factory", [top.factory.id]), ("company", [busiest]),
                      ("country", [str(top.factory.props["country"])]), ("covenant", [COVENANT])]:
        g = build_view(big_store, SECRETARIAT, kind, ids, as_of=DAY)
        assert len(g.nodes) <= MAX_NODES, (kind, len(g.nodes))
        assert set(g.positions) == {n.key for n in g.nodes}, kind


# ---------------------------------------------------------------------------
# served: GET /views/... with the viewer from the token
# ---------------------------------------------------------------------------

TOKENS = {"tok-sec": "secretariat", "tok-c001": "company:C001", "tok-c027": "company:C027"}


@pytest.fixture
def client(sample_store: GraphStore) -> Iterator[TestClient]:
    from imvo.api.app import create_app
    from imvo.kernel.settings import Settings

    settings = Settings(api_tokens=",".join(f"{t}={r}" for t, r in TOKENS.items()))  # type: ignore[call-arg]
    with warnings.catch_warnings():    # the GraphQL schema's own deprecations are tested elsewhere
        warnings.simplefilter("ignore", DeprecationWarning)
        app = create_app(settings, store=sample_store)
    with TestClient(app) as c:
        yield c


def url_of(kind: str, ids: list[str]) -> str:
    return f"/views/path?from={ids[0]}&to={ids[1]}" if kind == "path" else f"/views/{kind}/{ids[0]}"


@pytest.mark.parametrize("kind,ids", ALL_VIEWS, ids=[k for k, _ in ALL_VIEWS])
def test_routes_serve_the_view_of_the_tokens_role(client: TestClient, sample_store: GraphStore, kind: str,
                                                  ids: list[str]) -> None:
    sep = "&" if "?" in url_of(kind, ids) else "?"
    for token in [None, *TOKENS]:
        viewer = viewer_for_role(TOKENS[token]) if token else PUBLIC
        r = client.get(f"{url_of(kind, ids)}{sep}asOf={DAY}",
                       headers={"Authorization": f"Bearer {token}"} if token else {})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        want = build_view(sample_store, viewer, kind, ids, as_of=DAY)
        assert page_data(r.text) == network_data(want), f"{kind} as {viewer}"
        assert f'seen as <b id="imvo-role">{viewer}</b>' in r.text
        assert 'id="imvo-filters"' in r.text and 'format=gexf' in r.text     # served: filters and downloads


def test_route_errors_are_html_pages(client: TestClient) -> None:
    for url in ["/views/factory/NOPE", "/views/company/NOPE", "/views/covenant/NOPE", "/views/country/XX",
                "/views/path?from=C001&to=NOPE"]:
        r = client.get(url)
        assert r.status_code == 404 and r.headers["content-type"].startswith("text/html"), url
        assert "NOPE" in r.text or "XX" in r.text
    for url in [f"/views/factory/{FACTORY}?asOf=2026-13-01", f"/views/covenant/{COVENANT}?asOf=yesterday",
                "/views/path?from=C001", "/views/path"]:
        r = client.get(url)
        assert r.status_code == 400 and r.headers["content-type"].startswith("text/html"), url
    assert client.get(f"/views/factory/{FACTORY}", headers={"Authorization": "Bearer wrong"}).status_code == 401


# ---------------------------------------------------------------------------
# exported: imvo view KIND ID -o FILE.html
# ---------------------------------------------------------------------------

@pytest.fixture
def cli() -> typer.Typer:
    from imvo.cli.view import view_command

    app = typer.Typer()
    app.command("view")(view_command)
    app.command("noop")(lambda: None)      # keeps "view" a sub-command, as in imvo.cli
    return app


def test_cli_writes_the_served_page(cli: typer.Typer, client: TestClient, sample_store: GraphStore,
                                    tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("imvo.graph.open_store", lambda **options: _Unclosable(sample_store))
    for kind, ids in ALL_VIEWS:
        out = tmp_path / f"{kind}.html"
        args = ["view", kind, ",".join(ids), "-o", str(out), "--as", "company:C001", "--as-of", str(DAY)]
        res = CliRunner().invoke(cli, args)
        assert res.exit_code == 0, res.output
        served = client.get(f"{url_of(kind, ids)}{'&' if kind == 'path' else '?'}asOf={DAY}",
                            headers={"Authorization": "Bearer tok-c001"})
        written = out.read_text("utf-8")
        assert page_data(written) == page_data(served.text) and external_urls(written) == []
        assert 'id="imvo-filters"' not in written          # a file has no server behind it to filter
    res = CliRunner().invoke(cli, ["view", "path", COMPANY, "U101", "-o", str(tmp_path / "p2.html")])
    assert res.exit_code == 0 and "as public" in res.output
    for args, msg in [(["factory", "NOPE"], "unknown factory"), (["factory", FACTORY, "--as-of", "June"], "--as-of"),
                      (["factory", FACTORY, "--as", "boss"], "unknown role"), (["planet", "X"], "unknown view")]:
        res = CliRunner().invoke(cli, ["view", *args, "-o", str(tmp_path / "x.html")])
        assert res.exit_code == 1 and msg in res.output, res.output


class _Unclosable:
    """The shared test store, handed to the CLI, which closes what it opens."""

    def __init__(self, store: GraphStore) -> None:
        self._store = store

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)

    def close(self) -> None:
        pass
