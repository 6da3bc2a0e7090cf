"""The workbench in a real browser: Playwright driving Debian's Chromium (no browser download).

For secretariat, company:C001 and public: log in through the form, search for
a factory by name, open its page, click through from the network view to a
company's page, filter a view, move the date -- and check what each role sees
against the query layer: no name the role may not see anywhere in the DOM or
in the embedded data of any frame, and no request leaving 127.0.0.1 (every
request is intercepted; anything else is refused and recorded).

Chromium is ``/usr/bin/chromium`` (or ``$IMVO_CHROMIUM``), started with the
flags this closed network needs.  Without it or without Playwright these
tests skip with the reason, unless ``IMVO_REQUIRE_BROWSER=1`` (set by CI).
"""
from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from support.headless import find_chromium
from support.server import LiveServer

from imvo.graph.store import GraphStore
from imvo.queries.access import SECRETARIAT, Viewer, viewer_for_role
from imvo.queries.core import factory_leverage, shared_factories

pytestmark = pytest.mark.browser

DAY = "2026-06-30"
EARLY = "2019-01-01"
TOKENS = "sekret=secretariat,co1=company:C001"
ROLES = [("secretariat", "sekret"), ("company:C001", "co1"), ("public", None)]
FACTORY = "F0249"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


def _skip(why: str) -> None:
    if os.environ.get("IMVO_REQUIRE_BROWSER") == "1":
        pytest.fail(f"a browser is required (IMVO_REQUIRE_BROWSER=1): {why}")
    print(f"\n[browser] {why}")
    pytest.skip(why)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    binary = find_chromium()
    if binary is None:
        _skip("headless Chromium not found: install Debian's chromium or set IMVO_CHROMIUM")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _skip("the playwright package is not installed (make install)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=binary, args=FLAGS)
        yield b
        b.close()


@pytest.fixture
def server(sample_store: GraphStore) -> Iterator[LiveServer]:
    with LiveServer(sample_store, tokens=TOKENS) as s:
        yield s


class Page:
    """A fresh browser context whose every request is checked: 127.0.0.1 only."""

    def __init__(self, browser: Any, base: str) -> None:
        self.base = base
        self.ctx = browser.new_context(viewport={"width": 1300, "height": 900}, accept_downloads=True)
        self.requests: list[str] = []
        self.refused: list[str] = []

        def route(r: Any) -> None:
            url = r.request.url
            self.requests.append(url)
            host = urlsplit(url).hostname
            if url.startswith(("data:", "blob:")) or host == "127.0.0.1":
                r.continue_()
            else:
                self.refused.append(url)
                r.abort()
        self.ctx.route("**/*", route)
        self.page = self.ctx.new_page()

    def go(self, path: str) -> Any:
        self.page.goto(self.base + path)
        return self.page

    def everything(self) -> str:
        """The serialized DOM of every frame (embedded JSON data included)."""
        return "\n".join(f.content() for f in self.page.frames)

    def close(self) -> None:
        self.ctx.close()


def view_frame(page: Any) -> Any:
    page.wait_for_selector("iframe#view")
    frame = page.frame_locator("iframe#view")
    frame.locator('#imvo-status[data-state="settled"]').wait_for(timeout=20_000)
    return next(f for f in page.frames if "/views/" in f.url)


def hidden_names(store: GraphStore, viewer: Viewer, day: dt.date) -> list[str]:
    every = factory_leverage(store, SECRETARIAT, factory_id=FACTORY, as_of=day)
    mine = factory_leverage(store, viewer, factory_id=FACTORY, as_of=day)
    assert every is not None and mine is not None
    seen = {b.id for b in mine.buyers}
    return [str(b.name) for b in every.buyers if b.id not in seen]


def labels_overlap(labels: list[dict[str, Any]]) -> list[tuple[str, str]]:
    boxes = [b for b in labels if b["side"] != "radial"]
    return [(a["id"], b["id"]) for i, a in enumerate(boxes) for b in boxes[i + 1:]
            if a["x"] < b["x"] + b["w"] - 0.5 and b["x"] < a["x"] + a["w"] - 0.5
            and a["y"] < b["y"] + b["h"] - 0.5 and b["y"] < a["y"] + a["h"] - 0.5]


@pytest.mark.parametrize("role,token", ROLES, ids=[r for r, _ in ROLES])
def test_a_person_with_a_browser(browser: Any, server: LiveServer, sample_store: GraphStore, role: str,
                                 token: str | None) -> None:
    viewer = viewer_for_role(role)
    day = dt.date.fromisoformat(DAY)
    p = Page(browser, server.url)
    try:
        page = p.go("/")
        assert page.locator("#role").inner_text() == "public"
        if token:                                     # log in through the form
            page.click("#login")
            page.fill("#token", token)
            page.click("form[action='/login'] button")
            page.wait_for_url(server.url + "/")
            assert page.locator("#role").inner_text() == role
        # find a factory by name
        lev = factory_leverage(sample_store, viewer, factory_id=FACTORY, as_of=day)
        assert lev is not None
        page.fill("#q", "Sigiriya")
        page.press("#q", "Enter")
        page.click(f'a[href="/factory/{FACTORY}"]')
        page.wait_for_url(f"**/factory/{FACTORY}")
        assert page.locator("#title").inner_text() == lev.factory.name
        page.fill("#asof", DAY)
        page.click(".asof button")
        page.wait_for_url(f"**asOf={DAY}")
        # who buys there, as the role may see them
        rows = page.locator("#t-buyers tbody tr td:first-child").all_inner_texts()
        assert sorted(rows) == sorted(str(b.name) for b in lev.buyers)
        frame = view_frame(page)
        hidden = hidden_names(sample_store, viewer, day)
        assert bool(hidden) == (role != "secretariat")
        text = p.everything()
        for name in hidden:
            assert name not in text, f"{role} sees {name!r} somewhere in the page or its view"
        # the view: every node labelled, no two labels overlapping
        labels = frame.evaluate("window.imvoView.labels()")
        n = int(frame.locator("#imvo-status").get_attribute("data-nodes") or 0)
        assert len(labels) == n and not labels_overlap(labels), labels
        # click a buyer in the view: its details, then its page
        if lev.buyers:
            b = min(lev.buyers, key=lambda x: x.id)
            xy = frame.evaluate(f"""() => {{ const net = window.imvoView.network;
                return net.canvasToDOM(net.getPosition("Company:{b.id}")); }}""")
            frame.locator("#imvo-network canvas").click(position={"x": xy["x"], "y": xy["y"]})
            frame.locator("#imvo-open").wait_for()
            frame.locator("#imvo-open").click()
            page.wait_for_url(f"**/company/{b.id}")
            assert page.locator("#title").inner_text() == b.name
        # move the date: the buyers table follows the query layer
        p.go(f"/factory/{FACTORY}?asOf={EARLY}")
        early = factory_leverage(sample_store, viewer, factory_id=FACTORY, as_of=dt.date.fromisoformat(EARLY))
        assert early is not None
        assert sorted(page.locator("#t-buyers tbody tr td:first-child").all_inner_texts()) == \
            sorted(str(x.name) for x in early.buyers)
        # the covenant: the co-buyer picture, every company labelled; then a filter
        page = p.go(f"/covenant/COV-GARMENT?asOf={DAY}")
        frame = view_frame(page)
        shared = shared_factories(sample_store, viewer, covenant_id="COV-GARMENT", as_of=day)
        companies = {b.id for s in shared for b in s.buyers}
        labelled = {x["id"] for x in frame.evaluate("window.imvoView.labels()")}
        assert labelled == {f"Company:{c}" for c in companies}
        page = p.go(f"/views/covenant/COV-GARMENT?asOf={DAY}")
        page.select_option("#imvo-mode", "factories")
        page.fill("#imvo-minbuyers", "3")
        page.click("#imvo-filters button")
        page.wait_for_selector('#imvo-status[data-state="settled"]')
        three = shared_factories(sample_store, viewer, covenant_id="COV-GARMENT", min_buyers=3, as_of=day)
        kinds = page.evaluate("JSON.parse(document.getElementById('imvo-status').dataset.kinds)")
        assert kinds.get("Factory", 0) == len(three)
        assert not labels_overlap(page.evaluate("window.imvoView.labels()"))
        # downloads: PNG of the picture, the data as CSV
        with page.expect_download() as d:
            page.click("#imvo-png")
        assert d.value.suggested_filename.endswith(".png")
        with page.expect_download() as d:
            page.click("#imvo-csv-nodes")
        assert d.value.suggested_filename.endswith(".nodes.csv")
        # the map
        page = p.go(f"/map?covenant=COV-GARMENT&asOf={DAY}")
        page.wait_for_selector('#map[data-state="ready"]')
        assert page.evaluate("window.imvoMap.points") > 0
        page.wait_for_selector(".leaflet-overlay-pane path, .imvo-cluster")
        if token:
            p.go("/logout")
            assert p.page.locator("#role").inner_text() == "public"
    finally:
        p.close()
    assert not p.refused, f"requests tried to leave 127.0.0.1: {p.refused}"
    assert p.requests and all(urlsplit(u).hostname == "127.0.0.1" for u in p.requests if u.startswith("http"))


def test_graphiql_keeps_no_token_unless_asked(browser: Any, server: LiveServer) -> None:
    p = Page(browser, server.url)
    try:
        page = p.go("/graphql")
        page.wait_for_selector(".graphiql-container .graphiql-editor")
        assert "sharedFactories" in p.everything()
        stored = page.evaluate("Object.keys(window.localStorage)")
        assert "graphiql:headers" not in stored
        assert page.evaluate("window.localStorage.getItem('imvo:persistHeaders')") is None
        assert page.locator("#imvo-role").inner_text() == "public"
    finally:
        p.close()
    assert not p.refused, p.refused


def test_match_review_in_the_browser(browser: Any, tmp_path: Any) -> None:
    """The secretariat decides the review queue in the browser; the rows land as with `imvo matches`."""
    from test_brandlist import ACME, canonical_dataset, zenith_xlsx

    from imvo.graph.embedded import EmbeddedStore
    from imvo.ingest import load_path
    from imvo.ingest.review import FILE_NAME, ReviewQueue
    from imvo.queries.navigate import neighbours

    data = tmp_path / "data"
    store = EmbeddedStore(data)
    queue = data / FILE_NAME
    from imvo.ingest.canonical import ingest_dir
    ingest_dir(store, canonical_dataset(tmp_path / "canon"))
    load_path(store, ACME, format="brand-list", buyer="ACME", matches=queue)
    load_path(store, zenith_xlsx(tmp_path / "zenith.xlsx"), format="brand-list", buyer="ZENITH", matches=queue)
    with ReviewQueue(queue) as q:
        pending = {p.name: p for p in q.pairs()}
    shahi = pending["Shahi Exports Private Limited"]   # a unit number on one side only: a doubtful pair
    with LiveServer(store, tokens=TOKENS, IMVO_DATA_DIR=str(data)) as server:
        p = Page(browser, server.url)
        try:
            page = p.go("/review")
            assert page.locator("#title").inner_text() == "Not found" or "403" in page.locator("#title").inner_text()
            page = p.go("/login")
            page.fill("#token", "sekret")
            page.click("form[action='/login'] button")
            page.wait_for_url(server.url + "/")
            page = p.go("/review")
            # the evidence side by side: incoming name and the existing factory
            pair = page.locator(f"#pair-{shahi.id}")
            assert "Shahi Exports Private Limited" in pair.inner_text()
            assert shahi.candidate_id in pair.inner_text()
            page.click(f"#accept-{shahi.id}")
            page.wait_for_url("**/review?done=*")
            assert "accepted 1 pair" in page.locator("#review-message").inner_text()
            assert "accepted" in page.locator(f"#decided-{shahi.id}").inner_text()
            zen = {e.node.id for e in neighbours(store, SECRETARIAT, "Company", ["ZENITH"], "SOURCES_FROM",
                                                 "out")["ZENITH"]}
            assert shahi.candidate_id in zen
            # a decision can be taken back, and the pair waits again
            page.click(f"#undo-{shahi.id}")
            page.wait_for_url("**/review?done=*")
            assert "undid 1 pair" in page.locator("#review-message").inner_text()
            page.check(f"#pair-{shahi.id} input[name=pair]")
            page.click("#reject-selected")
            page.wait_for_url("**/review?done=*")
            assert "rejected" in page.locator(f"#decided-{shahi.id}").inner_text()
        finally:
            p.close()
        assert not p.refused
    zen = {e.node.id for e in neighbours(store, SECRETARIAT, "Company", ["ZENITH"], "SOURCES_FROM", "out")["ZENITH"]}
    assert shahi.candidate_id not in zen and len(zen) == 6      # rejected: Shahi is a factory of its own
    with ReviewQueue(queue) as q:
        assert {p.id: p.status for p in q.pairs(None)}[shahi.id] == "rejected"
