#!/usr/bin/env python3
"""A load test of ``imvo serve`` (issue 14): 20 clients at once on the 100k store, throughput, p95, errors.

    .venv/bin/python scripts/bench_load.py                                  # 100k / 300k, workers 1 and 2
    .venv/bin/python scripts/bench_load.py --clients 20 --seconds 30 --workers 1,2,4

A script, not a test: it prints a table and writes JSON to ``bench-results/load-<time>.json``.
The embedded store of ``scripts/bench_leverage.py`` (``--work``) is served by the real command in its
own process (``imvo serve --workers N``); ``--clients`` threads, each with its own kept-alive
connection, ask a seeded mix of the leverage questions as the secretariat for ``--seconds``:
factoryLeverage (50%), coBuyers (25%), a page of 100 covenant-wide sharedFactories with the total
(15%), jointActionOpportunities first 20 (10%).  The clients run on the same 2-core machine as the
server, so they take part of the CPU they measure; the load average is recorded.
"""
from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import DEFAULT_WORK, dataset, log, machine, table, write_results

IMVO = [sys.executable, "-m", "imvo"]
DAY = "2026-06-30"
Q = {
    "factoryLeverage": "query($id: ID!) { factoryLeverage(factoryId: $id, asOf: \"2026-06-30\") "
                       "{ factory { id name } buyers { id name } combinedShare unions { id } } }",
    "coBuyers": "query($id: ID!) { coBuyers(companyId: $id, asOf: \"2026-06-30\") "
                "{ company { id name } sharedCount } }",
    "sharedFactories": "query($c: ID) { sharedFactoriesConnection(covenantId: $c, asOf: \"2026-06-30\", first: 100) "
                       "{ totalCount nodes { factory { id name } buyerCount } } }",
    "jointActionOpportunities": "{ jointActionOpportunities(risk: \"living_wage\", asOf: \"2026-06-30\") "
                                "{ factory { id } score } }",
}


def _ids(folder: Path) -> tuple[list[str], list[str], list[str]]:
    with open(folder / "sourcing.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    with open(folder / "covenants.csv", encoding="utf-8", newline="") as fh:
        covenants = [r["id"] for r in csv.DictReader(fh)]
    return sorted({r["factory_id"] for r in rows}), sorted({r["buyer_id"] for r in rows}), covenants


def _serve(data: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMVO_", "NEO4J_"))}
    env.update({"IMVO_DATA_DIR": str(data), "IMVO_API_TOKENS": "load=secretariat", "IMVO_AUDIT_LOG": "off"})
    proc = subprocess.Popen([*IMVO, "serve", "--port", str(port), "--workers", str(workers)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise SystemExit("imvo serve did not answer /health")


def run_load(port: int, clients: int, seconds: float, ids: tuple[list[str], list[str], list[str]],
             seed: int) -> dict[str, Any]:
    factories, companies, covenants = ids
    lat: dict[str, list[float]] = {k: [] for k in Q}
    errors: list[str] = []
    stop = time.monotonic() + seconds
    lock = threading.Lock()

    def client(n: int) -> None:
        rng = random.Random(seed + n)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60,
                          headers={"Authorization": "Bearer load"}) as c:
            while time.monotonic() < stop:
                x = rng.random()
                kind = ("factoryLeverage" if x < 0.5 else "coBuyers" if x < 0.75
                        else "sharedFactories" if x < 0.9 else "jointActionOpportunities")
                variables = ({"id": rng.choice(factories)} if kind == "factoryLeverage"
                             else {"id": rng.choice(companies)} if kind == "coBuyers"
                             else {"c": rng.choice(covenants)} if kind == "sharedFactories" else {})
                t = time.perf_counter()
                try:
                    r = c.post("/graphql", json={"query": Q[kind], "variables": variables})
                    ok = r.status_code == 200 and "errors" not in r.json()
                    why = "" if ok else f"{kind}: {r.status_code} {r.text[:120]}"
                except httpx.HTTPError as exc:
                    ok, why = False, f"{kind}: {type(exc).__name__}"
                ms = (time.perf_counter() - t) * 1000
                with lock:
                    if ok:
                        lat[kind].append(ms)
                    else:
                        errors.append(why)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    every = sorted(v for vs in lat.values() for v in vs)

    def q(vs: list[float], p: float) -> float | None:
        vs = sorted(vs)
        return vs[min(len(vs) - 1, round(p * (len(vs) - 1)))] if vs else None
    return {"requests": len(every), "errors": len(errors), "error_samples": errors[:5],
            "throughput_rps": len(every) / wall, "p50_ms": statistics.median(every) if every else None,
            "p95_ms": q(every, 0.95), "per_question": {k: {"n": len(v), "p50": q(v, 0.5), "p95": q(v, 0.95)}
                                                        for k, v in lat.items()},
            "load": os.getloadavg()}


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--factories", type=int, default=100_000)
    ap.add_argument("--links", type=int, default=300_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--work", type=Path, default=DEFAULT_WORK)
    a = ap.parse_args(argv)
    folder = dataset(a.work, a.factories, a.links, a.seed)
    data = folder.parent / "embedded"
    if not (data / "graph.sqlite").exists():
        raise SystemExit(f"no embedded store at {data}: run scripts/bench_leverage.py --backends embedded first")
    ids = _ids(folder)
    res: dict[str, Any] = {"machine": machine(), "factories": a.factories, "links": a.links,
                           "clients": a.clients, "seconds": a.seconds, "runs": {}}
    for w in (int(x) for x in a.workers.split(",")):
        proc = _serve(data, a.port, w)
        try:
            run_load(a.port, 4, 5, ids, a.seed)                                  # warm every worker
            log(f"workers {w}: {a.clients} clients for {a.seconds:.0f} s ...")
            res["runs"][str(w)] = run_load(a.port, a.clients, a.seconds, ids, a.seed)
        finally:
            proc.terminate()
            proc.wait(30)
    path = write_results("load", res)
    rows = [[f"--workers {w}", r["requests"], r["throughput_rps"], r["p50_ms"], r["p95_ms"], r["errors"],
             str(tuple(round(x, 1) for x in r["load"]))] for w, r in res["runs"].items()]
    print(table(["server", "requests", "req/s", "p50 ms", "p95 ms", "errors", "load after"], rows))
    print(f"results in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
