"""Reader and validator of the canonical CSV format (docs/canonical-format.md).

get -> clean/validate -> load: every file of a dataset folder is read, each row
parsed against the properties declared in :mod:`graph.model`, references are
resolved against the dataset and the store, and the valid rows are written in
batches.  A bad row is rejected with file, line, column and reason; every valid
row is still loaded.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imvo.graph.model import PARTY_LABELS, RISKS, Prop, node_type, rel_type
from imvo.graph.store import GraphStore, Writer
from imvo.kernel.errors import InvalidInput
from imvo.queries.grievance_status import event_id

from .loader import LoadResult, NodeFact, Progress, Record, Ref, Reject, RelFact, load_records, no_gc, write_report
from .tables import read_table
from .values import FieldError, make_parser

__all__ = ["FILES", "Batch", "LoadResult", "Reject", "ingest_dir", "load_batch", "read_dataset",
           "sourcing_facts", "write_report"]


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
                               _n("Country", "ituc_rating"), _n("Country", "living_wage_gap"),
                               _n("Country", "living_wage_eur"), _n("Country", "prevailing_wage_eur")),
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
    FileSpec("grievance_events.csv", (_id("Grievance", col="grievance_id"), _n("GrievanceEvent", "status"),
                                      _n("GrievanceEvent", "on"), _n("GrievanceEvent", "note"))),
    FileSpec("grievance_forwards.csv", (_id("Grievance", col="grievance_id"), _id("Company", col="company_id"),
                                        _r("FORWARDED_TO", "on"))),
    FileSpec("projects.csv", (Col("id", _ID), _n("Project", "name"), _id("Factory", col="factory_id"),
                              Col("risk", _RISK), _n("Project", "status"), _n("Project", "started_on"),
                              _n("Project", "ended_on"), _n("Project", "summary")), label="Project"),
    FileSpec("project_participants.csv", (_id("Project", col="project_id"),
                                          _id(*PARTY_LABELS, col="party_id"),
                                          _r("PARTICIPATES_IN", "role"))),
)
_SPECS = {f.name: f for f in FILES}


# ---------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------

@dataclass
class Batch:
    """Everything read from one dataset: one record per valid row, and the rejects so far."""

    records: list[Record] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    files: list[str] = field(default_factory=list)       # the files read, in order
    source_type: str = "canonical"
    reported_on: dt.date | None = None


# ---------------------------------------------------------------------------
# get + validate
# ---------------------------------------------------------------------------

def read_csv(path: Path, spec: FileSpec, batch: Batch, progress: Progress | None = None) -> None:
    """Parse one canonical file into ``batch``: a record per valid row; bad rows become rejects
    (a bad byte, a broken quote or a huge cell costs only its own row)."""
    name = spec.name
    batch.files.append(name)
    try:
        table = read_table(path, strict_utf8=True, delimiter=",")
    except InvalidInput as exc:
        batch.rejects.append(Reject(name, 0, "", str(exc)))
        return
    rows = table.rows()
    header: list[str] | None = None
    for line, cells, problem in rows:
        if problem is not None:
            batch.rejects.append(Reject(name, line, "", problem))
            continue
        assert cells is not None
        if any(c.strip() for c in cells):
            header = [h.strip().lower() for h in cells]
            break
    if header is None:
        return
    missing = [c for c in spec.required if c not in header]
    if missing:
        batch.rejects.append(Reject(name, 1, missing[0], f"required column(s) {', '.join(missing)} missing "
                                                         f"from the header; no row of this file was loaded"))
        return
    table.width = width = len(header)
    index = {c.name: header.index(c.name) for c in spec.cols if c.name in header}
    parsers = [(c.name, index.get(c.name), make_parser(c.prop, c.required, c.country)) for c in spec.cols]
    build = _BUILDERS[name]
    refs = [(c.name, c.ref) for c in spec.cols if c.ref and c.name != spec.id_col]
    label, id_col = spec.label, spec.id_col
    out = batch.records
    pending = 0
    for line, cells, problem in rows:
        pending += 1
        if pending >= 5000 and progress:
            progress(name, pending)
            pending = 0
        if problem is not None:
            batch.rejects.append(Reject(name, line, "", problem))
            continue
        assert cells is not None
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != width:
            batch.rejects.append(Reject(name, line, "", f"row has {len(cells)} fields, the header has {width}"))
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
            continue
        rec = Record(name, line, (label, values[id_col], id_col) if label else None)
        for col_name, labels in refs:
            ref = values.get(col_name)
            if ref is not None:
                rec.refs.append(Ref(col_name, labels, ref))
        build(rec, values)
        out.append(rec)
    if progress and pending:
        progress(name, pending)


def _row_rules(name: str, line: int, v: dict[str, Any]) -> list[Reject]:
    """Rules across columns of one row."""
    for a, b in (("since", "until"), ("signed_on", "ends_on"), ("started_on", "ended_on")):
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
    with no_gc():
        for spec in FILES:
            path = present.get(spec.name)
            if path is not None:
                read_csv(path, spec, batch, progress)
    return batch


def load_batch(store: Writer, batch: Batch, progress: Progress | None = None) -> LoadResult:
    """Resolve references of a parsed batch against itself and the store, then write it
    (:func:`ingest.loader.load_records`)."""
    result = load_records(store, batch.records, source_type=batch.source_type, reported_on=batch.reported_on,
                          rejects=batch.rejects, progress=progress)
    for name in batch.files:
        result.loaded.setdefault(name, 0)
    return result


# ---------------------------------------------------------------------------
# rows -> facts
# ---------------------------------------------------------------------------

def _pick(v: dict[str, Any], *names: str) -> dict[str, Any]:
    return {n: v.get(n) for n in names}


def _rel(rec: Record, type_: str, source: str | tuple[str, ...], start: str, target: str, end: str,
         props: dict[str, Any] | None = None, source_text: str | None = None, unique: bool = False) -> None:
    rec.rels.append(RelFact(type_, source if isinstance(source, tuple) else (source,), start, (target,), end,
                            props or {}, source_text, unique))


def _actor(label: str, extra: tuple[str, ...]) -> Callable[[Record, dict[str, Any]], None]:
    what = f"{label.lower()} record"

    def build(rec: Record, v: dict[str, Any]) -> None:
        rec.nodes.append(NodeFact(label, v["id"], _pick(v, "name", "country", *extra)))
        _rel(rec, "LOCATED_IN", label, v["id"], "Country", v["country"], source_text=what)
        for code in v.get("active_in") or ():
            _rel(rec, "ACTIVE_IN", label, v["id"], "Country", code, source_text=what)
    return build


def _factory(rec: Record, v: dict[str, Any]) -> None:
    """A factory row.  The canonical columns describe the node completely (a blank clears);
    the extra properties real-world adapters add (sector, processing_type, workers_band,
    is_closed, has_cba) are not canonical columns, so a canonical load keeps them."""
    props = _pick(v, "name", "country", "address", "os_id", "lat", "lon", "workers", "products")
    rec.nodes.append(NodeFact("Factory", v["id"], props))
    _rel(rec, "LOCATED_IN", "Factory", v["id"], "Country", v["country"], source_text="factory record")
    if v.get("owner_id"):
        _rel(rec, "OWNS", "Supplier", v["owner_id"], "Factory", v["id"], source_text="factories.csv")


def _union(rec: Record, v: dict[str, Any]) -> None:
    _actor("Union", ("level",))(rec, v)
    if v.get("affiliated_to"):
        _rel(rec, "AFFILIATED_WITH", "Union", v["id"], "Union", v["affiliated_to"], source_text="unions.csv")


def _country(rec: Record, v: dict[str, Any]) -> None:
    rec.nodes.append(NodeFact("Country", v["code"], _pick(v, "name", "ituc_rating", "living_wage_gap",
                                                            "living_wage_eur", "prevailing_wage_eur")))


def _covenant(rec: Record, v: dict[str, Any]) -> None:
    rec.nodes.append(NodeFact("Covenant", v["id"], _pick(v, "name", "sector", "signed_on", "ends_on")))
    for risk in v.get("priority_risks") or ():
        _rel(rec, "PRIORITISES", "Covenant", v["id"], "Risk", risk, source_text="covenants.csv")


def _country_risk(rec: Record, v: dict[str, Any]) -> None:
    _rel(rec, "HAS_RISK", "Country", v["country"], "Risk", v["risk"], {"level": v["level"]},
         v.get("source") or "country_risks.csv", unique=True)


def _party(rec: Record, v: dict[str, Any]) -> None:
    _rel(rec, "PARTY_TO", PARTY_LABELS, v["party_id"], "Covenant", v["covenant_id"],
         _pick(v, "role", "since", "until"), "covenant_parties.csv", unique=True)


_COMPANY, _FACTORY, _SUPPLIER = ("Company",), ("Factory",), ("Supplier",)


def sourcing_facts(rec: Record, v: dict[str, Any]) -> None:
    """A sourcing link; with a supplier also ``BUYS_VIA`` and ``SUPPLIES_FROM``, which carry the
    link's period and disclosure (and, ``SUPPLIES_FROM``, its buyer): facts of that link, hidden
    with it."""
    src = v.get("source") or "sourcing.csv"
    since, until = v.get("since"), v.get("until")
    disclosure = v.get("disclosure") or "confidential"
    buyer, factory, supplier = v["buyer_id"], v["factory_id"], v.get("supplier_id")
    rels = rec.rels
    rels.append(RelFact("SOURCES_FROM", _COMPANY, buyer, _FACTORY, factory,
                        {"share": v.get("share"), "products": v.get("products"), "since": since, "until": until,
                         "disclosure": disclosure}, src, True))
    if supplier:
        rels.append(RelFact("BUYS_VIA", _COMPANY, buyer, _SUPPLIER, supplier,
                            {"since": since, "until": until, "disclosure": disclosure}, src))
        rels.append(RelFact("SUPPLIES_FROM", _SUPPLIER, supplier, _FACTORY, factory,
                            {"since": since, "until": until, "buyer": buyer, "disclosure": disclosure}, src))


def _presence(rec: Record, v: dict[str, Any]) -> None:
    _rel(rec, "REPRESENTS", "Union", v["union_id"], "Factory", v["factory_id"],
         _pick(v, "members", "has_cba"), "union_presence.csv", unique=True)


def _investment(rec: Record, v: dict[str, Any]) -> None:
    _rel(rec, "INVESTS_IN", "Company", v["investor_id"], "Company", v["company_id"],
         _pick(v, "kind", "amount_eur", "since", "until"), "investments.csv", unique=True)


def _grievance(rec: Record, v: dict[str, Any]) -> None:
    rec.nodes.append(NodeFact("Grievance", v["id"], _pick(v, "risk", "filed_on", "status", "summary")))
    _rel(rec, "CONCERNS", "Grievance", v["id"], "Factory", v["factory_id"], source_text="grievances.csv")
    _rel(rec, "ABOUT", "Grievance", v["id"], "Risk", v["risk"], source_text="grievances.csv")
    if v.get("filed_by"):
        _rel(rec, "FILED", ("Union", "NGO"), v["filed_by"], "Grievance", v["id"], source_text="grievances.csv")


def _grievance_event(rec: Record, v: dict[str, Any]) -> None:
    """A step of the complaints mechanism: one event node per grievance, status and date (a reload
    updates its note, never duplicates it)."""
    eid = event_id(v["grievance_id"], v["status"], v["on"])
    rec.nodes.append(NodeFact("GrievanceEvent", eid, _pick(v, "status", "on", "note")))
    _rel(rec, "HAS_EVENT", "Grievance", v["grievance_id"], "GrievanceEvent", eid,
         source_text="grievance_events.csv", unique=True)


def _grievance_forward(rec: Record, v: dict[str, Any]) -> None:
    """The secretariat's record of a buyer it informed of a grievance (what `imvo grievances forward`
    writes); confidential: see docs/access.md#grievances."""
    _rel(rec, "FORWARDED_TO", "Grievance", v["grievance_id"], "Company", v["company_id"], {"on": v["on"]},
         "grievance_forwards.csv", unique=True)
def _project(rec: Record, v: dict[str, Any]) -> None:
    rec.nodes.append(NodeFact("Project", v["id"], _pick(v, "name", "risk", "status", "started_on", "ended_on",
                                                        "summary")))
    _rel(rec, "AT", "Project", v["id"], "Factory", v["factory_id"], source_text="projects.csv")
    _rel(rec, "ADDRESSES", "Project", v["id"], "Risk", v["risk"], source_text="projects.csv")


def _participant(rec: Record, v: dict[str, Any]) -> None:
    _rel(rec, "PARTICIPATES_IN", PARTY_LABELS, v["party_id"], "Project", v["project_id"],
         {"role": v["role"]}, "project_participants.csv", unique=True)


_BUILDERS: dict[str, Callable[[Record, dict[str, Any]], None]] = {
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
    "sourcing.csv": sourcing_facts,
    "union_presence.csv": _presence,
    "investments.csv": _investment,
    "grievances.csv": _grievance,
    "grievance_events.csv": _grievance_event,
    "grievance_forwards.csv": _grievance_forward,
    "projects.csv": _project,
    "project_participants.csv": _participant,
}


def ingest_dir(store: GraphStore, folder: Path, progress: Progress | None = None) -> LoadResult:
    """Read, validate and load a canonical dataset folder into ``store``."""
    batch = read_dataset(folder, progress)
    with store.writer() as w:
        return load_batch(w, batch, progress)


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
