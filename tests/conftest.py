"""Shared fixtures: one conformance suite, parametrised over both backends.

The Neo4j server comes from ``NEO4J_URI``, testcontainers or the local
launcher (tests/neo4j_server.py).  Without any of them the Neo4j tests are
skipped with the reason -- unless ``IMVO_REQUIRE_NEO4J=1`` (set by CI), which
turns that skip into a failure.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# apps the tests create write their audit log here, not under the user's IMVO_DATA_DIR (a test of the
# audit log gives its own IMVO_AUDIT_LOG)
os.environ.setdefault("IMVO_AUDIT_LOG", str(Path(tempfile.mkdtemp(prefix="imvo-test-audit-")) / "audit.jsonl"))
sys.path.insert(0, str(Path(__file__).resolve().parent))


from neo4j_server import provide_neo4j

from imvo.graph.embedded import EmbeddedStore
from imvo.graph.store import GraphStore

CONTRACT_DIR = ROOT.parent / "shared" / "contract"
CONTRACT_DATASET = CONTRACT_DIR / "dataset"
SAMPLE_DIR = ROOT / "samples" / "demo"
SHARED_SAMPLES = ROOT.parent / "shared" / "samples"

# which dataset the (single) Neo4j database currently holds; tests that write clear it
_neo4j_holds: dict[str, str | None] = {"dataset": None}


@pytest.fixture(scope="session")
def neo4j_driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    uri, why, cleanup = provide_neo4j(tmp_path_factory.mktemp("neo4j"))
    if uri is None:
        if os.environ.get("IMVO_REQUIRE_NEO4J") == "1":
            pytest.fail(f"Neo4j is required (IMVO_REQUIRE_NEO4J=1) but not available: {why}")
        pytest.skip(f"Neo4j tests skipped: {why}")
    from imvo.graph.neo4j_store import make_driver

    print(f"\n[neo4j] {why}", file=sys.stderr)
    os.environ["IMVO_TEST_NEO4J_URI"] = uri
    driver = make_driver(uri, os.environ.get("NEO4J_USER", "neo4j"), os.environ.get("NEO4J_PASSWORD", ""))
    try:
        yield driver
    finally:
        driver.close()
        cleanup()


def _neo4j_store(driver: object) -> GraphStore:
    from imvo.graph.neo4j_store import Neo4jStore

    return Neo4jStore(
        driver,
        os.environ.get("NEO4J_DATABASE", "neo4j"),  # type: ignore[arg-type]
        os.environ.get("IMVO_TEST_NEO4J_URI", ""),
    )


BACKENDS = [
    pytest.param("embedded", id="embedded"),
    pytest.param("neo4j", id="neo4j", marks=pytest.mark.neo4j),
]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def store(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    """An empty store of each backend."""
    if backend == "embedded":
        yield EmbeddedStore(tmp_path / "data")
        return
    driver = request.getfixturevalue("neo4j_driver")
    s = _neo4j_store(driver)
    s.clear()
    _neo4j_holds["dataset"] = None
    yield s


def _loaded(backend: str, request: pytest.FixtureRequest, folder: Path, cache: dict) -> GraphStore:
    from imvo.ingest.canonical import ingest_dir

    if backend == "embedded":
        if folder not in cache:
            tmp = request.getfixturevalue("tmp_path_factory").mktemp("loaded")
            s = EmbeddedStore(tmp)
            result = ingest_dir(s, folder)
            assert result.exit_code == 0, result.rejects[:3]
            cache[folder] = s
        return cache[folder]
    s = _neo4j_store(request.getfixturevalue("neo4j_driver"))
    if _neo4j_holds["dataset"] != str(folder):
        s.clear()
        _neo4j_holds["dataset"] = None
        result = ingest_dir(s, folder)
        assert result.exit_code == 0, result.rejects[:3]
        _neo4j_holds["dataset"] = str(folder)
    return s


_EMBEDDED_CACHE: dict[Path, GraphStore] = {}


@pytest.fixture
def contract_store(backend: str, request: pytest.FixtureRequest) -> GraphStore:
    """The shared contract dataset, loaded once per backend (read-only: do not write to it)."""
    if not CONTRACT_DATASET.is_dir():
        pytest.skip(f"the contract dataset is not at {CONTRACT_DATASET}")
    return _loaded(backend, request, CONTRACT_DATASET, _EMBEDDED_CACHE)


@pytest.fixture
def sample_store(backend: str, request: pytest.FixtureRequest) -> GraphStore:
    """The bundled sample dataset, loaded once per backend (read-only)."""
    return _loaded(backend, request, SAMPLE_DIR, _EMBEDDED_CACHE)


# ---------------------------------------------------------------------------
# a real HTTP server over a store, for API and view tests
# ---------------------------------------------------------------------------

from support.server import TOKENS, LiveServer  # noqa: F401 - the fixtures below and test modules use them


@pytest.fixture
def contract_server(contract_store: GraphStore) -> Iterator[LiveServer]:
    with LiveServer(contract_store) as server:
        yield server
