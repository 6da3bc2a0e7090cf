"""Accountability: which confidential links a request's answer contained, and the audit log.

The query layer reports every non-public supply-chain link it hands out
(:func:`link`) to the collector of the request in progress -- a context
variable, so it follows the request into tasks and worker threads -- and the
edge (the API, the command line) writes one record per request to the audit
log (:class:`AuditLog`: JSON lines, rotated by size, written by a background
thread so a request never waits for the disk).  Outside a collection
:func:`link` does nothing.  Work that reads links only to count or check
them, without handing them on, runs inside :func:`quiet`.

>>> with collect() as c:
...     link("SOURCES_FROM", "C1", "confidential", factory="F9")
...     link("SOURCES_FROM", "C2", "public", factory="F9")       # public: not recorded
...     with quiet():
...         link("SOURCES_FROM", "C3", "covenant", factory="F9")  # read, not handed on
>>> c.records()
[{'rel': 'SOURCES_FROM', 'buyer': 'C1', 'factory': 'F9', 'disclosure': 'confidential'}]
"""
from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import json
import logging
import logging.handlers
import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["AUDITED_RELS", "AuditLog", "Collector", "active", "collect", "current", "link", "quiet"]

#: the relationships whose disclosure governs who sees them (a sourcing link and the facts it creates)
AUDITED_RELS = ("SOURCES_FROM", "BUYS_VIA", "SUPPLIES_FROM")

_Key = tuple[str, str, str, str, str]      # rel, buyer, supplier, factory, disclosure


class Collector:
    """The confidential and ``covenant`` links handed out during one request."""

    def __init__(self) -> None:
        self._links: set[_Key] = set()
        self._lock = threading.Lock()

    def add(self, key: _Key) -> None:
        with self._lock:
            self._links.add(key)

    def __len__(self) -> int:
        return len(self._links)

    def records(self) -> list[dict[str, str]]:
        """The links as JSON-ready dicts, sorted (``supplier``/``factory`` only where they apply)."""
        with self._lock:
            keys = sorted(self._links)
        out = []
        for rel, buyer, supplier, factory, disclosure in keys:
            rec = {"rel": rel, "buyer": buyer}
            if supplier:
                rec["supplier"] = supplier
            if factory:
                rec["factory"] = factory
            rec["disclosure"] = disclosure
            out.append(rec)
        return out


_collector: contextvars.ContextVar[Collector | None] = contextvars.ContextVar("imvo_audit", default=None)
_quiet: contextvars.ContextVar[bool] = contextvars.ContextVar("imvo_audit_quiet", default=False)


def current() -> Collector | None:
    return _collector.get()


def active() -> bool:
    """Whether links handed out now are recorded (a collection is open and not :func:`quiet`)."""
    return _collector.get() is not None and not _quiet.get()


@contextlib.contextmanager
def collect() -> Iterator[Collector]:
    """Collect the links handed out inside the block (one request)."""
    c = Collector()
    token = _collector.set(c)
    try:
        yield c
    finally:
        _collector.reset(token)


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Links read inside the block are not handed out (counting, checking): do not record them."""
    token = _quiet.set(True)
    try:
        yield
    finally:
        _quiet.reset(token)


def link(rel: str, buyer: str | None, disclosure: str | None, *, factory: str | None = None,
         supplier: str | None = None) -> None:
    """Record that the answer contains this link (public ones and links without a buyer are not recorded)."""
    c = _collector.get()
    if c is None or buyer is None or _quiet.get():
        return
    level = disclosure or "confidential"
    if level == "public":
        return
    c.add((rel, buyer, supplier or "", factory or "", level))


class AuditLog:
    """Append-only JSON-lines audit file, rotated at ``max_bytes`` keeping ``backups`` old files.

    Records are queued and written by a background thread
    (:class:`logging.handlers.QueueListener`); :meth:`close` writes what is
    queued.  Several processes must not share one file (rotation is not
    coordinated between processes): give each its own ``IMVO_AUDIT_LOG``.
    """

    def __init__(self, path: Path, max_bytes: int = 10 * 2**20, backups: int = 10) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = logging.handlers.RotatingFileHandler(self.path, maxBytes=max_bytes, backupCount=backups,
                                                          encoding="utf-8", delay=True)
        self._file.setFormatter(logging.Formatter("%(message)s"))
        self._queue: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
        self._listener = logging.handlers.QueueListener(self._queue, self._file)
        self._listener.start()
        self._closed = False

    def write(self, record: dict[str, Any]) -> None:
        """Queue one record (``time`` is added, UTC, when missing)."""
        if self._closed:
            return
        rec = {"time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"), **record}
        line = json.dumps(rec, ensure_ascii=False, separators=(",", ":"), default=str)
        self._queue.put(logging.LogRecord("imvo.audit", logging.INFO, __file__, 0, line, None, None))

    def flush(self) -> None:
        """Wait until every queued record is in the file."""
        if self._closed:
            return
        self._listener.stop()
        self._file.flush()
        self._listener.start()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._listener.stop()
        self._file.close()
