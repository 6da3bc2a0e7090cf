#!/usr/bin/env python3
"""Latency benchmark (issue 3, item 7): p50/p95 of the contract queries on both backends.

    .venv/bin/python scripts/bench_queries.py                         # 10k and 100k factories
    .venv/bin/python scripts/bench_queries.py --factories 10000 --links 30000 --calls 10   # quick
    NEO4J_URI=bolt://127.0.0.1:7687 .venv/bin/python scripts/bench_queries.py   # an existing Neo4j
                                                                      # (it is cleared and reloaded!)

A script, not a test: it prints tables and writes JSON to
``bench-results/queries-<time>.json``.  For each dataset size (the synthetic
generator of ``ingest.synthetic``; default 10k factories / 30k links and
100k / 300k) and each backend (embedded, Neo4j):

1. the dataset is generated once under ``--work`` and loaded: the embedded
   store is kept under ``--work`` between runs; Neo4j is started by the
   launcher with its home under ``--work`` (one home per size, so a second
   run finds the data loaded and skips the load) unless ``NEO4J_URI`` is set;
2. every question is asked once untimed (warm-up: query plans, caches), then
   ``--calls`` times with varied arguments, as the secretariat, on
   ``--as-of`` (2026-06-30, the generator's reference day):

   * ``sharedFactories`` covenant-wide, cycling over every covenant of the
     dataset (``covenantId`` set, no country) -- the target's case;
   * ``sharedFactories`` for one country (cycling over countries, any covenant);
   * ``coBuyers`` for a seeded sample of buyer companies;
   * ``factoryLeverage`` for a seeded sample of factories with a buyer;
   * ``jointActionOpportunities`` cycling over risks (first 20);

   each through the query layer (``queries.core``, what the API calls) and
   through the real HTTP API (``POST /graphql`` on uvicorn, run in a thread of
   this process on 127.0.0.1, bearer token of the secretariat, one kept-alive
   connection), interleaved call by call so both see the same machine load.
   The API selects the fields the contract names (ids, names, counts, shares).

"API overhead" is the ratio of the summed API time to the summed direct time
for the same calls (and the ratio of the p50s).  Numbers are wall-clock
milliseconds on a shared, noisy machine: look at the load average recorded
with them.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ingest import (
    DEFAULT_WORK,
    RESULTS,
    dataset,
    log,
    machine,
    neo4j_server,
    open_neo4j,
    table,
    write_results,
)

from imvo.graph.embedded import EmbeddedStore
from imvo.graph.store import GraphStore
from imvo.queries import core
from imvo.queries.access import SECRETARIAT

RISKS = ("living_wage", "freedom_of_association", "health_safety", "forced_labour", "child_labour")

Q_SHARED = ("query($c: ID, $k: String, $d: Date) { sharedFactories(covenantId: $c, country: $k, asOf: $d) "
            "{ factory { id name country } buyers { id name } buyerCount } }")
Q_COBUYERS = ("query($id: ID!, $d: Date) { coBuyers(companyId: $id, asOf: $d) "
              "{ company { id name } sharedFactories { id } sharedCount } }")
Q_LEVERAGE = ("query($id: ID!, $d: Date) { factoryLeverage(factoryId: $id, asOf: $d) { factory { id name country "
              "address osId } buyers { id name } signatoryBuyers { id name } combinedShare unions { id name } "
              "ngos { id name } openGrievances { id } } }")
Q_JOINT = ("query($r: String!, $d: Date) { jointActionOpportunities(risk: $r, asOf: $d) "
           "{ factory { id name } signatoryBuyers { id name } unions { id } ngos { id } score } }")


# ---------------------------------------------------------------------------
# the questions
# ---------------------------------------------------------------------------

def _csv_column(path: Path, column: str) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return [row[column] for row in csv.DictReader(fh)]


def questions(folder: Path, calls: int, seed: int, as_of: dt.date,
              heavy_calls: int | None = None) -> dict[str, list[tuple[dict, str, dict]]]:
    """{question: [(kwargs for queries.core, GraphQL text, GraphQL variables)]}, ``calls`` of each
    (``heavy_calls`` of the covenant-wide sharedFactories and of jointActionOpportunities)."""
    heavy = heavy_calls or calls
    rng = random.Random(seed)
    covenants = sorted(set(_csv_column(folder / "covenants.csv", "id")))
    countries = sorted(set(_csv_column(folder / "factories.csv", "country")))
    buyers = sorted(set(_csv_column(folder / "sourcing.csv", "buyer_id")))
    factories = sorted(set(_csv_column(folder / "sourcing.csv", "factory_id")))
    day = as_of.isoformat()

    def cycle(items: Sequence[str], n: int = calls) -> list[str]:
        return [items[i % len(items)] for i in range(n)]

    return {
        "sharedFactories (covenant-wide)": [
            ({"covenant_id": c}, Q_SHARED, {"c": c, "d": day}) for c in cycle(covenants, heavy)],
        "sharedFactories (one country)": [
            ({"country": k}, Q_SHARED, {"k": k, "d": day}) for k in cycle(countries)],
        "coBuyers": [({"company_id": c}, Q_COBUYERS, {"id": c, "d": day})
                     for c in rng.sample(buyers, min(calls, len(buyers)))],
        "factoryLeverage": [({"factory_id": f}, Q_LEVERAGE, {"id": f, "d": day})
                            for f in rng.sample(factories, min(calls, len(factories)))],
        "jointActionOpportunities": [({"risk": r}, Q_JOINT, {"r": r, "d": day}) for r in cycle(RISKS, heavy)],
    }


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "sharedFactories (covenant-wide)": core.shared_factories,
    "sharedFactories (one country)": core.shared_factories,
    "coBuyers": core.co_buyers,
    "factoryLeverage": core.factory_leverage,
    "jointActionOpportunities": core.joint_action_opportunities,
}
TARGET_MS = {"sharedFactories (covenant-wide)": 100, "coBuyers": 30, "factoryLeverage": 30}


# ---------------------------------------------------------------------------
# the API, served by uvicorn in a thread of this process
# ---------------------------------------------------------------------------

class Api:
    def __init__(self, store: GraphStore) -> None:
        import httpx
        import uvicorn

        from imvo.api.app import create_app
        from imvo.kernel.settings import Settings

        # latency, not the cost limits (scripts/bench_limits.py): no limit may cut a question short
        settings = Settings(IMVO_STORE=store.kind, IMVO_API_TOKENS="bench=secretariat",
                            IMVO_MAX_RESULTS=1_000_000, IMVO_REQUEST_TIMEOUT=3600, IMVO_MAX_QUERY_COST=10**12,
                            IMVO_MAX_RESULT_NODES=10**9, IMVO_AUDIT_LOG="off")
        app = create_app(settings, store)
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False,
                                lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise SystemExit("the API did not start")
            time.sleep(0.05)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600,
                                   headers={"Authorization": "Bearer bench"})

    def ask(self, query: str, variables: dict[str, Any]) -> Any:
        r = self.client.post("/graphql", json={"query": query, "variables": variables})
        doc = r.json()
        if r.status_code != 200 or doc.get("errors"):
            raise SystemExit(f"GraphQL error {r.status_code}: {str(doc)[:500]}")
        return doc["data"]

    def close(self) -> None:
        self.client.close()
        self.server.should_exit = True
        self.thread.join(10)


# ---------------------------------------------------------------------------

def _pct(xs: list[float], q: float) -> float:
    """Percentile by linear interpolation (q in 0..100), in ms."""
    xs = sorted(xs)
    if len(xs) == 1:
        return xs[0] * 1000
    pos = (len(xs) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return (xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)) * 1000


def _summary(xs: list[float]) -> dict[str, float]:
    return {"calls": len(xs), "p50_ms": _pct(xs, 50), "p95_ms": _pct(xs, 95), "mean_ms": statistics.fmean(xs) * 1000,
            "max_ms": max(xs) * 1000, "sum_s": sum(xs)}


def run_backend(store: GraphStore, qs: dict[str, list[tuple[dict, str, dict]]], as_of: dt.date,
                api: bool, only: set[str] | None) -> dict[str, Any]:
    server = Api(store) if api else None
    out: dict[str, Any] = {}
    try:
        for name, calls in qs.items():
            if only and not any(o.lower() in name.lower() for o in only):
                continue
            fn = FUNCTIONS[name]
            kwargs0, text0, vars0 = calls[0]
            t = time.perf_counter()
            result = fn(store, SECRETARIAT, as_of=as_of, **kwargs0)        # warm-up, untimed
            warm = time.perf_counter() - t
            if server:
                server.ask(text0, vars0)
            direct, via_api, sizes = [], [], []
            for kwargs, text, variables in calls:
                t = time.perf_counter()
                result = fn(store, SECRETARIAT, as_of=as_of, **kwargs)
                direct.append(time.perf_counter() - t)
                sizes.append(0 if result is None else 1 if not isinstance(result, list) else len(result))
                if server:
                    t = time.perf_counter()
                    server.ask(text, variables)
                    via_api.append(time.perf_counter() - t)
            row: dict[str, Any] = {"direct": _summary(direct), "warmup_ms": warm * 1000,
                                   "result_rows_mean": statistics.fmean(sizes), "result_rows_max": max(sizes)}
            if server:
                row["api"] = _summary(via_api)
                row["api_overhead_sum"] = sum(via_api) / sum(direct)
                row["api_overhead_p50"] = row["api"]["p50_ms"] / row["direct"]["p50_ms"]
            out[name] = row
            log(f"  {store.kind} {name}: p50 {row['direct']['p50_ms']:.1f} ms, p95 {row['direct']['p95_ms']:.1f} ms"
                + (f"; API p50 {row['api']['p50_ms']:.1f} ms" if server else ""))
    finally:
        if server:
            server.close()
    return out


def embedded_store(work: Path, folder: Path, factories: int, links: int) -> tuple[EmbeddedStore, dict]:
    from imvo.ingest.canonical import ingest_dir

    data = work / f"f{factories}-l{links}" / "bench-embedded"
    marker = data / "loaded-from"
    info: dict[str, Any] = {"data_dir": str(data)}
    if not (marker.is_file() and marker.read_text() == str(folder)):
        t = time.perf_counter()
        marker.unlink(missing_ok=True)
        store = EmbeddedStore(data)
        store.clear()
        result = ingest_dir(store, folder)
        assert not result.rejects, result.rejects[:3]
        marker.write_text(str(folder))
        info["load_s"] = time.perf_counter() - t
        log(f"embedded store loaded in {info['load_s']:.1f} s")
    t = time.perf_counter()
    store = EmbeddedStore(data)
    info["open_s"] = time.perf_counter() - t
    return store, info


def neo4j_loaded(uri: str, folder: Path, home: Path | None, trust: bool = False) -> tuple[GraphStore, dict]:
    from imvo.ingest.canonical import ingest_dir

    store = open_neo4j(uri)
    info: dict[str, Any] = {"uri": uri}
    marker = home / "loaded-from" if home else None
    if trust or (marker and marker.is_file() and marker.read_text() == str(folder)):
        info["reused"] = True
        return store, info
    t = time.perf_counter()
    if marker:
        marker.unlink(missing_ok=True)
    store.clear()
    result = ingest_dir(store, folder)
    assert not result.rejects, result.rejects[:3]
    if marker:
        marker.write_text(str(folder))
    info["load_s"] = time.perf_counter() - t
    log(f"Neo4j loaded in {info['load_s']:.1f} s")
    return store, info


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--factories", type=int, help="one size only (with --links)")
    ap.add_argument("--links", type=int)
    ap.add_argument("--sizes", default="10000:30000,100000:300000",
                    help="factories:links,... (default %(default)s)")
    ap.add_argument("--backends", default="embedded,neo4j")
    ap.add_argument("--calls", type=int, default=30, help="timed calls per question (default %(default)s)")
    ap.add_argument("--heavy-calls", type=int, default=10,
                    help="timed calls of the covenant-wide sharedFactories and of jointActionOpportunities "
                         "(seconds each at 100k; default %(default)s)")
    ap.add_argument("--only", default="", help="comma-separated substrings of question names to run")
    ap.add_argument("--no-api", action="store_true", help="skip the HTTP API comparison")
    ap.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 6, 30))
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--work", type=Path, default=DEFAULT_WORK)
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--neo4j-loaded", action="store_true",
                    help="with NEO4J_URI: the database already holds this dataset (do not reload it)")
    ap.add_argument("--heap", default="2g")
    ap.add_argument("--pagecache", default="1g")
    args = ap.parse_args(argv)

    if args.factories or args.links:
        sizes = [(args.factories or 100_000, args.links or 3 * (args.factories or 100_000))]
    else:
        sizes = [tuple(int(x) for x in s.split(":")) for s in args.sizes.split(",") if s.strip()]
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    only = {o.strip() for o in args.only.split(",") if o.strip()} or None
    results: dict[str, Any] = {"benchmark": "queries", "when": dt.datetime.now().isoformat(timespec="seconds"),
                               "as_of": args.as_of, "calls": args.calls, "heavy_calls": args.heavy_calls,
                               "machine": machine(),
                               "command": " ".join(sys.argv), "runs": []}
    for factories, links in sizes:
        folder = dataset(args.work, factories, links, args.seed)
        qs = questions(folder, args.calls, args.seed, args.as_of, args.heavy_calls)
        for backend in backends:
            run: dict[str, Any] = {"factories": factories, "links": links, "backend": backend}
            log(f"{backend}, {factories:,} factories / {links:,} links ...")
            if backend == "embedded":
                store, run["store"] = embedded_store(args.work, folder, factories, links)
                run["questions"] = run_backend(store, qs, args.as_of, not args.no_api, only)
            elif backend == "neo4j":
                home = args.work / f"f{factories}-l{links}" / "neo4j"
                with neo4j_server(home, args.heap, args.pagecache) as server:
                    store, run["store"] = neo4j_loaded(server["uri"], folder,
                                                       home if server["started_here"] else None,
                                                       args.neo4j_loaded)
                    run["server"] = server
                    try:
                        run["questions"] = run_backend(store, qs, args.as_of, not args.no_api, only)
                    finally:
                        store.close()
            else:
                raise SystemExit(f"unknown backend {backend}")
            results["runs"].append(run)
    path = write_results("queries", results, args.out)
    print(report(results))
    print(f"\nJSON: {path}")
    return 0


def report(r: dict[str, Any]) -> str:
    m = r["machine"]
    title = (f"Query latency, asOf {r['as_of']}, {r['calls']} calls per question "
             f"({r.get('heavy_calls')} of covenant-wide sharedFactories and jointActionOpportunities), "
             f"secretariat ({m['cpus']} CPUs, load average {m['loadavg_start'][0]:.1f} at start, "
             f"{m.get('loadavg_end', [0])[0]:.1f} at end)")
    out = [title, ""]
    rows = []
    for run in r["runs"]:
        for name, q in run["questions"].items():
            target = TARGET_MS.get(name) if run["backend"] == "neo4j" and run["factories"] >= 100_000 else None
            verdict = "" if target is None else ("met" if q["direct"]["p95_ms"] <= target else "missed")
            rows.append([f"{run['factories'] // 1000}k", run["backend"], name, q["result_rows_mean"],
                         q["direct"]["p50_ms"], q["direct"]["p95_ms"],
                         q.get("api", {}).get("p50_ms"), q.get("api", {}).get("p95_ms"),
                         q.get("api_overhead_sum"),
                         f"p95 <= {target} ms: {verdict}" if target else ""])
    out.append(table(["size", "backend", "question", "rows", "p50 ms", "p95 ms", "API p50 ms", "API p95 ms",
                      "API / direct", "target"], rows))
    for run in r["runs"]:
        qs = run["questions"]
        api = sum(q["api"]["sum_s"] for q in qs.values() if "api" in q)
        direct = sum(q["direct"]["sum_s"] for q in qs.values() if "api" in q)
        if api:
            out.append(f"\n{run['factories'] // 1000}k {run['backend']}: API overhead over all questions "
                       f"{api / direct:.2f}x (target <= 1.5x: {'met' if api / direct <= 1.5 else 'missed'})")
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
