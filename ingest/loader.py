"""The one loader: graph facts with provenance -> validated against each other and the store -> written.

Every input format ends here.  A reader turns each input row into a
:class:`Record`: the facts that row states (nodes, relationships, and, for a
list that replaces an earlier one, relationships that end or go), the ids it
needs to exist (:class:`Ref`) and the node it defines.  :func:`load_records`
then, for the whole load at once,

1. rejects a record that defines an id already defined in this load (actor ids
   are unique across companies, suppliers, factories, unions, NGOs and
   organisations) or one the store holds under another label;
2. resolves every reference against the load and the store (one look-up per
   label set), rejecting a record whose reference is unknown -- and, in turn,
   the records that referred to a node so lost;
3. rejects a record whose *unique* relationship (e.g. a sourcing link: buyer,
   factory, since) another record of the load already gives, naming both lines:
   two rows that say the same link are a mistake in one of them, never
   silently merged;
4. writes what is left in batches through the store's :class:`Writer`: node
   properties as given (a None removes), relationships with their provenance
   (``source`` from the fact, ``source_type`` and ``reported_on`` from the
   load), countries and risks that facts point to.

A rejected record costs only its own facts.  Nothing here reads a file or
speaks Cypher: the readers (:mod:`ingest.canonical`, :mod:`ingest.sites`) build
records, the store writes them.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import gc
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imvo.graph.model import ACTOR_LABELS, RISK_NAMES, SOCIAL_RISKS, RelType, rel_key, rel_type
from imvo.graph.store import NodeRow, RelRow, Writer
from imvo.kernel.spreadsheet import safe_row
from imvo.kernel.vocab import country_name

__all__ = [
    "LoadResult",
    "NodeFact",
    "Progress",
    "Record",
    "Ref",
    "Reject",
    "RelFact",
    "load_records",
    "write_changes",
    "write_report",
]

Progress = Callable[[str, int], None]   # (what, rows done since the last call)


@contextlib.contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a load builds its records: they all survive, and every
    full collection would walk all of them again (it had doubled the time of reading a dataset).
    Reference counting still frees memory; the collector resumes (if it was on) afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass(frozen=True)
class Reject:
    """A row (or a value of a row) that was not loaded, and why."""

    file: str
    line: int
    column: str
    reason: str
    value: str = ""

    def __str__(self) -> str:
        col = f", column {self.column}" if self.column else ""
        return f"{self.file}, line {self.line}{col}: {self.reason}"


@dataclass
class LoadResult:
    loaded: dict[str, int] = field(default_factory=dict)     # valid rows per file
    rejects: list[Reject] = field(default_factory=list)
    nodes: dict[str, int] = field(default_factory=dict)      # node rows written per label
    rels: dict[str, int] = field(default_factory=dict)       # relationship rows written per type

    @property
    def exit_code(self) -> int:
        return 2 if self.rejects else 0


@dataclass(slots=True)
class NodeFact:
    label: str
    id: str
    props: dict[str, Any]


@dataclass(slots=True)
class RelFact:
    """A relationship between two ids; an endpoint given with several labels (a party of a
    covenant) takes the label its id has in the load or the store."""

    type: str
    start_labels: tuple[str, ...]
    start: str
    end_labels: tuple[str, ...]
    end: str
    props: dict[str, Any] = field(default_factory=dict)
    source: str | None = None
    unique: bool = False           # another record stating the same link is a duplicate
    provenance: bool = True        # False: an update of given properties only (e.g. a link ending)


@dataclass(slots=True)
class Ref:
    column: str
    labels: tuple[str, ...]
    id: str


@dataclass(slots=True)
class Record:
    """The facts of one input row: loaded together or not at all."""

    file: str
    line: int
    defines: tuple[str, str, str] | None = None     # (label, id, column) of the node the row defines
    nodes: list[NodeFact] = field(default_factory=list)
    rels: list[RelFact] = field(default_factory=list)
    refs: list[Ref] = field(default_factory=list)
    drops: list[tuple[str, str, str, str, str, str]] = field(default_factory=list)  # (type, src, tgt, start, end, key)
    rejected: bool = False


_DUPLICATE_WORDS = {
    "SOURCES_FROM": "buyer, factory and since",
    "PARTY_TO": "party, covenant, role and since",
    "INVESTS_IN": "investor, company and since",
    "REPRESENTS": "union and factory",
    "HAS_RISK": "country and risk",
}


def _duplicate_reason(fact: RelFact, first: int) -> str:
    what = _DUPLICATE_WORDS.get(fact.type)
    key = rel_key(rel_type(fact.type), fact.props)
    if what is None:
        what = f"{fact.type} link ({fact.start} -> {fact.end}{', ' + key if key else ''})"
    return (f"the same {what} as line {first}: two rows give one link; correct or remove one of them "
            f"(neither is merged into the other)")


def load_records(store: Writer, records: Sequence[Record], *, source_type: str,
                 reported_on: dt.date | None = None, rejects: Iterable[Reject] = (),
                 progress: Progress | None = None) -> LoadResult:
    """Validate ``records`` against each other and the store, then write the valid ones."""
    with no_gc():
        return _load_records(store, records, source_type, reported_on, rejects, progress)


def _load_records(store: Writer, records: Sequence[Record], source_type: str, reported_on: dt.date | None,
                  rejects: Iterable[Reject], progress: Progress | None) -> LoadResult:
    out = list(rejects)
    # 1. ids defined by this load
    defined: dict[str, str] = {}            # actor id -> label
    own: dict[str, set[str]] = defaultdict(set)
    for rec in records:
        if rec.rejected or rec.defines is None:
            continue
        label, rid, column = rec.defines
        if label in ACTOR_LABELS:
            if rid in defined:
                out.append(Reject(rec.file, rec.line, column,
                                  f"duplicate id {rid} (already a {defined[rid]} in this dataset)", rid))
                rec.rejected = True
                continue
            defined[rid] = label
        elif rid in own[label]:
            out.append(Reject(rec.file, rec.line, column, f"duplicate id {rid}", rid))
            rec.rejected = True
            continue
        own[label].add(rid)

    # 2. an actor id may not change label
    stored = store.labels_of(defined)
    for rec in records:
        if rec.rejected or rec.defines is None or rec.defines[0] not in ACTOR_LABELS:
            continue
        label, rid, column = rec.defines
        if stored.get(rid, label) != label:
            out.append(Reject(rec.file, rec.line, column, f"id {rid} is already a {stored[rid]} in the store", rid))
            rec.rejected = True
            defined.pop(rid, None)
            own[label].discard(rid)

    # 3. references: ids missing from the load are looked up in the store, once per label set
    wanted: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for rec in records:
        if not rec.rejected:
            for ref in rec.refs:
                wanted[ref.labels].add(ref.id)
    known: dict[str, str] = {}
    for labels, ref_ids in wanted.items():
        missing = {i for i in ref_ids if not any(i in own[lb] for lb in labels)}
        if missing:
            known.update(store.labels_of(missing, labels))

    def label_of(ref: str, labels: tuple[str, ...]) -> str | None:
        for lb in labels:
            if ref in own[lb]:
                return lb
        found = known.get(ref)
        return found if found in labels else None

    changed = True
    while changed:                       # a rejected record can orphan records that refer to it
        changed = False
        for rec in records:
            if rec.rejected:
                continue
            for ref in rec.refs:
                if label_of(ref.id, ref.labels) is None:
                    what = " or ".join(lb.lower() for lb in ref.labels)
                    out.append(Reject(rec.file, rec.line, ref.column, f"unknown {what} id {ref.id}", ref.id))
                    rec.rejected = True
                    if rec.defines is not None:
                        own[rec.defines[0]].discard(rec.defines[1])
                    changed = True
                    break

    # 4. one link, one row
    first: dict[tuple[str, str, str, str], Record] = {}
    key_of: dict[str, RelType] = {}
    for rec in records:
        if rec.rejected:
            continue
        for fact in rec.rels:
            if not fact.unique:
                continue
            rt = key_of.get(fact.type) or key_of.setdefault(fact.type, rel_type(fact.type))
            ident = (fact.type, fact.start, fact.end, rel_key(rt, fact.props) if rt.key else "")
            seen = first.setdefault(ident, rec)
            if seen is not rec:
                out.append(Reject(rec.file, rec.line, "", _duplicate_reason(fact, seen.line)))
                rec.rejected = True
                break

    # 5. write
    result = LoadResult(rejects=out)
    for rec in records:
        if not rec.rejected:
            result.loaded[rec.file] = result.loaded.get(rec.file, 0) + 1
        else:
            result.loaded.setdefault(rec.file, 0)
    w = _Writes(source_type, reported_on)
    for rec in records:
        if rec.rejected:
            continue
        for n in rec.nodes:
            w.node(n.label, n.id, n.props)
        for r in rec.rels:
            src = r.start_labels[0] if len(r.start_labels) == 1 else label_of(r.start, r.start_labels)
            tgt = r.end_labels[0] if len(r.end_labels) == 1 else label_of(r.end, r.end_labels)
            w.rel(r.type, src or r.start_labels[0], r.start, tgt or r.end_labels[0], r.end, r.props, r.source,
                  r.provenance)
        w.drops.extend(rec.drops)
    cited = w.countries - own["Country"]
    if cited:
        absent = cited - set(store.labels_of(cited, ("Country",)))
        for code in sorted(absent):
            w.node("Country", code, {"name": country_name(code)})
        w.countries -= absent
    w.write(store, result, progress)
    return result


class _Writes:
    """Node and relationship rows grouped for batched writes."""

    def __init__(self, source_type: str, reported_on: dt.date | None) -> None:
        self.nodes: dict[str, dict[str, NodeRow]] = defaultdict(dict)
        self.rels: dict[tuple[str, str, str], list[RelRow]] = defaultdict(list)
        self.drops: list[tuple[str, str, str, str, str, str]] = []
        self.countries: set[str] = set()
        self.risks: set[str] = set()
        self.source_type = source_type
        self.reported_on = reported_on
        self._names: dict[str, set[str]] = {}

    def node(self, label: str, id_: str, props: dict[str, Any]) -> None:
        self.nodes[label][id_] = NodeRow(id_, props)

    def rel(self, type_: str, source: str, start: str, target: str, end: str,
            props: dict[str, Any] | None = None, source_text: str | None = None,
            provenance: bool = True) -> None:
        names = self._names.get(type_)
        if names is None:
            names = self._names[type_] = {q.name for q in rel_type(type_).props}
        p = dict(props or {})
        if provenance and "source" in names:
            p["source"] = source_text or p.get("source")
        if provenance and "source_type" in names:
            p.setdefault("source_type", self.source_type)
            p.setdefault("reported_on", self.reported_on)
        if target == "Country":
            self.countries.add(end)
        if target == "Risk":
            self.risks.add(end)
        self.rels[(type_, source, target)].append(RelRow(start, end, p))

    def write(self, store: Writer, result: LoadResult, progress: Progress | None) -> None:
        by_type: dict[tuple[str, str, str], list[tuple[str, str, str]]] = defaultdict(list)
        for type_, src, tgt, start, end, key in self.drops:
            by_type[(type_, src, tgt)].append((start, end, key))
        for (type_, src, tgt), keys in by_type.items():
            store.delete_rels(type_, src, tgt, keys)
        for risk in sorted(self.risks):
            self.node("Risk", risk, {"name": RISK_NAMES[risk],
                                     "category": "social" if risk in SOCIAL_RISKS else "environmental"})
        if self.countries:
            store.ensure_nodes("Country", self.countries)
        for label, rows in self.nodes.items():
            store.merge_nodes(label, list(rows.values()))
            result.nodes[label] = result.nodes.get(label, 0) + len(rows)
            if progress:
                progress(f"{label} nodes", len(rows))
        for (type_, source, target), rels in self.rels.items():
            store.merge_rels(type_, source, target, rels)
            result.rels[type_] = result.rels.get(type_, 0) + len(rels)
            if progress:
                progress(f"{type_} links", len(rels))


def write_report(rejects: Iterable[Reject], path: Path) -> None:
    """The rejects as CSV: file, line, column, reason, value (cells spreadsheet-safe)."""
    import csv
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["file", "line", "column", "reason", "value"])
        for r in rejects:
            out.writerow(safe_row([r.file, r.line, r.column, r.reason, r.value]))


def write_changes(changes: Iterable[Any], path: Path) -> None:
    """The links a list added, continued and ended, as CSV (cells spreadsheet-safe)."""
    import csv
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["change", "buyer", "factory_id", "factory", "since", "until", "line"])
        for c in changes:
            out.writerow(safe_row([c.change, c.buyer, c.factory_id, c.factory, c.since or "", c.until or "",
                                   c.line or ""]))
