"""Brand supplier lists (``--format brand-list``), as brands publish them or submit them to a secretariat.

CSV in any common encoding and separator, XLSX or legacy XLS (:mod:`ingest.tables`).
The header row is found among the first :data:`HEAD_ROWS` rows (title rows above
it are skipped) and each column is read as a *subject* and an *attribute*
(:func:`read_header`): ``Factory Name`` is the factory's name, ``supplier_address``
the supplier's address, ``Parent company`` the parent's name, ``Country`` an
attribute of the row itself.  Case, accents, punctuation, ``camelCase``,
``snake_case``, words in brackets and a few other languages (``Land``, ``Ort``,
``PLZ``, ``Adresse``, ``Usine`` ...) do not matter.

Which column is the production site (:func:`assign_columns`) -- never a guess:

* a column of a *site* subject (factory, facility, site, production unit,
  manufacturer, plant, mill ...) naming it is the site's name;
* else the one column that names an undetermined subject -- ``name``,
  ``company name``, ``supplier name`` -- or, when there are several, the one
  whose subject also gives the location (``supplier_name`` beside
  ``supplier_address``);
* a column naming a vendor, agent, parent or buyer is **never** the site;
* otherwise, or when two columns are equally the site, the file is refused
  (:class:`~imvo.kernel.errors.InvalidInput`, one line) naming the candidate
  columns and how to write a mapping file (:func:`read_mapping`).

The site's address, country and other attributes come from its own subject's
columns and the unprefixed ones (``Address``, ``City``); another subject's
columns (a vendor's address) are never the site's.  Each row becomes a
:class:`ingest.sites.Site`; an optional value that cannot be read (a worker
count such as ``approx. 300``, a latitude of 123, ``maybe`` in a yes/no column,
a spreadsheet error) is reported for its row and left out, and the row loads;
a row without a name or a readable country is rejected.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from imvo.kernel.errors import InvalidInput
from imvo.kernel.vocab import country_code, fold

from .loader import Reject
from .normalise import parse_flag, parse_workers
from .oshub import OS_ID
from .sites import Site
from .tables import EXCEL_ERRORS, Table, read_table

__all__ = ["FIELDS", "HEAD_ROWS", "Columns", "Mapping", "assign_columns", "open_brand_list", "read_brand_list",
           "read_header", "read_mapping"]

#: the header is looked for among this many first rows
HEAD_ROWS = 30
MAP_HINT = "docs/real-world-formats.md#mapping-files"

# ---------------------------------------------------------------------------
# the vocabulary of headers (folded: lower-case ASCII words)
# ---------------------------------------------------------------------------

#: subjects a header can name, by role; "supplier" and "company" are undetermined
SUBJECTS: dict[str, tuple[str, ...]] = {
    "site": ("factory", "facility", "site", "production site", "production unit", "production location",
             "production facility", "manufacturing site", "manufacturing facility", "manufacturing unit",
             "manufacturing location", "manufacturer", "plant", "mill", "workshop", "premises",
             "supplier factory", "supplier site", "factory site", "location", "workplace", "processing facility",
             "fabrik", "werk", "betrieb", "betriebsstatte", "produktionsstatte", "produktionsstandort", "usine",
             "fabrique", "site de production", "fabrica", "fabbrica", "stabilimento", "planta", "fabriek",
             "productielocatie", "productielocatie", "fabrika"),
    "vendor": ("vendor", "agent", "sourcing agent", "buying agent", "intermediary", "trading company", "trader",
               "importer", "business partner", "direct supplier", "tier 1 supplier", "tier1 supplier",
               "main supplier", "supplier vendor", "vendor supplier", "lieferant", "leverancier", "fournisseur",
               "proveedor", "fornitore"),
    "parent": ("parent", "parent company", "group", "owner", "owner company", "owning company", "holding",
               "holding company", "corporate group", "company group", "supplier group", "mother company",
               "parent group", "ultimate parent", "ultimate parent company", "group company", "konzern",
               "mutterkonzern", "muttergesellschaft", "moedermaatschappij", "groupe"),
    "buyer": ("buyer", "brand", "brands", "retailer", "customer", "client", "buying company", "sourcing company",
              "purchaser", "brands produced", "brands sourcing", "brand owner", "marke", "merk", "marque"),
    "supplier": ("supplier", "suppliers"),
    "company": ("company", "organisation", "organization", "business", "firm", "entity", "enterprise",
                "legal entity", "bedrijf", "unternehmen", "firma", "entreprise", "empresa", "azienda"),
}

#: attributes (folded phrase -> field); fields in _IGNORED are recognised but not loaded
ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "name": ("name", "names", "name english", "english name", "legal name", "full name", "trading name",
             "registered name", "name in english", "official name", "naam", "nom", "nombre", "nome", "adi"),
    "address": ("address", "addresses", "full address", "street address", "complete address", "address full",
                "physical address", "location address", "address details", "adres", "adresse", "anschrift",
                "direccion", "indirizzo", "endereco", "adresi"),
    "street": ("street", "street name", "address 1", "address line 1", "address1", "addressline1", "street 1",
               "strasse", "straat", "rue", "calle", "street and number", "street no"),
    "street2": ("address 2", "address line 2", "address2", "addressline2", "street 2", "address 3",
                "address line 3", "address3"),
    "district": ("district", "area", "sub district", "subdistrict", "neighbourhood", "neighborhood", "locality",
                 "village", "township", "county district"),
    "city": ("city", "town", "city town", "town city", "municipality", "city name", "place", "stadt", "ort",
             "plaats", "ville", "ciudad", "citta", "sehir", "city district"),
    "state": ("state", "province", "region", "state province", "province state", "county", "state region",
              "prefecture", "governorate", "provincie", "bundesland", "provincia", "state county"),
    "postcode": ("postcode", "post code", "postal code", "zip", "zip code", "zipcode", "postalcode", "plz",
                 "postleitzahl", "code postal", "codigo postal", "cap", "postcode zip", "zip postal code"),
    "country": ("country", "country name", "country code", "country iso code", "iso country code",
                "country region", "country territory", "country iso", "iso code", "country iso2", "iso2",
                "country of production", "production country", "location country", "country of manufacture",
                "country of origin", "country area", "land", "pays", "pais", "paese", "ulke", "staat",
                "country iso 2", "iso country", "country alpha 2"),
    "os_id": ("os id", "osid", "open supply hub id", "open supply hub os id", "oar id", "os hub id",
              "open apparel registry id", "oar", "open supply hub", "os hub"),
    "lat": ("lat", "latitude", "breitengrad"),
    "lon": ("lon", "lng", "long", "longitude", "langengrad"),
    "latlon": ("lat lon", "latlon", "lat long", "latlong", "lat lng", "latlng", "coordinates", "gps coordinates",
               "geo coordinates", "gps", "geolocation", "coordinates lat lon", "lat long coordinates", "geo"),
    "workers": ("number of workers", "no of workers", "nr of workers", "workers", "workforce", "total workers",
                "employees", "number of employees", "no of employees", "worker count", "total number of workers",
                "number of workers at each site", "headcount", "workers band", "worker numbers",
                "approximate number of workers", "size of workforce", "number of employees at site",
                "total employees", "total workforce", "workers number", "employee count", "number of staff",
                "beschaftigte", "mitarbeiter", "anzahl mitarbeiter", "medewerkers", "aantal medewerkers",
                "employes", "effectif", "empleados", "total number of employees", "worker count band"),
    "products": ("product type", "product types", "products", "product category", "product categories", "product",
                 "type of products", "type of product", "main products", "type of products made", "product group",
                 "products made", "merchandise", "product types made", "product groups", "warengruppe",
                 "produkte", "productgroep", "produits", "productos", "main product", "goods", "category"),
    "processing_type": ("processing type", "facility type", "production process", "process", "type of facility",
                        "processing", "production processes", "type of processing", "processing types",
                        "activity", "production type", "type of production", "production stage",
                        "manufacturing process", "type", "factory type", "site type", "processes", "activities"),
    "sector": ("sector", "sectors", "industry", "product sector", "branche"),
    "union": ("union", "trade union", "workers union", "independent trade union", "union at site",
              "trade union at site", "unions", "gewerkschaft", "vakbond", "syndicat", "sindicato"),
    "union_present": ("union present", "trade union present", "presence of trade union", "presence of a trade union",
                      "union yes no", "trade union yes no", "is there a union", "union presence",
                      "trade union presence", "unionised", "unionized"),
    "union_name": ("union name", "name of union", "trade union name", "name of trade union", "union names",
                   "name of the trade union"),
    "cba": ("cba", "collective bargaining agreement", "cba in place", "collective agreement",
            "collective bargaining agreement cba", "cba present", "collective bargaining", "cba yes no",
            "collective bargaining agreement in place", "tarifvertrag", "cao", "convention collective"),
    "union_members": ("union members", "union membership", "number of union members", "unionised workers",
                      "unionized workers", "members"),
    # recognised, never loaded (they are not the site's name, nor anything the model holds)
    "ignored": ("tier", "supplier tier", "id", "code", "number", "reference", "contact", "contact details",
                "contact person", "email", "e mail", "phone", "telephone", "tel", "website", "url", "web",
                "women percentage", "female workers", "percentage female", "female", "male workers",
                "line workers", "migrant workers", "percentage migrant workers", "engagement program",
                "engagement programme", "certification", "certifications", "audit", "audit date", "status",
                "date", "notes", "note", "comments", "comment", "remarks", "gender", "no", "nr", "serial",
                "serial number", "s no", "sl no", "sr no", "index", "row", "last updated", "updated",
                "relationship", "since", "start date", "year", "tax id", "registration number", "duns",
                "local name", "name local", "name local language", "chinese name", "name chinese"),
}
_IGNORED = "ignored"
FIELDS = ("name", "address", "street", "street2", "district", "city", "state", "postcode", "country", "os_id",
          "lat", "lon", "latlon", "parent", "vendor", "buyer", "products", "processing_type", "sector", "workers",
          "union", "union_present", "union_name", "cba", "union_members")
_SITE_FIELDS = frozenset(FIELDS) - {"parent", "vendor", "buyer"}
_LOCATION = frozenset({"address", "street", "street2", "district", "city", "state", "postcode", "country", "lat",
                       "lon", "latlon", "os_id"})
#: whole headers with a meaning of their own (folded)
EXACT: dict[str, tuple[str, str]] = {
    "full name of all authorized production units and processing facilities": ("site", "name"),
    "name of production unit": ("site", "name"),
    "parent company of the business at the site": ("parent", "name"),
    "brands produced": ("buyer", "name"),
    "brands produced for": ("buyer", "name"),
    "x": ("", "x"), "y": ("", "y"),
}
_OPTIONS = ("sheet", "header_row", "encoding", "delimiter")

_SUBJECT_OF = {p: role for role, ps in SUBJECTS.items() for p in ps}
_SUBJECT_PHRASES = sorted(_SUBJECT_OF, key=len, reverse=True)
_ATTR_OF = {p: f for f, ps in ATTRIBUTES.items() for p in ps}
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]|\{[^}]*\}|[*:#?]")
_OPTIONAL = re.compile(r"\b(optional|mandatory|required|if any|if applicable)\b")


@dataclass(frozen=True)
class Header:
    """What one header cell says: (role of its subject, the subject's words, the field)."""

    role: str | None       # site | vendor | parent | buyer | supplier | company | None (the row itself)
    subject: str
    field: str


def _fold_header(text: str) -> str:
    return _OPTIONAL.sub(" ", fold(_BRACKETS.sub(" ", _CAMEL.sub(" ", text)))).strip()


def _parse(h: str) -> Header | None:
    if not h:
        return None
    if h in EXACT:
        role, f = EXACT[h]
        return Header(role or None, "", f)
    if h in _SUBJECT_OF:
        return Header(_SUBJECT_OF[h], h, "name")
    for phrase in _SUBJECT_PHRASES:
        if h.startswith(phrase + " "):
            rest = h[len(phrase) + 1:]
            if rest in _ATTR_OF:
                return Header(_SUBJECT_OF[phrase], phrase, _ATTR_OF[rest])
        for joint in (" of the ", " of ", " "):
            if h.endswith(joint + phrase):
                rest = h[:-len(joint + phrase)]
                if rest in _ATTR_OF:
                    return Header(_SUBJECT_OF[phrase], phrase, _ATTR_OF[rest])
    if h in _ATTR_OF:
        return Header(None, "", _ATTR_OF[h])
    return None


def read_header(text: str) -> Header | None:
    """What a header cell names, or None when it is not recognised.

    >>> read_header("Factory Name")
    Header(role='site', subject='factory', field='name')
    >>> read_header("supplier_address")
    Header(role='supplier', subject='supplier', field='address')
    >>> read_header("COUNTRY"), read_header("Colour")
    (Header(role=None, subject='', field='country'), None)
    >>> read_header("Parent company")
    Header(role='parent', subject='parent company', field='name')
    >>> read_header("workerCount")
    Header(role=None, subject='', field='workers')
    """
    h = _fold_header(text)
    found = _parse(h)
    if found is None and re.search(r"[/|\n]", text):      # a bilingual header: "Factory name / Fabrieksnaam"
        for part in re.split(r"[/|\n]", text):
            found = _parse(_fold_header(part))
            if found is not None:
                break
    return found


# ---------------------------------------------------------------------------
# mapping files
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Mapping:
    """A mapping file: {field: their header}, headers to leave unread, and options."""

    columns: dict[str, str]
    ignore: tuple[str, ...] = ()
    sheet: str | None = None
    header_row: int | None = None
    encoding: str | None = None
    delimiter: str | None = None


def read_mapping(path: Path) -> Mapping:
    """Read a mapping file: lines ``field = Their header`` (or ``:``), or the same as a JSON object.

    Lines starting with ``#`` or ``;`` are comments; ``[section]`` lines are
    ignored (so an INI file works).  ``ignore = Their header`` (repeatable)
    leaves a column unread.  Options: ``sheet`` (a workbook's sheet),
    ``header_row`` (1-based row of the header), ``encoding`` (of a CSV file,
    e.g. ``cp1252``), ``delimiter`` (``,`` ``;`` ``tab`` ``|``).  Fields: see :data:`FIELDS`.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read the mapping file {path}: {getattr(exc, 'strerror', None) or exc}") \
            from None
    pairs: list[tuple[str, str]] = []
    if path.suffix.lower() == ".json" or text.lstrip().startswith("{"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"mapping file {path.name}: not valid JSON ({exc.msg}, line {exc.lineno})") \
                from None
        if not isinstance(doc, dict):
            raise InvalidInput(f"mapping file {path.name}: expected an object of field: header")
        for k, v in doc.items():
            values = v if isinstance(v, list) and k == "ignore" else [v]
            for x in values:
                if not isinstance(x, (str, int)):
                    raise InvalidInput(f"mapping file {path.name}: expected an object of field: header")
                pairs.append((str(k).strip().lower(), str(x).strip()))
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
            pairs.append((key.strip().lower(), value.strip().strip('"')))
    unknown = [k for k, _ in pairs if k not in FIELDS and k not in _OPTIONS and k != "ignore"]
    if unknown:
        raise InvalidInput(f"mapping file {path.name}: unknown field {unknown[0]!r} "
                           f"(known: {', '.join(FIELDS)}, ignore, and the options {', '.join(_OPTIONS)})")
    opts = {k: v for k, v in pairs if k in _OPTIONS}
    header_row = opts.get("header_row")
    if header_row is not None and not header_row.isdigit():
        raise InvalidInput(f"mapping file {path.name}: header_row must be a row number, not {header_row!r}")
    return Mapping({k: v for k, v in pairs if k in FIELDS}, tuple(v for k, v in pairs if k == "ignore"),
                   opts.get("sheet"), int(header_row) if header_row else None, opts.get("encoding"),
                   opts.get("delimiter"))


# ---------------------------------------------------------------------------
# which column is what
# ---------------------------------------------------------------------------

@dataclass
class Columns:
    """How the header is read: {field: [column indexes, best first]} and the columns left unread."""

    header: list[str]
    fields: dict[str, list[int]] = field(default_factory=dict)
    unread: dict[int, str] = field(default_factory=dict)       # column -> why it is not read
    site_subject: str = ""

    def first(self, name: str) -> int | None:
        cols = self.fields.get(name)
        return cols[0] if cols else None

    def describe(self) -> list[tuple[str, str]]:
        """(their column, what it becomes) for every column, in file order."""
        role = {i: f for f, cols in self.fields.items() for i in cols}
        out = []
        for i, h in enumerate(self.header):
            if not h:
                continue
            if i in role:
                f = role[i]
                out.append((h, {"name": "site name", "parent": "parent company (Supplier, OWNS)",
                                "vendor": "vendor (Supplier, BUYS_VIA / SUPPLIES_FROM)",
                                "buyer": "buyer (a company)"}.get(f, f)))
            else:
                out.append((h, f"not read ({self.unread.get(i, 'not a column we know')})"))
        return out


def _hint(file: str, line: str) -> str:
    return (f"write a mapping file with the line `{line}` and pass --map FILE (see {MAP_HINT})")


def _quote(header: list[str], cols: list[int]) -> str:
    return ", ".join(repr(header[i]) for i in cols)


def assign_columns(header: list[str], mapping: Mapping | None, file: str,
                   buyer_column: str | None = None) -> Columns:
    """Read the header (see the module notes); refuse (one line) when the site's name or country
    cannot be read without guessing."""
    out = Columns(header)
    folded = [fold(h) for h in header]
    parsed: dict[int, Header] = {}
    forced: dict[int, list[str]] = {}

    def column_of(their: str, what: str) -> int:
        try:
            return folded.index(fold(their))
        except ValueError:
            raise InvalidInput(f"{what} names the column {their!r}, but {file} has no such column "
                               f"(its header: {', '.join(h for h in header if h)})") from None

    if mapping:
        for f, their in mapping.columns.items():
            forced.setdefault(column_of(their, f"the mapping's {f}"), []).append(f)
        for their in mapping.ignore:
            out.unread[column_of(their, "the mapping's ignore")] = "the mapping says so"
    if buyer_column:
        i = column_of(buyer_column, "--buyer-column")
        forced[i] = ["buyer"]
    for i, h in enumerate(header):
        if i in forced or i in out.unread or not h:
            continue
        p = read_header(h)
        if p is None:
            continue
        if p.field == _IGNORED:
            out.unread[i] = "a column the graph does not hold"
            continue
        parsed[i] = p

    # the site's name
    site: int | None = next((i for i, fs in forced.items() if "name" in fs), None)
    subject = ""
    if site is None:
        named = [i for i, p in parsed.items() if p.field == "name" and p.role == "site"]
        if not named:
            open_ = [i for i, p in parsed.items() if p.field == "name" and p.role in (None, "supplier", "company")]
            if len(open_) > 1:
                located = [i for i in open_ if parsed[i].role is not None and any(
                    q.role == parsed[i].role and q.subject == parsed[i].subject and q.field in _LOCATION
                    for q in parsed.values())]
                if len(located) == 1:
                    open_ = located
            named = open_
        if len(named) > 1:
            english = [i for i in named if re.search(r"\b(english|en|latin)\b", header[i], re.IGNORECASE)]
            if len(english) == 1:
                for i in named:
                    if i != english[0]:
                        out.unread[i] = f"another spelling of the site's name (read from {header[english[0]]!r})"
                named = english
        if len(named) > 1:
            raise InvalidInput(f"{file}: which column is the production site's name? {_quote(header, named)} "
                               f"could each be; {_hint(file, 'name = <that column>')}")
        if not named:
            others = [i for i, p in parsed.items() if p.field == "name"]
            plain = [i for i, h in enumerate(header) if h and i not in parsed and i not in forced
                     and i not in out.unread]
            if others:
                roles = ", ".join(f"{header[i]!r} ({parsed[i].role})" for i in others)
                raise InvalidInput(f"{file}: no column names the production site: {roles} name a vendor, "
                                   f"parent or buyer, never the site; {_hint(file, 'name = <the site column>')}"
                                   + (f" (other columns: {_quote(header, plain[:6])})" if plain else ""))
            raise InvalidInput(f"{file}: no column names the production site"
                               + (f" (candidates: {_quote(header, plain[:6])})" if plain else "")
                               + f"; {_hint(file, 'name = <the site column>')}")
        site = named[0]
        subject = parsed[site].subject
        role = parsed[site].role
    else:
        role = parsed[site].role if site in parsed else "site"
        subject = parsed[site].subject if site in parsed else ""
    out.site_subject = subject
    out.fields["name"] = [site]
    for i, fs in forced.items():
        for f in fs:
            if f != "name":
                out.fields.setdefault(f, []).append(i)

    # the other columns: the site's own, the row's, and other subjects'
    def belongs(p: Header) -> bool:
        if p.role is None:
            return True
        if p.role == "site":
            return role in ("site", None) or p.subject == subject
        return p.role == role and p.subject == subject

    for i, p in sorted(parsed.items(), key=lambda ip: (ip[1].role is None, ip[0])):
        if i == site:
            continue
        f = p.field
        if f == "name":
            if p.role == "vendor" or (p.role == "supplier" and role != "supplier"):
                f = "vendor"
            elif p.role == "parent":
                f = "parent"
            elif p.role == "buyer":
                out.unread[i] = ("names buyers; for a compiled list pass --buyer-column "
                                 f"{header[i]!r}")
                continue
            else:
                out.unread[i] = f"another name column ({p.role or 'the row'}); the site is {header[site]!r}"
                continue
        elif f in ("x", "y"):
            pass
        elif not belongs(p):
            out.unread[i] = f"describes the {p.subject or p.role}, not the site"
            continue
        out.fields.setdefault(f, []).append(i)
    for i in out.fields.pop("x", []) + out.fields.pop("y", []):
        out.unread[i] = "an x / y pair is read as longitude / latitude only when both are there"
    xs = [i for i, p in parsed.items() if p.field == "x"]
    ys = [i for i, p in parsed.items() if p.field == "y"]
    if len(xs) == 1 and len(ys) == 1 and "lat" not in out.fields and "lon" not in out.fields \
            and "latlon" not in out.fields:
        out.fields["lon"], out.fields["lat"] = xs, ys
        out.unread.pop(xs[0], None)
        out.unread.pop(ys[0], None)
    for f, cols in list(out.fields.items()):
        if len(cols) > 1 and f not in ("country", "address", "products", "processing_type", "sector"):
            for i in cols[1:]:
                out.unread[i] = f"a second {f} column (read from {header[cols[0]]!r})"
            out.fields[f] = cols[:1]
    if "country" not in out.fields:
        raise InvalidInput(f"{file}: no column gives the site's country (its columns: "
                           f"{', '.join(repr(h) for h in header if h)}); "
                           f"{_hint(file, 'country = <the column that names it>')}")
    return out


def _header_score(row: list[str]) -> int:
    """How much a row looks like a header: the cells read as known columns; a row with a name column
    among them first (a row without one is a header only when no row has one: then it is refused
    naming its columns)."""
    found = [read_header(c) for c in row if c and len(c) < 120]
    known = [p for p in found if p is not None]
    if len(known) < 2:
        return 0
    return len(known) + (1000 if any(p.field == "name" for p in known) else 0)


def _find_header(rows: list[list[str]], mapping: Mapping | None) -> int | None:
    if mapping and mapping.columns.get("name"):
        want = fold(mapping.columns["name"])
        for i, row in enumerate(rows):
            if want in (fold(c) for c in row):
                return i
    best, best_n = None, 0
    for i, row in enumerate(rows):
        n = _header_score(row)
        if n > best_n:
            best, best_n = i, n
    return best


# ---------------------------------------------------------------------------
# rows -> sites
# ---------------------------------------------------------------------------

#: cell texts that mean "no value" (folded); a yes/no column reads "none" as no
MISSING = frozenset({"", "na", "n a", "nan", "null", "nil", "not available", "not applicable", "unknown", "tbc",
                     "tbd", "to be confirmed", "none given", "not known"})
_WS = re.compile(r"\s+")
_SPLIT = re.compile(r"\s*[;|,/\n]\s*")
_LATLON = re.compile(r"(-?\d+(?:\.\d+)?)\s*[,; ]\s*(-?\d+(?:\.\d+)?)")
_FLOATY = re.compile(r"^\d+\.0+$")


def clean(text: str) -> str:
    """One line, single spaces; '' for the markers lists use for "no value" (N/A, -, TBC ...)."""
    t = _WS.sub(" ", text).strip()
    if not t or t in EXCEL_ERRORS:
        return t if t in EXCEL_ERRORS else ""
    f = fold(t)
    if f in MISSING or (not f and not any(ch.isalnum() for ch in t)):
        return ""
    return t


def parse_country(text: str) -> str | None:
    """A country cell -> ISO code: the whole cell, or its bracketed or last / first part when that
    alone names a country (``Dhaka, Bangladesh``, ``Bangladesh (BD)``); None when nothing does,
    or when the parts name different countries.

    >>> parse_country("China Mainland"), parse_country("Korea (Republic of)"), parse_country("Tirupur, India")
    ('CN', 'KR', 'IN')
    """
    code = country_code(text)
    if code:
        return code
    unbracketed = re.sub(r"\([^)]*\)", " ", text)
    if unbracketed != text and (code := country_code(unbracketed)):
        return code
    parts = [p for p in re.split(r"[,;/\n]|\s-\s|\(|\)", text) if p.strip()]
    if len(parts) > 1:
        found = {c for c in (country_code(parts[-1]), country_code(parts[0])) if c}
        if len(found) == 1:
            return found.pop()
    return None


def _address(v: dict[str, str]) -> str | None:
    parts = [v.get("address", "")]
    for f in ("street", "street2", "district", "city", "state", "postcode"):
        part = v.get(f, "")
        if part and fold(part) not in fold(" ".join(parts)):
            parts.append(part)
    text = ", ".join(p for p in parts if p)
    return text or None


class _Row:
    """The cells of one row by field, and the problems found while reading them."""

    def __init__(self, file: str, line: int, cells: list[str], cols: Columns) -> None:
        self.file, self.line, self.cols = file, line, cols
        self.cells = cells
        self.problems: list[Reject] = []

    def raw(self, f: str) -> list[tuple[int, str]]:
        return [(i, self.cells[i] if i < len(self.cells) else "") for i in self.cols.fields.get(f, ())]

    def get(self, f: str) -> str:
        """The field's first non-blank value ('' when none; a spreadsheet error is reported)."""
        for i, text in self.raw(f):
            t = clean(text)
            if t in EXCEL_ERRORS:
                self.skip(f, f"the cell holds the spreadsheet error {t}", i)
                continue
            if t:
                return t
        return ""

    def column(self, f: str, i: int | None = None) -> str:
        if i is None:
            i = self.cols.first(f)
        return self.cols.header[i] if i is not None else f

    def skip(self, f: str, reason: str, i: int | None = None) -> None:
        value = self.cells[i] if i is not None and i < len(self.cells) else ""
        if i is None:
            value = self.get_quiet(f)
        self.problems.append(Reject(self.file, self.line, self.column(f, i),
                                    f"{reason}; value left out, the row was loaded", value[:80]))

    def get_quiet(self, f: str) -> str:
        return next((clean(t) for _, t in self.raw(f) if clean(t)), "")

    def reject(self, f: str, reason: str, value: str = "") -> None:
        self.problems.append(Reject(self.file, self.line, self.column(f), reason, value[:80]))


def _site(row: _Row, source: str) -> Site | None:
    name = row.get("name")
    if not name or name in EXCEL_ERRORS:
        row.problems = [p for p in row.problems if p.column != row.column("name")]
        row.reject("name", "the site's name is missing")
        return None
    found: list[tuple[str, str | None]] = []
    for _, text in row.raw("country"):
        t = clean(text)
        if t and t not in EXCEL_ERRORS:
            found.append((t, parse_country(t)))
    codes = {c for _, c in found if c}
    if len(codes) > 1:
        row.reject("country", f"the country columns disagree ({', '.join(t for t, _ in found)})")
        return None
    if not codes:
        bad = found[0][0] if found else ""
        row.reject("country", f"{bad!r} is not a country name or ISO code we know" if bad
                   else "the country is missing", bad)
        return None
    country = codes.pop()
    addr: dict[str, str] = {}
    for f in ("address", "street", "street2", "district", "city", "state", "postcode"):
        values = [clean(t) for _, t in row.raw(f)]
        values = [v for v in values if v and v not in EXCEL_ERRORS]
        if f == "postcode":
            values = [v[:v.index(".")] if _FLOATY.match(v) else v for v in values]
        if values:
            addr[f] = ", ".join(dict.fromkeys(values))
    site = Site(line=row.line, name=name, country=country, address=_address(addr), source=source)
    if text := row.get("os_id"):
        os_id = text.strip().upper()
        if OS_ID.match(os_id):
            site.os_id = os_id
        else:
            row.skip("os_id", f"{text!r} is not an OS ID (two letters and 13 letters or digits)")
    _coordinates(row, site)
    if text := row.get("workers"):
        try:
            site.workers, site.workers_band = parse_workers(text[:-2] if _FLOATY.match(text) else text)
        except ValueError as exc:
            row.skip("workers", str(exc))
    for f in ("products", "processing_type", "sector"):
        items: list[str] = []
        for _, text in row.raw(f):
            t = clean(text)
            if t and t not in EXCEL_ERRORS:
                items += [p for p in _SPLIT.split(t) if p]
        if items:
            setattr(site, f, list(dict.fromkeys(items)))
    if parent := row.get("parent"):
        site.owners = [parent]
    if vendor := row.get("vendor"):
        site.vendor = vendor
    _union(row, site)
    return site


def _coordinates(row: _Row, site: Site) -> None:
    lat = lon = None
    if text := row.get("latlon"):
        m = _LATLON.search(text)
        if m:
            lat, lon = m.group(1), m.group(2)
        else:
            row.skip("latlon", f"{text!r} is not a latitude and longitude")
    lat = row.get("lat") or lat
    lon = row.get("lon") or lon
    for f, value, lo, hi in (("lat", lat, -90, 90), ("lon", lon, -180, 180)):
        if not value:
            continue
        try:
            x = float(value.replace(",", "."))
            if not lo <= x <= hi:
                raise ValueError
            setattr(site, f, x)
        except ValueError:
            row.skip(f if f in row.cols.fields else "latlon",
                     f"{value!r} is not a {'latitude' if f == 'lat' else 'longitude'}")
    if site.lat == 0 and site.lon == 0:          # "0, 0" is the placeholder of a missing location
        site.lat = site.lon = None


def _union(row: _Row, site: Site) -> None:
    """Union columns: a presence column says yes/no; a union column holds yes/no or the union's
    name; a union-name column the name; then the CBA (valid without a workplace union: sector-level
    agreements) and the number of members."""
    for f in ("union_present", "union", "union_name"):
        raw = row.get(f)
        if not raw:
            continue
        try:
            flag = parse_flag(raw)
        except ValueError as exc:
            if f == "union_present":
                row.skip(f, str(exc))
            else:
                site.union, site.union_present = raw, True      # the column names the union
            continue
        if flag is not None:
            site.union_present = flag if site.union_present is None else site.union_present or flag
    if text := row.get("cba"):
        try:
            site.has_cba = parse_flag(text)
        except ValueError as exc:
            row.skip("cba", str(exc))
    if text := row.get("union_members"):
        try:
            site.union_members, _ = parse_workers(text)
        except ValueError as exc:
            row.skip("union_members", str(exc))


# ---------------------------------------------------------------------------

@dataclass
class BrandList:
    """An opened brand list: the table, how its header is read, and its rows (read on demand)."""

    table: Table
    columns: Columns
    header_line: int
    file: str
    body: Iterator[tuple[int, list[str] | None, str | None]]

    def sites(self, source: str) -> Iterator[tuple[Site | None, list[Reject], list[str]]]:
        """(site or None, problems, buyer cell texts) per data row."""
        cols = self.columns
        for line, cells, problem in self.body:
            if problem is not None:
                yield None, [Reject(self.file, line, "", problem)], []
                continue
            assert cells is not None
            if not any(c.strip() for c in cells):
                continue
            if cells == cols.header:
                continue                   # the header repeated (lists pasted together)
            row = _Row(self.file, line, cells, cols)
            site = _site(row, source)
            buyers = [clean(t) for _, t in row.raw("buyer")]
            yield site, row.problems, [b for b in buyers if b]


def open_brand_list(path: Path, mapping: Mapping | None = None, buyer_column: str | None = None) -> BrandList:
    """Open a brand list: find its header, read its columns (or refuse, one line)."""
    file = path.name
    m = mapping

    def pick(head: list[list[str]]) -> bool:
        return _find_header(head, m) is not None

    table = read_table(path, sheet=m.sheet if m else None, encoding=m.encoding if m else None,
                       delimiter=m.delimiter if m else None, pick=pick)
    rows = table.rows()
    head: list[tuple[int, list[str]]] = []
    early: list[tuple[int, list[str] | None, str | None]] = []
    for line, cells, problem in rows:
        if problem is not None:
            early.append((line, None, problem))
        else:
            assert cells is not None
            head.append((line, [clean(c) if len(c) < 500 else c for c in cells]))
        if len(head) >= HEAD_ROWS:
            break
    if m and m.header_row:
        at = next((i for i, (n, _) in enumerate(head) if n == m.header_row), None)
        if at is None:
            raise InvalidInput(f"{file}: header_row {m.header_row} is beyond the first {HEAD_ROWS} rows")
    else:
        at = _find_header([cells for _, cells in head], m)
    if at is None:
        if not head:
            raise InvalidInput(f"{file} is empty: no header row (a site name and a country column) to read")
        raise InvalidInput(f"{file}: no header row naming the production site (a name column and others such "
                           f"as address or country) in the first {HEAD_ROWS} rows; "
                           f"{_hint(file, 'name = <the site column>')} (and header_row = N if needed)")
    header_line, header = head[at]
    columns = assign_columns(header, m, file, buyer_column)
    table.width = len(header)
    raw_rest = [(n, c, None) for n, c in head[at + 1:]]

    def body() -> Iterator[tuple[int, list[str] | None, str | None]]:
        yield from (e for e in early if e[0] > header_line)
        yield from raw_rest
        yield from rows

    return BrandList(table, columns, header_line, file, body())


def read_brand_list(path: Path, buyer: str, mapping: Mapping | None = None) -> tuple[list[Site], list[Reject]]:
    """The sites of a brand supplier list (one buyer) and the rejects."""
    bl = open_brand_list(path, mapping)
    sites: list[Site] = []
    rejects: list[Reject] = []
    for site, problems, _ in bl.sites(f"{buyer} supplier list {path.name}"):
        rejects.extend(problems)
        if site is not None:
            sites.append(site)
    return sites, rejects


def mapping_template(columns: Columns) -> str:
    """A mapping file that says what the reader understood (a start for one's own)."""
    lines = ["# how the columns were read; edit and pass with --map FILE"]
    for f, cols in columns.fields.items():
        for i in cols:
            lines.append(f"{f} = {columns.header[i]}")
    return "\n".join(lines) + "\n"

