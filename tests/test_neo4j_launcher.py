"""The local Neo4j launcher starts a working server and stops it."""

from __future__ import annotations

from pathlib import Path

import pytest

from imvo.graph import neo4j_launcher


@pytest.mark.neo4j
def test_launcher_starts_answers_and_stops(tmp_path: Path) -> None:
    ok, reason = neo4j_launcher.java_and_maven_available()
    if not ok:
        pytest.skip(reason)
    from neo4j import GraphDatabase

    server = neo4j_launcher.start(tmp_path / "instance", heap="1g", pagecache="128m")
    try:
        assert neo4j_launcher.read_state(tmp_path / "instance") == server
        with GraphDatabase.driver(server.uri, auth=None) as driver:
            records, _, _ = driver.execute_query("RETURN 1 AS one")
        assert records[0]["one"] == 1
    finally:
        server.stop()
    assert not server.is_running()
    assert neo4j_launcher.read_state(tmp_path / "instance") is None
    assert not neo4j_launcher.stop_instance(tmp_path / "instance")
