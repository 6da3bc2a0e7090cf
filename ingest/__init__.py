"""Readers and validators for each input format -> graph facts -> the one loader -> the store."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from imvo.graph.model import DISCLOSURES
from imvo.graph.store import GraphStore
from imvo.kernel.errors import InvalidInput
from imvo.kernel.vocab import fold

from .canonical import ingest_dir
from .loader import LoadResult, Progress, Reject

__all__ = ["FORMATS", "LoadResult", "Preview", "load_path", "resolve_buyers"]

FORMATS = ("canonical", "oshub", "brand-list")


@dataclass
class Preview:
    """What a real-world list was read as (printed by ``--dry-run``)."""

    table: str = ""                                   # e.g. "CSV, UTF-8, comma-separated"
    columns: list[tuple[str, str]] = field(default_factory=list)   # (their column, what it became)
    sample: list[dict[str, object]] = field(default_factory=list)  # a few parsed rows
    notes: list[str] = field(default_factory=list)


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(text))


class BuyerNames:
    """Company ids and stored names, compared case- and punctuation-insensitively."""

    def __init__(self, store: GraphStore) -> None:
        from imvo.queries.catalogue import COMPANY_NAMES
        self.ids: set[str] = set()
        self.by_name: dict[str, set[str]] = {}
        for r in store.read(COMPANY_NAMES):
            self.ids.add(r["id"])
            self.by_name.setdefault(_key(r["name"] or ""), set()).add(r["id"])
            self.by_name.setdefault(_key(r["id"]), set()).add(r["id"])

    def one(self, text: str) -> str | None:
        """The company a cell names; None when none; InvalidInput when two companies share the name."""
        t = text.strip()
        if t in self.ids:
            return t
        found = self.by_name.get(_key(t), set()) if _key(t) else set()
        if len(found) > 1:
            raise InvalidInput(f"{text!r} names {len(found)} companies ({', '.join(sorted(found))}): use the id")
        return next(iter(found), None)

    def cell(self, text: str) -> tuple[list[str], list[str]]:
        """(company ids, unknown names) of a buyer cell: one buyer, or several separated by ``;``,
        ``|``, line breaks or (when the pieces are all companies) commas."""
        whole = self.one(text)
        if whole:
            return [whole], []
        parts = [p for p in re.split(r"\s*[;|\n]\s*", text) if p.strip()]
        ids, unknown = [], []
        for part in parts:
            one = self.one(part)
            if one is None and "," in part:
                pieces = [p for p in part.split(",") if p.strip()]
                found = [self.one(p) for p in pieces]
                if all(found):
                    ids += [f for f in found if f]
                    continue
            if one is None:
                unknown.append(part.strip())
            else:
                ids.append(one)
        return list(dict.fromkeys(ids)), unknown


def resolve_buyers(store: GraphStore, value: str) -> str:
    """``--buyer``: a company id, or a company's stored name."""
    found = BuyerNames(store).one(value)
    if found is None:
        raise InvalidInput(f"unknown buyer {value!r}: no company with that id or name in the store "
                           f"(load it first, e.g. in a canonical companies.csv)")
    return found


def load_path(store: GraphStore, path: Path, *, format: str = "canonical", buyer: str | None = None,
              buyer_column: str | None = None, mapping: Path | None = None, reported_on: dt.date | None = None,
              disclosure: str | None = None, replace: bool = False, dry_run: bool = False,
              progress: Progress | None = None, matches: Path | None = None,
              preview: Preview | None = None) -> LoadResult:
    """Load ``path`` in the given format into ``store``.

    ``oshub`` and ``brand-list`` match their factories against the store;
    doubtful matches wait in the review queue ``matches`` (the command line passes
    ``matches.sqlite`` in the data directory).  ``dry_run``: read, validate and
    match, write nothing (``preview`` receives how the file was read).
    """
    if format not in FORMATS:
        raise InvalidInput(f"unknown format {format!r}: use canonical, oshub or brand-list")
    if disclosure is not None and disclosure not in DISCLOSURES:
        raise InvalidInput(f"--disclosure {disclosure!r}: use one of {', '.join(DISCLOSURES)}")
    if format == "canonical":
        if not path.is_dir():
            raise InvalidInput(f"{path} is not a folder: the canonical format is a folder of CSV "
                               f"files (use --format oshub or brand-list for a single file)")
        if buyer or mapping or buyer_column or replace or disclosure or dry_run:
            raise InvalidInput("--buyer, --buyer-column, --map, --disclosure, --replace and --dry-run apply to "
                               "--format brand-list and oshub; a canonical dataset says all of it in its files")
        return ingest_dir(store, path, progress)
    if not path.is_file():
        raise InvalidInput(f"{path} is not a file: --format {format} reads one CSV"
                           f"{', XLSX or XLS' if format == 'brand-list' else ''} file")
    from .review import FILE_NAME
    from .sites import Context, load_sites
    if matches is None:
        raise InvalidInput(f"--format {format} needs the match review queue file ({FILE_NAME})")
    if buyer and buyer_column:
        raise InvalidInput("give either --buyer (the company whose list this is) or --buyer-column (the column "
                           "naming each row's buyer), not both")
    if buyer is not None:
        buyer = resolve_buyers(store, buyer)
    if replace and not (buyer or buyer_column):
        raise InvalidInput("--replace needs the buyer whose complete list this is: --buyer ID or --buyer-column")
    rejects: list[Reject]
    if format == "oshub":
        if mapping or buyer_column:
            raise InvalidInput("--map and --buyer-column apply to --format brand-list only")
        from .oshub import read_oshub
        sites, rejects, latest = read_oshub(path)
        for x in sites:
            x.buyers = [buyer] if buyer else []
        ctx = Context(path.name, "oshub", reported_on or latest or dt.date.today(), buyer,
                      disclosure or "public", replace)
        if preview is not None:
            preview.table = "Open Supply Hub download (CSV)"
            preview.sample = [_sample(x) for x in sites[:5]]
    else:
        from .brandlist import open_brand_list, read_mapping
        m = read_mapping(mapping) if mapping else None
        bl = open_brand_list(path, m, buyer_column)
        cols = bl.columns
        if not buyer and "buyer" not in cols.fields:
            hint = [h for i, h in enumerate(cols.header) if "buyers" in cols.unread.get(i, "")]
            raise InvalidInput("--format brand-list needs --buyer ID (the company whose list this is) or "
                               "--buyer-column COLUMN (a compiled list naming each row's buyer)"
                               + (f"; the column {hint[0]!r} may name the buyers" if hint else ""))
        ctx = Context(path.name, "brand-list", reported_on or dt.date.today(), buyer,
                      disclosure or "confidential", replace)
        source = f"{buyer} supplier list {path.name}" if buyer else f"supplier list {path.name}"
        names = BuyerNames(store) if not buyer else None
        sites, rejects = [], []
        buyer_col = cols.header[cols.fields["buyer"][0]] if "buyer" in cols.fields else ""
        unknown_buyers: list[str] = []
        for site, problems, buyer_cells in bl.sites(source):
            if site is None:
                rejects.extend(problems)
                continue
            if buyer:
                site.buyers = [buyer]
            else:
                assert names is not None
                ids: list[str] = []
                unknown: list[str] = []
                try:
                    for text in buyer_cells:
                        i, u = names.cell(text)
                        ids += i
                        unknown += u
                except InvalidInput as exc:
                    rejects.append(Reject(path.name, site.line, buyer_col, str(exc)))
                    continue
                if unknown or not ids:
                    what = (f"unknown buyer {unknown[0]!r}: no company with that id or name in the store"
                            if unknown else "the buyer is missing")
                    rejects.append(Reject(path.name, site.line, buyer_col, what, (unknown or [""])[0][:80]))
                    unknown_buyers += unknown
                    continue
                site.buyers = list(dict.fromkeys(ids))
                site.source = f"{'; '.join(site.buyers)} supplier list {path.name}"
            rejects.extend(problems)
            sites.append(site)
        if not sites and unknown_buyers:
            raise InvalidInput(f"{path.name}: none of the buyers in the column {buyer_col!r} is a company in the "
                               f"store (e.g. {unknown_buyers[0]!r}); load them first (companies.csv) or give "
                               f"--buyer ID")
        if preview is not None:
            preview.table = bl.table.describe() + (f", header on row {bl.header_line}" if bl.header_line > 1 else "")
            preview.columns = cols.describe()
            preview.sample = [_sample(x) for x in sites[:5]]
            if bl.table.note:
                preview.notes.append(bl.table.note)
    if replace and not sites:
        raise InvalidInput(f"{path.name}: no row could be read, so it cannot replace the buyer's list "
                           f"(nothing was changed)")
    result = load_sites(store, sites, ctx, rejects, matches, progress, dry_run=dry_run)
    if format == "brand-list" and bl.table.note:
        result.notes.insert(0, bl.table.note)
    return result


def _sample(site: object) -> dict[str, object]:
    from dataclasses import asdict
    d = asdict(site)  # type: ignore[call-overload]
    return {k: v for k, v in d.items() if v not in (None, [], "") and k not in ("line", "source")}
