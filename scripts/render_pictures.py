"""Screenshots of every workbench page and every network view, for the README and docs/views.md.

    .venv/bin/python scripts/render_pictures.py [--out docs]

Loads ``samples/demo`` into a temporary embedded store, serves the real API on
127.0.0.1 and drives Debian's Chromium with Playwright: logs in through the
form as the secretariat (one page also as public, to show what access hides)
and saves ``docs/workbench/*.png`` and ``docs/views/*.png``.  Also renders the
aggregated covenant view of a small synthetic dataset.  Layouts are
deterministic, so re-running gives the same pictures unless data or code change.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from support.headless import find_chromium
from support.server import LiveServer

from imvo.graph.embedded import EmbeddedStore
from imvo.ingest.canonical import ingest_dir

DAY = "2026-06-30"
PAGES = [  # file, path, wait for
    ("landing", "/", None),
    ("login", "/login", None),
    ("search", "/search?q=knit", None),
    ("factory", f"/factory/F0249?asOf={DAY}", "view"),
    ("company", f"/company/C001?asOf={DAY}", "view"),
    ("covenant", f"/covenant/COV-GARMENT?asOf={DAY}", "view"),
    ("country", f"/country/BD?asOf={DAY}", "view"),
    ("union", "/union/U101", None),
    ("map", f"/map?covenant=COV-GARMENT&asOf={DAY}", "map"),
    ("graphiql", "/graphql", "graphiql"),
    ("docs", "/docs", "docs"),
]
VIEWS = [
    ("factory", f"/views/factory/F0249?asOf={DAY}"),
    ("company", f"/views/company/C001?asOf={DAY}"),
    ("covenant", f"/views/covenant/COV-GARMENT?asOf={DAY}"),
    ("covenant-factories", f"/views/covenant/COV-GARMENT?asOf={DAY}&mode=factories&minBuyers=3"),
    ("country", f"/views/country/BD?asOf={DAY}"),
    ("path", f"/views/path?from=C001&to=U101&asOf={DAY}"),
]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


def login(page, base: str, token: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/login")
    page.fill("#token", token)
    page.click("form[action='/login'] button")
    page.wait_for_url(base + "/")


def wait(page, what: str | None) -> None:  # type: ignore[no-untyped-def]
    if what == "view":
        page.frame_locator("iframe#view").locator('#imvo-status[data-state="settled"]').wait_for(timeout=30_000)
    elif what == "map":
        page.wait_for_selector('#map[data-state="ready"]')
        page.wait_for_selector(".leaflet-overlay-pane path")
    elif what == "graphiql":
        page.wait_for_selector(".graphiql-editor")
    elif what == "docs":
        page.wait_for_selector(".swagger-ui .info")
    page.wait_for_timeout(400)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs")
    a = ap.parse_args(argv)
    binary = find_chromium()
    if not binary:
        print("error: chromium not found (apt-get install chromium)", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright
    warnings.simplefilter("ignore", DeprecationWarning)
    (a.out / "workbench").mkdir(parents=True, exist_ok=True)
    (a.out / "views").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="imvo-pictures-") as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=binary, args=FLAGS)
        sample = EmbeddedStore(Path(tmp) / "sample")
        ingest_dir(sample, ROOT / "samples" / "demo")
        with LiveServer(sample, tokens="sek=secretariat", IMVO_DATA_DIR=str(Path(tmp) / "data")) as server:
            ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = ctx.new_page()
            login(page, server.url, "sek")
            for name, path, what in PAGES:
                page.goto(server.url + path)
                wait(page, what)
                page.screenshot(path=str(a.out / "workbench" / f"{name}.png"))
                print(a.out / "workbench" / f"{name}.png")
            for name, path in VIEWS:
                page.goto(server.url + path)
                page.wait_for_selector('#imvo-status[data-state="settled"]')
                page.wait_for_timeout(200)
                page.screenshot(path=str(a.out / "views" / f"{name}.png"))
                print(a.out / "views" / f"{name}.png")
            public = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            public.goto(server.url + f"/views/covenant/COV-GARMENT?asOf={DAY}")
            public.wait_for_selector('#imvo-status[data-state="settled"]')
            public.screenshot(path=str(a.out / "views" / "covenant-public.png"))
        # the match review, on the brand lists of the matching tests (pairs waiting for a decision)
        from test_brandlist import ACME, canonical_dataset, zenith_xlsx

        from imvo.ingest import load_path
        from imvo.ingest.review import FILE_NAME
        rdata = Path(tmp) / "review"
        rstore = EmbeddedStore(rdata)
        ingest_dir(rstore, canonical_dataset(Path(tmp) / "canon"))
        load_path(rstore, ACME, format="brand-list", buyer="ACME", matches=rdata / FILE_NAME)
        load_path(rstore, zenith_xlsx(Path(tmp) / "zenith.xlsx"), format="brand-list", buyer="ZENITH",
                  matches=rdata / FILE_NAME)
        with LiveServer(rstore, tokens="sek=secretariat", IMVO_DATA_DIR=str(rdata)) as server:
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            login(page, server.url, "sek")
            page.goto(server.url + "/review")
            page.screenshot(path=str(a.out / "workbench" / "review.png"))
        from support.synthetic import generate
        generate(Path(tmp) / "synthetic", factories=3000, links=9000, seed=7)
        big = EmbeddedStore(Path(tmp) / "big")
        ingest_dir(big, Path(tmp) / "synthetic")
        with LiveServer(big, tokens="sek=secretariat") as server:
            page = browser.new_context(viewport={"width": 1400, "height": 1000},
                                       extra_http_headers={"Authorization": "Bearer sek"}).new_page()
            page.goto(server.url + f"/views/covenant/COV-GARMENT?asOf={DAY}&mode=factories")
            page.wait_for_selector('#imvo-status[data-state="settled"]')
            page.screenshot(path=str(a.out / "views" / "covenant-aggregated.png"))
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
