#!/usr/bin/env python3
"""Ingest benchmark (issue 14): end-to-end ``imvo ingest`` on both backends, as a user runs it.

    .venv/bin/python scripts/bench_ingest.py                          # 100k factories / 300k links
    .venv/bin/python scripts/bench_ingest.py --factories 1000000 --links 3000000 --skip-transactional-neo4j

A script, not a test: it prints a table and writes JSON to ``bench-results/ingest-<time>.json``.
For the synthetic dataset (``tests/support/synthetic.py``, seed 7) it runs the real command in a
subprocess and records wall time, sourcing rows per second and the peak memory of the process:

* embedded: ``imvo ingest`` into a fresh data directory; then the store's size, the time to reopen
  it (``imvo status``, and the leverage index read back from its cache), and an update of one
  buyer's list (a small dataset of one company's sourcing loaded into the full store: the store
  file grows by the rows it adds, it is not rewritten);
* Neo4j, transactional: ``imvo ingest`` (batched ``UNWIND $rows`` MERGE) into a fresh local Neo4j;
* Neo4j, bulk: ``imvo ingest --bulk`` (the offline importer) into a fresh local Neo4j.

The machine is shared: its load average is recorded before and after each run.
"""
from __future__ import annotations

import argparse
import collections
import contextlib
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))   # tests/support: the generator, headless Chromium, the server runner

from imvo.graph.embedded import FILE_NAME, EmbeddedStore
from imvo.graph.neo4j_store import Neo4jStore, make_driver
from imvo.graph.store import GraphStore

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


S = TypeVar("S", bound=GraphStore)


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


def loaded(store: S, folder: Path, links: int) -> S:
    """``store`` holding the dataset in ``folder``: loaded (in this process, the canonical loader) unless
    it already holds its ``links`` sourcing links."""
    from imvo.ingest.canonical import ingest_dir

    if store.counts().rels.get("SOURCES_FROM") != links:
        log(f"loading {store.describe()} ...")
        t = time.perf_counter()
        store.clear()
        result = ingest_dir(store, folder)
        assert not result.rejects, result.rejects[:3]
        log(f"loaded in {time.perf_counter() - t:.0f} s")
    return store


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
# end-to-end runs
# ---------------------------------------------------------------------------

IMVO = [sys.executable, "-m", "imvo"]


def _env(data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMVO_", "NEO4J_"))}
    env.update({"IMVO_DATA_DIR": str(data), "NO_COLOR": "1", **extra})
    return env


def timed_run(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run ``imvo ARGS``; wall seconds, exit code and the peak RSS of that process (MB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    p = subprocess.run([*IMVO, *args], env=env, capture_output=True, text=True, check=False)
    took = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if p.returncode not in (0, 2):
        raise SystemExit(f"imvo {' '.join(args)} failed ({p.returncode}): {p.stderr[-500:]}")
    return {"s": took, "exit": p.returncode, "peak_rss_mb": (max(before, peak)) / 1024,
            "load": os.getloadavg(), "stdout_tail": p.stdout.strip().splitlines()[-3:]}


def _one_list(folder: Path, out: Path) -> int:
    """A small dataset: the sourcing of one buyer (its links moved a day later), as a yearly update."""
    import csv
    out.mkdir(parents=True, exist_ok=True)
    with open(folder / "sourcing.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    buyer = collections.Counter(r["buyer_id"] for r in rows).most_common(1)[0][0]   # the largest buyer
    mine = [r for r in rows if r["buyer_id"] == buyer]
    for r in mine:
        r["source"] = "yearly update"
        r["share"] = ""
    with open(out / "sourcing.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(mine)
    return len(mine)


def bench_embedded(folder: Path, work: Path, links: int) -> dict[str, Any]:
    data = work / "embedded-run"
    shutil.rmtree(data, ignore_errors=True)
    r: dict[str, Any] = {"ingest": timed_run(["ingest", str(folder)], _env(data))}
    r["ingest"]["rows_per_s"] = links / r["ingest"]["s"]
    r["store_mb"] = dir_size_mb(data)
    r["reopen_status"] = timed_run(["status"], _env(data))
    t = time.perf_counter()
    from imvo.queries import leverage
    store = EmbeddedStore(data)
    leverage.index_for(store)                      # built once, then cached beside the store
    r["index_first_build_s"] = time.perf_counter() - t
    store2 = EmbeddedStore(data)
    t = time.perf_counter()
    leverage.index_for(store2)
    r["reopen_index_s"] = time.perf_counter() - t
    size = (data / FILE_NAME).stat().st_size
    n = _one_list(folder, work / "one-list")
    r["one_list"] = timed_run(["ingest", str(work / "one-list")], _env(data))
    r["one_list"]["rows"] = n
    r["one_list"]["store_growth_mb"] = ((data / FILE_NAME).stat().st_size - size) / 1e6
    return r


def bench_neo4j(folder: Path, work: Path, links: int, bulk: bool, heap: str, pagecache: str) -> dict[str, Any]:
    from imvo.graph import neo4j_launcher
    data = work / ("neo4j-bulk-run" if bulk else "neo4j-tx-run")
    shutil.rmtree(data, ignore_errors=True)
    env = _env(data)
    port = neo4j_launcher._free_port()
    started = subprocess.run([*IMVO, "neo4j", "start", "--port", str(port), "--heap", heap, "--pagecache", pagecache],
                             env=env, capture_output=True, text=True, check=True)
    uri = started.stdout.strip().splitlines()[-1]
    # IMVO_NEO4J_TIMEOUT: with the default 1.5 s, --bulk at 100k failed on a loaded machine (load 3-5)
    # taking a pooled connection (BENCHMARKS.md); a user on a busy machine sets the same
    env.update({"IMVO_STORE": "neo4j", "NEO4J_URI": uri, "IMVO_NEO4J_TIMEOUT": "10"})
    try:
        r = {"ingest": timed_run(["ingest", str(folder), *(["--bulk"] if bulk else [])], env)}
        r["ingest"]["rows_per_s"] = links / r["ingest"]["s"]
        r["status"] = timed_run(["status"], env)
        server = neo4j_launcher.read_state(data / "neo4j")
        r["server_peak_rss_mb"] = proc_peak_rss_mb(server.pid if server else None)
        r["store_mb"] = dir_size_mb(data / "neo4j" / "data")
    finally:
        subprocess.run([*IMVO, "neo4j", "stop"], env=env, capture_output=True, check=False)
    return r


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--factories", type=int, default=100_000)
    ap.add_argument("--links", type=int, default=300_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--work", type=Path, default=DEFAULT_WORK)
    ap.add_argument("--heap", default="4g")
    ap.add_argument("--pagecache", default="2g")
    ap.add_argument("--skip-embedded", action="store_true")
    ap.add_argument("--skip-neo4j", action="store_true")
    ap.add_argument("--skip-transactional-neo4j", action="store_true")
    a = ap.parse_args(argv)
    folder = dataset(a.work, a.factories, a.links, a.seed)
    work = folder.parent
    res: dict[str, Any] = {"machine": machine(), "factories": a.factories, "links": a.links, "seed": a.seed}
    if not a.skip_embedded:
        log("embedded ...")
        res["embedded"] = bench_embedded(folder, work, a.links)
    if not a.skip_neo4j:
        log("Neo4j bulk ...")
        res["neo4j_bulk"] = bench_neo4j(folder, work, a.links, True, a.heap, a.pagecache)
        if not a.skip_transactional_neo4j:
            log("Neo4j transactional ...")
            res["neo4j_tx"] = bench_neo4j(folder, work, a.links, False, a.heap, a.pagecache)
    path = write_results("ingest", res)
    rows = []
    for k in ("embedded", "neo4j_bulk", "neo4j_tx"):
        if k in res:
            i = res[k]["ingest"]
            rows.append([k, i["s"], i["rows_per_s"], i["peak_rss_mb"], res[k].get("store_mb"), str(i["load"])])
    print(table(["run", "ingest s", "sourcing rows/s", "peak RSS MB", "store MB", "load after"], rows))
    if "embedded" in res:
        e = res["embedded"]
        print(f"embedded reopen: imvo status {e['reopen_status']['s']:.2f} s, index from cache "
              f"{e['reopen_index_s']:.3f} s (first build {e['index_first_build_s']:.1f} s); one list of "
              f"{e['one_list']['rows']} links {e['one_list']['s']:.1f} s, store +{e['one_list']['store_growth_mb']:.1f} MB")
    if "neo4j_tx" in res and "neo4j_bulk" in res:
        print(f"transactional / bulk end to end: {res['neo4j_tx']['ingest']['s'] / res['neo4j_bulk']['ingest']['s']:.1f}x")
    print(f"results in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
