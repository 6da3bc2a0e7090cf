"""First render of the workbench's views in a real browser (a benchmark script, not a test).

    .venv/bin/python scripts/bench_workbench.py [--runs 5]

Targets (issue 11): first render <= 1 s for the sample's views, <= 3 s for a
500-node view.  "First render" is what a person waits for: from the start of
the navigation to the first drawing of the still picture with its labels
(``#imvo-status`` ``data-render-ms``, the page's ``performance.now()`` at
that moment), in headless Chromium driven by Playwright, real time, a fresh
page each run.  The sample (``samples/demo``) is served by the real API on
127.0.0.1 as the secretariat; the 500-node view is a synthetic bipartite
view (100 companies, 400 factories, 1,200 links) laid out by
:func:`imvo.viz.layout.columns` and rendered by :func:`imvo.viz.render.render_html`,
loaded from a file.  Prints a Markdown table (docs/views.md keeps the numbers).
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
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
from imvo.viz.layout import columns
from imvo.viz.model import ViewEdge, ViewGraph, ViewNode
from imvo.viz.render import render_html

DAY = "2026-06-30"
VIEWS = [("factory F0249", f"/views/factory/F0249?asOf={DAY}"),
         ("company C001", f"/views/company/C001?asOf={DAY}"),
         ("covenant COV-GARMENT (co-buyers)", f"/views/covenant/COV-GARMENT?asOf={DAY}"),
         ("covenant COV-GARMENT (factories)", f"/views/covenant/COV-GARMENT?asOf={DAY}&mode=factories"),
         ("country BD", f"/views/country/BD?asOf={DAY}"),
         ("path C001 to U101", f"/views/path?from=C001&to=U101&asOf={DAY}")]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


def synthetic_500(path: Path) -> int:
    rnd = random.Random(11)
    g = ViewGraph("covenant", "SYN", "Synthetic 500-node view", dt.date(2026, 6, 30), "secretariat")
    for i in range(100):
        g.add_node(ViewNode(f"Company:C{i:03}", "Company", f"Company {i:03} Textiles B.V.", 1 + rnd.random() * 5))
    for i in range(400):
        g.add_node(ViewNode(f"Factory:F{i:04}", "Factory", f"Factory {i:04} Garments Ltd", 1 + rnd.random() * 4))
    while len(g.edges) < 1200:
        g.add_edge(ViewEdge(f"Company:C{rnd.randrange(100):03}", f"Factory:F{rnd.randrange(400):04}",
                            "SOURCES_FROM"))
    columns(g, lambda n: 0 if n.kind == "Company" else 1)
    path.write_text(render_html(g), "utf-8")
    return len(g.nodes)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    binary = find_chromium()
    if binary is None:
        sys.exit("headless Chromium not found (install Debian's chromium or set IMVO_CHROMIUM)")
    from playwright.sync_api import sync_playwright
    warnings.simplefilter("ignore", DeprecationWarning)
    with tempfile.TemporaryDirectory(prefix="imvo-bench-") as tmp:
        store = EmbeddedStore(Path(tmp) / "data")
        ingest_dir(store, ROOT / "samples" / "demo")
        big = Path(tmp) / "view-500.html"
        n500 = synthetic_500(big)
        rows = []
        with LiveServer(store, tokens="bench=secretariat") as server, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=binary, args=FLAGS)
            ctx = browser.new_context(viewport={"width": 1300, "height": 900},
                                      extra_http_headers={"Authorization": "Bearer bench"})
            targets = [(name, server.url + url, 1.0) for name, url in VIEWS]
            targets.append((f"synthetic, {n500} nodes", big.as_uri(), 3.0))
            for name, url, target in targets:
                times, nodes, labels = [], 0, 0
                for _ in range(a.runs):
                    page = ctx.new_page()
                    page.goto(url)
                    status = page.wait_for_selector('#imvo-status[data-state="settled"]', timeout=60_000)
                    assert status is not None
                    times.append(int(status.get_attribute("data-render-ms") or 0) / 1000)
                    nodes = int(status.get_attribute("data-nodes") or 0)
                    labels = int(status.get_attribute("data-labels") or 0)
                    page.close()
                med = statistics.median(times)
                rows.append((name, nodes, labels, med, max(times), target))
            browser.close()
    print(f"Chromium {binary}, {a.runs} runs each, {dt.date.today().isoformat()}\n")
    print("| view | nodes | labels drawn | first render, median s | worst s | target s |")
    print("|---|---|---|---|---|---|")
    for name, nodes, labels, med, worst, target in rows:
        ok = "" if worst <= target else " (over)"
        print(f"| {name} | {nodes} | {labels} | {med:.2f} | {worst:.2f}{ok} | {target:g} |")


if __name__ == "__main__":
    main()
