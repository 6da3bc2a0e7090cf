"""Matching a secretariat can correct: the review queue, decisions, undo, split and merge.

A small Python API over the graph store and the match memory (:mod:`ingest.review`),
the one the command line (``imvo matches ...``) uses and a web page can call.
Every function takes the store and the queue (a :class:`~imvo.ingest.review.ReviewQueue`
or the path of ``matches.sqlite``) and returns plain dataclasses; a mistake a user
can make is an :class:`~imvo.kernel.errors.InvalidInput` with one line.

Reading the queue::

    pairs = list_pairs(queue)                       # pending pairs, best score first
    p = pairs[0]
    p.pair.name, p.pair.address                     # the incoming site
    p.pair.candidate_name, p.pair.candidate_address # the factory it may be
    p.pair.evidence["score"]                        # {"name": 92.0, "address": 71.3, "score": 83.7, "notes": [...]}
    p.pair.evidence["others"]                       # the other candidates: [{"id", "name", "address", "score"}]
    p.rows                                          # how many input rows wait on it

Deciding (each decision loads the rows that waited, and is remembered: the next
upload of the same site asks nothing and goes where the person said)::

    accept(store, queue, [3, 4])                    # the same factory: the rows go into it
    reject(store, queue, [5])                       # different factories: the rows become a new one
    decide(store, queue, [(6, "accept"), (7, "reject")])    # a batch
    undo(store, queue, [3])                         # take the rows out again; the pair is pending

Correcting the graph (provenance kept: relationships move with their ``source``,
``source_type`` and ``reported_on``)::

    factory_sites(queue, "F-BD-1a2b3c4d5e")         # the input rows a factory is made of
    split(store, queue, "F-BD-1a2b3c4d5e", [12])    # those rows are another factory: moved to a new node
    merge(store, queue, "F-BD-1a2b3c4d5e", "OS-BD2019171KC8ZRE")   # one factory: the second folds into the first
    merge(store, queue, "S-aaaa", "S-bbbb")         # suppliers too

Every outcome is an :class:`Outcome` (``ok``, a one-line ``message``, the factory
concerned, the rows loaded and any rows rejected while loading them).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imvo.graph.model import rel_key, rel_type
from imvo.graph.store import GraphStore, NodeRow, RelRow, Writer
from imvo.kernel.errors import InvalidInput
from imvo.queries.catalogue import BUYER_LINKS, node_props, node_rels

from .loader import Reject, load_records
from .review import Pair, RegisteredSite, ReviewQueue, ident, node_ident, split_ident
from .sites import (
    Context,
    Resolved,
    Site,
    origin_of,
    own_id,
    plan_links,
    prepare_site,
    supplier_key,
    write_sites,
)

__all__ = ["Outcome", "PairView", "accept", "decide", "factory_sites", "list_pairs", "merge", "reject", "split",
           "undo"]


@dataclass(frozen=True)
class PairView:
    """A pair of the review queue with what a person needs to decide it."""

    pair: Pair
    rows: int                 # input rows waiting on it


@dataclass
class Outcome:
    """What one decision or correction did."""

    target: int | str                   # the pair id, or the factory / supplier id
    action: str                         # accept | reject | undo | split | merge
    ok: bool = True
    message: str = ""
    factory_id: str | None = None
    rows: int = 0
    rejects: list[Reject] = field(default_factory=list)


@contextmanager
def _open(queue: ReviewQueue | Path) -> Iterator[ReviewQueue]:
    if isinstance(queue, ReviewQueue):
        yield queue
        return
    with ReviewQueue(Path(queue)) as q:
        yield q


def list_pairs(queue: ReviewQueue | Path, status: str | None = "pending", above: float | None = None,
               kind: str | None = None) -> list[PairView]:
    """Pairs of the review queue (``status`` None: every decided one too), best score first."""
    with _open(queue) as q:
        return [PairView(p, q.held_count(p.id)) for p in q.pairs(status, above, kind)]


def factory_sites(queue: ReviewQueue | Path, factory_id: str) -> list[RegisteredSite]:
    """The input rows (registered sites) a factory is made of, in the order they were loaded."""
    with _open(queue) as q:
        return q.sites_of(factory_id)


# ---------------------------------------------------------------------------
# decisions
# ---------------------------------------------------------------------------

def _sites_of_held(q: ReviewQueue, pair_id: int) -> dict[str, tuple[Context, list[Site], bool]]:
    by_origin: dict[str, tuple[Context, list[Site], bool]] = {}
    for h in q.held(pair_id):
        ctx = Context.from_json(h["context"])
        entry = by_origin.setdefault(origin_of(ctx), (ctx, [], bool(h.get("end_if_rejected"))))
        entry[1].append(Site(**h["site"]))
    return by_origin


def _end_link(w: Writer, ctx: Context, buyer: str, factory_id: str, q: ReviewQueue) -> int:
    """With ``--replace``: the buyer's link to a factory a rejected row is not ends on the list's date,
    unless another row of that list went to the factory."""
    if any(s.factory_id == factory_id and buyer in (s.buyer or "").split(",")
           for s in q.sites_of_origin(origin_of(ctx))):
        return 0
    existing = [r for r in w.read(BUYER_LINKS, buyers=[buyer]) if r["end"] == factory_id]
    plan = plan_links({}, existing, ctx.reported_on, ctx.source_type, {buyer})
    from .loader import Record, RelFact
    records = []
    labels = {"SOURCES_FROM": ("Company", "Factory"), "SUPPLIES_FROM": ("Supplier", "Factory")}
    for type_, start, end, props in plan.facts:
        if type_ in labels:
            a, b = labels[type_]
            rec = Record(ctx.file, 0)
            rec.rels.append(RelFact(type_, (a,), start, (b,), end, props, provenance=False))
            records.append(rec)
    for type_, start, end, key in plan.drops:
        if type_ in labels:
            a, b = labels[type_]
            rec = Record(ctx.file, 0)
            rec.drops.append((type_, a, b, start, end, key))
            records.append(rec)
    load_records(w, records, source_type=ctx.source_type, reported_on=ctx.reported_on)
    return sum(1 for lid, (c, _, _) in plan.changes.items() if c == "ended" and lid[0] == "SOURCES_FROM")


def decide(store: GraphStore, queue: ReviewQueue | Path, decisions: Sequence[tuple[int, str]]) -> list[Outcome]:
    """Decide pending pairs, ``(pair id, "accept" | "reject")`` each: load the rows that waited on
    each (accept: into the existing factory; reject: as a new factory), in one write session,
    then record the decisions."""
    out: list[Outcome] = []
    with _open(queue) as q, store.writer() as w:
        for pair_id, verdict in decisions:
            if verdict not in ("accept", "reject"):
                raise InvalidInput(f"a decision is accept or reject, not {verdict!r}")
            o = Outcome(pair_id, verdict)
            out.append(o)
            try:
                pair = q.get(pair_id)
            except InvalidInput as exc:
                o.ok, o.message = False, str(exc)
                continue
            if pair.status != "pending":
                o.ok, o.message = False, f"pair {pair_id} was already {pair.status} on {pair.decided_on}"
                continue
            into = verdict == "accept" and bool(w.labels_of([pair.candidate_id], ("Factory",)))
            ended = 0
            for ctx, sites, end_if_rejected in _sites_of_held(q, pair_id).values():
                resolved = []
                for x in sites:
                    if into:
                        resolved.append((x, Resolved(pair.candidate_id, True, False, "decision", pair_id)))
                    else:
                        fid = own_id(x, prepare_site(x), {pair.candidate_id})
                        existing = bool(w.labels_of([fid], ("Factory",)))
                        resolved.append((x, Resolved(fid, existing, existing, "new", pair_id)))
                o.factory_id = o.factory_id or resolved[0][1].factory_id
                r = write_sites(w, resolved, ctx, q)
                o.rows += len(sites)
                o.rejects += r.rejects
                if verdict == "reject" and end_if_rejected and ctx.replace:
                    for b in {b for x in sites for b in x.buyers}:
                        ended += _end_link(w, ctx, b, pair.candidate_id, q)
            where = (f"merged into {o.factory_id}" if into
                     else f"loaded as a new factory {o.factory_id or ''}".rstrip())
            o.message = (f"pair {pair_id} {verdict}ed: {o.rows} waiting row(s) {where}"
                         + (f"; the buyer's link to {pair.candidate_id} ended" if ended else ""))
    with _open(queue) as q:
        for o in out:                   # the rows are in the store: now the decisions count
            if o.ok:
                q.decide(int(o.target), "accepted" if o.action == "accept" else "rejected")
                q.log(o.action, pair=o.target, factory=o.factory_id, rows=o.rows)
    return out


def accept(store: GraphStore, queue: ReviewQueue | Path, pair_ids: Sequence[int]) -> list[Outcome]:
    """The same factory: load the waiting rows into the existing factory."""
    return decide(store, queue, [(p, "accept") for p in pair_ids])


def reject(store: GraphStore, queue: ReviewQueue | Path, pair_ids: Sequence[int]) -> list[Outcome]:
    """Different factories: load the waiting rows as a new factory."""
    return decide(store, queue, [(p, "reject") for p in pair_ids])


# ---------------------------------------------------------------------------
# taking sites out of a factory (undo and split)
# ---------------------------------------------------------------------------

def _delete(w: Writer, idents: set[str]) -> None:
    rels: dict[tuple[str, str, str], list[tuple[str, str, str]]] = defaultdict(list)
    for text in idents:
        parts = split_ident(text)
        if parts[0] != "node":
            type_, src, start, tgt, end, key = parts
            rels[(type_, src, tgt)].append((start, end, key))
    for (type_, src, tgt), keys in rels.items():
        w.delete_rels(type_, src, tgt, keys)
    for text in idents:
        parts = split_ident(text)
        if parts[0] == "node" and parts[1] != "Factory":
            label, id_ = parts[1], parts[2]
            if all(r["type"] == "LOCATED_IN" for r in w.read(node_rels(label), id=id_)):
                w.delete_nodes(label, [id_])


def _unload(w: Writer, q: ReviewQueue, moving: Sequence[RegisteredSite]) -> list[str]:
    """Take the facts these sites contributed out of their factories (those no other registered
    site gives too); returns the factories deleted because nothing was left of them."""
    ids = {s.id for s in moving}
    claims: set[str] = set()
    for s in moving:
        claims.update(q.claims_of(s.id))
    gone = claims - q.claimed_elsewhere(claims, ids)
    _delete(w, gone)
    deleted = []
    by_factory: dict[str, list[RegisteredSite]] = defaultdict(list)
    for s in moving:
        by_factory[s.factory_id].append(s)
    for fid, leaving in by_factory.items():
        others = [t for t in q.sites_of(fid) if t.id not in ids]
        found = w.read(node_props("Factory"), ids=[fid])
        if not found:
            continue
        props = found[0]["n"]
        creator = next((s for s in leaving if s.created), None)
        if creator is not None and not others:
            left = [r for r in w.read(node_rels("Factory"), id=fid) if r["type"] != "LOCATED_IN"]
            if not left:
                w.delete_nodes("Factory", [fid])
                deleted.append(fid)
                continue
        update: dict[str, Any] = {}
        for prop in {p for s in leaving for p in s.props}:
            current = props.get(prop)
            if all(s.props.get(prop) != current for s in leaving):
                continue                      # another source set what is there now
            given = [t.props[prop] for t in others if t.props.get(prop) is not None]
            update[prop] = given[-1] if given else None
        if creator is not None and others:    # the factory keeps its id, the next row's spelling
            heir = others[0]
            update.update(name=heir.name, address=heir.address)
            q.set_claims(heir.id, [*q.claims_of(heir.id), node_ident("Factory", fid),
                                   ident("LOCATED_IN", "Factory", fid, "Country", heir.country, "")], created=True)
        if update:
            w.merge_nodes("Factory", [NodeRow(fid, update)])
    return deleted


def undo(store: GraphStore, queue: ReviewQueue | Path, pair_ids: Sequence[int]) -> list[Outcome]:
    """Undo decisions: the rows they loaded (and later uploads placed by them) are taken out of the
    graph again and wait on the pair, which is pending once more."""
    out: list[Outcome] = []
    with _open(queue) as q, store.writer() as w:
        for pair_id in pair_ids:
            o = Outcome(pair_id, "undo")
            out.append(o)
            try:
                pair = q.get(pair_id)
            except InvalidInput as exc:
                o.ok, o.message = False, str(exc)
                continue
            if pair.status == "pending":
                o.ok, o.message = False, f"pair {pair_id} is pending: there is no decision to undo"
                continue
            if pair.via != "review":
                o.ok, o.message = False, (f"pair {pair_id} was decided by a {pair.via}; undo that with "
                                          f"imvo matches {'merge' if pair.via == 'split' else 'split'}")
                continue
            sites = q.sites_of_pair(pair_id)
            deleted = _unload(w, q, sites)
            with q.transaction():
                for s in sites:
                    q.rehold(pair_id, s.origin, s.line, s.payload)
                q.drop_sites([s.id for s in sites])
                q.decide(pair_id, "pending")
                q.log("undo", pair=pair_id, was=pair.status, rows=len(sites), deleted=deleted)
            o.rows = len(sites)
            o.factory_id = pair.candidate_id
            o.message = (f"pair {pair_id}: the {pair.status} decision is undone; {len(sites)} row(s) wait again"
                         + (f" (factory {', '.join(deleted)} removed: nothing else was left of it)" if deleted else ""))
    return out


def split(store: GraphStore, queue: ReviewQueue | Path, factory_id: str, site_ids: Sequence[int]) -> Outcome:
    """These input rows of a factory are another factory: move what they contributed to a new node
    (with their own name and address), and remember it (the next upload keeps them apart)."""
    o = Outcome(factory_id, "split")
    with _open(queue) as q:
        sites = q.sites_by_id(site_ids)
        missing = sorted(set(site_ids) - {s.id for s in sites})
        if missing:
            raise InvalidInput(f"no registered row {missing[0]} (see `imvo matches show {factory_id}`)")
        wrong = [s for s in sites if s.factory_id != factory_id]
        if wrong:
            raise InvalidInput(f"row {wrong[0].id} is part of {wrong[0].factory_id}, not of {factory_id}")
        if not sites:
            raise InvalidInput("name the rows to split off (their numbers in `imvo matches show FACTORY`)")
        every = q.sites_of(factory_id)
        if len(sites) == len(every):
            raise InvalidInput(f"those are all the rows of {factory_id}: nothing would be left to split from")
        first = Site(**sites[0].payload["site"])
        new_id = own_id(first, prepare_site(first), {factory_id})
        with store.writer() as w:
            _unload(w, q, sites)
            existing = bool(w.labels_of([new_id], ("Factory",)))
            by_origin: dict[str, tuple[Context, list[tuple[Site, Resolved]]]] = {}
            for s in sites:
                ctx = Context.from_json(s.payload["context"])
                site = Site(**s.payload["site"])
                by_origin.setdefault(s.origin, (ctx, []))[1].append(
                    (site, Resolved(new_id, existing, existing, "split")))
                existing = True
            with q.transaction():
                q.drop_sites([s.id for s in sites])
            for ctx, resolved in by_origin.values():
                r = write_sites(w, resolved, ctx, q)
                o.rejects += r.rejects
        with q.transaction():
            for s in sites:
                q.remember(site_key=s.site_key, candidate_id=factory_id, status="rejected", via="split",
                           name=s.name, country=s.country, address=s.address)
                q.remember(site_key=s.site_key, candidate_id=new_id, status="accepted", via="split",
                           name=s.name, country=s.country, address=s.address)
            q.log("split", factory=factory_id, into=new_id, rows=[s.id for s in sites])
    o.factory_id, o.rows = new_id, len(sites)
    o.message = f"{len(sites)} row(s) of {factory_id} are now the factory {new_id}"
    return o


# ---------------------------------------------------------------------------
# two nodes of one factory (or supplier)
# ---------------------------------------------------------------------------

def _ident_of(r: dict[str, Any], label: str, node: str) -> tuple[str, str, str, str, str]:
    """(type, source label, start, target label, end) of a relationship read from ``node``'s side."""
    if r["out"]:
        return r["type"], label, node, r["label"], r["other"]
    return r["type"], r["label"], r["other"], label, node


def merge(store: GraphStore, queue: ReviewQueue | Path, keep: str, other: str, force: bool = False) -> Outcome:
    """``other`` is the same factory (or supplier) as ``keep``: every relationship of ``other`` moves to
    ``keep`` with its properties (a relationship ``keep`` already has takes only what it lacks),
    ``keep`` takes the properties it lacks, ``other`` goes; the decision is remembered for the
    rows ``other`` was made of."""
    if keep == other:
        raise InvalidInput("a node cannot be merged into itself")
    o = Outcome(keep, "merge", factory_id=keep)
    with _open(queue) as q, store.writer() as w:
        labels = w.labels_of([keep, other], ("Factory", "Supplier"))
        for i in (keep, other):
            if i not in labels:
                raise InvalidInput(f"unknown factory or supplier {i!r}")
        label = labels[keep]
        if labels[other] != label:
            raise InvalidInput(f"{keep} is a {label}, {other} a {labels[other]}: only two factories or two "
                               f"suppliers can be merged")
        nodes = {r["n"]["id"]: r["n"] for r in w.read(node_props(label), ids=[keep, other])}
        a, b = nodes[keep], nodes[other]
        if label == "Factory" and a.get("country") != b.get("country") and not force:
            raise InvalidInput(f"{keep} is in {a.get('country')}, {other} in {b.get('country')}: not one factory "
                               f"(--force merges them anyway)")
        if a.get("os_id") and b.get("os_id") and a["os_id"] != b["os_id"] and not force:
            raise InvalidInput(f"{keep} and {other} have different OS IDs ({a['os_id']}, {b['os_id']}): Open Supply "
                               f"Hub holds them as two facilities (--force merges them anyway)")
        mine = {(*_ident_of(r, label, keep), str(r["props"].get("key") or "")): r["props"]
                for r in w.read(node_rels(label), id=keep)}
        moved: dict[tuple[str, str, str], list[RelRow]] = defaultdict(list)
        renames: list[tuple[str, str]] = []
        for r in w.read(node_rels(label), id=other):
            type_, src, start, tgt, end = _ident_of(r, label, other)
            key = str(r["props"].get("key") or "")
            props = {k: v for k, v in r["props"].items() if k != "key"}
            if type_ == "LOCATED_IN":
                renames.append((ident(type_, src, start, tgt, end, key), ""))
                continue
            start2, end2 = (keep if start == other else start), (keep if end == other else end)
            there = mine.get((type_, src, start2, tgt, end2, rel_key(rel_type(type_), props)))
            if there is not None:
                props = {**props, **{k: v for k, v in there.items() if k != "key" and v is not None}}
            moved[(type_, src, tgt)].append(RelRow(start2, end2, props))
            renames.append((ident(type_, src, start, tgt, end, key),
                            ident(type_, src, start2, tgt, end2, rel_key(rel_type(type_), props))))
        fill = {k: v for k, v in b.items() if k != "id" and a.get(k) is None and v is not None}
        if fill:
            w.merge_nodes(label, [NodeRow(keep, fill)])
        for (type_, src, tgt), rows in moved.items():
            w.merge_rels(type_, src, tgt, rows)
        w.delete_nodes(label, [other])
        o.rows = sum(len(r) for r in moved.values())
        with q.transaction():
            for old, new in renames:
                if new:
                    q.rename_claims(old, new)
            if label == "Factory":
                sites = q.sites_of(other)
                for s in sites:
                    q.set_claims(s.id, [c for c in q.claims_of(s.id) if c not in (
                        node_ident("Factory", other), ident("LOCATED_IN", "Factory", other, "Country", s.country, ""))],
                        created=False)
                    q.remember(site_key=s.site_key, candidate_id=keep, status="accepted", via="merge", name=s.name,
                               country=s.country, address=s.address)
                q.move_sites([s.id for s in sites], keep, "merge")
            else:
                q.remember(site_key=supplier_key(str(b.get("name") or other)), candidate_id=keep, status="accepted",
                           via="merge", kind="supplier", name=str(b.get("name") or ""))
            q.repoint(other, keep, "factory" if label == "Factory" else "supplier")
            q.log("merge", keep=keep, other=other, label=label, relationships=o.rows)
    o.message = f"{other} merged into {keep}: {o.rows} relationship(s) moved, provenance kept"
    return o

