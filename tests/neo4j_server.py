"""Provide a Neo4j server for the test session, whichever way works here.

Order (docs/configuration.md): ``NEO4J_URI`` if set; else testcontainers when a
Docker engine answers; else the local launcher when Java and Maven are present;
else no server, with the reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from imvo.graph import neo4j_launcher


def _noop() -> None:
    pass


def _docker_answers() -> bool:
    docker = shutil.which("docker")
    if docker is None:
        return False
    try:
        result = subprocess.run([docker, "info"], check=False, capture_output=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return False
    return result.returncode == 0


def provide_neo4j(tmp_root: Path) -> tuple[str | None, str, Callable[[], None]]:
    """Return ``(uri or None, description or skip reason, cleanup)``.

    For testcontainers the credentials are put into ``NEO4J_USER`` and
    ``NEO4J_PASSWORD``; the local launcher runs without authentication.
    """
    uri = os.environ.get("NEO4J_URI")
    if uri:
        return uri, f"NEO4J_URI={uri}", _noop

    if _docker_answers():
        try:
            from testcontainers.community.neo4j import Neo4jContainer
        except ImportError:  # older testcontainers
            from testcontainers.neo4j import Neo4jContainer

        container = Neo4jContainer("neo4j:5.26-community", username="neo4j", password="imvo-test-password")
        container.start()
        os.environ["NEO4J_USER"] = container.username
        os.environ["NEO4J_PASSWORD"] = container.password
        uri = container.get_connection_url()
        return uri, f"testcontainers neo4j:5.26-community at {uri}", container.stop

    ok, reason = neo4j_launcher.java_and_maven_available()
    if not ok:
        return None, f"no NEO4J_URI, no Docker engine, and no local launcher: {reason}", _noop

    Path(tmp_root).mkdir(parents=True, exist_ok=True)
    instance = Path(tempfile.mkdtemp(prefix="neo4j-", dir=tmp_root))  # fresh data dir
    server = neo4j_launcher.start(instance)
    return (
        server.uri,
        f"local Neo4j {neo4j_launcher.NEO4J_VERSION} at {server.uri} (home {instance})",
        server.stop,
    )
