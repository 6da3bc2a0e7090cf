"""Run Neo4j Community locally without Docker.

The server is assembled once from Maven Central (``org.neo4j:neo4j`` and its
runtime dependencies, copied into ``lib/`` by Maven) into a cache outside the
repository, then started as a plain ``java`` process listening on 127.0.0.1.
Every instance gets its own home directory (conf, data, logs, run, ...), so
instances never share a store; only the jars are shared.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from neo4j import GraphDatabase
from neo4j.exceptions import DriverError, Neo4jError

NEO4J_VERSION: str = "5.26.30"

_DEPENDENCY_PLUGIN = "3.8.1"
_MAIN_CLASS = "org.neo4j.server.CommunityEntryPoint"
_STATE_FILE = "imvo-neo4j.json"
_CONSOLE_LOG = "console.log"
_COMPLETE_MARKER = ".complete"
JAVA_OPTS = _JAVA_OPTS = (
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "-Dlog4j2.disable.jmx=true",
)
_POM = """<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>imvo.local</groupId>
  <artifactId>neo4j-distribution</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.neo4j</groupId>
      <artifactId>neo4j</artifactId>
      <version>{version}</version>
    </dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-dependency-plugin</artifactId>
        <version>{plugin}</version>
      </plugin>
    </plugins>
  </build>
</project>
"""

# Bolt's default netty shutdown quiet period makes every stop take ~10 s.  Transaction timeouts (the
# API's request deadline, docs/security.md) are enforced by a monitor that looks every 2 s by default;
# every 200 ms, a query past its deadline is stopped that much sooner.
_CONF = """\
server.default_listen_address=127.0.0.1
server.default_advertised_address=127.0.0.1
server.bolt.listen_address=127.0.0.1:{port}
server.http.enabled=false
server.https.enabled=false
dbms.security.auth_enabled=false
dbms.usage_report.enabled=false
server.memory.pagecache.size={pagecache}
internal.dbms.bolt.netty_server_shutdown_quiet_period=0
db.transaction.monitor.check.interval=200ms
"""

Progress = Callable[[str], None]


class Neo4jLauncherError(Exception):
    """The local Neo4j could not be assembled or started (one-line message)."""


def default_cache_dir() -> Path:
    """``$IMVO_NEO4J_CACHE`` if set, else ``~/.cache/imvo/neo4j-<version>``."""
    env = os.environ.get("IMVO_NEO4J_CACHE")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "imvo" / f"neo4j-{NEO4J_VERSION}"


def _is_complete(cache_dir: Path) -> bool:
    return (cache_dir / _COMPLETE_MARKER).is_file() and (
        cache_dir / "lib" / f"neo4j-{NEO4J_VERSION}.jar"
    ).is_file()


def _java_major() -> int | None:
    java = shutil.which("java")
    if java is None:
        return None
    try:
        out = subprocess.run(
            [java, "-version"], check=False, capture_output=True, text=True, timeout=30
        ).stderr
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r'version "(?:1\.)?(\d+)', out)
    return int(match.group(1)) if match else None


def java_and_maven_available(cache_dir: Path | None = None) -> tuple[bool, str]:
    """Tell whether the local launcher can run here, and why not when it cannot.

    Java 17+ is always needed; Maven only while the distribution is not cached.
    """
    major = _java_major()
    if major is None:
        return False, "Java not found (install a JDK 17 or 21 and put `java` on PATH)"
    if major < 17:
        return False, f"Java {major} found, but Neo4j {NEO4J_VERSION} needs Java 17 or 21"
    if not _is_complete(cache_dir or default_cache_dir()) and shutil.which("mvn") is None:
        return False, "Maven not found (install Maven and put `mvn` on PATH)"
    return True, ""


def ensure_distribution(cache_dir: Path | None = None, progress: Progress | None = None) -> Path:
    """Return the cache dir holding Neo4j's ``lib/``, assembling it first if needed.

    Assembly runs Maven in a temporary sibling directory that is renamed into
    place only when complete, so an interrupted download leaves no half cache.
    """
    cache_dir = (cache_dir or default_cache_dir()).expanduser().resolve()
    if _is_complete(cache_dir):
        return cache_dir
    mvn = shutil.which("mvn")
    if mvn is None:
        raise Neo4jLauncherError("Maven not found: it is needed once to download Neo4j")
    if progress:
        progress(f"Downloading Neo4j {NEO4J_VERSION} from Maven Central into {cache_dir} ...")
    cache_dir.parent.mkdir(parents=True, exist_ok=True)
    for stale in cache_dir.parent.glob(f".{cache_dir.name}.partial-*"):  # killed earlier runs
        if time.time() - stale.stat().st_mtime > 3600:
            shutil.rmtree(stale, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{cache_dir.name}.partial-", dir=cache_dir.parent))
    try:
        tmp.chmod(0o755)
        pom = tmp / "pom.xml"
        pom.write_text(_POM.format(version=NEO4J_VERSION, plugin=_DEPENDENCY_PLUGIN))
        cmd = [
            mvn,
            "-q",
            "-B",
            "-U",
            "-Dstyle.color=never",
            "-f",
            str(pom),
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={tmp / 'lib'}",
        ]
        result = subprocess.run(cmd, check=False, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            output = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)
            lines = output.strip().splitlines()
            detail = next((x for x in lines if "ERROR" in x), lines[0] if lines else "")
            raise Neo4jLauncherError(
                f"Downloading Neo4j {NEO4J_VERSION} failed (mvn exit {result.returncode}): {detail}"
            )
        (tmp / _COMPLETE_MARKER).write_text(NEO4J_VERSION + "\n")
        if not _is_complete(tmp):
            raise Neo4jLauncherError(f"Downloading Neo4j {NEO4J_VERSION} produced no server jar")
        if cache_dir.exists() and not _is_complete(cache_dir):
            shutil.rmtree(cache_dir)
        try:
            tmp.rename(cache_dir)
        except OSError:
            if not _is_complete(cache_dir):  # not just a concurrent assembly winning
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if progress:
        progress(f"Neo4j {NEO4J_VERSION} cached in {cache_dir}")
    return cache_dir


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pid_alive(pid: int, home: Path | None = None) -> bool:
    """True if ``pid`` runs (and, when /proc tells, is the Neo4j of ``home``)."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False  # our child, just reaped
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    cmdline = Path(f"/proc/{pid}/cmdline")
    if home is not None and cmdline.exists():
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            return False
        return f"--home-dir={home}".encode() in args
    return True


def _log_tail(home: Path, n: int = 6) -> str:
    """The last ``n`` console log lines, stack frames left out, on one line."""
    try:
        lines = (home / "logs" / _CONSOLE_LOG).read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    kept = [x.strip() for x in lines if x.strip() and not re.match(r"\s+(at |\.\.\. )", x)]
    return " | ".join(kept[-n:]) or "(empty log)"


@dataclass
class LocalNeo4j:
    """A Neo4j server started by this module, listening on 127.0.0.1."""

    home: Path
    port: int
    pid: int
    heap: str = "2g"
    pagecache: str = "512m"
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False, compare=False)

    @property
    def uri(self) -> str:
        """Bolt URI of the server."""
        return f"bolt://127.0.0.1:{self.port}"

    def is_running(self) -> bool:
        """True while the server process is alive."""
        if self._proc is not None:
            return self._proc.poll() is None
        return _pid_alive(self.pid, self.home)

    def stop(self, timeout: float = 30) -> None:
        """Stop the server: SIGTERM, wait up to ``timeout`` s, then SIGKILL."""
        if self.is_running():
            os.kill(self.pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while self.is_running() and time.monotonic() < deadline:
                time.sleep(0.2)
            if self.is_running():
                os.kill(self.pid, signal.SIGKILL)
                while self.is_running():
                    time.sleep(0.1)
        (self.home / _STATE_FILE).unlink(missing_ok=True)


def _write_conf(home: Path, port: int, pagecache: str) -> None:
    (home / "conf").mkdir(parents=True, exist_ok=True)
    (home / "conf" / "neo4j.conf").write_text(_CONF.format(port=port, pagecache=pagecache))


def _bolt_ready(uri: str) -> bool:
    try:
        with GraphDatabase.driver(uri, auth=None) as driver:
            driver.verify_connectivity()
        return True
    except (DriverError, Neo4jError, OSError):
        return False


def start(
    instance_dir: Path,
    port: int | None = None,
    heap: str = "2g",
    pagecache: str = "512m",
    wait_s: float = 180,
    progress: Progress | None = None,
) -> LocalNeo4j:
    """Start Neo4j with home ``instance_dir`` and wait until Bolt answers.

    Assembles the cached distribution first if needed, picks a free port when
    ``port`` is None, and records pid/port/uri in ``instance_dir/imvo-neo4j.json``.
    """
    home = Path(instance_dir).expanduser().resolve()
    if read_state(home) is not None:
        raise Neo4jLauncherError(f"A Neo4j is already running in {home}")
    major = _java_major()
    if major is None or major < 17:
        raise Neo4jLauncherError(java_and_maven_available()[1] or "Java 17+ not found")
    lib = ensure_distribution(progress=progress) / "lib"
    port = port or _free_port()
    _write_conf(home, port, pagecache)
    (home / "logs").mkdir(parents=True, exist_ok=True)
    cmd = [
        "java",
        f"-Xmx{heap}",
        *_JAVA_OPTS,
        "-cp",
        f"{lib}/*",
        _MAIN_CLASS,
        f"--home-dir={home}",
        f"--config-dir={home / 'conf'}",
        "--console-mode",
    ]
    if progress:
        progress(f"Starting Neo4j {NEO4J_VERSION} on 127.0.0.1:{port} (home {home}) ...")
    with (home / "logs" / _CONSOLE_LOG).open("wb") as out:
        proc = subprocess.Popen(
            cmd,
            cwd=home,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = LocalNeo4j(home=home, port=port, pid=proc.pid, heap=heap, pagecache=pagecache, _proc=proc)
    try:
        _wait_until_ready(server, proc, wait_s)
    except BaseException:
        server.stop(timeout=10)
        raise
    state = {"pid": server.pid, "port": port, "uri": server.uri, "heap": heap, "pagecache": pagecache}
    (home / _STATE_FILE).write_text(json.dumps(state, indent=2) + "\n")
    if progress:
        progress(f"Neo4j ready at {server.uri}")
    return server


def _wait_until_ready(server: LocalNeo4j, proc: subprocess.Popen[bytes], wait_s: float) -> None:
    """Return once the log says "Started." and Bolt answers; raise if it dies or times out."""
    console = server.home / "logs" / _CONSOLE_LOG
    deadline = time.monotonic() + wait_s
    started = False
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise Neo4jLauncherError(
                f"Neo4j exited with code {proc.returncode} during start: {_log_tail(server.home)}"
            )
        started = started or "Started." in console.read_text(errors="replace")
        if started and _bolt_ready(server.uri):
            return
        time.sleep(0.5)
    raise Neo4jLauncherError(f"Neo4j did not start within {wait_s:g} s: {_log_tail(server.home)}")


def read_state(instance_dir: Path) -> LocalNeo4j | None:
    """The server recorded in ``instance_dir``, or None if absent or not running."""
    home = Path(instance_dir).expanduser().resolve()
    try:
        state = json.loads((home / _STATE_FILE).read_text())
        server = LocalNeo4j(home=home, port=int(state["port"]), pid=int(state["pid"]),
                            heap=str(state.get("heap", "2g")), pagecache=str(state.get("pagecache", "512m")))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return server if server.is_running() else None


def stop_instance(instance_dir: Path) -> bool:
    """Stop the server recorded in ``instance_dir``; False if none was running."""
    server = read_state(instance_dir)
    if server is None:
        return False
    server.stop()
    return True
