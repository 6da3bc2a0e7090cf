#!/usr/bin/env python3
"""Attack benchmark (issue 10, item 4): how fast each expensive or malformed request is refused or cut
off, and how /health and another client fare meanwhile, on both backends.

    .venv/bin/python scripts/bench_limits.py                          # 10k factories, both backends
    .venv/bin/python scripts/bench_limits.py --backends embedded --only paths,body
    NEO4J_URI=bolt://127.0.0.1:7687 .venv/bin/python scripts/bench_limits.py   # an existing Neo4j
                                                                      # (it is cleared and reloaded!)

A script, not a test: it prints Markdown tables and writes JSON to
``bench-results/limits-<time>.json``.  The API runs as its own process
(``python -m imvo serve`` with the default limits unless ``--timeout`` etc.
are given), so the measuring clients do not share its interpreter.  For each
attack (the issue's reproductions and the worst cases found within the
limits, :data:`ATTACKS`):

* the attack is sent once; **answer s** is the time until its answer (the
  refusal or the cut-off), **outcome** its status and the first words of its
  error;
* meanwhile one client asks ``GET /health`` every 50 ms over a kept-alive
  connection and another asks a small ``factoryLeverage`` every 200 ms:
  their p50 / p95 / max latencies and how many of them failed;
* **CPU after** is the CPU time the API process (and, on Neo4j, the Neo4j
  server) used in the 2 s after the answer: near 0 when the work really
  stopped, near 1-2 s when it ran on.

A baseline row measures the same two clients with no attack.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from bench_ingest import (
    DEFAULT_WORK,
    RESULTS,
    dataset,
    loaded,
    log,
    machine,
    neo4j_server,
    open_neo4j,
    table,
    write_results,
)

from imvo.graph.embedded import EmbeddedStore

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-secretariat"


def _paths(n: int, hops: int) -> str:
    return "{" + " ".join(f'p{i}: paths(fromId: "C{i % 400 + 1:05d}", toId: "F{(i * 37) % 9000 + 1:06d}", '
                          f'maxHops: {hops}) {{ length }}' for i in range(n)) + "}"


NESTED = ('{countries{nodes{located{...on Factory{location{located{...on Factory{location{located{...on Factory'
          '{id}}}}}}}}}}}')
GRAPHQL: dict[str, tuple[str, str | None, str]] = {
    # name: (query, token, what it is)
    "nested-160B": (NESTED, None, "the issue's 160-byte query nested to the allowed depth (public)"),
    "paths-x250": (_paths(250, 6), None, "the issue's 250 aliased paths (public)"),
    "paths-x19": (_paths(19, 6), None, "19 aliased paths, maxHops 6: the most the cost budget lets through"),
    "network-x9": ("{" + " ".join(f"n{i}: coBuyerNetwork(top: {i + 1}) {{ centralFactories {{ id }} }}"
                                  for i in range(9)) + "}", TOKEN,
                   "9 aliased whole-graph coBuyerNetwork (secretariat): minutes of betweenness"),
    "joint-x9": ("{" + " ".join(f'j{i}: jointActionOpportunities(risk: "living_wage", first: {i + 1}) '
                                f'{{ score }}' for i in range(9)) + "}", TOKEN,
                 "9 aliased jointActionOpportunities (secretariat)"),
    "shared-all": ("{ sharedFactories(minBuyers: 1) { factory { id name } buyers { id name } buyerCount } }",
                   TOKEN, ("every sourced factory of every covenant, with buyers (secretariat; a legitimate "
                          "heavy question)")),
    "located-all": ("{ countries(first: 30) { nodes { located { ... on Factory { id name } } } } }", None,
                    "every factory of every country: the largest answer within the cost budget"),
}


def _raw(url: str, payload: Callable[[socket.socket], None]) -> tuple[str, float]:
    host, port = url.removeprefix("http://").split(":")
    t = time.perf_counter()
    with socket.create_connection((host, int(port)), timeout=120) as s:
        with contextlib.suppress(OSError):          # the server answered and closed while we sent
            payload(s)
        data = b""
        took = None
        try:
            while chunk := s.recv(65536):
                data += chunk
                took = took or time.perf_counter() - t      # the answer's first bytes
        except OSError:
            pass
    took = took or time.perf_counter() - t
    status = data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/") else "no answer"
    body = data.partition(b"\r\n\r\n")[2].decode("utf-8", "replace")
    return f"{status} {body[:70]}".strip(), took


def _head(length: int | None, extra: str = "") -> bytes:
    size = f"Content-Length: {length}\r\n" if length is not None else "Transfer-Encoding: chunked\r\n"
    return (f"POST /graphql HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n{size}{extra}"
            f"Connection: close\r\n\r\n").encode()


def _body_300mb(s: socket.socket) -> None:
    s.sendall(_head(300_000_000))
    block = b"a" * 65536
    for _ in range(300_000_000 // 65536):
        s.sendall(block)


def _chunked_300mb(s: socket.socket) -> None:
    s.sendall(_head(None))
    block = b"a" * 65536
    chunk = f"{len(block):x}\r\n".encode() + block + b"\r\n"
    for _ in range(300_000_000 // 65536):
        s.sendall(chunk)


def _post(body: bytes, content_type: str = "application/json") -> Callable[[socket.socket], None]:
    def send(s: socket.socket) -> None:
        s.sendall(_head(len(body)).replace(b"application/json", content_type.encode()) + body)
    return send


def _trickle(s: socket.socket) -> None:
    body = b'{"query": "{ viewer }"}'
    s.sendall(_head(len(body)))
    for byte in body:
        s.sendall(bytes([byte]))
        time.sleep(1.0)


RAW: dict[str, tuple[Callable[[socket.socket], None], str]] = {
    "body-300MB": (_body_300mb, "a 300 MB body with its Content-Length"),
    "body-300MB-chunked": (_chunked_300mb, "a 300 MB body sent in chunks, no length"),
    "json-deep": (_post(b'{"query": "{viewer}", "variables": {"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}"),
                  "JSON nested 100,000 deep"),
    "utf8-invalid": (_post(b'{"query": "{ viewer \xff\xfe }"}'), "invalid UTF-8"),
    "batch-x100": (_post(json.dumps([{"query": "{ viewer }"}] * 100).encode()), "a batch of 100 operations"),
    "text-plain": (_post(b'{"query": "{ viewer }"}', "text/plain"), "a wrong content type"),
    "body-trickle": (_trickle, "a body sent one byte a second (slowloris)"),
}


class Poller:
    """A client asking one thing over and over on one kept-alive connection."""

    def __init__(self, url: str, ask: Callable[[httpx.Client], httpx.Response], every: float) -> None:
        self.url, self.ask, self.every = url, ask, every
        self.lat: list[float] = []
        self.failed = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=120) as c:
            while not self._stop.is_set():
                t = time.perf_counter()
                try:
                    ok = self.ask(c).status_code == 200
                except httpx.HTTPError:
                    ok = False
                self.lat.append(time.perf_counter() - t)
                self.failed += not ok
                time.sleep(self.every)

    def start(self) -> Poller:
        self._thread.start()
        return self

    def stop(self) -> dict[str, Any]:
        self._stop.set()
        self._thread.join(150)
        xs = sorted(self.lat)
        if not xs:
            return {"n": 0}
        return {"n": len(xs), "failed": self.failed, "p50_ms": 1000 * statistics.median(xs),
                "p95_ms": 1000 * xs[min(len(xs) - 1, int(0.95 * len(xs)))], "max_ms": 1000 * xs[-1]}


def _cpu(pid: int | None) -> float:
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _victim(factory: str) -> Callable[[httpx.Client], httpx.Response]:
    q = {"query": f'{{ factoryLeverage(factoryId: "{factory}") {{ buyerCount unions {{ id }} }} }}'}
    return lambda c: c.post("/graphql", json=q)


def run_attacks(url: str, api_pid: int, db_pid: int | None, only: set[str] | None, factory: str) -> list[dict]:
    rows: list[dict[str, Any]] = []

    def measure(name: str, what: str, attack: Callable[[], tuple[str, float]]) -> None:
        health = Poller(url, lambda c: c.get("/health"), 0.05).start()
        victim = Poller(url, _victim(factory), 0.2).start()
        time.sleep(0.5)
        outcome, took = attack()
        cpu0 = (_cpu(api_pid), _cpu(db_pid))
        time.sleep(2.0)
        cpu_after = (_cpu(api_pid) - cpu0[0], _cpu(db_pid) - cpu0[1])
        h, v = health.stop(), victim.stop()
        rows.append({"attack": name, "what": what, "answer_s": took, "outcome": outcome, "health": h,
                     "victim": v, "cpu_after_api_s": cpu_after[0], "cpu_after_db_s": cpu_after[1]})
        log(f"  {name}: {took:.2f} s, {outcome[:60]!r}; /health p95 {h.get('p95_ms', 0):.0f} ms; "
            f"CPU after {cpu_after[0]:.2f} + {cpu_after[1]:.2f} s")

    with httpx.Client(base_url=url, timeout=120) as c:     # warm up: query plans, caches
        for _ in range(5):
            c.get("/health")
            _victim(factory)(c)

    def idle() -> tuple[str, float]:
        time.sleep(3.0)
        return "-", 0.0
    measure("baseline", "no attack (3 s)", idle)
    for name, (query, token, what) in GRAPHQL.items():
        if only and not any(o in name for o in only):
            continue

        def send(query: str = query, token: str | None = token) -> tuple[str, float]:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            t = time.perf_counter()
            r = httpx.post(url + "/graphql", json={"query": query}, headers=headers, timeout=600)
            took = time.perf_counter() - t
            doc = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
            errors = doc.get("errors") or []
            return (f"{r.status_code} " + (errors[0]["message"][:70] if errors else
                                            f"answered, {len(r.content):,} bytes")), took
        measure(name, what, send)
    for name, (payload, what) in RAW.items():
        if only and not any(o in name for o in only):
            continue
        measure(name, what, lambda payload=payload: _raw(url, payload))
    return rows


def serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-m", "imvo", "serve", "--port", str(port)], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the API did not start")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--factories", type=int, default=10_000)
    ap.add_argument("--links", type=int, default=None)
    ap.add_argument("--backends", default="embedded,neo4j")
    ap.add_argument("--only", default="", help="comma-separated substrings of attack names")
    ap.add_argument("--timeout", type=float, help="IMVO_REQUEST_TIMEOUT for the API (default: the default)")
    ap.add_argument("--work", type=Path, default=DEFAULT_WORK)
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--heap", default="1g")
    ap.add_argument("--pagecache", default="512m")
    args = ap.parse_args(argv)
    links = args.links or 3 * args.factories
    only = {o.strip() for o in args.only.split(",") if o.strip()} or None
    folder = dataset(args.work, args.factories, links)
    import csv
    with open(folder / "sourcing.csv", encoding="utf-8") as fh:
        factory = next(csv.DictReader(fh))["factory_id"]
    results: dict[str, Any] = {"benchmark": "limits", "when": dt.datetime.now().isoformat(timespec="seconds"),
                               "factories": args.factories, "links": links, "machine": machine(),
                               "command": " ".join(sys.argv), "runs": []}
    base_env = {**os.environ, "IMVO_API_TOKENS": f"{TOKEN}=secretariat", "IMVO_AUDIT_LOG": "off"}
    if args.timeout:
        base_env["IMVO_REQUEST_TIMEOUT"] = str(args.timeout)
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        port = _free_port()
        log(f"{backend}, {args.factories:,} factories ...")
        if backend == "embedded":
            store = loaded(EmbeddedStore(args.work / f"f{args.factories}-l{links}" / "limits-embedded"), folder, links)
            env = {**base_env, "IMVO_STORE": "embedded", "IMVO_DATA_DIR": str(store.data_dir)}
            proc = serve(env, port)
            try:
                rows = run_attacks(f"http://127.0.0.1:{port}", proc.pid, None, only, factory)
            finally:
                proc.terminate()
                proc.wait(30)
        else:
            home = args.work / f"f{args.factories}-l{links}" / "neo4j"
            with neo4j_server(home, args.heap, args.pagecache) as server:
                store = loaded(open_neo4j(server["uri"]), folder, links)
                store.close()
                env = {**base_env, "IMVO_STORE": "neo4j", "NEO4J_URI": server["uri"]}
                proc = serve(env, port)
                try:
                    rows = run_attacks(f"http://127.0.0.1:{port}", proc.pid, server["pid"], only, factory)
                finally:
                    proc.terminate()
                    proc.wait(30)
        results["runs"].append({"backend": backend, "attacks": rows})
    path = write_results("limits", results, args.out)
    print(report(results))
    print(f"\nJSON: {path}")
    return 0


def report(r: dict[str, Any]) -> str:
    out = []
    for run in r["runs"]:
        out.append(f"\n{run['backend']}, {r['factories']:,} factories\n")
        out.append(table(
            ["attack", "answer s", "outcome", "/health p50 ms", "p95 ms", "max ms", "other client p95 ms",
             "failed", "CPU after s"],
            [[a["attack"], round(a["answer_s"], 2), a["outcome"][:60], round(a["health"].get("p50_ms", 0), 1),
              round(a["health"].get("p95_ms", 0), 1), round(a["health"].get("max_ms", 0), 1),
              round(a["victim"].get("p95_ms", 0), 1),
              a["health"].get("failed", 0) + a["victim"].get("failed", 0),
              round(a["cpu_after_api_s"] + a["cpu_after_db_s"], 2)] for a in run["attacks"]]))
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
