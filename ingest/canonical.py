"""Reader and validator of the canonical CSV format (docs/canonical-format.md).

get -> clean/validate -> load: every file of a dataset folder is read, each row
parsed against the properties declared in :mod:`graph.model`, references are
resolved against the dataset and the store, and the valid rows are written in
batches.  A bad row is rejected with file, line, column and reason; every valid
row is still loaded.
"""
from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imvo.graph.model import (
    ACTOR_LABELS,
    PARTY_LABELS,
    RISK_NAMES,
    RISKS,
    SOCIAL_RISKS,
    Prop,
    node_type,
    rel_type,
)
from imvo.graph.store import GraphStore, NodeRow, RelRow, Writer

from .values import FieldError, country_name, make_parser

__all__ = ["FILES", "Batch", "LoadResult", "Reject", "ingest_dir", "load_batch", "read_dataset"]


# ---------------------------------------------------------------------------
# what a file holds: columns with the declared property that governs them
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Col:
    name: str
    prop: Prop
    required: bool | None = None
    ref: tuple[str, ...] = ()      # the value is an id of one of these labels
    country: bool = False          # the value (or each list item) is an ISO country code


def _n(label: str, prop: str, col: str | None = None, **kw: Any) -> Col:
    return Col(col or prop, node_type(label).prop(prop), **kw)


def _r(type_: str, prop: str, col: str | None = None, **kw: Any) -> Col:
    return Col(col or prop, rel_type(type_).prop(prop), **kw)


_ID = Prop("id", required=True)
_LIST = Prop("value", "list")
_RISK = Prop("risk", required=True, enum=RISKS)


def _id(*labels: str, col: str = "id", required: bool = True) -> Col:
    return Col(col, _ID, required=required, ref=labels)


def _actor_cols(label: str, *extra: Col) -> tuple[Col, ...]:
    return (Col("id", _ID), _n(label, "name"), _n(label, "country", country=True), *extra)


@dataclass(frozen=True)
class FileSpec:
    name: str
    cols: tuple[Col, ...]
    label: str | None = None       # the file defines nodes of this label (keyed on `id_col`)
    id_col: str = "id"

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.cols if (c.prop.required if c.required is None else c.required)]


FILES: tuple[FileSpec, ...] = (
    FileSpec("countries.csv", (Col("code", _ID, country=True), _n("Country", "name", required=True),
                               _n("Country", "ituc_rating"), _n("Country", "living_wage_gap")),
             label="Country", id_col="code"),
    FileSpec("covenants.csv", (Col("id", _ID), _n("Covenant", "name"), _n("Covenant", "sector"),
                               _n("Covenant", "signed_on"), _n("Covenant", "ends_on"),
                               Col("priority_risks", Prop("priority_risks", "list", enum=RISKS))),
             label="Covenant"),
    FileSpec("companies.csv", _actor_cols("Company", _n("Company", "kind"), _n("Company", "website")),
             label="Company"),
    FileSpec("suppliers.csv", _actor_cols("Supplier", _n("Supplier", "kind")), label="Supplier"),
    FileSpec("factories.csv", _actor_cols(
        "Factory", _n("Factory", "address"), _n("Factory", "os_id"), _n("Factory", "lat"),
        _n("Factory", "lon"), _n("Factory", "workers"), _n("Factory", "products"),
        _id("Supplier", col="owner_id", required=False)), label="Factory"),
    FileSpec("unions.csv", _actor_cols("Union", _n("Union", "level"),
                                       _id("Union", col="affiliated_to", required=False)),
             label="Union"),
    FileSpec("ngos.csv", _actor_cols("NGO", _n("NGO", "focus"),
                                     Col("active_in", _LIST, country=True)), label="NGO"),
    FileSpec("organisations.csv", _actor_cols("Organisation", _n("Organisation", "kind"),
                                              Col("active_in", _LIST, country=True)),
             label="Organisation"),
    FileSpec("country_risks.csv", (Col("country", _ID, country=True), Col("risk", _RISK),
                                   _r("HAS_RISK", "level"), _r("HAS_RISK", "source"))),
    FileSpec("covenant_parties.csv", (_id("Covenant", col="covenant_id"),
                                      _id(*PARTY_LABELS, col="party_id"),
                                      _r("PARTY_TO", "role"), _r("PARTY_TO", "since"),
                                      _r("PARTY_TO", "until"))),
    FileSpec("sourcing.csv", (_id("Company", col="buyer_id"), _id("Factory", col="factory_id"),
                              _id("Supplier", col="supplier_id", required=False),
                              _r("SOURCES_FROM", "products"), _r("SOURCES_FROM", "share"),
                              _r("SOURCES_FROM", "since"), _r("SOURCES_FROM", "until"),
                              _r("SOURCES_FROM", "disclosure"), _r("SOURCES_FROM", "source"))),
    FileSpec("union_presence.csv", (_id("Union", col="union_id"), _id("Factory", col="factory_id"),
                                    _r("REPRESENTS", "members"), _r("REPRESENTS", "has_cba"))),
    FileSpec("investments.csv", (_id("Company", col="investor_id"), _id("Company", col="company_id"),
                                 _r("INVESTS_IN", "kind"), _r("INVESTS_IN", "amount_eur"),
                                 _r("INVESTS_IN", "since"), _r("INVESTS_IN", "until"))),
    FileSpec("grievances.csv", (Col("id", _ID), _id("Factory", col="factory_id"), Col("risk", _RISK),
                                _n("Grievance", "filed_on"), _n("Grievance", "status"),
                                _id("Union", "NGO", col="filed_by", required=False),
                                _n("Grievance", "summary")), label="Grievance"),
)
_SPECS = {f.name: f for f in FILES}


# ---------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Reject:
    file: str
    line: int
    column: str
    reason: str
    value: str = ""

    def __str__(self) -> str:
        col = f", column {self.column}" if self.column else ""
        return f"{self.file}, line {self.line}{col}: {self.reason}"


@dataclass
class Row:
    """A parsed row waiting for its references to be resolved."""

    file: str
    line: int
    values: dict[str, Any]
    rejected: bool = False


@dataclass
class Batch:
    """Everything read from one dataset: parsed rows per file and the rejects so far."""

    rows: dict[str, list[Row]] = field(default_factory=dict)
    rejects: list[Reject] = field(default_factory=list)
    source_type: str = "canonical"
    reported_on: dt.date | None = None


@dataclass
class LoadResult:
    loaded: dict[str, int] = field(default_factory=dict)     # valid rows per file
    rejects: list[Reject] = field(default_factory=list)
    nodes: dict[str, int] = field(default_factory=dict)      # node rows written per label
    rels: dict[str, int] = field(default_factory=dict)       # relationship rows written per type

    @property
    def exit_code(self) -> int:
        return 2 if self.rejects else 0


Progress = Callable[[str, int], None]   # (what, rows done since the last call)


# ---------------------------------------------------------------------------
# get + validate
# ---------------------------------------------------------------------------

def read_csv(path: Path, spec: FileSpec, batch: Batch, progress: Progress | None = None) -> None:
    """Parse one canonical file into ``batch`` (bad rows become rejects)."""
    name = spec.name
    out = batch.rows.setdefault(name, [])
    try:
        fh = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 - opened here, closed by the with below
    except OSError as exc:
        batch.rejects.append(Reject(name, 0, "", f"cannot read the file: {exc.strerror}"))
        return
    with fh:
        try:
            reader = csv.reader(fh, strict=True)
            header = next(reader, None)
            if header is None:
                return
            header = [h.strip().lower() for h in header]
            missing = [c for c in spec.required if c not in header]
            if missing:
                batch.rejects.append(Reject(name, 1, missing[0],
                                            f"required column(s) {', '.join(missing)} missing "
                                            f"from the header; no row of this file was loaded"))
                return
            index = {c.name: header.index(c.name) for c in spec.cols if c.name in header}
            parsers = [(c.name, index.get(c.name), make_parser(c.prop, c.required, c.country))
                       for c in spec.cols]
            width = len(header)
            pending = 0
            for cells in reader:
                line = reader.line_num
                pending += 1
                if pending >= 5000 and progress:
                    progress(name, pending)
                    pending = 0
                if not any(c.strip() for c in cells):
                    continue
                if len(cells) != width:
                    batch.rejects.append(Reject(name, line, "", f"row has {len(cells)} fields, the "
                                                                f"header has {width}"))
                    continue
                values: dict[str, Any] = {}
                errors = []
                for col_name, i, parse in parsers:
                    text = cells[i] if i is not None else None
                    try:
                        values[col_name] = parse(text)
                    except FieldError as exc:
                        errors.append(Reject(name, line, col_name, str(exc), (text or "")[:80]))
                if not errors:
                    errors = _row_rules(name, line, values)
                if errors:
                    batch.rejects.extend(errors)
                else:
                    out.append(Row(name, line, values))
            if progress and pending:
                progress(name, pending)
        except UnicodeDecodeError as exc:
            batch.rejects.append(Reject(name, 0, "", f"not UTF-8 ({exc.reason} at byte {exc.start}); "
                                                     f"rows after that point were not read"))
        except csv.Error as exc:
            batch.rejects.append(Reject(name, reader.line_num, "", f"malformed CSV: {exc}; rows "
                                                                   f"after that point were not read"))


def _row_rules(name: str, line: int, v: dict[str, Any]) -> list[Reject]:
    """Rules across columns of one row."""
    for a, b in (("since", "until"), ("signed_on", "ends_on")):
        if v.get(a) and v.get(b) and v[b] <= v[a]:
            return [Reject(name, line, b, f"{b} {v[b]} is not after {a} {v[a]}", str(v[b]))]
    if name == "investments.csv" and v.get("investor_id") == v.get("company_id"):
        return [Reject(name, line, "company_id", "a company cannot invest in itself",
                       v["company_id"])]
    return []


def read_dataset(folder: Path, progress: Progress | None = None) -> Batch:
    """Read every canonical file present in ``folder``."""
    batch = Batch()
    present = {p.name.lower(): p for p in folder.iterdir() if p.is_file()}
    for spec in FILES:
        path = present.get(spec.name)
        if path is not None:
            read_csv(path, spec, batch, progress)
    return batch


# ---------------------------------------------------------------------------
# resolve references and load
# ---------------------------------------------------------------------------

def _refs(spec: FileSpec, row: Row) -> Iterator[tuple[Col, str]]:
    for col in spec.cols:
        if col.ref and col.name != spec.id_col and row.values.get(col.name) is not None:
            yield col, row.values[col.name]


def load_batch(store: Writer, batch: Batch, progress: Progress | None = None) -> LoadResult:
    """Resolve references of a parsed batch against itself and the store, then write it."""
    rejects = list(batch.rejects)
    # 1. ids defined by the dataset (actor ids are unique across actor files)
    defined: dict[str, str] = {}            # actor id -> label
    own: dict[str, set[str]] = defaultdict(set)
    for spec in FILES:
        if spec.label is None:
            continue
        label = spec.label
        for row in batch.rows.get(spec.name, []):
            rid = row.values[spec.id_col]
            if label in ACTOR_LABELS:
                if rid in defined:
                    rejects.append(Reject(spec.name, row.line, spec.id_col,
                                          f"duplicate id {rid} (already a {defined[rid]} in this "
                                          f"dataset)", rid))
                    row.rejected = True
                    continue
                defined[rid] = label
            elif rid in own[label]:
                rejects.append(Reject(spec.name, row.line, spec.id_col, f"duplicate id {rid}", rid))
                row.rejected = True
                continue
            own[label].add(rid)

    # 2. ids already in the store: an actor id may not change label
    stored = store.labels_of(defined)
    for spec in FILES:
        if spec.label not in ACTOR_LABELS:
            continue
        for row in batch.rows.get(spec.name, []):
            rid = row.values["id"]
            if not row.rejected and stored.get(rid, spec.label) != spec.label:
                rejects.append(Reject(spec.name, row.line, "id", f"id {rid} is already a "
                                                                  f"{stored[rid]} in the store", rid))
                row.rejected = True
                defined.pop(rid, None)
                own[spec.label].discard(rid)

    # 3. references: ids missing from the dataset are looked up in the store, once
    wanted: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for spec in FILES:
        for row in batch.rows.get(spec.name, []):
            for col, ref in _refs(spec, row):
                wanted[col.ref].add(ref)
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
    while changed:                       # a rejected row can orphan rows that refer to it
        changed = False
        for spec in FILES:
            for row in batch.rows.get(spec.name, []):
                if row.rejected:
                    continue
                for col, ref in _refs(spec, row):
                    if label_of(ref, col.ref) is None:
                        what = " or ".join(lb.lower() for lb in col.ref)
                        rejects.append(Reject(spec.name, row.line, col.name,
                                              f"unknown {what} id {ref}", ref))
                        row.rejected = True
                        if spec.label:
                            own[spec.label].discard(row.values[spec.id_col])
                        changed = True
                        break

    # 4. build the writes
    w = _Writes(batch.source_type, batch.reported_on)
    result = LoadResult(rejects=rejects)
    for spec in FILES:
        good = [r for r in batch.rows.get(spec.name, []) if not r.rejected]
        if spec.name in batch.rows:
            result.loaded[spec.name] = len(good)
        build = _BUILDERS[spec.name]
        for row in good:
            build(w, row.values, lambda ref, labels: label_of(ref, labels) or labels[0])

    # countries referenced but neither in the dataset nor in the store get their ISO name
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
        self.countries: set[str] = set()
        self.risks: set[str] = set()
        self.source_type = source_type
        self.reported_on = reported_on

    def node(self, label: str, id_: str, props: dict[str, Any]) -> None:
        self.nodes[label][id_] = NodeRow(id_, props)

    def rel(self, type_: str, source: str, start: str, target: str, end: str,
            props: dict[str, Any] | None = None, source_text: str | None = None) -> None:
        rt = rel_type(type_)
        p = dict(props or {})
        names = {q.name for q in rt.props}
        if "source" in names:
            p["source"] = source_text or p.get("source")
        if "source_type" in names:
            p["source_type"] = self.source_type
            p["reported_on"] = self.reported_on
        if target == "Country":
            self.countries.add(end)
        if target == "Risk":
            self.risks.add(end)
        self.rels[(type_, source, target)].append(RelRow(start, end, p))

    def write(self, store: Writer, result: LoadResult, progress: Progress | None) -> None:
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


def _pick(v: dict[str, Any], *names: str) -> dict[str, Any]:
    return {n: v.get(n) for n in names}


def _actor(label: str, extra: tuple[str, ...]) -> Callable[[_Writes, dict, Any], None]:
    def build(w: _Writes, v: dict[str, Any], label_of: Any) -> None:
        w.node(label, v["id"], _pick(v, "name", "country", *extra))
        w.rel("LOCATED_IN", label, v["id"], "Country", v["country"], source_text=f"{label.lower()} record")
        for code in v.get("active_in") or ():
            w.rel("ACTIVE_IN", label, v["id"], "Country", code, source_text=f"{label.lower()} record")
    return build


_FACTORY_EXTRA = ("sector", "processing_type", "workers_band", "is_closed")


def _factory(w: _Writes, v: dict[str, Any], label_of: Any) -> None:
    """A factory row.  The canonical columns describe the node completely (a blank clears);
    the extra properties real-world adapters add (sector, processing_type, workers_band,
    is_closed) are written only when they have a value, so a later canonical load keeps them.

    Adapter rows may also carry ``_merge`` (add to an existing factory: only the values given
    are written), ``source`` (provenance of the relationships) and ``owner_ids`` (more owners).
    """
    props = _pick(v, "name", "country", "address", "os_id", "lat", "lon", "workers", "products")
    props.update({k: v[k] for k in _FACTORY_EXTRA if v.get(k) is not None})
    if v.get("_merge"):
        props = {k: x for k, x in props.items() if x is not None}
    w.node("Factory", v["id"], props)
    w.rel("LOCATED_IN", "Factory", v["id"], "Country", v["country"],
          source_text=v.get("source") or "factory record")
    for owner in dict.fromkeys([v.get("owner_id"), *(v.get("owner_ids") or ())]):
        if owner:
            w.rel("OWNS", "Supplier", owner, "Factory", v["id"],
                  source_text=v.get("source") or "factories.csv")


def _union(w: _Writes, v: dict[str, Any], label_of: Any) -> None:
    _actor("Union", ("level",))(w, v, label_of)
    if v.get("affiliated_to"):
        w.rel("AFFILIATED_WITH", "Union", v["id"], "Union", v["affiliated_to"], source_text="unions.csv")


def _country(w: _Writes, v: dict[str, Any], label_of: Any) -> None:
    w.node("Country", v["code"], _pick(v, "name", "ituc_rating", "living_wage_gap"))


def _covenant(w: _Writes, v: dict[str, Any], label_of: Any) -> None:
    w.node("Covenant", v["id"], _pick(v, "name", "sector", "signed_on", "ends_on"))
    for risk in v.get("priority_risks") or ():
        w.rel("PRIORITISES", "Covenant", v["id"], "Risk", risk, source_text="covenants.csv")


def _country_risk(w: _Writes, v: dict[str, Any], label_of: Any) -> None:
    w.rel("HAS_RISK", "Country", v["country"], "Risk", v["risk"], {"level": v["level"]},
          source_text=v.get("source") or "country_risks.csv")


def _party(w: _Writes, v: dict[str, Any], label_of: Any) -> None:
    w.rel("PARTY_TO", label_of(v["party_id"], PARTY_LABELS), v["party_id"], "Covenant",
          v["covenant_id"], _pick(v, "role", "since", "until"), source_text="covenant_parties.csv")


def _sourcing(w: _Writes, v: dict[str, Any], label_of: Any) -> None:
    src = v.get("source") or "sourcing.csv"
    props = _pick(v, "share", "products", "since", "until")
    props["disclosure"] = v.get("disclosure") or "confidential"
    w.rel("SOURCES_FROM", "Company", v["buyer_id"], "Factory", v["factory_id"], props, src)
    if v.get("supplier_id"):
        period = _pick(v, "since", "until")
        w.rel("BUYS_VIA", "Company", v["buyer_id"], "Supplier", v["supplier_id"],
              {**period, "disclosure": props["disclosure"]}, src)
        w.rel("SUPPLIES_FROM", "Supplier", v["supplier_id"], "Factory", v["factory_id"],
              {**period, "buyer": v["buyer_id"], "disclosure": props["disclosure"]}, src)


def _presence(w: _Writes, v: dict[str, Any], label_of: Any) -> None:
    w.rel("REPRESENTS", "Union", v["union_id"], "Factory", v["factory_id"],
          _pick(v, "members", "has_cba"), "union_presence.csv")


def _investment(w: _Writes, v: dict[str, Any], label_of: Any) -> None:
    w.rel("INVESTS_IN", "Company", v["investor_id"], "Company", v["company_id"],
          _pick(v, "kind", "amount_eur", "since", "until"), "investments.csv")


def _grievance(w: _Writes, v: dict[str, Any], label_of: Any) -> None:
    w.node("Grievance", v["id"], _pick(v, "risk", "filed_on", "status", "summary"))
    w.rel("CONCERNS", "Grievance", v["id"], "Factory", v["factory_id"], source_text="grievances.csv")
    w.rel("ABOUT", "Grievance", v["id"], "Risk", v["risk"], source_text="grievances.csv")
    if v.get("filed_by"):
        w.rel("FILED", label_of(v["filed_by"], ("Union", "NGO")), v["filed_by"], "Grievance", v["id"],
              source_text="grievances.csv")


_BUILDERS: dict[str, Callable[[_Writes, dict[str, Any], Any], None]] = {
    "countries.csv": _country,
    "covenants.csv": _covenant,
    "companies.csv": _actor("Company", ("kind", "website")),
    "suppliers.csv": _actor("Supplier", ("kind",)),
    "factories.csv": _factory,
    "unions.csv": _union,
    "ngos.csv": _actor("NGO", ("focus",)),
    "organisations.csv": _actor("Organisation", ("kind",)),
    "country_risks.csv": _country_risk,
    "covenant_parties.csv": _party,
    "sourcing.csv": _sourcing,
    "union_presence.csv": _presence,
    "investments.csv": _investment,
    "grievances.csv": _grievance,
}


def ingest_dir(store: GraphStore, folder: Path, progress: Progress | None = None) -> LoadResult:
    """Read, validate and load a canonical dataset folder into ``store``."""
    batch = read_dataset(folder, progress)
    with store.writer() as w:
        return load_batch(w, batch, progress)


def write_report(rejects: Iterable[Reject], path: Path) -> None:
    """The rejects as CSV: file, line, column, reason, value."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["file", "line", "column", "reason", "value"])
        for r in rejects:
            out.writerow([r.file, r.line, r.column, r.reason, r.value])


def describe_files() -> str:
    """The canonical files and their columns as a Markdown table (docs/canonical-format.md embeds it).

    Derived from :data:`FILES`, so the documentation cannot drift from what the reader accepts.
    """
    lines = ["| file | columns (* required) |", "|---|---|"]
    for spec in FILES:
        cols = []
        for c in spec.cols:
            req = c.prop.required if c.required is None else c.required
            notes = []
            if c.ref:
                notes.append("an id of " + " or ".join(lb.lower() for lb in c.ref))
            elif c.country:
                notes.append("ISO country codes, `;`-separated" if c.prop.type == "list" else "ISO country code")
            elif c.prop.type != "str":
                notes.append({"list": "`;`-separated", "date": "YYYY-MM-DD", "bool": "true/false",
                              "int": "whole number", "float": "number"}[c.prop.type])
            if c.prop.enum:
                notes.append("a risk id" if "living_wage" in c.prop.enum else " / ".join(c.prop.enum))
            if c.prop.lo is not None or c.prop.hi is not None:
                lo = "" if c.prop.lo is None else f"{c.prop.lo:g}"
                hi = "" if c.prop.hi is None else f"{c.prop.hi:g}"
                notes.append(f"{lo}..{hi}" if hi else f">= {lo}")
            cols.append(f"`{c.name}`{'*' if req else ''}" + (f" ({'; '.join(notes)})" if notes else ""))
        lines.append(f"| `{spec.name}` | {', '.join(cols)} |")
    return "\n".join(lines)
