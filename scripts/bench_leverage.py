#!/usr/bin/env python3
"""The leverage questions against a numpy floor, on both backends (issue 14).

    .venv/bin/python scripts/bench_leverage.py                                 # 100k factories / 300k links
    .venv/bin/python scripts/bench_leverage.py --factories 1000000 --links 3000000 --calls 10
    .venv/bin/python scripts/bench_leverage.py --backends embedded --factories 20000 --links 60000  # quick

A script, not a test: it prints a table and writes JSON to ``bench-results/leverage-<time>.json``.

The data: the synthetic generator (``tests/support/synthetic.py``, seed 7), loaded once into an
embedded store and a local Neo4j kept under ``--work`` (a second run reuses them).

The **floor**: the same facts read once from the dataset's CSV files into numpy arrays (company,
factory, since/until as day numbers, disclosure, share; the signatory memberships; unions and open
grievances per factory; country risk levels) and the same answers computed with vectorised
sort-and-compare group-bys, written here independently of ``imvo.queries``.  Every timed answer of
the project is checked equal to the floor's (factory ids, counts and order; co-buyers; the ranked
opportunities and their scores).

The **project**: the query layer as the API calls it (``imvo.queries.core``), as the secretariat,
with the leverage index warm (its cold build is timed separately): covenant-wide sharedFactories
(every covenant; the whole ordered answer computed, its first 100 rows handed out with the total,
as the API pages it), coBuyers and factoryLeverage for seeded samples, jointActionOpportunities
(first 20, every risk).  Also: the index's cold build and its reload from disk, the per-call version
check, and the API's own overhead (the same factoryLeverage calls through ``POST /graphql`` on a
uvicorn thread, kept-alive connection).  Wall-clock on a shared 2-core machine: the load average is
recorded with every figure.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import DEFAULT_WORK, dataset, loaded, log, machine, neo4j_server, open_neo4j, table, write_results

from imvo.graph.embedded import EmbeddedStore
from imvo.graph.neo4j_store import Neo4jStore
from imvo.graph.store import GraphStore
from imvo.queries import core, leverage
from imvo.queries.access import SECRETARIAT

AS_OF = dt.date(2026, 6, 30)
RISKS = ("living_wage", "freedom_of_association", "health_safety", "forced_labour", "child_labour")
LEVEL = {"low": 1, "medium": 2, "high": 3}
_EPOCH = dt.date(1970, 1, 1)


# ---------------------------------------------------------------------------
# the floor
# ---------------------------------------------------------------------------

def _rows(folder: Path, name: str) -> list[dict[str, str]]:
    with open(folder / name, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _day(text: str, blank: int) -> int:
    return (dt.date.fromisoformat(text) - _EPOCH).days if text else blank


class Floor:
    """The facts as plain arrays, read from the CSV files once; answers by sort-and-compare."""

    LO, HI = np.iinfo(np.int64).min, np.iinfo(np.int64).max

    def __init__(self, folder: Path) -> None:
        t = time.perf_counter()
        self.companies = sorted(r["id"] for r in _rows(folder, "companies.csv"))
        self.factories = sorted(r["id"] for r in _rows(folder, "factories.csv"))
        ccode = {c: i for i, c in enumerate(self.companies)}
        fcode = {f: i for i, f in enumerate(self.factories)}
        self.fcode = fcode
        self.ccode = ccode
        fac_rows = {r["id"]: r["country"] for r in _rows(folder, "factories.csv")}
        countries = sorted(set(fac_rows.values()))
        kcode = {k: i for i, k in enumerate(countries)}
        self.country = np.array([kcode[fac_rows[f]] for f in self.factories], dtype=np.int64)
        links = _rows(folder, "sourcing.csv")
        self.comp = np.array([ccode[r["buyer_id"]] for r in links], dtype=np.int64)
        self.fac = np.array([fcode[r["factory_id"]] for r in links], dtype=np.int64)
        self.since = np.array([_day(r["since"], self.LO) for r in links], dtype=np.int64)
        self.until = np.array([_day(r["until"], self.HI) for r in links], dtype=np.int64)
        self.share = np.array([float(r["share"]) if r["share"] else np.nan for r in links])
        members = [r for r in _rows(folder, "covenant_parties.csv")
                   if r["role"] == "signatory" and r["party_id"] in ccode]
        self.covenants = sorted({r["id"] for r in _rows(folder, "covenants.csv")})
        vcode = {v: i for i, v in enumerate(self.covenants)}
        self.m_comp = np.array([ccode[r["party_id"]] for r in members], dtype=np.int64)
        self.m_cov = np.array([vcode[r["covenant_id"]] for r in members], dtype=np.int64)
        self.m_since = np.array([_day(r["since"], self.LO) for r in members], dtype=np.int64)
        self.m_until = np.array([_day(r["until"], self.HI) for r in members], dtype=np.int64)
        self.vcode = vcode
        nf = len(self.factories)
        unions = [r for r in _rows(folder, "union_presence.csv") if r["factory_id"] in fcode]
        self.unions = np.bincount([fcode[r["factory_id"]] for r in unions], minlength=nf)
        self.cba = np.zeros(nf, dtype=bool)
        for r in unions:
            if r["has_cba"] == "true":
                self.cba[fcode[r["factory_id"]]] = True
        self.griev = [(fcode[r["factory_id"]], r["risk"], _day(r["filed_on"], self.HI))
                      for r in _rows(folder, "grievances.csv") if r["status"] == "open" and r["factory_id"] in fcode]
        self.level = {(kcode[r["country"]], r["risk"]): LEVEL[r["level"]]
                      for r in _rows(folder, "country_risks.csv") if r["country"] in kcode}
        self.read_s = time.perf_counter() - t

    def _sig(self, d: int, cov: str | None) -> np.ndarray:
        act = (self.m_since <= d) & (d < self.m_until)
        if cov is not None:
            act &= self.m_cov == self.vcode[cov]
        out = np.zeros(len(self.companies), dtype=bool)
        out[self.m_comp[act]] = True
        return out

    def shared(self, cov: str | None, d: int, min_buyers: int = 2) -> tuple[np.ndarray, np.ndarray]:
        m = (self.since <= d) & (d < self.until) & self._sig(d, cov)[self.comp]
        key = np.unique(self.fac[m] * len(self.companies) + self.comp[m])
        facs, counts = np.unique(key // len(self.companies), return_counts=True)
        keep = counts >= min_buyers
        facs, counts = facs[keep], counts[keep]
        order = np.lexsort((facs, -counts))
        return facs[order], counts[order]

    def co_buyers(self, company: str, d: int) -> list[tuple[int, int]]:
        act = (self.since <= d) & (d < self.until)
        me = self.ccode[company]
        mine = np.unique(self.fac[act & (self.comp == me)])
        m = act & np.isin(self.fac, mine) & (self.comp != me) & self._sig(d, None)[self.comp]
        key = np.unique(self.comp[m] * len(self.factories) + self.fac[m])
        comps, counts = np.unique(key // len(self.factories), return_counts=True)
        order = np.lexsort((comps, -counts))
        return list(zip(comps[order].tolist(), counts[order].tolist(), strict=True))

    def joint(self, risk: str, d: int, first: int = 20) -> list[tuple[int, float]]:
        sig = self._sig(d, None)
        m = (self.since <= d) & (d < self.until) & sig[self.comp]
        nf = len(self.factories)
        key = np.unique(self.fac[m] * len(self.companies) + self.comp[m])
        facs, counts = np.unique(key // len(self.companies), return_counts=True)
        keep = counts >= 2
        facs, counts = facs[keep], counts[keep]
        s = self.share[m]
        known = ~np.isnan(s)
        sums = np.bincount(self.fac[m][known], weights=s[known], minlength=nf)[facs]
        has = np.bincount(self.fac[m][known], minlength=nf)[facs] > 0
        level = np.array([self.level.get((int(self.country[f]), risk), 0) for f in facs], dtype=float)
        g = np.zeros(nf, dtype=np.int64)
        for f, r, on in self.griev:
            if r == risk and on <= d:
                g[f] += 1
        score = np.round(2.0 * counts + 4.0 * np.minimum(np.where(has, np.round(sums, 10), 0.0), 1.0)
                         + 1.5 * level + 2.0 * np.minimum(g[facs], 3) + np.where(self.unions[facs] > 0, 2.0, 0.0)
                         + np.where(self.cba[facs], 1.0, 0.0), 6)
        order = np.lexsort((facs, -score))[:first]
        return [(int(facs[i]), float(score[i])) for i in order]


# ---------------------------------------------------------------------------
# timing
# ---------------------------------------------------------------------------

def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn()
    return (time.perf_counter() - t) * 1000, out


def _stats(ms: Sequence[float]) -> dict[str, float]:
    s = sorted(ms)
    return {"p50": statistics.median(s), "p95": s[min(len(s) - 1, round(0.95 * (len(s) - 1)))],
            "n": len(s)}


def run(store: GraphStore, floor: Floor, calls: int, seed: int) -> dict[str, Any]:
    d = (AS_OF - _EPOCH).days
    rng = random.Random(seed)
    out: dict[str, Any] = {}
    # the index, cold and reloaded
    leverage._CACHE.pop(store, None)
    folder = store.cache_dir()
    if folder is not None:
        for p in folder.glob("leverage-*.npz"):
            p.unlink()
    ms, _idx = _timed(lambda: leverage.index_for(store))
    out["index build (cold)"] = {"ms": ms}
    if folder is not None:
        leverage._CACHE.pop(store, None)
        ms, _ = _timed(lambda: leverage.index_for(store))
        out["index reload from disk"] = {"ms": ms}
    if isinstance(store, Neo4jStore):
        # A server that has just started has an empty page cache: the first read of each node's
        # properties goes to the files (100-200 ms outliers in p95).  A running server has them
        # cached; touch every node's properties once, on the server (nothing is transferred).
        ms, _ = _timed(lambda: store.driver.execute_query(
            "MATCH (n) RETURN count(properties(n)) AS n", database_=store.database))
        out["page cache warm-up (untimed for the questions)"] = {"ms": ms}
    out["version check"] = _stats([_timed(store.version)[0] for _ in range(max(calls, 20))])

    def compare(name: str, project: Callable[[], Any], floor_fn: Callable[[], Any], same: Callable[[Any, Any], bool],
                n: int) -> None:
        p_ms, f_ms = [], []
        for _ in range(2):          # warm-up, not timed: the server plans a query text on its first run
            project()
            floor_fn()
        for _ in range(n):
            a, pa = _timed(project)
            b, fb = _timed(floor_fn)
            assert same(pa, fb), f"{name}: the project's answer differs from the floor's"
            p_ms.append(a)
            f_ms.append(b)
        ps, fs = _stats(p_ms), _stats(f_ms)
        out[name] = {"project": ps, "floor": fs, "ratio_p50": ps["p50"] / max(fs["p50"], 1e-9)}

    for cov in floor.covenants:
        def project(cov: str = cov) -> Any:
            sh = core.shared_rows(leverage.index_for(store), SECRETARIAT, d, covenant_id=cov, country=None,
                                  min_buyers=2)
            page = core.shared_factories_page(store, SECRETARIAT, covenant_id=cov, as_of=AS_OF, first=100)
            return sh, page

        def same(pa: Any, fb: Any) -> bool:
            sh, page = pa
            ids = [sh.index.factories[int(f)] for f in sh.facs]
            return (ids == [floor.factories[int(f)] for f in fb[0]] and sh.counts.tolist() == fb[1].tolist()
                    and page.total == len(ids) and [s.factory.id for s in page.items] == ids[:100])
        compare(f"sharedFactories covenant-wide ({cov})", project,
                lambda cov=cov: floor.shared(cov, d), same, calls)
    buyers = rng.sample(sorted({floor.companies[c] for c in floor.comp.tolist()}), min(calls * 6, 200))
    it = iter(buyers * 10)
    cur: dict[str, str] = {}

    def cb_project() -> Any:
        cur["c"] = next(it)
        return core.co_buyers(store, SECRETARIAT, company_id=cur["c"], as_of=AS_OF)
    compare("coBuyers", cb_project, lambda: floor.co_buyers(cur["c"], d),
            lambda pa, fb: [(floor.ccode[c.company.id], c.shared_count) for c in pa] == fb, len(buyers))
    facs = rng.sample(sorted(set(floor.fac.tolist())), min(calls * 6, 200))
    for f in facs[:2]:              # warm-up, not timed
        core.factory_leverage(store, SECRETARIAT, factory_id=floor.factories[f], as_of=AS_OF)
    lev_ms = [_timed(lambda f=f: core.factory_leverage(store, SECRETARIAT, factory_id=floor.factories[f],
                                                       as_of=AS_OF))[0] for f in facs]
    out["factoryLeverage"] = {"project": _stats(lev_ms)}
    risks = iter(RISKS * calls)
    rk: dict[str, str] = {}

    def jao() -> Any:
        rk["r"] = next(risks)
        return core.joint_action_opportunities(store, SECRETARIAT, risk=rk["r"], first=20, as_of=AS_OF)
    compare("jointActionOpportunities (first 20)", jao, lambda: floor.joint(rk["r"], d),
            lambda pa, fb: [(floor.fcode[o.factory.id], o.score) for o in pa] == fb, max(calls, len(RISKS)))
    out["_api"] = api_overhead(store, [floor.factories[f] for f in facs[:60]])
    return out


def api_overhead(store: GraphStore, factories: Sequence[str]) -> dict[str, Any]:
    """factoryLeverage through POST /graphql against the direct call, interleaved."""
    import httpx

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from support.server import LiveServer
    q = ("query($id: ID!, $d: Date) { factoryLeverage(factoryId: $id, asOf: $d) { factory { id name } "
         "buyers { id name } combinedShare } }")
    direct, api = [], []
    with LiveServer(store) as server, httpx.Client(base_url=server.url, timeout=60) as client:
        for f in [*factories[:5], *factories]:
            a, _ = _timed(lambda f=f: core.factory_leverage(store, SECRETARIAT, factory_id=f, as_of=AS_OF))
            b, r = _timed(lambda f=f: client.post("/graphql", json={"query": q, "variables": {"id": f, "d": "2026-06-30"}},
                                                  headers={"Authorization": "Bearer sekret"}))
            assert r.status_code == 200 and "errors" not in r.json(), r.text[:300]
            direct.append(a)
            api.append(b)
    direct, api = direct[5:], api[5:]
    return {"direct": _stats(direct), "api": _stats(api),
            "overhead_p50_ms": statistics.median([y - x for x, y in zip(direct, api, strict=True)])}


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--factories", type=int, default=100_000)
    ap.add_argument("--links", type=int, default=300_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--calls", type=int, default=10)
    ap.add_argument("--backends", default="embedded,neo4j")
    ap.add_argument("--work", type=Path, default=DEFAULT_WORK)
    ap.add_argument("--heap", default="4g")
    ap.add_argument("--pagecache", default="2g")
    a = ap.parse_args(argv)
    folder = dataset(a.work, a.factories, a.links, a.seed)
    floor = Floor(folder)
    log(f"floor: read {len(floor.fac)} links from CSV in {floor.read_s:.1f} s")
    results: dict[str, Any] = {"machine": machine(), "factories": a.factories, "links": a.links, "seed": a.seed,
                               "floor_read_s": floor.read_s, "backends": {}}
    for backend in a.backends.split(","):
        t0 = os.getloadavg()
        if backend == "embedded":
            data = a.work / f"f{a.factories}-l{a.links}" / "embedded"
            store: GraphStore = loaded(EmbeddedStore(data), folder, a.links)
            results["backends"][backend] = run(store, floor, a.calls, a.seed)
        else:
            home = a.work / f"f{a.factories}-l{a.links}" / "neo4j-home"
            with neo4j_server(home, a.heap, a.pagecache) as server:
                store = loaded(open_neo4j(server["uri"]), folder, a.links)
                results["backends"][backend] = run(store, floor, a.calls, a.seed)
                store.close()
        results["backends"][backend]["_load"] = [t0, os.getloadavg()]
    path = write_results("leverage", results)
    rows = []
    for backend, r in results["backends"].items():
        for name, v in r.items():
            if name.startswith("_"):
                continue
            if "floor" in v:
                rows.append([backend, name, v["project"]["p50"], v["project"]["p95"], v["floor"]["p50"],
                             f"{v['ratio_p50']:.1f}x"])
            elif "project" in v:
                rows.append([backend, name, v["project"]["p50"], v["project"]["p95"], "", ""])
            elif "ms" in v:
                rows.append([backend, name, v["ms"], "", "", ""])
            else:
                rows.append([backend, name, v["p50"], v["p95"], "", ""])
        api = r["_api"]
        rows.append([backend, "API overhead (factoryLeverage)", api["overhead_p50_ms"], "", "",
                     f"api p50 {api['api']['p50']:.1f} / direct {api['direct']['p50']:.1f}"])
        rows.append([backend, "load average (before, after)", "", "", "", str(r["_load"])])
    print(table(["backend", "question", "p50 ms", "p95 ms", "floor p50 ms", "ratio"], rows))
    print(f"results in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
