"""Shared fixtures: one conformance suite, parametrised over both backends.

The Neo4j server comes from ``NEO4J_URI``, testcontainers or the local
launcher (tests/neo4j_server.py).  Without any of them the Neo4j tests are
skipped with the reason -- unless ``IMVO_REQUIRE_NEO4J=1`` (set by CI), which
turns that skip into a failure.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from neo4j_server import provide_neo4j  # noqa: E402

from graph.embedded import EmbeddedStore  # noqa: E402
from graph.store import GraphStore  # noqa: E402

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
    from graph.neo4j_store import make_driver

    print(f"\n[neo4j] {why}", file=sys.stderr)
    os.environ["IMVO_TEST_NEO4J_URI"] = uri
    driver = make_driver(uri, os.environ.get("NEO4J_USER", "neo4j"), os.environ.get("NEO4J_PASSWORD", ""))
    try:
        yield driver
    finally:
        driver.close()
        cleanup()


def _neo4j_store(driver: object) -> GraphStore:
    from graph.neo4j_store import Neo4jStore

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
    from ingest.canonical import ingest_dir

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

TOKENS = "sekret=secretariat,co27=company:C027,co29=company:C029"


class LiveServer:
    """uvicorn serving ``create_app`` in a background thread on a free loopback port."""

    def __init__(self, store: GraphStore, tokens: str = TOKENS) -> None:
        import socket
        import threading

        import uvicorn

        from api.app import create_app
        from imvo.settings import Settings

        settings = Settings(IMVO_API_TOKENS=tokens)  # type: ignore[call-arg]
        self.app = create_app(settings, store)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port,
                                                    log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        import time
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    def graphql(self, query: str, token: str | None = None, variables: dict | None = None) -> dict:
        import httpx
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        r = httpx.post(self.url + "/graphql", json={"query": query, "variables": variables or {}},
                       headers=headers, timeout=60)
        assert r.status_code < 500, r.text
        return r.json()


@pytest.fixture
def contract_server(contract_store: GraphStore) -> Iterator[LiveServer]:
    with LiveServer(contract_store) as server:
        yield server
