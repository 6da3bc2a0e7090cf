"""Readers and validators for each input format -> batches for the store."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from graph.store import GraphStore
from imvo.errors import InvalidInput

from .canonical import LoadResult, Progress, ingest_dir

__all__ = ["load_path", "LoadResult"]


def load_path(store: GraphStore, path: Path, *, format: str = "canonical", buyer: str | None = None,
              mapping: Path | None = None, reported_on: dt.date | None = None,
              progress: Progress | None = None) -> LoadResult:
    """Load ``path`` in the given format into ``store``."""
    if format == "canonical":
        if not path.is_dir():
            raise InvalidInput(f"{path} is not a folder: the canonical format is a folder of CSV "
                               f"files (use --format oshub or brand-list for a single file)")
        return ingest_dir(store, path, progress)
    raise InvalidInput(f"unknown format {format!r}: use canonical, oshub or brand-list")
