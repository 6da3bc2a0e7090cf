#!/usr/bin/env python3
"""Ingest benchmark (issue 2, item 8): sourcing rows per second into both backends.

    .venv/bin/python scripts/bench_ingest.py                          # 100k factories / 300k links
    .venv/bin/python scripts/bench_ingest.py --factories 10000 --links 30000   # a quick run
    NEO4J_URI=bolt://127.0.0.1:7687 .venv/bin/python scripts/bench_ingest.py   # an existing (emptied!) Neo4j

A script, not a test: it prints a table and writes the numbers as JSON to
``bench-results/ingest-<time>.json``.  What it does, in one run:

1. generates the synthetic canonical dataset (``ingest.synthetic.generate``)
   once under ``--work`` (reused by later runs and by ``bench_queries.py``);
2. **embedded**: ``read_dataset`` + ``load_batch`` + save into a fresh
   ``EmbeddedStore`` (exactly what ``imvo ingest`` does); peak RSS of this
   process (``ru_maxrss``, measured before anything else touches Neo4j) and
   the size of the store file;
3. **Neo4j, batched**: the same into a cleared Neo4j through the project's
   writer (``Neo4jStore``: ``UNWIND $rows`` MERGE batches); the server's
   peak RSS (``VmHWM``) and on-disk store size when this script started it;
4. **Neo4j, row-at-a-time baseline**: on a sample of the sourcing rows
   (``--baseline-rows``, default 5,000), their relationships are deleted and
   merged again with one ``session.run`` (one auto-commit transaction) per
   row and the same Cypher semantics (``MATCH`` both ends, ``MERGE`` on the
   key, ``SET r += props``); then deleted again and merged by the batched
   writer, so that both are measured on the same rows and the same graph.

Two times are reported for each backend, because they differ a lot:

* **end to end**: CSV read + parse + validation + reference resolution +
  store writes (+ the embedded store's atomic save) -- the whole dataset, all
  14 files, divided into the 300k sourcing rows;
* **store writes**: only the time spent inside the store's ``merge_*`` calls;
  "sourcing rows/s" there is the ``SOURCES_FROM`` writes alone.

Neo4j is started with ``graph.neo4j_launcher`` in ``--work/neo4j-ingest``
(``--heap``, ``--pagecache``) unless ``NEO4J_URI`` is set; that database is
cleared first.  ``--skip-neo4j`` / ``--skip-embedded`` run one side only.

The helpers here (dataset cache, Neo4j start, tables, JSON) are shared with
``scripts/bench_queries.py``.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))   # tests/support: the generator, headless Chromium, the server runner

from imvo.graph.embedded import FILE_NAME, EmbeddedStore
from imvo.graph.model import rel_key, rel_type
from imvo.graph.neo4j_store import Neo4jStore, make_driver
from imvo.graph.store import GraphStore, NodeRow, RelRow

DEFAULT_WORK = Path(tempfile.gettempdir()) / "imvo-bench"
RESULTS = ROOT / "bench-results"


# ---------------------------------------------------------------------------
# helpers shared with bench_queries.py
# ---------------------------------------------------------------------------

def dataset(work: Path, factories: int, links: int, seed: int = 7) -> Path:
    """The synthetic dataset folder for these sizes, generated once (``<work>/f<F>-l<L>/csv``)."""
    from support.synthetic import generate

    folder = work / f"f{factories}-l{links}" / "csv"
    done = folder / ".bench-complete"
    want = json.dumps({"factories": factories, "links": links, "seed": seed})
    if done.is_file() and done.read_text() == want:
        return folder
    t = time.perf_counter()
    counts = generate(folder, factories=factories, links=links, seed=seed)
    done.write_text(want)
    log(f"generated {folder} in {time.perf_counter() - t:.1f} s: {counts}")
    return folder


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def neo4j_server(home: Path, heap: str, pagecache: str, fresh: bool = False) -> Iterator[dict[str, Any]]:
    """``NEO4J_URI`` when set, else a local Neo4j started (and stopped) by the launcher in ``home``
    (``fresh``: with an empty store)."""
    uri = os.environ.get("NEO4J_URI")
    if uri:
        yield {"uri": uri, "started_here": False, "pid": None, "home": None}
        return
    from imvo.graph import neo4j_launcher

    home.mkdir(parents=True, exist_ok=True)
    neo4j_launcher.stop_instance(home)          # a previous run killed before its stop
    if fresh:
        shutil.rmtree(home / "data", ignore_errors=True)
    t = time.perf_counter()
    server = neo4j_launcher.start(home, heap=heap, pagecache=pagecache)
    log(f"Neo4j {neo4j_launcher.NEO4J_VERSION} started at {server.uri} in {time.perf_counter() - t:.1f} s "
        f"(heap {heap}, page cache {pagecache})")
    try:
        yield {"uri": server.uri, "started_here": True, "pid": server.pid, "home": str(home),
               "version": neo4j_launcher.NEO4J_VERSION, "heap": heap, "pagecache": pagecache}
    finally:
        server.stop()


def open_neo4j(uri: str, cls: type[Neo4jStore] = Neo4jStore) -> Neo4jStore:
    driver = make_driver(uri, os.environ.get("NEO4J_USER", "neo4j"), os.environ.get("NEO4J_PASSWORD", ""))
    return cls(driver, os.environ.get("NEO4J_DATABASE", "neo4j"), uri)


def proc_peak_rss_mb(pid: int | None) -> float | None:
    """Peak resident set (VmHWM) of another process, in MB."""
    if not pid:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def dir_size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def self_peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # Linux: KiB


def machine() -> dict[str, Any]:
    """The machine, the software versions and how busy the machine was (it is shared)."""
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = "?"
    with contextlib.suppress(OSError):
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    import neo4j
    import networkx

    try:
        import neo4j._rust  # type: ignore[import-not-found]
        rust = True
    except ImportError:
        rust = False
    return {"cpus": os.cpu_count(), "cpu": cpu, "memory": mem, "python": platform.python_version(),
            "platform": platform.platform(), "neo4j_driver": neo4j.__version__,
            "neo4j_rust_ext": rust, "networkx": networkx.__version__, "loadavg_start": os.getloadavg()}


def write_results(kind: str, data: dict[str, Any], out: Path = RESULTS) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    data["machine"]["loadavg_end"] = os.getloadavg()
    path = out / f"{kind}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    return path


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table (right-aligned numbers)."""
    cells = [[_fmt(c) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    numeric = [bool(rows) and all(isinstance(r[i], (int, float)) or r[i] is None for r in rows)
               for i in range(len(headers))]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths)) + " |"
    sep = "|" + "|".join("-" * (w + 1) + ":" if num else "-" * (w + 2) for w, num in zip(widths, numeric)) + "|"
    body = ["| " + " | ".join(c.rjust(w) if num else c.ljust(w) for c, w, num in zip(r, widths, numeric))
            + " |" for r in cells]
    return "\n".join([line, sep, *body])


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.2f}" if abs(v) >= 1 else f"{v:.3f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


# ---------------------------------------------------------------------------
# timing stores: the real backends, with the time inside each public write call recorded
# ---------------------------------------------------------------------------

class _Timed:
    """Mixin: accumulates seconds per label/type spent in the public write methods."""

    def _init_timing(self) -> None:
        self.seconds: dict[str, float] = {}
        self.rows: dict[str, int] = {}
        self.sourcing_rows: list[RelRow] = []

    def _add(self, what: str, t0: float, n: int) -> None:
        self.seconds[what] = self.seconds.get(what, 0.0) + time.perf_counter() - t0
        self.rows[what] = self.rows.get(what, 0) + n

    def merge_nodes(self, label: str, rows: Sequence[NodeRow]) -> None:
        t0 = time.perf_counter()
        super().merge_nodes(label, rows)  # type: ignore[misc]
        self._add(f"node:{label}", t0, len(rows))

    def ensure_nodes(self, label: str, ids: Any) -> None:
        ids = list(ids)
        t0 = time.perf_counter()
        super().ensure_nodes(label, ids)  # type: ignore[misc]
        self._add(f"node:{label}", t0, len(ids))

    def merge_rels(self, type_: str, source: str, target: str, rows: Sequence[RelRow]) -> None:
        if type_ == "SOURCES_FROM" and self.keep_sourcing:  # type: ignore[attr-defined]
            self.sourcing_rows.extend(rows)
        t0 = time.perf_counter()
        super().merge_rels(type_, source, target, rows)  # type: ignore[misc]
        self._add(f"rel:{type_}", t0, len(rows))

    @property
    def write_seconds(self) -> float:
        return sum(self.seconds.values())


class TimedEmbedded(_Timed, EmbeddedStore):
    keep_sourcing = False

    def __init__(self, data_dir: Path) -> None:
        self._init_timing()
        super().__init__(data_dir)


class TimedNeo4j(_Timed, Neo4jStore):
    keep_sourcing = True

    def __init__(self, *a: Any) -> None:
        self._init_timing()
        super().__init__(*a)


def _load(store: GraphStore, folder: Path) -> dict[str, Any]:
    """read_dataset + load_batch (+ the embedded save), timed by phase."""
    from imvo.ingest.canonical import load_batch, read_dataset

    t0 = time.perf_counter()
    batch = read_dataset(folder)
    t1 = time.perf_counter()
    with store.writer() as s:
        result = load_batch(s, batch)
        t2 = time.perf_counter()
    t3 = time.perf_counter()
    if result.rejects:
        raise SystemExit(f"the dataset has {len(result.rejects)} rejects, e.g. {result.rejects[0]}")
    sourcing = result.loaded.get("sourcing.csv", 0)
    return {"read_parse_s": t1 - t0, "validate_write_s": t2 - t1, "save_s": t3 - t2, "total_s": t3 - t0,
            "sourcing_rows": sourcing, "rel_rows": sum(result.rels.values()),
            "node_rows": sum(result.nodes.values()), "rels_by_type": result.rels}


def _rates(load: dict[str, Any], store: _Timed) -> dict[str, Any]:
    n = load["sourcing_rows"]
    writes = store.write_seconds
    sf_s = store.seconds.get("rel:SOURCES_FROM", 0.0)
    return {
        **load,
        "store_write_s": writes,
        "sourcing_write_s": sf_s,
        "e2e_sourcing_rows_per_s": n / load["total_s"],
        "e2e_excl_read_sourcing_rows_per_s": n / (load["total_s"] - load["read_parse_s"]),
        "writes_sourcing_rows_per_s": n / sf_s if sf_s else None,
        "writes_all_rel_rows_per_s": load["rel_rows"] / sum(v for k, v in store.seconds.items()
                                                           if k.startswith("rel:")),
        "seconds_by_kind": {k: round(v, 3) for k, v in store.seconds.items()},
    }


# ---------------------------------------------------------------------------
# the phases
# ---------------------------------------------------------------------------

def bench_embedded(folder: Path, work: Path) -> dict[str, Any]:
    data = work / "embedded-ingest"
    shutil.rmtree(data, ignore_errors=True)
    rss0 = self_peak_rss_mb()
    store = TimedEmbedded(data)
    load = _load(store, folder)
    out = _rates(load, store)
    out["peak_rss_mb"] = self_peak_rss_mb()
    out["rss_before_mb"] = rss0
    out["store_file_mb"] = (data / FILE_NAME).stat().st_size / 1e6
    t = time.perf_counter()
    again = EmbeddedStore(data)
    out["reopen_s"] = time.perf_counter() - t
    out["counts"] = _counts(again)
    del again, store
    shutil.rmtree(data, ignore_errors=True)
    return out


def _counts(store: GraphStore) -> dict[str, dict[str, int]]:
    c = store.counts()
    return {"nodes": c.nodes, "rels": c.rels}


_DELETE = ("UNWIND $rows AS row MATCH (:Company {id: row.start})-[r:SOURCES_FROM {key: row.key}]->"
           "(:Factory {id: row.end}) DELETE r")
# one sourcing row: the same semantics as graph.cypher.merge_rels, without UNWIND
_ONE_ROW = ("MATCH (a:Company {id: $start}) MATCH (b:Factory {id: $end}) "
            "MERGE (a)-[r:SOURCES_FROM {key: $key}]->(b) SET r += $props")


def bench_neo4j(folder: Path, uri: str, baseline_rows: int, baseline_api: str,
                batch_sweep: Sequence[int], sweep_rows: int) -> dict[str, Any]:
    store = open_neo4j(uri, TimedNeo4j)
    try:
        t = time.perf_counter()
        store.clear()
        log(f"Neo4j cleared in {time.perf_counter() - t:.1f} s")
        load = _load(store, folder)
        out = _rates(load, store)
        out["batch_size"] = store.batch_size
        log(f"Neo4j batched load: {out['total_s']:.1f} s")
        out["counts"] = _counts(store)

        rt = rel_type("SOURCES_FROM")
        rows = store.sourcing_rows
        params = [{"start": r.start, "end": r.end, "key": rel_key(rt, r.props), "props": r.props}
                  for r in rows]
        driver, db = store.driver, store.database
        sample, sample_params = rows[:baseline_rows], params[:baseline_rows]

        def delete(ps: list[dict[str, Any]]) -> None:
            for i in range(0, len(ps), 10_000):
                driver.execute_query(_DELETE, {"rows": ps[i:i + 10_000]}, database_=db)

        delete(sample_params)
        t = time.perf_counter()
        if baseline_api == "session":
            with driver.session(database=db) as session:
                for p in sample_params:
                    session.run(_ONE_ROW, p).consume()
        else:
            for p in sample_params:
                driver.execute_query(_ONE_ROW, p, database_=db)
        base_s = time.perf_counter() - t
        log(f"row-at-a-time baseline: {len(sample)} rows in {base_s:.1f} s")

        delete(sample_params)
        t = time.perf_counter()
        Neo4jStore.merge_rels(store, "SOURCES_FROM", "Company", "Factory", sample)
        batched_sample_s = time.perf_counter() - t

        base_rate = len(sample) / base_s
        out["baseline"] = {
            "rows": len(sample), "api": baseline_api, "seconds": base_s, "rows_per_s": base_rate,
            "batched_same_rows_s": batched_sample_s,
            "batched_same_rows_per_s": len(sample) / batched_sample_s,
            "ratio_batched_same_rows": (len(sample) / batched_sample_s) / base_rate,
            "ratio_batched_full_run": (out["writes_sourcing_rows_per_s"] or 0) / base_rate,
        }
        sweep = []
        swept = rows[:sweep_rows]
        for size in batch_sweep:
            delete(params[:sweep_rows])
            old, store.batch_size = store.batch_size, size
            t = time.perf_counter()
            Neo4jStore.merge_rels(store, "SOURCES_FROM", "Company", "Factory", swept)
            create_s = time.perf_counter() - t
            t = time.perf_counter()
            Neo4jStore.merge_rels(store, "SOURCES_FROM", "Company", "Factory", swept)
            update_s = time.perf_counter() - t
            store.batch_size = old
            sweep.append({"batch_size": size, "rows": len(swept), "create_rows_per_s": len(swept) / create_s,
                          "update_rows_per_s": len(swept) / update_s})
            log(f"batch size {size}: create {len(swept) / create_s:,.0f}/s, update {len(swept) / update_s:,.0f}/s")
        out["batch_sweep"] = sweep
        return out
    finally:
        store.close()


# ---------------------------------------------------------------------------

def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--factories", type=int, default=100_000)
    ap.add_argument("--links", type=int, default=300_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--work", type=Path, default=DEFAULT_WORK,
                    help="cache for the generated dataset and the Neo4j home (default %(default)s)")
    ap.add_argument("--out", type=Path, default=RESULTS, help="JSON results folder (default bench-results/)")
    ap.add_argument("--baseline-rows", type=int, default=5_000,
                    help="sourcing rows merged one at a time for the baseline (default %(default)s)")
    ap.add_argument("--baseline-api", choices=("session", "execute_query"), default="session",
                    help="one session.run (auto-commit) or one driver.execute_query per row")
    ap.add_argument("--batch-sweep", default="",
                    help="comma-separated batch sizes to re-time SOURCES_FROM writes with, e.g. 2000,10000,50000")
    ap.add_argument("--sweep-rows", type=int, default=50_000)
    ap.add_argument("--heap", default="2g")
    ap.add_argument("--pagecache", default="1g")
    ap.add_argument("--skip-embedded", action="store_true")
    ap.add_argument("--skip-neo4j", action="store_true")
    args = ap.parse_args(argv)

    results: dict[str, Any] = {"benchmark": "ingest", "when": dt.datetime.now().isoformat(timespec="seconds"),
                               "factories": args.factories, "links": args.links, "seed": args.seed,
                               "machine": machine(), "command": " ".join(sys.argv)}
    folder = dataset(args.work, args.factories, args.links, args.seed)
    results["dataset"] = str(folder)

    if not args.skip_embedded:
        log("embedded ingest ...")
        results["embedded"] = bench_embedded(folder, args.work)
        log(f"embedded: {results['embedded']['total_s']:.1f} s end to end")
    if not args.skip_neo4j:
        sweep = [int(x) for x in args.batch_sweep.split(",") if x.strip()]
        with neo4j_server(args.work / "neo4j-ingest", args.heap, args.pagecache, fresh=True) as server:
            results["neo4j_server"] = dict(server)
            log("Neo4j ingest ...")
            results["neo4j"] = bench_neo4j(folder, server["uri"], args.baseline_rows, args.baseline_api,
                                           sweep, args.sweep_rows)
            results["neo4j"]["server_peak_rss_mb"] = proc_peak_rss_mb(server["pid"])
            if server["home"]:
                results["neo4j"]["store_dir_mb"] = dir_size_mb(Path(server["home"]) / "data")
    if "embedded" in results and "neo4j" in results:
        results["same_counts"] = results["embedded"]["counts"] == results["neo4j"]["counts"]

    path = write_results("ingest", results, args.out)
    print(report(results))
    print(f"\nJSON: {path}")
    return 0


def report(r: dict[str, Any]) -> str:
    title = (f"Ingest: {r['factories']:,} factories, {r['links']:,} sourcing links "
             f"({r['machine']['cpus']} CPUs, load average at start {r['machine']['loadavg_start'][0]:.1f})")
    out = [title, ""]
    rows = []
    for name in ("embedded", "neo4j"):
        x = r.get(name)
        if not x:
            continue
        rows.append([name if name == "embedded" else "neo4j (batched)", x["read_parse_s"], x["validate_write_s"],
                     x["save_s"], x["total_s"], x["e2e_sourcing_rows_per_s"], x["store_write_s"],
                     x["writes_sourcing_rows_per_s"], x["writes_all_rel_rows_per_s"]])
    out.append(table(["backend", "read+parse s", "validate+write s", "save s", "end to end s",
                      "e2e sourcing rows/s", "store writes s", "SOURCES_FROM writes rows/s",
                      "all rel writes rows/s"], rows))
    if "neo4j" in r:
        b = r["neo4j"]["baseline"]
        out += ["", table(["Neo4j SOURCES_FROM", "rows", "seconds", "rows/s", "batched / baseline"], [
            [f"row at a time ({b['api']}.run per row)" if b["api"] == "session" else
             "row at a time (execute_query per row)", b["rows"], b["seconds"], b["rows_per_s"], 1.0],
            ["batched, same rows", b["rows"], b["batched_same_rows_s"], b["batched_same_rows_per_s"],
             b["ratio_batched_same_rows"]],
            ["batched, full run", r["neo4j"]["sourcing_rows"], r["neo4j"]["sourcing_write_s"],
             r["neo4j"]["writes_sourcing_rows_per_s"], b["ratio_batched_full_run"]],
        ])]
        if r["neo4j"]["batch_sweep"]:
            out += ["", table(["batch size", "rows", "create rows/s", "update rows/s"],
                              [[s["batch_size"], s["rows"], s["create_rows_per_s"], s["update_rows_per_s"]]
                               for s in r["neo4j"]["batch_sweep"]])]
    mem = []
    if "embedded" in r:
        e = r["embedded"]
        mem.append(["embedded (this process)", e["peak_rss_mb"], e["store_file_mb"], e["reopen_s"]])
    if "neo4j" in r:
        n = r["neo4j"]
        mem.append(["neo4j (server process)", n.get("server_peak_rss_mb"), n.get("store_dir_mb"), None])
    if mem:
        out += ["", table(["memory / disk", "peak RSS MB", "store on disk MB", "reopen s"], mem)]
    targets = []
    if "embedded" in r:
        e = r["embedded"]
        targets.append(["embedded >= 50k links/s (end to end)", e["e2e_sourcing_rows_per_s"],
                        "met" if e["e2e_sourcing_rows_per_s"] >= 50_000 else "missed"])
        targets.append(["embedded >= 50k links/s (SOURCES_FROM store writes)", e["writes_sourcing_rows_per_s"],
                        "met" if (e["writes_sourcing_rows_per_s"] or 0) >= 50_000 else "missed"])
        targets.append(["embedded store < 2 GB (MB)", e["store_file_mb"],
                        "met" if e["store_file_mb"] < 2000 else "missed"])
    if "neo4j" in r:
        b = r["neo4j"]["baseline"]
        targets.append(["batched Neo4j >= 10x row-at-a-time (same rows)", b["ratio_batched_same_rows"],
                        "met" if b["ratio_batched_same_rows"] >= 10 else "missed"])
    if targets:
        out += ["", table(["target", "value", ""], targets)]
    if "same_counts" in r:
        out.append(f"\nboth backends hold the same node/relationship counts: {r['same_counts']}")
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
