"""The web workbench over real HTTP (DESIGN.md section 10): sessions, CSRF, pages, downloads, docs.

Runs on both backends (``sample_store``).  The same pages in a real browser
are in tests/test_workbench_browser.py.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support.server import LiveServer

from imvo.graph.store import GraphStore
from imvo.queries.access import PUBLIC, SECRETARIAT, viewer_for_role
from imvo.queries.core import factory_leverage, shared_factories
from imvo.queries.navigate import list_nodes
from imvo.viz.pages import PAGE_KINDS, entity_page

DAY = "2026-06-30"
TOKENS = "sekret=secretariat,co1=company:C001"
ANY_URL = re.compile(r"""(?:src|href|action)\s*=\s*["'](?:https?:)?//""", re.IGNORECASE)


_CLIENTS: list[httpx.Client] = []


@pytest.fixture
def server(sample_store: GraphStore, tmp_path: Path) -> Iterator[LiveServer]:
    with LiveServer(sample_store, tokens=TOKENS, IMVO_DATA_DIR=str(tmp_path / "data")) as s:
        yield s
    while _CLIENTS:
        _CLIENTS.pop().close()


def client(server: LiveServer) -> httpx.Client:
    c = httpx.Client(base_url=server.url, timeout=30)
    _CLIENTS.append(c)
    return c


def login(server: LiveServer, token: str) -> httpx.Client:
    c = client(server)
    form = c.get("/login")
    check = re.search(r'name="login_check" value="([^"]+)"', form.text)
    assert check, "the login form carries its double-submit check"
    r = c.post("/login", data={"token": token, "login_check": check.group(1)})
    assert r.status_code == 303 and r.headers["location"] == "/", r.text[:300]
    return c


def csrf_of(html: str) -> str:
    m = re.search(r'<meta name="csrf-token" content="([^"]*)">', html)
    assert m, "a page with a session carries its CSRF token"
    return m.group(1)


def test_login_starts_a_session_in_the_tokens_role(server: LiveServer) -> None:
    c = login(server, "sekret")
    cookie = next(h for h in c.cookies.jar if h.name == "imvo_session")
    assert cookie.has_nonstandard_attr("HttpOnly") and cookie.get_nonstandard_attr("SameSite") == "lax"
    assert "sekret" not in (cookie.value or ""), "the cookie holds a role, never the token"
    assert re.search(r'id="role">secretariat<', c.get("/").text)
    doc = c.post("/graphql", json={"query": "{ viewer }"}, headers={"X-CSRF-Token": csrf_of(c.get("/").text)})
    assert doc.json() == {"data": {"viewer": "secretariat"}}
    assert "seen as <b" in c.get(f"/views/factory/F0249?asOf={DAY}").text
    assert 'id="imvo-role">secretariat<' in c.get(f"/views/factory/F0249?asOf={DAY}").text
    c.get("/logout")
    assert re.search(r'id="role">public<', c.get("/").text)


def test_an_unknown_token_gets_401_and_no_session(server: LiveServer) -> None:
    c = client(server)
    check = re.search(r'name="login_check" value="([^"]+)"', c.get("/login").text)
    assert check
    r = c.post("/login", data={"token": "guess", "login_check": check.group(1)})
    assert r.status_code == 401 and "Unknown token" in r.text
    assert "imvo_session" not in {h.name for h in c.cookies.jar if h.value}
    assert re.search(r'id="role">public<', c.get("/").text)


def test_login_needs_its_own_form(server: LiveServer) -> None:
    """A login posted from elsewhere (no double-submit cookie) starts no session (login CSRF)."""
    r = httpx.post(server.url + "/login", data={"token": "sekret", "login_check": "x"}, timeout=30)
    assert r.status_code == 403 and "imvo_session" not in r.headers.get("set-cookie", "")


def test_a_forged_cookie_is_no_session(server: LiveServer) -> None:
    c = login(server, "co1")
    value = c.cookies.get("imvo_session")
    assert value
    body, mac = value.split(".")
    forged = body.replace(body[2], "A" if body[2] != "A" else "B", 1) + "." + mac
    r = httpx.get(server.url + "/", cookies={"imvo_session": forged}, timeout=30)
    assert re.search(r'id="role">public<', r.text)


def test_state_changing_requests_need_the_csrf_token(server: LiveServer) -> None:
    c = login(server, "sekret")
    q = {"query": "{ viewer }"}
    assert c.post("/graphql", json=q).status_code == 403                       # cookie, no token
    assert c.post("/graphql", json=q, headers={"X-CSRF-Token": "wrong"}).status_code == 403
    assert c.post("/graphql", json=q, headers={"X-CSRF-Token": csrf_of(c.get("/").text)}).status_code == 200
    # a bearer request does not use the cookie and needs no CSRF token
    r = httpx.post(server.url + "/graphql", json=q, headers={"Authorization": "Bearer sekret"}, timeout=30)
    assert r.json() == {"data": {"viewer": "secretariat"}}
    # another site's form post with the victim's cookie is refused
    assert c.post("/graphql", data={"query": "{ viewer }"}).status_code == 403


def test_pages_answer_for_every_kind_and_404_for_unknown_ids(server: LiveServer, sample_store: GraphStore) -> None:
    ids = {"factory": "F0249", "company": "C001", "covenant": "COV-GARMENT", "country": "BD", "union": "U101",
           "risk": "living_wage"}
    for kind in PAGE_KINDS:
        page = ids.get(kind) or list_nodes(sample_store, PAGE_KINDS[kind], limit=1).items[0].id
        r = httpx.get(f"{server.url}/{kind}/{page}?asOf={DAY}", timeout=30)
        assert r.status_code == 200, (kind, r.text[:200])
        assert not ANY_URL.search(r.text), f"/{kind}/{page} names an external URL"
        assert httpx.get(f"{server.url}/{kind}/NO-SUCH-ID", timeout=30).status_code == 404
    assert httpx.get(f"{server.url}/factory/F0249?asOf=2026-13-01", timeout=30).status_code == 400
    for url in ("/", "/search?q=knit", "/login", "/map", f"/map?covenant=COV-GARMENT&asOf={DAY}", "/docs"):
        r = httpx.get(server.url + url, timeout=30)
        assert r.status_code == 200 and not ANY_URL.search(r.text), url
        for ref in re.findall(r'(?:src|href)="(/static/[^"]+)"', r.text):
            assert httpx.get(server.url + ref, timeout=30).status_code == 200, ref


def test_every_name_links_to_its_page(server: LiveServer) -> None:
    html = httpx.get(f"{server.url}/factory/F0249?asOf={DAY}", timeout=30).text
    links = set(re.findall(r'<a href="(/(?:{})/[^"?]+)"'.format("|".join(PAGE_KINDS)), html))
    assert {"/country/LK", "/company/C008"} <= links
    for href in sorted(links):
        assert httpx.get(server.url + href, timeout=30).status_code == 200, href


@pytest.mark.parametrize("role", ["secretariat", "company:C001", "public"])
def test_pages_show_what_the_role_may_see(sample_store: GraphStore, role: str) -> None:
    viewer = viewer_for_role(role)
    day = dt.date.fromisoformat(DAY)
    every = factory_leverage(sample_store, SECRETARIAT, factory_id="F0249", as_of=day)
    mine = factory_leverage(sample_store, viewer, factory_id="F0249", as_of=day)
    assert every is not None and mine is not None
    page = entity_page(sample_store, viewer, "factory", "F0249", as_of=day)
    names = {c.text for row in page.table("buyers").rows for c in row if hasattr(c, "href")}
    assert names == {str(b.name) for b in mine.buyers}
    from imvo.viz.html import render_page
    html = render_page(page)
    for b in every.buyers:
        if b.id not in {x.id for x in mine.buyers}:
            assert str(b.name) not in html and f"/company/{b.id}" not in html, f"{role} sees {b.id}"
    cov = entity_page(sample_store, viewer, "covenant", "COV-GARMENT", as_of=day)
    shared = shared_factories(sample_store, viewer, covenant_id="COV-GARMENT", as_of=day)
    assert [r[0].id for r in cov.table("shared").rows] == [s.factory.id for s in shared]


def test_table_downloads_open_in_a_spreadsheet(server: LiveServer, sample_store: GraphStore) -> None:
    r = httpx.get(f"{server.url}/covenant/COV-GARMENT?asOf={DAY}&table=shared&format=csv", timeout=30)
    assert r.status_code == 200 and r.content.startswith(b"\xef\xbb\xbf")
    assert "attachment" in r.headers["content-disposition"]
    text = r.content.decode("utf-8-sig")
    first, rest = text.split("\n", 1)
    assert first.startswith("# ") and "made for role public; as of 2026-06-30" in first
    rows = list(csv.DictReader(io.StringIO(rest)))
    shared = shared_factories(sample_store, PUBLIC, covenant_id="COV-GARMENT", as_of=dt.date.fromisoformat(DAY))
    assert [(x["factory id"], x["factory"]) for x in rows] == [(s.factory.id, s.factory.name) for s in shared]
    x = httpx.get(f"{server.url}/covenant/COV-GARMENT?asOf={DAY}&table=shared&format=xlsx", timeout=30)
    assert x.status_code == 200 and x.content[:2] == b"PK"
    assert httpx.get(f"{server.url}/covenant/COV-GARMENT?table=nope&format=csv", timeout=30).status_code == 404


def test_view_downloads(server: LiveServer) -> None:
    base = f"{server.url}/views/covenant/COV-GARMENT?asOf={DAY}&mode=factories"
    nodes = httpx.get(base + "&format=nodes.csv", timeout=30)
    assert nodes.status_code == 200 and nodes.content.startswith(b"\xef\xbb\xbf#")
    page = httpx.get(base, timeout=30).text
    n = int(re.search(r'data-nodes="(\d+)"', page).group(1))  # type: ignore[union-attr]
    assert len(nodes.content.decode("utf-8-sig").splitlines()) == n + 2
    import networkx as nx
    gexf = httpx.get(base + "&format=gexf", timeout=30)
    g = nx.read_gexf(io.BytesIO(gexf.content))
    assert g.number_of_nodes() == n
    graphml = httpx.get(base + "&format=graphml", timeout=30)
    assert nx.read_graphml(io.BytesIO(graphml.content)).number_of_nodes() == n
    assert httpx.get(base + "&format=pdf", timeout=30).status_code == 400


def test_docs_and_schema_are_served_offline(server: LiveServer) -> None:
    docs = httpx.get(server.url + "/docs", timeout=30).text
    assert "/static/swagger-ui-bundle.js" in docs and not ANY_URL.search(docs)
    sdl = httpx.get(server.url + "/schema.graphql", timeout=30).text
    assert "jointActionOpportunities(risk: String!" in sdl          # the contract keeps its strings
    for enum in ("enum RiskId", "enum Disclosure", "enum ViewerRole", "enum CompanyKind"):
        assert enum in sdl
    doc = server.graphql("{ viewerRole vocabulary { risks disclosures } "
                         "company(id: \"C001\") { companyKind sourcing { disclosureLevel } } }", "co1")
    assert doc["data"]["viewerRole"] == "COMPANY" and "LIVING_WAGE" in doc["data"]["vocabulary"]["risks"]


def test_match_review_is_for_the_secretariat_and_needs_the_csrf_token(server: LiveServer) -> None:
    assert httpx.get(server.url + "/review", timeout=30).status_code == 403            # public
    assert login(server, "co1").get("/review").status_code == 403                      # a company
    c = login(server, "sekret")
    page = c.get("/review")
    assert page.status_code == 200 and "No pairs waiting" in page.text
    assert c.post("/review", data={"action": "accept", "pair": "1"}).status_code == 403    # no CSRF token
    r = c.post("/review", data={"action": "accept", "pair": "1", "csrf_token": csrf_of(page.text)})
    assert r.status_code == 400 and "no match pair 1" in r.text          # the queue's own rules answer
