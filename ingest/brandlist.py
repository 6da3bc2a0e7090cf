"""Brand supplier lists (``--format brand-list --buyer ID [--map FILE]``), CSV or XLSX.

Brands publish their production sites in many layouts (Open Data Standard for
the Apparel Sector, Transparency Pledge, their own).  The header row is found
among the first 20 rows (title lines above it are skipped) and its columns are
recognised by :data:`HEADERS` (case, accents and punctuation ignored; words in
brackets and a leading ``Factory``/``Facility``/``Site`` ignored too).  Any other
layout is described by a mapping file (:func:`read_mapping`).

Each row becomes a :class:`ingest.sites.Site`; a value that cannot be mapped
(an unknown country, a worker count that is no number) is reported for its
row, never guessed: without a name or a known country the row is rejected,
otherwise the bad value is left out and the rest of the row loaded.
"""
from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imvo.kernel.errors import InvalidInput

from .canonical import Reject
from .normalise import country_code, fold, parse_flag, parse_workers
from .oshub import OS_ID
from .sites import Site

__all__ = ["FIELDS", "HEADERS", "Mapping", "read_brand_list", "read_mapping"]

#: recognised header spellings per field (compared after :func:`ingest.normalise.fold`)
HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("factory name", "facility name", "name", "factory", "facility", "site name",
             "production site", "production site name", "production unit", "production unit name",
             "manufacturer", "manufacturer name", "name of factory", "name of facility",
             "name of production unit", "supplier factory name", "factory name english",
             "facility name english", "production location", "location name",
             "full name of all authorized production units and processing facilities"),
    "address": ("address", "factory address", "facility address", "full address", "site address",
                "site addresses", "street address", "location address", "production unit address",
                "address of factory", "complete address", "address full"),
    "street": ("street", "street name", "address 1", "address line 1", "address1", "addressline1"),
    "street2": ("address 2", "address line 2", "address2", "addressline2"),
    "district": ("district", "area", "sub district", "subdistrict"),
    "city": ("city", "town", "city town", "town city", "municipality", "city name"),
    "state": ("state", "province", "region", "state province", "province state", "county",
              "state region"),
    "postcode": ("postcode", "post code", "postal code", "zip", "zip code", "zipcode", "postalcode"),
    "country": ("country", "country name", "country code", "country iso code", "iso country code",
                "country region", "country of production", "production country", "location country",
                "country territory", "country iso", "iso code", "country iso2", "factory country"),
    "os_id": ("os id", "osid", "open supply hub id", "open supply hub os id", "oar id", "os hub id",
              "open apparel registry id", "oar"),
    "lat": ("lat", "latitude"),
    "lon": ("lon", "lng", "long", "longitude"),
    "parent": ("parent company", "parent company name", "parent", "group", "owner", "supplier group",
               "holding company", "parent company of the business at the site", "owner company",
               "company group", "group name", "parent group", "corporate group"),
    "vendor": ("vendor", "vendor name", "supplier", "supplier name", "agent", "agent name",
               "intermediary", "tier 1 supplier", "direct supplier", "business partner",
               "supplier vendor", "vendor supplier", "trading company"),
    "products": ("product type", "product types", "products", "product category",
                 "product categories", "product", "type of products", "type of product",
                 "main products", "type of products made", "product group", "products made",
                 "merchandise", "product types made"),
    "processing_type": ("processing type", "facility type", "production process", "process",
                        "type of facility", "processing", "production processes", "type of processing",
                        "processing types", "activity", "production type", "type of production",
                        "production stage", "manufacturing process"),
    "sector": ("sector", "sectors", "industry", "product sector"),
    "workers": ("number of workers", "no of workers", "nr of workers", "workers", "workforce",
                "total workers", "employees", "number of employees", "no of employees", "worker count",
                "total number of workers", "number of workers at each site", "headcount",
                "workers band", "worker numbers", "approximate number of workers", "size of workforce",
                "number of employees at site", "total employees", "total workforce"),
    "union": ("union", "trade union", "workers union", "independent trade union", "union at site",
              "trade union at site", "unions"),
    "union_present": ("union present", "trade union present", "presence of trade union",
                      "presence of a trade union", "union yes no", "trade union yes no",
                      "is there a union", "union presence"),
    "union_name": ("union name", "name of union", "trade union name", "name of trade union",
                   "union names"),
    "cba": ("cba", "collective bargaining agreement", "cba in place", "collective agreement",
            "collective bargaining agreement cba", "cba present", "collective bargaining",
            "cba yes no", "collective bargaining agreement in place"),
    "union_members": ("union members", "union membership", "number of union members",
                      "unionised workers", "unionized workers"),
}
FIELDS = tuple(HEADERS)
_OPTIONS = ("sheet", "header_row")
_PREFIX = re.compile(r"^(?:factory|facility|site|production site|production unit|manufacturer)\s+")
_LOOKUP = {fold(h): f for f, hs in HEADERS.items() for h in hs}
_SPLIT = re.compile(r"\s*[;|,]\s*")


@dataclass(frozen=True)
class Mapping:
    """A mapping file: {field: their header} plus options (sheet, header_row)."""

    columns: dict[str, str]
    sheet: str | None = None
    header_row: int | None = None


def read_mapping(path: Path) -> Mapping:
    """Read a mapping file: JSON (``{"name": "Their header", ...}``) or lines ``field = Their header``.

    Lines starting with ``#`` or ``;`` are comments; ``[section]`` lines are
    ignored (so an INI file works).  Options: ``sheet`` (XLSX sheet name) and
    ``header_row`` (1-based row of the header).  Fields: see :data:`FIELDS`.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read the mapping file {path}: {getattr(exc, 'strerror', None) or exc}") \
            from None
    pairs: dict[str, str] = {}
    if path.suffix.lower() == ".json" or text.lstrip().startswith("{"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"mapping file {path.name}: not valid JSON ({exc.msg}, line {exc.lineno})") \
                from None
        if not isinstance(doc, dict) or not all(isinstance(v, (str, int)) for v in doc.values()):
            raise InvalidInput(f"mapping file {path.name}: expected an object of field: header")
        pairs = {str(k).strip(): str(v).strip() for k, v in doc.items()}
    else:
        for n, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line[0] in "#;[":
                continue
            key, sep, value = line.partition("=")
            if not sep:
                key, sep, value = line.partition(":")
            if not sep or not key.strip() or not value.strip():
                raise InvalidInput(f"mapping file {path.name}, line {n}: expected `field = their header`")
            pairs[key.strip().lower()] = value.strip().strip('"')
    unknown = [k for k in pairs if k not in FIELDS and k not in _OPTIONS]
    if unknown:
        raise InvalidInput(f"mapping file {path.name}: unknown field {unknown[0]!r} "
                           f"(known: {', '.join(FIELDS)}, and the options sheet, header_row)")
    header_row = pairs.pop("header_row", None)
    if header_row is not None and not header_row.isdigit():
        raise InvalidInput(f"mapping file {path.name}: header_row must be a row number, not {header_row!r}")
    sheet = pairs.pop("sheet", None)
    return Mapping(pairs, sheet, int(header_row) if header_row else None)


# ---------------------------------------------------------------------------
# reading the table
# ---------------------------------------------------------------------------

def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    return str(value).strip()


def _rows(path: Path, sheet: str | None) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) of a CSV or XLSX file."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        yield from _xlsx_rows(path, sheet)
        return
    if suffix == ".xls":
        raise InvalidInput(f"{path.name} is an old Excel file (.xls): save it as .xlsx or CSV")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
    if data[:2] == b"PK":
        raise InvalidInput(f"{path.name} looks like an Excel workbook: give it the .xlsx extension")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")     # lists saved by Excel on Windows
    try:
        dialect: Any = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        for cells in reader:
            yield reader.line_num, [c.strip() for c in cells]
    except csv.Error as exc:
        raise InvalidInput(f"{path.name}, line {reader.line_num}: malformed CSV ({exc})") from None


def _xlsx_rows(path: Path, sheet: str | None) -> Iterator[tuple[int, list[str]]]:
    import zipfile

    from openpyxl import load_workbook
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise InvalidInput(f"cannot read {path.name} as an Excel workbook: {exc}") from None
    try:
        if sheet is not None:
            if sheet not in wb.sheetnames:
                raise InvalidInput(f"{path.name} has no sheet {sheet!r} (it has {', '.join(wb.sheetnames)})")
            ws = wb[sheet]
        else:
            ws = _sheet_with_header(wb)
        for n, row in enumerate(ws.iter_rows(values_only=True), 1):
            yield n, [_cell(v) for v in row]
    finally:
        wb.close()


def _sheet_with_header(wb: Any) -> Any:
    """The first sheet whose first 20 rows hold a recognisable header (else the first sheet)."""
    for ws in wb.worksheets:
        rows = [[_cell(v) for v in r] for r in ws.iter_rows(max_row=20, values_only=True)]
        if _find_header(rows, None) is not None:
            return ws
    return wb.worksheets[0]


def _field_of(header: str) -> str | None:
    h = fold(re.sub(r"\([^)]*\)|\[[^\]]*\]|\*", " ", header))
    return _LOOKUP.get(h) or _LOOKUP.get(_PREFIX.sub("", h)) or _LOOKUP.get(fold(header))


def _find_header(rows: list[list[str]], mapping: Mapping | None) -> int | None:
    """Index of the header row among ``rows``: the one naming the most known fields, with a name
    and a country column (the mapping's headers count as known)."""
    mapped = {fold(h) for h in mapping.columns.values()} if mapping else set()
    best, best_n = None, 0
    for i, row in enumerate(rows):
        fields = {_field_of(c) for c in row if c} - {None}
        folded = {fold(c) for c in row if c}
        n = len(fields) + len(mapped & folded)
        has_name = "name" in fields or "vendor" in fields or (mapping and "name" in mapping.columns
                                                             and fold(mapping.columns["name"]) in folded)
        has_country = "country" in fields or (mapping and "country" in mapping.columns
                                              and fold(mapping.columns["country"]) in folded)
        if has_name and has_country and n > best_n:
            best, best_n = i, n
    return best


def _columns(header: list[str], mapping: Mapping | None, file: str) -> dict[str, int]:
    """{field: column index}: the mapping first, then recognised headers (first one wins)."""
    cols: dict[str, int] = {}
    folded = [fold(h) for h in header]
    if mapping:
        for f, their in mapping.columns.items():
            try:
                cols[f] = folded.index(fold(their))
            except ValueError:
                raise InvalidInput(f"the mapping names column {their!r} for {f}, but {file} has no such "
                                   f"column (its header: {', '.join(h for h in header if h)})") from None
    taken = set(cols.values())
    for i, h in enumerate(header):
        known = _field_of(h) if h else None
        if known and known not in cols and i not in taken:
            cols[known] = i
    if "name" not in cols and "vendor" in cols:      # a list naming only "Supplier": its sites
        cols["name"] = cols.pop("vendor")
    return cols


# ---------------------------------------------------------------------------
# rows -> sites
# ---------------------------------------------------------------------------

def read_brand_list(path: Path, buyer: str, mapping: Mapping | None = None) -> tuple[list[Site], list[Reject]]:
    """The sites of a brand supplier list (CSV or XLSX) and the rejects."""
    file = path.name
    rows = _rows(path, mapping.sheet if mapping else None)
    head: list[tuple[int, list[str]]] = []
    for item in rows:
        head.append(item)
        if len(head) >= 20:
            break
    if mapping and mapping.header_row:
        at = next((i for i, (n, _) in enumerate(head) if n == mapping.header_row), None)
        if at is None:
            raise InvalidInput(f"{file}: header_row {mapping.header_row} is beyond the first 20 rows")
    else:
        at = _find_header([cells for _, cells in head], mapping)
    if at is None:
        raise InvalidInput(f"{file}: no header row with a factory name and a country column in the first "
                           f"20 rows; describe the layout with --map FILE (see docs/real-world-formats.md)")
    header = head[at][1]
    cols = _columns(header, mapping, file)
    source = f"{buyer} supplier list {file}"
    sites: list[Site] = []
    rejects: list[Reject] = []

    def body() -> Iterator[tuple[int, list[str]]]:
        yield from head[at + 1:]
        yield from rows

    for line, cells in body():
        if not any(cells):
            continue
        values = {f: (cells[i] if i < len(cells) else "") for f, i in cols.items()}
        site, problems = _site(file, line, values, header, cols, source)
        rejects.extend(problems)
        if site is not None:
            sites.append(site)
    return sites, rejects


def _address(v: dict[str, str]) -> str | None:
    parts = [v.get("address", "")]
    for f in ("street", "street2", "district", "city", "state", "postcode"):
        part = v.get(f, "")
        if part and fold(part) not in fold(" ".join(parts)):
            parts.append(part)
    text = ", ".join(p for p in parts if p)
    return text or None


def _site(file: str, line: int, v: dict[str, str], header: list[str], cols: dict[str, int],
          source: str) -> tuple[Site | None, list[Reject]]:
    def col(field: str) -> str:
        return header[cols[field]] if field in cols else field

    problems: list[Reject] = []

    def skip(field: str, reason: str) -> None:
        problems.append(Reject(file, line, col(field), f"{reason}; value left out, the row was loaded",
                               v.get(field, "")[:80]))

    if not v.get("name"):
        return None, [Reject(file, line, col("name"), "the factory name is missing")]
    if not v.get("country"):
        return None, [Reject(file, line, col("country"), "the country is missing")]
    code = country_code(v["country"])
    if code is None:
        return None, [Reject(file, line, col("country"), f"{v['country']!r} is not a country name or "
                                                         f"ISO code we know", v["country"][:80])]
    site = Site(line=line, name=v["name"], country=code, address=_address(v), source=source)
    if v.get("os_id"):
        os_id = v["os_id"].strip().upper()
        if OS_ID.match(os_id):
            site.os_id = os_id
        else:
            skip("os_id", f"{v['os_id']!r} is not an OS ID (two letters and 13 letters or digits)")
    for field, lo, hi in (("lat", -90, 90), ("lon", -180, 180)):
        if v.get(field):
            try:
                x = float(v[field].replace(",", "."))
                if not lo <= x <= hi:
                    raise ValueError
                setattr(site, field, x)
            except ValueError:
                skip(field, f"{v[field]!r} is not a {'latitude' if field == 'lat' else 'longitude'}")
    try:
        site.workers, site.workers_band = parse_workers(v.get("workers"))
    except ValueError as exc:
        skip("workers", str(exc))
    for field, attr in (("products", "products"), ("processing_type", "processing_type"),
                        ("sector", "sector")):
        if v.get(field):
            setattr(site, attr, list(dict.fromkeys(p for p in _SPLIT.split(v[field]) if p)) or None)
    if v.get("parent"):
        site.owners = [v["parent"]]
    if v.get("vendor"):
        site.vendor = v["vendor"]
    _union(v, site, skip)
    return site, problems


def _union(v: dict[str, str], site: Site, skip: Any) -> None:
    """Union columns: a presence column says yes/no; a union column holds yes/no or the union's
    name; a union-name column the name; then the CBA and the number of members."""
    for field in ("union_present", "union", "union_name"):
        raw = v.get(field, "")
        if not raw:
            continue
        try:
            flag = parse_flag(raw)
        except ValueError as exc:
            if field == "union_present":
                skip(field, str(exc))
            else:
                site.union, site.union_present = raw, True      # the column names the union
            continue
        if flag is not None:
            site.union_present = flag if site.union_present is None else site.union_present or flag
    if v.get("cba"):
        try:
            site.has_cba = parse_flag(v["cba"])
        except ValueError as exc:
            skip("cba", str(exc))
    if v.get("union_members"):
        try:
            site.union_members, _ = parse_workers(v["union_members"])
        except ValueError as exc:
            skip("union_members", str(exc))
    if site.union_present is False and site.union is None and site.has_cba:
        skip("cba", "a collective agreement is given but the union column says no union")
        site.has_cba = None
