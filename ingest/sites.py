"""Production sites from real-world lists -> factories matched against the store -> a canonical batch.

The Open Supply Hub and brand-list readers turn their rows into :class:`Site`
records; :func:`load_sites` then

1. reads the factories the store holds in the countries concerned (and those
   with the OS IDs concerned) and indexes them (:class:`ingest.matching.FactoryIndex`);
2. resolves each site to one factory:

   * an **OS ID** the store knows -> that factory;
   * the site's own deterministic id (``OS-<os_id>``, or ``F-<CC>-<digest of the
     normalised name and address>``) already in the store -> that factory;
   * else the best fuzzy candidate in the same country: a remembered decision
     applies first (accepted -> that factory; rejected -> the next candidate);
     a score >= ``UPPER`` with no look-alike within ``MARGIN`` merges
     automatically; otherwise a score >= ``LOWER`` sends the pair to the review
     queue and the row **waits** there (nothing of it is loaded until someone
     decides: ``imvo matches accept|reject``); below ``LOWER`` (or no
     candidate) -> a new factory with its own id;

3. builds a canonical :class:`ingest.canonical.Batch` (factories, suppliers,
   sourcing, unions) and loads it with :func:`ingest.canonical.load_batch`.

A factory that already existed keeps its name and address (the first
source's spelling); the new source adds what it knows (OS ID, sector,
workers, ...) and its relationships.  Every relationship carries ``source``,
``source_type`` and ``reported_on``.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imvo.graph.store import GraphStore, RelRow, Writer
from imvo.kernel.errors import InvalidInput
from imvo.queries.catalogue import FACTORIES_FOR_MATCHING

from .canonical import Batch, LoadResult, Progress, Reject, Row, load_batch
from .matching import LOWER, FactoryIndex, Prepared, classify, prepare, site_key
from .normalise import name_tokens, stable_hash
from .review import ReviewQueue

__all__ = ["Context", "Decision", "Site", "SiteLoadResult", "apply_decisions", "load_sites"]


@dataclass
class Site:
    """One production site as a real-world list describes it (values already parsed)."""

    line: int
    name: str
    country: str
    address: str | None = None
    os_id: str | None = None
    lat: float | None = None
    lon: float | None = None
    workers: int | None = None
    workers_band: str | None = None
    products: list[str] | None = None
    sector: list[str] | None = None
    processing_type: list[str] | None = None
    is_closed: bool | None = None
    owners: list[str] = field(default_factory=list)    # parent companies -> Supplier OWNS
    vendor: str | None = None                          # vendor / agent -> BUYS_VIA, SUPPLIES_FROM
    union: str | None = None                           # union name -> Union REPRESENTS
    union_present: bool | None = None
    has_cba: bool | None = None
    union_members: int | None = None
    source: str = ""                                   # provenance of this row's relationships


@dataclass(frozen=True)
class Context:
    """What one input contributes besides its rows."""

    file: str                      # the input file's name (for rejects)
    source_type: str               # "oshub" | "brand-list"
    reported_on: dt.date
    buyer: str | None = None
    disclosure: str = "public"

    def to_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "reported_on": self.reported_on.isoformat()}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Context:
        return cls(**{**d, "reported_on": dt.date.fromisoformat(d["reported_on"])})


@dataclass
class SiteLoadResult(LoadResult):
    """A load result that also says how the sites were matched."""

    created: int = 0      # sites that became new factories
    merged: int = 0       # sites that were an existing factory (OS ID, same key, fuzzy or decided)
    held: int = 0         # sites waiting in the review queue (`imvo matches list`)


# ---------------------------------------------------------------------------
# resolution
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class _Resolved:
    factory_id: str
    existing: bool              # the factory was already there (keep its name and address)
    own: bool                   # ... and it is this site's own id (its record may be refreshed)


def own_id(site: Site, p: Prepared) -> str:
    """The deterministic id a site gets as a new factory."""
    return f"OS-{site.os_id}" if site.os_id else f"F-{site.country}-{site_key(p)}"


def _prepare(site: Site) -> Prepared:
    return prepare("", site.country, site.name, site.address, site.os_id)


def load_sites(store: GraphStore, sites: Sequence[Site], ctx: Context, rejects: list[Reject],
               queue_path: Path, progress: Progress | None = None) -> SiteLoadResult:
    """Match ``sites`` against the store, hold the doubtful ones for review, load the rest."""
    with store.writer() as s, ReviewQueue(queue_path) as queue:
        index = FactoryIndex()
        countries = sorted({x.country for x in sites})
        os_ids = sorted({x.os_id for x in sites if x.os_id})
        known: dict[str, dict[str, Any]] = {}
        for r in s.read(FACTORIES_FOR_MATCHING, countries=countries, os_ids=os_ids):
            known[r["id"]] = r
        index.extend(prepare(r["id"], r["country"] or "", r["name"] or "", r["address"], r["os_id"])
                     for r in known.values())
        prepared = [_prepare(x) for x in sites]
        decisions = queue.decisions({site_key(p) for p in prepared})
        resolved: list[tuple[Site, _Resolved]] = []
        held = 0
        with queue.transaction():
            queue.release_origin(_origin(ctx))
            for n, (site, p) in enumerate(zip(sites, prepared)):
                if progress and n and n % 1000 == 0:
                    progress("matching factories", 1000)
                res = _resolve(site, p, index, known, decisions)
                if isinstance(res, _Resolved):
                    resolved.append((site, res))
                    if not res.existing:   # later rows of this input can match it
                        index.add(p._replace(id=res.factory_id))
                    continue
                cand, score = res
                queue.hold(site_key=site_key(p), candidate_id=cand.id, score=score, country=site.country,
                           name=site.name, address=site.address, candidate_name=known[cand.id]["name"],
                           candidate_address=known[cand.id]["address"], source=site.source,
                           origin=_origin(ctx), line=site.line,
                           payload={"site": dataclasses.asdict(site), "context": ctx.to_json()})
                held += 1
        result = _load(s, resolved, ctx, rejects, progress)
    result.held = held
    return result


def _origin(ctx: Context) -> str:
    return f"{ctx.source_type}:{ctx.buyer or ''}:{ctx.file}"


def _resolve(site: Site, p: Prepared, index: FactoryIndex, known: dict[str, dict[str, Any]],
             decisions: dict[tuple[str, str], str]) -> _Resolved | tuple[Prepared, float]:
    """A factory for the site, or the (candidate, score) pair that needs a person."""
    mine = own_id(site, p)
    if site.os_id and (hit := index.by_os_id(site.os_id)) is not None:
        return _Resolved(hit.id, hit.id in known, hit.id == mine and hit.id in known)
    if index.get(mine) is not None:
        return _Resolved(mine, mine in known, mine in known)
    key = site_key(p)
    found = [(c, s) for c, s in index.best(p, LOWER)
             if not (site.os_id and c.os_id and c.os_id != site.os_id)]
    for cand, _ in found:                       # a person has said so before
        if decisions.get((key, cand.id)) == "accepted":
            return _Resolved(cand.id, cand.id in known, False)
    verdict, best, score = classify([cs for cs in found if decisions.get((key, cs[0].id)) != "rejected"])
    if verdict == "merge" and best is not None:
        return _Resolved(best.id, best.id in known, False)
    if verdict == "review" and best is not None and best.id in known:
        return best, score                      # only factories already in the store go to review
    return _Resolved(mine, False, False)


# ---------------------------------------------------------------------------
# the canonical batch
# ---------------------------------------------------------------------------

def supplier_id(name: str) -> str:
    """Suppliers are known by their normalised name (legal forms dropped), across countries."""
    return f"S-{stable_hash(' '.join(sorted(name_tokens(name))))}"


def union_id(name: str, country: str) -> str:
    return f"U-{country}-{stable_hash(' '.join(sorted(name_tokens(name))))}"


def _load(store: Writer, resolved: Sequence[tuple[Site, _Resolved]], ctx: Context,
          rejects: list[Reject], progress: Progress | None) -> SiteLoadResult:
    batch = Batch(source_type=ctx.source_type, reported_on=ctx.reported_on)
    rows: dict[str, list[Row]] = defaultdict(list)
    factories: dict[str, dict[str, Any]] = {}
    suppliers: dict[str, dict[str, Any]] = {}
    supplier_countries: dict[str, Counter[str]] = defaultdict(Counter)
    unions: dict[str, dict[str, Any]] = {}
    sourcing: dict[tuple[str, str | None], dict[str, Any]] = {}
    presence: dict[tuple[str, str], dict[str, Any]] = {}
    first_line: dict[str, int] = {}

    def supplier(name: str, country: str, kind: str) -> str:
        sid = supplier_id(name)
        current = suppliers.get(sid)
        if current is None or len(name) > len(current["name"]):
            suppliers[sid] = {"id": sid, "name": name, "kind": kind}
        supplier_countries[sid][country] += 1
        return sid

    for site, res in resolved:
        fid = res.factory_id
        first_line.setdefault(fid, site.line)
        owners = [supplier(o, site.country, "group") for o in site.owners]
        values: dict[str, Any] = {
            "id": fid, "name": site.name, "country": site.country, "address": site.address,
            "os_id": site.os_id, "lat": site.lat, "lon": site.lon, "workers": site.workers,
            "products": site.products, "sector": site.sector, "processing_type": site.processing_type,
            "workers_band": site.workers_band, "is_closed": site.is_closed,
            "owner_ids": owners, "source": site.source, "owner_id": None,
        }
        if res.existing:                   # add to it; its first source's name and address stay
            values["_merge"] = True
            if not res.own:
                values.update(name=None, address=None)
        if fid in factories:               # a second row of the same factory: fill what is missing
            prev = factories[fid]
            for k, v in values.items():
                if k in ("products", "sector", "processing_type", "owner_ids") and v:
                    prev[k] = list(dict.fromkeys([*(prev.get(k) or []), *v]))
                elif prev.get(k) is None and v is not None:
                    prev[k] = v
        else:
            factories[fid] = values
        vendor = supplier(site.vendor, site.country, "vendor") if site.vendor else None
        if ctx.buyer:
            link = sourcing.setdefault((fid, vendor), {
                "buyer_id": ctx.buyer, "factory_id": fid, "supplier_id": vendor, "products": [],
                "share": None, "since": None, "until": None, "disclosure": ctx.disclosure,
                "source": site.source})
            link["products"] = list(dict.fromkeys([*link["products"], *(site.products or [])]))
        if site.union or site.union_present or site.has_cba:
            uid = (union_id(site.union, site.country) if site.union else f"U-{fid}")
            unions.setdefault(uid, {"id": uid, "country": site.country,
                                    "name": site.union or f"Trade union at {site.name} (name not given)",
                                    "level": "workplace", "affiliated_to": None})
            pr = presence.setdefault((uid, fid), {"union_id": uid, "factory_id": fid, "members": None,
                                                  "has_cba": None, "source": site.source})
            pr["members"] = pr["members"] if site.union_members is None else site.union_members
            pr["has_cba"] = pr["has_cba"] if site.has_cba is None else site.has_cba

    # suppliers and unions the store already has keep their record
    stored = store.labels_of([*suppliers, *unions])
    for sid, sv in suppliers.items():
        if sid not in stored:
            country = min(supplier_countries[sid].items(), key=lambda kv: (-kv[1], kv[0]))[0]
            rows["suppliers.csv"].append(Row(ctx.file, 0, {**sv, "country": country}))
    for uid, uv in unions.items():
        if uid not in stored:
            rows["unions.csv"].append(Row(ctx.file, 0, uv))
    for fid, v in factories.items():
        if not v.get("products"):
            v["products"] = None
        rows["factories.csv"].append(Row(ctx.file, first_line[fid], v))
    for link in sourcing.values():
        link["products"] = link["products"] or None
        rows["sourcing.csv"].append(Row(ctx.file, first_line[link["factory_id"]], link))
    batch.rows = dict(rows)
    batch.rejects = list(rejects)
    loaded = load_batch(store, batch, progress)
    _write_presence(store, presence.values(), ctx, loaded)
    result = SiteLoadResult(rejects=loaded.rejects, nodes=loaded.nodes, rels=loaded.rels)
    result.loaded = {ctx.file: len(resolved)}
    result.merged = sum(1 for _, r in resolved if r.existing)
    result.created = len({r.factory_id for _, r in resolved if not r.existing})
    return result


def _write_presence(store: Writer, presence: Iterable[dict[str, Any]], ctx: Context,
                    result: LoadResult) -> None:
    """REPRESENTS with this source's provenance (the canonical builder names its own file)."""
    rows = [RelRow(p["union_id"], p["factory_id"],
                   {"members": p["members"], "has_cba": p["has_cba"], "source": p["source"],
                    "source_type": ctx.source_type, "reported_on": ctx.reported_on})
            for p in presence]
    if rows:
        store.merge_rels("REPRESENTS", "Union", "Factory", rows)
        result.rels["REPRESENTS"] = result.rels.get("REPRESENTS", 0) + len(rows)


# ---------------------------------------------------------------------------
# decisions taken in the review queue
# ---------------------------------------------------------------------------

@dataclass
class Decision:
    """The outcome of one decision taken in the review queue."""

    pair_id: int
    accepted: bool
    factory_id: str | None = None      # where the waiting rows went
    result: SiteLoadResult | None = None
    error: str | None = None


def apply_decisions(store: GraphStore, queue: ReviewQueue, pair_ids: Sequence[int],
                    accept: bool) -> list[Decision]:
    """Decide pending pairs: load the rows that waited on each (``accept``: into the existing
    factory; else as a new factory), in one write session, then record the decisions."""
    out: list[Decision] = []
    with store.writer() as s:
        for pair_id in pair_ids:
            d = Decision(pair_id, accept)
            out.append(d)
            try:
                pair = queue.get(pair_id)
            except InvalidInput as exc:
                d.error = str(exc)
                continue
            if pair.status != "pending":
                d.error = f"pair {pair_id} was already {pair.status} on {pair.decided_on}"
                continue
            into = accept and bool(s.labels_of([pair.candidate_id], ("Factory",)))
            d.factory_id = pair.candidate_id if into else None
            d.result = SiteLoadResult()
            by_origin: dict[str, tuple[Context, list[Site]]] = {}
            for h in queue.held(pair_id):
                ctx = Context.from_json(h["context"])
                by_origin.setdefault(_origin(ctx), (ctx, []))[1].append(Site(**h["site"]))
            for ctx, sites in by_origin.values():
                resolved = [(x, _Resolved(pair.candidate_id, True, False) if into
                             else _Resolved(own_id(x, _prepare(x)), False, False)) for x in sites]
                d.factory_id = d.factory_id or resolved[0][1].factory_id
                r = _load(s, resolved, ctx, [], None)
                d.result.rejects += r.rejects
                d.result.merged += r.merged
                d.result.created += r.created
                for k, v in r.loaded.items():
                    d.result.loaded[k] = d.result.loaded.get(k, 0) + v
    for d in out:                          # the rows are in the store: now the decisions count
        if d.error is None:
            queue.decide(d.pair_id, "accepted" if accept else "rejected")
    return out
