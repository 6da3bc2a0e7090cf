"""Production sites from real-world lists -> factories matched against the store -> graph facts.

The Open Supply Hub and brand-list readers turn their rows into :class:`Site`
records; :func:`load_sites` then

1. reads the factories the store holds in the countries concerned (and those
   with the OS IDs concerned) and indexes them (:class:`ingest.matching.FactoryIndex`);
2. resolves each site to one factory, in this order:

   * a **decision** a person took for this site before (``imvo matches accept``,
     a merge, a split) -> that factory;
   * an **OS ID** the store knows -> that factory;
   * the site's **own id** (``OS-<os_id>``, or ``F-<CC>-<digest of the normalised
     name and address>``) already in the store -> that factory;
   * else the best **fuzzy** candidate in the same country (a candidate a person
     rejected for this site is never offered): a score >= ``UPPER`` with no
     look-alike within ``MARGIN`` merges automatically; otherwise a score >=
     ``LOWER`` sends the pair to the review queue and the row **waits** there
     (nothing of it is loaded until someone decides: ``imvo matches
     accept|reject``); below ``LOWER`` (or no candidate) -> a new factory;

3. matches the vendors and parent groups the rows name against the suppliers
   the store holds, as fuzzily (names only, across countries, a stricter
   threshold: :data:`SUPPLIER_UPPER`);
4. works out the buyers' links on the list's date (``reported_on``): a link the
   buyer already has on that date *continues* (its ``since`` is kept), a new one
   starts then; with ``replace`` the buyer's earlier links of the same source
   type that the list lacks *end* then (:func:`plan_links`);
5. turns all of it into graph facts with provenance and hands them to the one
   loader (:func:`ingest.loader.load_records`), then records every site, the
   factory it went to, how, and the facts it contributed in the match memory
   (:mod:`ingest.review`) -- what undo and split work from.

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
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from imvo.graph.model import is_active, rel_key, rel_type
from imvo.graph.store import GraphStore, ReadQuery
from imvo.queries.catalogue import BUYER_LINKS, FACTORIES_FOR_MATCHING, FACTORY_NAMES, SUPPLIERS_FOR_MATCHING

from .loader import LoadResult, NodeFact, Progress, Record, Ref, Reject, RelFact, load_records
from .matching import LOWER, FactoryIndex, Prepared, classify, explain, name_score, prepare, site_key
from .normalise import name_tokens, stable_hash
from .review import ReviewQueue, ident, node_ident

__all__ = ["SUPPLIER_UPPER", "Change", "Context", "Site", "SiteLoadResult", "load_sites", "origin_of", "own_id",
           "plan_links", "supplier_id", "union_id", "write_sites"]

#: a supplier name scoring at least this against a stored supplier (names alone) is that supplier
SUPPLIER_UPPER = 92.0
#: the factory properties a site can add to a factory (what undo and split take back)
SITE_PROPS = ("os_id", "lat", "lon", "workers", "workers_band", "products", "sector", "processing_type",
              "is_closed", "has_cba")


class Reader(Protocol):
    """What matching needs of a store or a writer: reads."""

    def read(self, query: ReadQuery, **params: Any) -> list[dict[str, Any]]: ...
    def labels_of(self, ids: Iterable[str], labels: Sequence[str] = ...) -> dict[str, str]: ...


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
    has_cba: bool | None = None                        # a CBA covers the site (workplace or sector level)
    union_members: int | None = None
    source: str = ""                                   # provenance of this row's relationships
    buyers: list[str] = field(default_factory=list)    # the companies buying here (ids)


@dataclass(frozen=True)
class Context:
    """What one input contributes besides its rows."""

    file: str                      # the input file's name (for rejects)
    source_type: str               # "oshub" | "brand-list"
    reported_on: dt.date
    buyer: str | None = None       # the one buyer of the file (None: per row, or none)
    disclosure: str = "confidential"
    replace: bool = False          # the file is each of its buyers' complete list on reported_on

    def to_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "reported_on": self.reported_on.isoformat()}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Context:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{**{k: v for k, v in d.items() if k in names},
                      "reported_on": dt.date.fromisoformat(d["reported_on"])})


def origin_of(ctx: Context) -> str:
    """The name an upload has in the match memory (a re-upload of the same file replaces it)."""
    return f"{ctx.source_type}:{ctx.buyer or ''}:{ctx.file}"


@dataclass(frozen=True)
class Change:
    """A buyer's sourcing link as a list changed it."""

    change: str                   # added | continued | ended
    buyer: str
    factory_id: str
    factory: str
    since: dt.date | None
    until: dt.date | None
    line: int                     # the file's row (0 for an ended link: the file lacks it)


@dataclass
class SiteLoadResult(LoadResult):
    """A load result that also says how the sites were matched and what changed."""

    created: int = 0      # factories created
    merged: int = 0       # rows that were an existing factory (decision, OS ID, own id, score)
    held: int = 0         # rows waiting in the review queue (`imvo matches list`)
    rows: int = 0         # rows read as sites
    changes: list[Change] = field(default_factory=list)
    how: Counter[str] = field(default_factory=Counter)     # decision | os_id | own | score | new
    notes: list[str] = field(default_factory=list)

    def count(self, change: str) -> int:
        return sum(1 for c in self.changes if c.change == change)


# ---------------------------------------------------------------------------
# resolution
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Resolved:
    factory_id: str
    existing: bool              # the factory was already there (keep its name and address)
    own: bool                   # ... and it is this site's own id (its record may be refreshed)
    how: str = "new"            # decision | os_id | own | score | new | review
    pair_id: int | None = None
    score: float | None = None


@dataclass
class _Hold:
    site: Site
    prepared: Prepared
    candidate: Prepared
    score: float
    found: list[tuple[Prepared, float]]


def own_id(site: Site, p: Prepared, avoid: Iterable[str] = ()) -> str:
    """The deterministic id a site gets as a new factory (another one when a person said the site
    is not the factory of that id: a split)."""
    base = f"OS-{site.os_id}" if site.os_id else f"F-{site.country}-{site_key(p)}"
    avoid = set(avoid)
    n = 0
    mine = base
    while mine in avoid:
        n += 1
        mine = f"{base}-{stable_hash(site_key(p), str(n), length=4)}"
    return mine


def prepare_site(site: Site) -> Prepared:
    return prepare("", site.country, site.name, site.address, site.os_id)


class Matcher:
    """The factories of the store for one input, and the decisions taken for its sites."""

    def __init__(self, reader: Reader, queue: ReviewQueue, sites: Sequence[Site]) -> None:
        self.index = FactoryIndex()
        countries = sorted({x.country for x in sites})
        os_ids = sorted({x.os_id for x in sites if x.os_id})
        self.known: dict[str, dict[str, Any]] = {
            r["id"]: r for r in reader.read(FACTORIES_FOR_MATCHING, countries=countries, os_ids=os_ids)}
        self.index.extend(prepare(r["id"], r["country"] or "", r["name"] or "", r["address"], r["os_id"])
                          for r in self.known.values())
        self.prepared = [prepare_site(x) for x in sites]
        keys = {site_key(p) for p in self.prepared}
        self.placements = queue.placements(keys)
        self.rejected: dict[str, set[str]] = defaultdict(set)
        for (k, c), status in queue.decisions(keys).items():
            if status == "rejected":
                self.rejected[k].add(c)

    def resolve(self, site: Site, p: Prepared) -> Resolved | _Hold:
        key = site_key(p)
        rejected = self.rejected.get(key, set())
        for fid, pid in self.placements.get(key, ()):      # a person has said so before
            if self.index.get(fid) is not None:
                return Resolved(fid, fid in self.known, False, "decision", pid)
        if site.os_id and (hit := self.index.by_os_id(site.os_id)) is not None and hit.id not in rejected:
            return Resolved(hit.id, hit.id in self.known, False, "os_id")
        mine = own_id(site, p, rejected)
        if self.index.get(mine) is not None:
            return Resolved(mine, mine in self.known, mine in self.known, "own")
        found = [(c, s) for c, s in self.index.best(p, LOWER)
                 if c.id not in rejected and not (site.os_id and c.os_id and c.os_id != site.os_id)]
        verdict, best, score = classify(found)
        if verdict == "merge" and best is not None:
            return Resolved(best.id, best.id in self.known, False, "score", score=score)
        if verdict == "review" and best is not None and best.id in self.known:
            return _Hold(site, p, best, score, found)       # only factories already in the store
        return Resolved(mine, False, False, "new")

    def add(self, p: Prepared, factory_id: str) -> None:
        """A factory this input creates (later rows of the input can match it)."""
        self.index.add(p._replace(id=factory_id))


def evidence(hold: _Hold, known: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """What a person deciding the pair needs: both sides, the score's parts, the other candidates."""
    cand = known.get(hold.candidate.id, {})
    return {
        "incoming": {"name": hold.site.name, "address": hold.site.address, "country": hold.site.country,
                     "os_id": hold.site.os_id, "line": hold.site.line, "source": hold.site.source},
        "candidate": {"id": hold.candidate.id, "name": cand.get("name"), "address": cand.get("address"),
                      "os_id": cand.get("os_id")},
        "score": explain(hold.prepared, hold.candidate),
        "others": [{"id": c.id, "name": known.get(c.id, {}).get("name", c.label), "score": s,
                    "address": known.get(c.id, {}).get("address")}
                   for c, s in hold.found if c.id != hold.candidate.id][:4],
    }


# ---------------------------------------------------------------------------
# suppliers
# ---------------------------------------------------------------------------

def supplier_key(name: str) -> str:
    return " ".join(sorted(name_tokens(name)))


def supplier_id(name: str) -> str:
    """Suppliers are known by their normalised name (legal forms dropped), across countries."""
    return f"S-{stable_hash(supplier_key(name))}"


def union_id(name: str, country: str) -> str:
    return f"U-{country}-{stable_hash(' '.join(sorted(name_tokens(name))))}"


class Suppliers:
    """The suppliers of the store, matched by name (a remembered merge first, then the exact
    normalised name, then a fuzzy name score of at least SUPPLIER_UPPER with no look-alike)."""

    def __init__(self, reader: Reader, queue: ReviewQueue, names: Iterable[str]) -> None:
        rows = reader.read(SUPPLIERS_FOR_MATCHING)
        self.stored = {r["id"] for r in rows}
        self.index = FactoryIndex(cap=400)
        self.index.extend(prepare(r["id"], "*", r["name"] or "") for r in rows)
        keys = {supplier_key(n) for n in names}
        self.placements = queue.placements(keys, kind="supplier")
        self.rejected: dict[str, set[str]] = defaultdict(set)
        for (k, c), status in queue.decisions(keys, kind="supplier").items():
            if status == "rejected":
                self.rejected[k].add(c)
        self._seen: dict[str, str] = {}
        self.fuzzy = 0

    def resolve(self, name: str) -> str:
        key = supplier_key(name)
        if key in self._seen:
            return self._seen[key]
        sid = supplier_id(name)
        found = next((c for c, _ in self.placements.get(key, ()) if c in self.stored or self.index.get(c)), None)
        if found is None and sid in self.stored:
            found = sid
        if found is None:
            p = prepare(sid, "*", name)
            scored = sorted(((name_score(p, c), c.id) for c in self.index.candidates(p)
                             if c.id not in self.rejected.get(key, ())), reverse=True)
            if scored and scored[0][0] >= SUPPLIER_UPPER and (len(scored) == 1 or scored[1][0] < scored[0][0] - 2):
                found = scored[0][1]
                self.fuzzy += 1
            else:
                found = sid
                self.index.add(p)
        self._seen[key] = found
        return found


# ---------------------------------------------------------------------------
# the yearly cycle
# ---------------------------------------------------------------------------

LinkId = tuple[str, str, str, str]          # (type, start, end, buyer)
_LINK_LABELS = {"SOURCES_FROM": ("Company", "Factory"), "BUYS_VIA": ("Company", "Supplier"),
                "SUPPLIES_FROM": ("Supplier", "Factory")}


@dataclass
class LinkPlan:
    """What to write for the buyers' links: facts (merges), drops (deletions) and the changes."""

    facts: list[tuple[str, str, str, dict[str, Any]]] = field(default_factory=list)   # type, start, end, props
    drops: list[tuple[str, str, str, str]] = field(default_factory=list)              # type, start, end, key
    changes: dict[LinkId, tuple[str, dt.date | None, dt.date | None]] = field(default_factory=dict)


def _buyer_of(type_: str, start: str, props: dict[str, Any]) -> str:
    return str(props.get("buyer") or "") if type_ == "SUPPLIES_FROM" else start


def plan_links(desired: dict[LinkId, dict[str, Any]], existing: Sequence[dict[str, Any]], on: dt.date,
               source_type: str, end_for: Iterable[str] = (), keep: Iterable[LinkId] = ()) -> LinkPlan:
    """The links of a list dated ``on``: each desired link continues the buyer's link active on that
    date (its ``since`` kept; one that ended exactly then is reopened), or starts then (a later
    list's link to the same place starts earlier instead); with ``end_for`` (the buyers whose
    complete list this is), their links of ``source_type`` active then that the list lacks (and
    ``keep`` does not hold back) end then -- or go, when they started that very day.

    >>> d, was = dt.date, {"since": dt.date(2024, 3, 1), "source_type": "brand-list"}
    >>> old = [{"type": "SOURCES_FROM", "start": "B", "end": f, "props": was} for f in ("F1", "F2")]
    >>> plan = plan_links({("SOURCES_FROM", "B", "F1", "B"): {}, ("SOURCES_FROM", "B", "F3", "B"): {}}, old,
    ...                   d(2025, 3, 1), "brand-list", {"B"})
    >>> for k, v in sorted(plan.changes.items()):
    ...     print(k[2], v[0], v[1], v[2])
    F1 continued 2024-03-01 None
    F2 ended 2024-03-01 2025-03-01
    F3 added 2025-03-01 None
    """
    plan = LinkPlan()
    end_for, keep = set(end_for), set(keep)
    by_id: dict[LinkId, list[dict[str, Any]]] = defaultdict(list)
    for r in existing:
        props = {k: v for k, v in r["props"].items() if k != "key"}
        by_id[(r["type"], r["start"], r["end"], _buyer_of(r["type"], r["start"], props))].append(props)
    for lid, want in desired.items():
        type_, start, end, buyer = lid
        extra = {"buyer": buyer} if type_ == "SUPPLIES_FROM" else {}
        links = sorted(by_id.get(lid, []), key=lambda p: (p.get("since") is not None, p.get("since") or on))
        active = [p for p in links if is_active(p, on)]
        if active:
            cur = active[0]
            plan.facts.append((type_, start, end, {**want, **extra, "since": cur.get("since")}))
            plan.changes[lid] = ("continued", cur.get("since"), cur.get("until"))
            continue
        ended_then = [p for p in links if p.get("until") == on]
        if ended_then:
            cur = ended_then[-1]
            plan.facts.append((type_, start, end, {**want, **extra, "since": cur.get("since"), "until": None}))
            plan.changes[lid] = ("continued", cur.get("since"), None)
            continue
        later = [p for p in links if p.get("since") is not None and p["since"] > on]
        until = None
        if later:
            nxt = later[0]
            plan.drops.append((type_, start, end, rel_key(rel_type(type_), {**extra, "since": nxt["since"]})))
            until = nxt.get("until")
        plan.facts.append((type_, start, end, {**want, **extra, "since": on, "until": until}))
        plan.changes[lid] = ("added", on, until)
    for lid, links in by_id.items():
        type_, start, end, buyer = lid
        if buyer not in end_for or lid in desired or lid in keep:
            continue
        extra = {"buyer": buyer} if type_ == "SUPPLIES_FROM" else {}
        for p in links:
            if p.get("source_type") != source_type or not is_active(p, on):
                continue
            if p.get("since") == on:
                plan.drops.append((type_, start, end, rel_key(rel_type(type_), {**extra, "since": on})))
            else:
                plan.facts.append((type_, start, end, {**extra, "since": p.get("since"), "until": on}))
            plan.changes[lid] = ("ended", p.get("since"), on)
    return plan


# ---------------------------------------------------------------------------
# sites -> facts
# ---------------------------------------------------------------------------

@dataclass
class _Factory:
    id: str
    values: dict[str, Any]
    line: int
    res: Resolved
    sites: list[Site] = field(default_factory=list)


def write_sites(writer: Any, resolved: Sequence[tuple[Site, Resolved]], ctx: Context, queue: ReviewQueue,
                rejects: Sequence[Reject] = (), progress: Progress | None = None, *, dry_run: bool = False,
                replace_for: Iterable[str] = (), keep: Iterable[LinkId] = (),
                names: dict[str, str] | None = None) -> SiteLoadResult:
    """Build the facts of resolved sites, hand them to the loader (unless ``dry_run``), record the
    sites in the match memory.  ``replace_for``: the buyers whose complete list this is (their
    other links of this source type active on the list's date end)."""
    suppliers = Suppliers(writer, queue, [n for s, _ in resolved for n in (*s.owners, s.vendor or "") if n])
    factories: dict[str, _Factory] = {}
    supplier_rows: dict[str, dict[str, Any]] = {}
    supplier_countries: dict[str, Counter[str]] = defaultdict(Counter)
    unions: dict[str, dict[str, Any]] = {}
    presence: dict[tuple[str, str], dict[str, Any]] = {}
    desired: dict[LinkId, dict[str, Any]] = {}
    link_line: dict[LinkId, int] = {}
    site_claims: dict[int, list[tuple[str, ...]]] = defaultdict(list)

    def supplier(name: str, country: str, kind: str) -> str:
        sid = suppliers.resolve(name)
        if sid not in suppliers.stored:
            current = supplier_rows.get(sid)
            if current is None or len(name) > len(current["name"]):
                supplier_rows[sid] = {"name": name, "kind": kind if current is None else current["kind"]}
            supplier_countries[sid][country] += 1
        return sid

    for n, (site, res) in enumerate(resolved):
        fid = res.factory_id
        values: dict[str, Any] = {
            "name": site.name, "country": site.country, "address": site.address, "os_id": site.os_id,
            "lat": site.lat, "lon": site.lon, "workers": site.workers, "workers_band": site.workers_band,
            "products": site.products, "sector": site.sector, "processing_type": site.processing_type,
            "is_closed": site.is_closed, "has_cba": site.has_cba}
        f = factories.get(fid)
        if f is None:
            f = factories[fid] = _Factory(fid, values, site.line, res)
        else:                              # a second row of the same factory: fill what is missing
            for k, v in values.items():
                if k in ("products", "sector", "processing_type") and v:
                    f.values[k] = list(dict.fromkeys([*(f.values.get(k) or []), *v]))
                elif f.values.get(k) is None and v is not None:
                    f.values[k] = v
        f.sites.append(site)
        owners = [supplier(o, site.country, "group") for o in site.owners]
        f.values.setdefault("_owners", [])
        f.values["_owners"] = list(dict.fromkeys([*f.values["_owners"], *owners]))
        for o in owners:
            site_claims[n].append(("OWNS", "Supplier", o, "Factory", fid, ""))
        vendor = supplier(site.vendor, site.country, "vendor") if site.vendor else None
        for b in site.buyers:
            lid: LinkId = ("SOURCES_FROM", b, fid, b)
            link = desired.setdefault(lid, {"products": [], "disclosure": ctx.disclosure, "source": site.source})
            link["products"] = list(dict.fromkeys([*link["products"], *(site.products or [])]))
            link_line.setdefault(lid, site.line)
            site_claims[n].append(lid)
            if vendor:
                for v_lid in (("BUYS_VIA", b, vendor, b), ("SUPPLIES_FROM", vendor, fid, b)):
                    desired.setdefault(v_lid, {"disclosure": ctx.disclosure, "source": site.source})
                    site_claims[n].append(v_lid)
        if site.union or site.union_present:
            uid = union_id(site.union, site.country) if site.union else f"U-{fid}"
            unions.setdefault(uid, {"id": uid, "country": site.country,
                                    "name": site.union or f"Trade union at {site.name} (name not given)"})
            pr = presence.setdefault((uid, fid), {"members": None, "has_cba": None, "source": site.source,
                                                  "line": site.line})
            pr["members"] = pr["members"] if site.union_members is None else site.union_members
            pr["has_cba"] = pr["has_cba"] if site.has_cba is None else site.has_cba
            site_claims[n].append(("REPRESENTS", "Union", uid, "Factory", fid, ""))
        if progress and n and n % 5000 == 0:
            progress("building facts", 5000)

    # the buyers' links on this date
    end_for = set(replace_for)
    buyers = sorted({lid[3] for lid in desired} | end_for)
    existing = writer.read(BUYER_LINKS, buyers=buyers) if buyers else []
    plan = plan_links({lid: {k: (v or None) if k == "products" else v for k, v in want.items()}
                       for lid, want in desired.items()}, existing, ctx.reported_on, ctx.source_type, end_for, keep)

    # facts
    stored = writer.labels_of([*unions], ("Union",))
    records: list[Record] = []
    file = ctx.file
    for sid, row in supplier_rows.items():
        country = min(supplier_countries[sid].items(), key=lambda kv: (-kv[1], kv[0]))[0]
        rec = Record(file, 0, ("Supplier", sid, "supplier"))
        rec.nodes.append(NodeFact("Supplier", sid, {**row, "country": country}))
        rec.rels.append(RelFact("LOCATED_IN", ("Supplier",), sid, ("Country",), country, {}, "supplier record"))
        records.append(rec)
    for uid, row in unions.items():
        if uid in stored:
            continue
        rec = Record(file, 0, ("Union", uid, "union"))
        rec.nodes.append(NodeFact("Union", uid, {"name": row["name"], "country": row["country"],
                                                 "level": "workplace"}))
        rec.rels.append(RelFact("LOCATED_IN", ("Union",), uid, ("Country",), row["country"], {}, "union record"))
        records.append(rec)
    result = SiteLoadResult()
    for fid, f in factories.items():
        v = f.values
        owners = v.pop("_owners")
        props = {k: v.get(k) for k in ("name", "country", "address", *SITE_PROPS)}
        if f.res.existing:                 # add to it; its first source's name and address stay
            props = {k: x for k, x in props.items() if x is not None}
            if not f.res.own:
                props.pop("name", None)
                props.pop("address", None)
                props.pop("country", None)
        src = f.sites[0].source
        rec = Record(file, f.line, None if f.res.existing else ("Factory", fid, "name"))
        rec.nodes.append(NodeFact("Factory", fid, props))
        if not f.res.existing or f.res.own:
            rec.rels.append(RelFact("LOCATED_IN", ("Factory",), fid, ("Country",), v["country"], {}, src))
        for o in owners:
            rec.rels.append(RelFact("OWNS", ("Supplier",), o, ("Factory",), fid, {}, src))
        records.append(rec)
        if f.res.existing:
            result.merged += len(f.sites)
        else:
            result.created += 1
    for (uid, fid), pr in presence.items():
        rec = Record(file, pr["line"])
        rec.rels.append(RelFact("REPRESENTS", ("Union",), uid, ("Factory",), fid,
                                {"members": pr["members"], "has_cba": pr["has_cba"]}, pr["source"]))
        records.append(rec)
    for type_, start, end, props in plan.facts:
        a, b = _LINK_LABELS[type_]
        lid = (type_, start, end, props.get("buyer") or start)
        rec = Record(file, link_line.get(lid, 0))
        ended = plan.changes.get(lid, ("",))[0] == "ended"
        src = props.pop("source", None)
        if type_ == "SOURCES_FROM" and not ended:
            rec.refs += [Ref("buyer", ("Company",), start), Ref("factory", ("Factory",), end)]
        rec.rels.append(RelFact(type_, (a,), start, (b,), end, props, src, unique=False, provenance=not ended))
        records.append(rec)
    for type_, start, end, key in plan.drops:
        a, b = _LINK_LABELS[type_]
        rec = Record(file, 0)
        rec.drops.append((type_, a, b, start, end, key))
        records.append(rec)

    # the changes a person reads
    names = dict(names or {})
    for fid, f in factories.items():
        names.setdefault(fid, f.values.get("name") or "")
    unnamed = sorted({lid[2] for lid in plan.changes if lid[0] == "SOURCES_FROM" and lid[2] not in names})
    if unnamed:
        names.update({r["id"]: r["name"] or "" for r in writer.read(FACTORY_NAMES, ids=unnamed)})
    for lid, (change, since, until) in plan.changes.items():
        if lid[0] == "SOURCES_FROM":
            result.changes.append(Change(change, lid[1], lid[2], names.get(lid[2], ""), since, until,
                                         link_line.get(lid, 0)))
    result.changes.sort(key=lambda c: ({"added": 0, "continued": 1, "ended": 2}[c.change], c.line, c.factory_id))
    result.how.update(r.how for _, r in resolved)
    result.rows = len(resolved)
    if suppliers.fuzzy:
        result.notes.append(f"{suppliers.fuzzy} supplier name(s) matched a stored supplier spelled differently")
    if dry_run:
        result.rejects = list(rejects)
        result.loaded = {ctx.file: len(resolved)}
        return result

    loaded = load_records(writer, records, source_type=ctx.source_type, reported_on=ctx.reported_on,
                          rejects=rejects, progress=progress)
    result.rejects, result.nodes, result.rels = loaded.rejects, loaded.nodes, loaded.rels
    result.loaded = {ctx.file: len(resolved)}

    # the registry: which site went where, and what it contributed
    key_of = {lid: rel_key(rel_type(t), {"buyer": props.get("buyer"), "since": props.get("since")})
              for t, s, e, props in plan.facts
              for lid in [(t, s, e, props.get("buyer") or s)]}
    entries = []
    origin = origin_of(ctx)
    for n, (site, res) in enumerate(resolved):
        fid = res.factory_id
        f = factories[fid]
        claims = []
        for c in site_claims.get(n, []):
            if len(c) == 4:
                t, st, e, by = c
                a, b = _LINK_LABELS[t]
                claims.append(ident(t, a, st, b, e, key_of.get((t, st, e, by), "")))
            else:
                claims.append(ident(*c))
        created = not res.existing and f.sites[0] is site
        if created:
            claims += [node_ident("Factory", fid), ident("LOCATED_IN", "Factory", fid, "Country", site.country, "")]
        for o in [*site.owners, *([site.vendor] if site.vendor else [])]:
            sid = suppliers.resolve(o)
            if sid in supplier_rows:
                claims.append(node_ident("Supplier", sid))
        if site.union or site.union_present:
            uid = union_id(site.union, site.country) if site.union else f"U-{fid}"
            if uid not in stored:
                claims.append(node_ident("Union", uid))
        props = {k: getattr(site, k) for k in SITE_PROPS if getattr(site, k) is not None}
        entries.append({"site_key": site_key(prepare_site(site)), "factory_id": fid, "origin": origin,
                        "line": site.line, "buyer": ",".join(site.buyers) or None, "country": site.country,
                        "name": site.name, "address": site.address, "how": res.how, "pair_id": res.pair_id,
                        "created": created, "payload": {"site": dataclasses.asdict(site), "context": ctx.to_json()},
                        "props": props, "claims": claims})
    with queue.transaction():
        queue.register(entries)
    return result


# ---------------------------------------------------------------------------
# an upload
# ---------------------------------------------------------------------------

def load_sites(store: GraphStore, sites: Sequence[Site], ctx: Context, rejects: list[Reject],
               queue_path: Path, progress: Progress | None = None, dry_run: bool = False) -> SiteLoadResult:
    """Match ``sites`` against the store, hold the doubtful ones for review, load the rest
    (``dry_run``: all of it but the writes)."""
    with (nullcontext(store) if dry_run else store.writer()) as s, \
            ReviewQueue(queue_path, readonly=dry_run) as queue:
        matcher = Matcher(s, queue, sites)
        resolved: list[tuple[Site, Resolved]] = []
        holds: list[_Hold] = []
        for n, (site, p) in enumerate(zip(sites, matcher.prepared)):
            if progress and n and n % 1000 == 0:
                progress("matching factories", 1000)
            res = matcher.resolve(site, p)
            if isinstance(res, _Hold):
                holds.append(res)
                continue
            resolved.append((site, res))
            if not res.existing:           # later rows of this input can match it
                matcher.add(p, res.factory_id)
        # with --replace, a buyer's link to a factory a held row may be is neither continued nor ended
        # until someone decides (a rejection ends it then)
        keep: set[LinkId] = {("SOURCES_FROM", b, h.candidate.id, b) for h in holds for b in h.site.buyers}
        origin = origin_of(ctx)
        if not dry_run:
            with queue.transaction():
                queue.release_origin(origin)
                for h in holds:
                    queue.hold(site_key=site_key(h.prepared), candidate_id=h.candidate.id, score=h.score,
                               country=h.site.country, name=h.site.name, address=h.site.address,
                               candidate_name=matcher.known[h.candidate.id]["name"],
                               candidate_address=matcher.known[h.candidate.id]["address"], source=h.site.source,
                               origin=origin, line=h.site.line, evidence=evidence(h, matcher.known),
                               buyer=",".join(h.site.buyers) or None,
                               payload={"site": dataclasses.asdict(h.site), "context": ctx.to_json(),
                                        "end_if_rejected": bool(ctx.replace)})
                queue.forget_origin(origin)
        names = {fid: (r.get("name") or "") for fid, r in matcher.known.items()}
        replace_for = sorted({b for x in sites for b in x.buyers}) if ctx.replace else []
        result = write_sites(s, resolved, ctx, queue, rejects, progress, dry_run=dry_run, replace_for=replace_for,
                             keep=keep, names=names)
    result.held = len(holds)
    result.rows += len(holds)
    result.how["review"] += len(holds)
    return result
