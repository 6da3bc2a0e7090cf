"""Benchmark the largest network view: the covenant view of a 100k-factory synthetic dataset.

    .venv/bin/python scripts/bench_views.py [--work /tmp/imvo-bench] [--factories 100000] [--links 300000]

Generates the dataset (``ingest.synthetic.generate``) and loads it into an
embedded store once (kept in ``--work`` for the next run), then measures, for
each role:

* **build**: the query layer plus the view graph (``viz.views.covenant_view``);
* **render**: the HTML page (``viz.render.render_html``);
* **settle**: headless Chromium, real time (no virtual clock), from the
  page's script start to the first still drawing after the physics settled
  (the page's own measurement), and the browser's wall time from process
  start to that moment.

Prints a Markdown table (paste it into docs/views.md).  A script, not a test.
"""
from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))   # tests/support: the generator, headless Chromium, the server runner

from support.headless import Chromium, find_chromium

from imvo.graph.embedded import EmbeddedStore
from imvo.queries.access import PUBLIC, SECRETARIAT, Viewer, viewer_for_role
from imvo.viz.render import render_html
from imvo.viz.views import build_view

DAY = dt.date(2026, 6, 30)


def load(work: Path, factories: int, links: int) -> EmbeddedStore:
    """The synthetic dataset in an embedded store under ``work`` (generated and loaded once)."""
    from support.synthetic import generate

    from imvo.ingest.canonical import ingest_dir

    tag = work / f"f{factories}-l{links}"
    csv, data, done = tag / "csv", tag / "store", tag / "loaded"
    if not done.exists():
        t = time.perf_counter()
        generate(csv, factories=factories, links=links)
        print(f"generated {factories} factories, {links} links in {time.perf_counter() - t:.1f} s", flush=True)
        t = time.perf_counter()
        result = ingest_dir(EmbeddedStore(data), csv)
        print(f"loaded into the embedded store in {time.perf_counter() - t:.1f} s "
              f"({len(result.rejects)} rejects)", flush=True)
        done.touch()
    return EmbeddedStore(data)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", type=Path, default=Path("/tmp/imvo-bench"))
    ap.add_argument("--factories", type=int, default=100_000)
    ap.add_argument("--links", type=int, default=300_000)
    ap.add_argument("--covenant", default="COV-GARMENT")
    ap.add_argument("--company", default="C00204", help="a large buyer: its role and its co-buyer view")
    ap.add_argument("--country", default="BD")
    ap.add_argument("--repeat", type=int, default=3, help="browser runs per page (median reported)")
    args = ap.parse_args(argv)

    store = load(args.work, args.factories, args.links)
    t = time.perf_counter()
    counts = store.counts()                         # the embedded store reads its file on first use
    print(f"store opened in {time.perf_counter() - t:.1f} s: {counts.nodes.get('Factory', 0)} factories, "
          f"{counts.rels.get('SOURCES_FROM', 0)} sourcing links")
    binary = find_chromium()
    chromium = Chromium(binary) if binary else None
    if chromium is None:
        print("chromium not found: settle times are not measured", file=sys.stderr)
    company = viewer_for_role(f"company:{args.company}")
    runs: list[tuple[str, list[str], Viewer]] = [
        ("covenant", [args.covenant], SECRETARIAT), ("covenant", [args.covenant], company),
        ("covenant", [args.covenant], PUBLIC), ("company", [args.company], SECRETARIAT),
        ("country", [args.country], SECRETARIAT)]
    print("\n| view | role | nodes | edges | aggregated | build s | render s | HTML MB | settle s (page) "
          "| browser wall s |\n|---|---|---|---|---|---|---|---|---|---|")
    for kind, ids, viewer in runs:
        t = time.perf_counter()
        g = build_view(store, viewer, kind, ids, as_of=DAY)
        build = time.perf_counter() - t
        t = time.perf_counter()
        html = render_html(g)
        render = time.perf_counter() - t
        page = args.work / f"{kind}-{ids[0]}-{str(viewer).replace(':', '-')}.html"
        page.write_text(html, "utf-8")
        settle = wall = float("nan")
        if chromium is not None:
            times = [chromium.settle(page.as_uri()) for _ in range(args.repeat)]
            wall = statistics.median(r[0] for r in times)
            settle = statistics.median(r[1] for r in times) / 1000
        print(f"| {kind} {ids[0]} | {viewer} | {len(g.nodes)} | {len(g.edges)} | "
              f"{'yes' if g.aggregated else 'no'} | {build:.2f} | {render:.2f} | {len(html) / 1e6:.2f} | "
              f"{settle:.2f} | {wall:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
