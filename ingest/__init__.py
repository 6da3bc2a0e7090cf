"""Readers and validators for each input format -> batches for the store."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from imvo.graph.store import GraphStore
from imvo.kernel.errors import InvalidInput

from .canonical import LoadResult, Progress, ingest_dir

__all__ = ["FORMATS", "LoadResult", "load_path"]

FORMATS = ("canonical", "oshub", "brand-list")


def load_path(store: GraphStore, path: Path, *, format: str = "canonical", buyer: str | None = None,
              mapping: Path | None = None, reported_on: dt.date | None = None,
              progress: Progress | None = None, matches: Path | None = None) -> LoadResult:
    """Load ``path`` in the given format into ``store``.

    ``oshub`` and ``brand-list`` match their factories against the store;
    doubtful matches wait in the review queue ``matches`` (the command line passes
    ``matches.sqlite`` in the data directory).
    """
    if format == "canonical":
        if not path.is_dir():
            raise InvalidInput(f"{path} is not a folder: the canonical format is a folder of CSV "
                               f"files (use --format oshub or brand-list for a single file)")
        if buyer or mapping:
            raise InvalidInput("--buyer and --map apply to --format brand-list (and --buyer to oshub)")
        return ingest_dir(store, path, progress)
    if format not in FORMATS:
        raise InvalidInput(f"unknown format {format!r}: use canonical, oshub or brand-list")
    if not path.is_file():
        raise InvalidInput(f"{path} is not a file: --format {format} reads one CSV"
                           f"{' or XLSX' if format == 'brand-list' else ''} file")
    from .review import FILE_NAME
    from .sites import Context, load_sites
    if matches is None:
        raise InvalidInput(f"--format {format} needs the match review queue file ({FILE_NAME})")
    if buyer is not None:
        buyer = buyer.strip()
        if not store.labels_of([buyer], ("Company",)):
            raise InvalidInput(f"unknown buyer {buyer!r}: no company with that id in the store "
                               f"(load it first, e.g. in a canonical companies.csv)")
    if format == "oshub":
        if mapping:
            raise InvalidInput("--map applies to --format brand-list only")
        from .oshub import read_oshub
        sites, rejects, latest = read_oshub(path)
        ctx = Context(path.name, "oshub", reported_on or latest or dt.date.today(), buyer)
    else:
        if not buyer:
            raise InvalidInput("--format brand-list needs --buyer ID: the company whose list this is")
        from .brandlist import read_brand_list, read_mapping
        m = read_mapping(mapping) if mapping else None
        sites, rejects = read_brand_list(path, buyer, m)
        ctx = Context(path.name, "brand-list", reported_on or dt.date.today(), buyer)
    return load_sites(store, sites, ctx, rejects, matches, progress)
