"""The network views in a real browser: headless Chromium loads each view from the running API.

For each view and each role (secretariat token, company token, no token):
the network settles and is drawn (the canvas area of a screenshot is not
blank), the page's network holds exactly the nodes and edges the query layer
returned for that role, and the page makes no request outside localhost.

Chromium is Debian's ``chromium`` (or ``$IMVO_CHROMIUM``).  Without it these
tests are skipped with the reason, unless ``IMVO_REQUIRE_BROWSER=1`` (set by
CI), which turns the skip into a failure.
"""
from __future__ import annotations

import datetime as dt
import os
import urllib.request
import warnings
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import pytest
from support.headless import Chromium, PageState, find_chromium, pixel_variety, serve_in_thread, with_token
from test_views import external_urls

from imvo.graph.store import GraphStore
from imvo.queries.access import PUBLIC, Viewer, viewer_for_role
from imvo.queries.analytics import country_overview, paths
from imvo.queries.core import co_buyers, factory_leverage, shared_factories
from imvo.viz.views import build_view

pytestmark = pytest.mark.browser

DAY = dt.date(2026, 6, 30)
TOKENS = {"tok-sec": "secretariat", "tok-c001": "company:C001"}
ROLES: list[tuple[str | None, Viewer]] = [("tok-sec", viewer_for_role("secretariat")),
                                          ("tok-c001", viewer_for_role("company:C001")), (None, PUBLIC)]
VIEWS = [("factory", ["F0249"]), ("company", ["C001"]), ("covenant", ["COV-GARMENT"]), ("country", ["BD"]),
         ("path", ["C001", "U101"])]


@pytest.fixture(scope="module")
def chromium() -> Chromium:
    binary = find_chromium()
    if binary is None:
        why = "headless Chromium not found: install Debian's chromium or set IMVO_CHROMIUM"
        if os.environ.get("IMVO_REQUIRE_BROWSER") == "1":
            pytest.fail(f"a browser is required (IMVO_REQUIRE_BROWSER=1): {why}")
        print(f"\n[browser] {why}")
        pytest.skip(why)
    return Chromium(binary, width=1200, height=800)


def query_counts(store: GraphStore, viewer: Viewer, kind: str, ids: list[str]) -> dict[str, int]:
    """What the query layer returns for the view's main question, as node counts per kind."""
    if kind == "factory":
        lev = factory_leverage(store, viewer, factory_id=ids[0], as_of=DAY)
        assert lev is not None
        return {"Factory": 1, "companies": len(lev.buyers), "Union": len(lev.unions),
                "NGO": len(lev.ngos), "Grievance": len(lev.open_grievances)}
    if kind == "company":
        found = co_buyers(store, viewer, company_id=ids[0], as_of=DAY)
        return {"companies": 1 + len(found),
                "Factory": len({f.id for c in found for f in c.shared_factories})}
    if kind == "covenant":       # the default picture: the co-buyer network of the signatories
        shared = shared_factories(store, viewer, covenant_id=ids[0], as_of=DAY)
        return {"companies": len({b.id for s in shared for b in s.buyers})}
    if kind == "country":
        ov = country_overview(store, viewer, ids[0], as_of=DAY)
        assert ov is not None
        return {"Factory": len(shared_factories(store, viewer, country=ids[0], as_of=DAY)),
                "Risk": len(ov.risk_levels), "Country": 1}
    ends = {(n.label, n.id) for p in paths(store, viewer, ids[0], ids[1], as_of=DAY) for n in p.nodes}
    return {"all": len(ends) or 2}      # no path: just the two ends


def page_counts(state: PageState) -> Counter[str]:
    kinds = Counter(state.kinds)
    kinds["companies"] = kinds["Company"] + kinds["Buyer"]
    kinds["all"] = state.nodes
    return kinds


def url_of(base: str, kind: str, ids: list[str]) -> str:
    if kind == "path":
        return f"{base}/views/path?from={ids[0]}&to={ids[1]}&asOf={DAY}"
    return f"{base}/views/{kind}/{ids[0]}?asOf={DAY}"


@pytest.mark.parametrize("kind,ids", VIEWS, ids=[k for k, _ in VIEWS])
def test_view_in_chromium(chromium: Chromium, sample_store: GraphStore, kind: str, ids: list[str],
                          tmp_path: Path) -> None:
    from imvo.api.app import create_app
    from imvo.kernel.settings import Settings

    settings = Settings(api_tokens=",".join(f"{t}={r}" for t, r in TOKENS.items()))  # type: ignore[call-arg]
    with warnings.catch_warnings():    # the GraphQL schema's own deprecations are tested elsewhere
        warnings.simplefilter("ignore", DeprecationWarning)
        app = create_app(settings, store=sample_store)
    with ExitStack() as stack:
        bases = [stack.enter_context(serve_in_thread(with_token(app, token))) for token, _ in ROLES]
        urls = [url_of(base, kind, ids) for base in bases]
        shots = [tmp_path / f"{kind}-{i}.png" for i in range(len(urls))]
        with ThreadPoolExecutor(max_workers=len(ROLES)) as pool:
            states = list(pool.map(lambda us: chromium.load(us[0], screenshot=us[1]), zip(urls, shots)))
        pages = []
        for (token, _), url in zip(ROLES, urls):
            req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
            with urllib.request.urlopen(req, timeout=30) as r:
                pages.append(r.read().decode("utf-8"))

    for (_, viewer), url, state, shot, html in zip(ROLES, urls, states, shots, pages):
        who = f"{kind} as {viewer}"
        assert state.state == "settled", f"{who}: the network never settled"
        want = build_view(sample_store, viewer, kind, ids, as_of=DAY).counts()
        assert (state.nodes, state.edges) == (want["nodes"], want["edges"]), who
        assert state.kinds == want["node_kinds"] and state.types == want["edge_types"], who
        got = page_counts(state)
        for key, n in query_counts(sample_store, viewer, kind, ids).items():
            assert got[key] == n, f"{who}: {key} {got[key]} on the page, {n} from the query layer"
        # drawn: the canvas part of the screenshot has many colours and some ink
        colours, ink = pixel_variety(shot, state.canvas)
        assert colours >= 12 and ink >= 0.003, f"{who}: canvas looks blank ({colours} colours, {ink:.4f} ink)"
        # offline: nothing in the page points away, and nothing it loaded left 127.0.0.1
        assert external_urls(html) == [], who
        page = [r for r in state.requests if r.top_site.startswith("http://127.0.0.1")]
        assert any(r.url == url for r in page), f"{who}: the net log does not show the page load"
        assert all(r.host == "127.0.0.1" for r in page), f"{who}: {[r.url for r in page]}"
        outside = [r for r in state.requests if r.host not in ("127.0.0.1", "localhost")]
        assert all(r.error != 0 for r in outside), f"a request left localhost: {outside}"


def test_blank_canvas_is_detected(chromium: Chromium, tmp_path: Path) -> None:
    """The drawn-canvas check tells an empty network from a drawn one."""
    from imvo.viz.model import ViewGraph
    from imvo.viz.render import render_html

    page = tmp_path / "empty.html"
    page.write_text(render_html(ViewGraph("factory", "F0", "empty", DAY, "public")), "utf-8")
    state = chromium.load(page.as_uri(), screenshot=tmp_path / "empty.png")
    assert state.state == "settled" and (state.nodes, state.edges) == (0, 0)
    colours, ink = pixel_variety(tmp_path / "empty.png", state.canvas)
    assert colours < 12 or ink < 0.003
