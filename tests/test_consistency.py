"""Readers never see half a write: in one process (a writer thread) and across processes
(another process replacing the embedded store file).

Every write session below adds as many factories as sourcing links, factories first in
batches of ten; a reader that saw a write half done would count more factories than links.
"""
from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

from imvo.graph.embedded import EmbeddedStore
from imvo.graph.store import GraphView, NodeRow, ReadQuery, RelRow, Writer

SESSIONS = 8
PER_SESSION = 60


def _counts(view: GraphView) -> list[dict[str, Any]]:
    return [{"factories": sum(1 for _ in view.nodes("Factory")),
             "links": sum(1 for _ in view.edges("SOURCES_FROM"))}]


COUNTS = ReadQuery("counts", "MATCH (f:Factory) RETURN count(f) AS factories", _counts)


def write_session(w: Writer, n: int) -> None:
    w.batch_size = 10
    ids = [f"F{n}-{i}" for i in range(PER_SESSION)]
    w.merge_nodes("Factory", [NodeRow(i, {"name": i, "country": "BD"}) for i in ids])
    time.sleep(0.01)
    w.merge_rels("SOURCES_FROM", "Company", "Factory", [RelRow("C1", i, {"since": None}) for i in ids])


def _seed(store: EmbeddedStore) -> None:
    with store.writer() as w:
        w.merge_nodes("Company", [NodeRow("C1", {"name": "C1", "country": "NL", "kind": "brand"})])


def _read_until(store: EmbeddedStore, done: threading.Event | Any) -> list[tuple[int, int]]:
    seen = []
    while not done():
        row = store.read(COUNTS)[0]
        seen.append((row["factories"], row["links"]))
    row = store.read(COUNTS)[0]
    seen.append((row["factories"], row["links"]))
    return seen


def test_readers_in_the_writers_process_see_whole_sessions(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path)
    _seed(store)

    def writes() -> None:
        for n in range(SESSIONS):
            with store.writer() as w:
                write_session(w, n)

    t = threading.Thread(target=writes)
    t.start()
    seen = _read_until(store, lambda: not t.is_alive())
    t.join()
    assert all(f == links and f % PER_SESSION == 0 for f, links in seen), sorted(set(seen))
    assert seen[-1] == (SESSIONS * PER_SESSION, SESSIONS * PER_SESSION)


WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    sys.path.insert(0, {tests!r})
    from imvo.graph.embedded import EmbeddedStore
    from test_consistency import SESSIONS, write_session
    store = EmbeddedStore(Path({data!r}))
    for n in range(SESSIONS):
        with store.writer() as w:
            write_session(w, n)
""")


def test_readers_in_another_process_see_whole_sessions(tmp_path: Path) -> None:
    reader = EmbeddedStore(tmp_path)
    _seed(reader)
    proc = subprocess.Popen([sys.executable, "-c", WRITER.format(tests=str(Path(__file__).parent),
                                                                 data=str(tmp_path))])
    seen = _read_until(reader, lambda: proc.poll() is not None)
    assert proc.wait(60) == 0
    assert all(f == links and f % PER_SESSION == 0 for f, links in seen), sorted(set(seen))
    assert seen[-1] == (SESSIONS * PER_SESSION, SESSIONS * PER_SESSION)
    assert len(set(seen)) > 1          # the reader did see the other process's writes as they came
