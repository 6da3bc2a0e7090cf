"""``imvo ingest --bulk``: the canonical loader through Neo4j's offline importer, into the local Neo4j."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CONTRACT_DATASET, ROOT

from imvo.graph import neo4j_launcher
from imvo.graph.embedded import EmbeddedStore
from imvo.graph.neo4j_store import Neo4jStore, make_driver
from imvo.ingest.canonical import ingest_dir
from imvo.queries import core
from imvo.queries.access import PUBLIC, SECRETARIAT

IMVO = [sys.executable, "-m", "imvo"]


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(IMVO + args, env=env, capture_output=True, text=True, timeout=600, cwd=ROOT)


@pytest.mark.neo4j
def test_bulk_load_gives_the_transactional_answers_and_the_same_rejects(tmp_path: Path) -> None:
    ok, why = neo4j_launcher.java_and_maven_available()
    if not ok:
        pytest.skip(f"needs the local Neo4j launcher: {why}")
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMVO_", "NEO4J_"))}
    env.update({"IMVO_DATA_DIR": str(data), "NO_COLOR": "1", "COLUMNS": "200"})
    started = run(["neo4j", "start", "--port", str(neo4j_launcher._free_port()),
                   "--heap", "1g", "--pagecache", "256m"], env)
    assert started.returncode == 0, started.stderr
    uri = started.stdout.strip().splitlines()[-1]
    env.update({"IMVO_STORE": "neo4j", "NEO4J_URI": uri})
    try:
        # a dataset with one bad row: the same reject, exit 2, every other row loaded
        ds = tmp_path / "ds"
        shutil.copytree(CONTRACT_DATASET, ds)
        with open(ds / "sourcing.csv", "a", encoding="utf-8") as fh:
            fh.write("C001,F-NOPE,,,,,,,\n")
        p = run(["ingest", str(ds), "--bulk"], env)
        assert p.returncode == 2 and "unknown factory id F-NOPE" in p.stdout, p.stdout + p.stderr
        # the answers equal those of a transactional load of the same data (here: the embedded store)
        reference = EmbeddedStore(None)
        ingest_dir(reference, ds)
        store = Neo4jStore(make_driver(uri, "neo4j", ""), "neo4j", uri)
        try:
            assert store.counts() == reference.counts()
            for viewer in (SECRETARIAT, PUBLIC):
                for cov in (None, "COV-GARMENT"):
                    a = core.shared_factories(store, viewer, covenant_id=cov)
                    b = core.shared_factories(reference, viewer, covenant_id=cov)
                    assert [(s.factory.props, [x.props for x in s.buyers]) for s in a] == \
                        [(s.factory.props, [x.props for x in s.buyers]) for s in b]
            assert store.version() > 0
        finally:
            store.close()
        again = run(["ingest", str(ds), "--bulk"], env)          # the importer replaces a database: refused
        assert again.returncode == 1 and "empty database only" in again.stderr, again.stderr
        assert "Traceback" not in again.stderr
    finally:
        run(["neo4j", "stop"], env)


def test_bulk_needs_the_local_neo4j(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMVO_", "NEO4J_"))}
    env.update({"IMVO_DATA_DIR": str(tmp_path)})
    p = run(["ingest", str(CONTRACT_DATASET), "--bulk"], env)
    assert p.returncode == 1 and "--bulk loads into the local Neo4j" in p.stderr and "Traceback" not in p.stderr
