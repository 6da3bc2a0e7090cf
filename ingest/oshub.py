"""Open Supply Hub facility downloads (``--format oshub``).

The download is a CSV with the columns ``os_id, contribution_date, name,
address, country_code, country_name, lat, lng, sector, contributor (list),
number_of_workers, parent_company, processing_type_facility_type_raw,
facility_type, processing_type, product_type, is_closed`` (lists inside a cell
are separated by ``|``).  Each row becomes a :class:`ingest.sites.Site`:

* ``os_id`` is kept (and gives the factory id ``OS-<os_id>`` when it is new);
* the contributors (deduplicated) become the provenance ``source`` of every
  relationship the row yields: ``Open Supply Hub <file>; contributors: A; B``;
* ``parent_company`` (each distinct name) -> a Supplier (kind ``group``) that ``OWNS`` it;
* ``sector``, ``product_type`` -> ``sector``, ``products``; ``processing_type`` and
  ``facility_type`` -> ``processing_type``;
* ``number_of_workers``: a count -> ``workers``; a band (``1001-5000``,
  ``Less than 1000``) -> ``workers_band`` (no number invented);
* ``is_closed`` -> ``is_closed`` (closed facilities are loaded, flagged).

The file names no buyer; with ``--buyer`` every facility also gets a
``SOURCES_FROM`` link from that company (``public`` unless ``--disclosure`` says
otherwise: an Open Supply Hub download is public data).
"""
from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path

from imvo.kernel.errors import InvalidInput

from .loader import Reject
from .normalise import country_code, parse_flag, parse_workers
from .sites import Site
from .tables import read_table

__all__ = ["OS_ID", "read_oshub"]

OS_ID = re.compile(r"^[A-Z]{2}[0-9A-Z]{13}$")
_REQUIRED = ("name",)


def _list(text: str | None) -> list[str]:
    return list(dict.fromkeys(p.strip() for p in (text or "").split("|") if p.strip()))


def _float(text: str, lo: float, hi: float) -> float:
    value = float(text)
    if not lo <= value <= hi:
        raise ValueError(f"{text} is outside {lo:g}..{hi:g}")
    return value


def read_oshub(path: Path) -> tuple[list[Site], list[Reject], dt.date | None]:
    """The sites of an Open Supply Hub download, the rejects, and the latest contribution date.
    A row that cannot be read (a bad byte, a broken quote) costs only itself."""
    name = path.name
    table = read_table(path)
    sites: list[Site] = []
    rejects: list[Reject] = []
    latest: dt.date | None = None
    header: list[str] | None = None
    col: dict[str, int] = {}
    for line, cells, problem in table.rows():
        if problem is not None:
            rejects.append(Reject(name, line, "", problem))
            continue
        assert cells is not None
        if not any(c.strip() for c in cells):
            continue
        if header is None:
            header = [h.strip().lower() for h in cells]
            col = {h.replace(" (list)", ""): i for i, h in enumerate(header)}
            if "os_id" not in col or "name" not in col or not ({"country_code", "country_name"} & set(col)):
                raise InvalidInput(f"{name} is not an Open Supply Hub download: the header lacks "
                                   f"os_id, name or country_code (for another list use --format brand-list)")
            table.width = len(header)
            continue
        if len(cells) != len(header):
            rejects.append(Reject(name, line, "", f"row has {len(cells)} fields, the header has {len(header)}"))
            continue
        row = {k: cells[i].strip() for k, i in col.items()}
        site, problems, when = _site(name, line, row)
        rejects.extend(problems)
        if site is not None:
            sites.append(site)
            if when and (latest is None or when > latest):
                latest = when
    if header is None:
        raise InvalidInput(f"{name} is empty: not an Open Supply Hub download")
    return sites, rejects, latest


def _site(file: str, line: int, row: dict[str, str]) -> tuple[Site | None, list[Reject], dt.date | None]:
    problems: list[Reject] = []

    def skip(column: str, reason: str) -> None:
        problems.append(Reject(file, line, column, f"{reason}; value left out, the row was loaded",
                               row.get(column, "")[:80]))

    if not row.get("name"):
        return None, [Reject(file, line, "name", "the facility name is missing")], None
    code = country_code(row.get("country_code")) or country_code(row.get("country_name"))
    if code is None:
        shown = row.get("country_code") or row.get("country_name") or ""
        return None, [Reject(file, line, "country_code", f"{shown!r} is not a country code or name"
                              if shown else "the country is missing", shown)], None
    site = Site(line=line, name=row["name"], country=code, address=row.get("address") or None)
    os_id = row.get("os_id", "").upper()
    if os_id:
        if OS_ID.match(os_id):
            site.os_id = os_id
        else:
            skip("os_id", f"{os_id!r} is not an OS ID (two letters and 13 letters or digits)")
    for column, attr, lo, hi in (("lat", "lat", -90, 90), ("lng", "lon", -180, 180)):
        if row.get(column):
            try:
                setattr(site, attr, _float(row[column], lo, hi))
            except ValueError as exc:
                skip(column, str(exc) if "outside" in str(exc) else f"{row[column]!r} is not a number")
    try:
        site.workers, site.workers_band = parse_workers(row.get("number_of_workers"))
    except ValueError as exc:
        skip("number_of_workers", str(exc))
    try:
        site.is_closed = parse_flag(row.get("is_closed"))
    except ValueError as exc:
        skip("is_closed", str(exc))
    site.sector = _list(row.get("sector")) or None
    site.products = _list(row.get("product_type")) or None
    site.processing_type = _list("|".join((row.get("processing_type", ""),
                                           row.get("facility_type", "")))) or None
    parents = [p for p in (x.strip() for x in (row.get("parent_company") or "").split("|")) if p]
    site.owners = [p for p, _ in Counter(parents).most_common()]
    contributors = _list(row.get("contributor"))
    site.source = f"Open Supply Hub {file}" + (f"; contributors: {'; '.join(contributors)}"
                                               if contributors else "")
    when = None
    if row.get("contribution_date"):
        try:
            when = dt.date.fromisoformat(row["contribution_date"][:10])
        except ValueError:
            skip("contribution_date", f"{row['contribution_date']!r} is not a date YYYY-MM-DD")
    return site, problems, when
