"""Tables people open in a spreadsheet: CSV (UTF-8 with BOM), XLSX and JSON.

One writer for every door (``imvo export`` and the browser's downloads):

- a first line states what the export is, the role it was made for and the
  date it answers for (``# ...`` in CSV, the first row in XLSX, ``"export"``
  in JSON);
- a name is written beside its id (a column ``company`` gets ``company id``
  next to it), and a list of names beside the list of ids;
- JSON keeps lists as arrays (``[{"id": ..., "name": ...}]``);
- every cell of CSV and XLSX goes through
  :func:`imvo.kernel.spreadsheet.safe_cell` (no formula injection).

>>> from imvo.viz.pages import Link
>>> meta = ExportMeta("shared factories", "public", "2026-06-30", "2026-07-01T10:00")
>>> print(to_csv(["factory", "buyers"], [[Link("=Knit", "/factory/F1", "F1"), 2]], meta).decode("utf-8-sig"))
# IMVO leverage graph export: shared factories; made for role public; as of 2026-06-30; made 2026-07-01T10:00
factory,factory id,buyers
'=Knit,F1,2
<BLANKLINE>
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from imvo.kernel.spreadsheet import safe_cell

from .pages import Cell, Link, Table

__all__ = ["FORMATS", "ExportMeta", "export_table", "to_csv", "to_json", "to_xlsx"]

FORMATS = {"csv": "text/csv; charset=utf-8", "json": "application/json",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@dataclass(frozen=True)
class ExportMeta:
    what: str
    role: str
    as_of: str
    made: str = ""

    @classmethod
    def now(cls, what: str, role: str, as_of: dt.date | None) -> ExportMeta:
        return cls(what, role, (as_of or dt.date.today()).isoformat(),
                   dt.datetime.now().replace(microsecond=0).isoformat())

    def line(self) -> str:
        return (f"IMVO leverage graph export: {self.what}; made for role {self.role}; as of {self.as_of}"
                + (f"; made {self.made}" if self.made else ""))


def _is_links(rows: Sequence[Sequence[Cell]], i: int) -> tuple[bool, bool]:
    """(some cell is a Link, some cell is a list) in column i."""
    one = any(isinstance(r[i], Link) for r in rows)
    many = any(isinstance(r[i], list) for r in rows)
    return one, many


def _flat(columns: Sequence[str], rows: Sequence[Sequence[Cell]]) -> tuple[list[str], list[list[Any]]]:
    """Names and ids side by side; lists as '; '-joined text (for CSV and XLSX)."""
    kinds = [_is_links(rows, i) for i in range(len(columns))]
    head: list[str] = []
    for c, (one, many) in zip(columns, kinds):
        head.append(c)
        if one or many:
            head.append(f"{c} id" if one else f"{c} ids")
    out = []
    for r in rows:
        line: list[Any] = []
        for v, (one, many) in zip(r, kinds):
            if isinstance(v, Link):
                line += [v.text, v.id]
            elif isinstance(v, list):
                line += ["; ".join(x.text for x in v), "; ".join(x.id for x in v)]
            elif one or many:
                line += [v if v is not None else "", ""]
            else:
                line.append(v if v is not None else "")
        out.append(line)
    return head, out


def to_csv(columns: Sequence[str], rows: Sequence[Sequence[Cell]], meta: ExportMeta) -> bytes:
    head, body = _flat(columns, rows)
    buf = io.StringIO(newline="")
    buf.write(f"# {meta.line()}\n")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([safe_cell(h) for h in head])
    w.writerows([[safe_cell(v) for v in r] for r in body])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(columns: Sequence[str], rows: Sequence[Sequence[Cell]], meta: ExportMeta) -> bytes:
    from openpyxl import Workbook
    head, body = _flat(columns, rows)
    wb = Workbook()
    ws = wb.create_sheet("export", 0)
    wb.remove(wb.worksheets[1])
    ws.append([meta.line()])
    ws.append([safe_cell(h) for h in head])
    for r in body:
        ws.append([safe_cell(v) for v in r])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _json_cell(v: Cell) -> Any:
    if isinstance(v, Link):
        return {"id": v.id, "name": v.text}
    if isinstance(v, list):
        return [{"id": x.id, "name": x.text} for x in v]
    return v


def to_json(columns: Sequence[str], rows: Sequence[Sequence[Cell]], meta: ExportMeta) -> bytes:
    doc = {"export": meta.what, "role": meta.role, "asOf": meta.as_of, "made": meta.made,
           "rows": [{c: _json_cell(v) for c, v in zip(columns, r)} for r in rows]}
    return json.dumps(doc, ensure_ascii=False, indent=1, default=str).encode("utf-8")


def export_table(t: Table, fmt: str, meta: ExportMeta) -> bytes:
    """One page table in ``fmt`` (csv, xlsx or json)."""
    writer = {"csv": to_csv, "xlsx": to_xlsx, "json": to_json}[fmt]
    return writer(t.columns, t.rows, meta)
