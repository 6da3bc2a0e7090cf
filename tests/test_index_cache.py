"""The leverage index kept beside an embedded store: reused when it is of the store's version and of
this code's format, rebuilt otherwise (a stale or foreign cache is never trusted)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from conftest import SAMPLE_DIR

from imvo.graph.embedded import EmbeddedStore
from imvo.ingest.canonical import ingest_dir
from imvo.queries import leverage


def _same(a: leverage.LeverageIndex, b: leverage.LeverageIndex) -> bool:
    return (a.version == b.version and a.factories == b.factories and a.companies == b.companies
            and np.array_equal(a.l_fac, b.l_fac) and np.array_equal(a.l_until, b.l_until)
            and np.array_equal(a.f_unions, b.f_unions))


def test_a_reopened_store_reads_its_index_back(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path)
    ingest_dir(store, SAMPLE_DIR)
    built = leverage.index_for(store)
    saved = list((tmp_path / "cache").glob("leverage-*.npz"))
    assert [p.name for p in saved] == [f"leverage-{store.version()}.npz"]
    again = leverage._load(tmp_path / "cache", store.version())
    assert again is not None and _same(again, built)
    assert leverage._load(tmp_path / "cache", store.version() + 1) is None     # another version: not used


def test_an_index_of_another_format_is_rebuilt(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path)
    ingest_dir(store, SAMPLE_DIR)
    built = leverage.index_for(store)
    path = tmp_path / "cache" / f"leverage-{store.version()}.npz"
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["index_format"] = np.array([leverage.INDEX_FORMAT - 1])         # saved by an older version
    np.savez(path, **arrays)
    assert leverage._load(tmp_path / "cache", store.version()) is None
    del arrays["index_format"]                                              # saved before formats existed
    np.savez(path, **arrays)
    assert leverage._load(tmp_path / "cache", store.version()) is None
    path.write_bytes(b"not an npz")                                         # damaged
    assert leverage._load(tmp_path / "cache", store.version()) is None
    fresh = leverage.index_for(EmbeddedStore(tmp_path))                     # a new process: rebuilt
    assert _same(fresh, built)
