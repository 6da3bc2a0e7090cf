"""The match review queue: possible factory matches waiting for a person, and the decisions.

One SQLite file (``matches.sqlite`` in the data directory).  A *pair* is an
incoming factory (known by its site key: country, normalised name and address)
and an existing factory it may be.  While a pair is pending, the rows that
describe the incoming factory are *held* here, not loaded; a decision loads
them (``accept``: into the existing factory; ``reject``: as a new factory) and
is remembered, so the same list uploaded again asks nothing again.
"""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

from imvo.kernel.errors import InvalidInput

__all__ = ["FILE_NAME", "Pair", "ReviewQueue"]

FILE_NAME = "matches.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pairs (
    id INTEGER PRIMARY KEY,
    site_key TEXT NOT NULL,
    candidate_id TEXT NOT NULL,
    score REAL NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'rejected')),
    country TEXT, name TEXT, address TEXT,
    candidate_name TEXT, candidate_address TEXT,
    source TEXT, created_on TEXT, decided_on TEXT,
    UNIQUE (site_key, candidate_id)
);
CREATE TABLE IF NOT EXISTS held (
    pair_id INTEGER NOT NULL REFERENCES pairs(id),
    origin TEXT NOT NULL,
    line INTEGER NOT NULL,
    payload TEXT NOT NULL,
    PRIMARY KEY (pair_id, origin, line)
);
"""


@dataclass(frozen=True)
class Pair:
    id: int
    site_key: str
    candidate_id: str
    score: float
    status: str
    country: str
    name: str
    address: str | None
    candidate_name: str | None
    candidate_address: str | None
    source: str | None
    created_on: str | None
    decided_on: str | None


class ReviewQueue:
    """The queue in ``path`` (created on first use)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise InvalidInput(f"cannot open the match review queue {self.path}: {exc}") from None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- matching side -----------------------------------------------------------
    def decisions(self, site_keys: set[str]) -> dict[tuple[str, str], str]:
        """{(site key, candidate id): status} for the pairs of these site keys."""
        out: dict[tuple[str, str], str] = {}
        keys = sorted(site_keys)
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            rows = self._db.execute(
                f"SELECT site_key, candidate_id, status FROM pairs WHERE site_key IN "
                f"({','.join('?' * len(chunk))})", chunk)
            out.update({(k, c): s for k, c, s in rows})
        return out

    def hold(self, *, site_key: str, candidate_id: str, score: float, country: str, name: str,
             address: str | None, candidate_name: str | None, candidate_address: str | None,
             source: str, origin: str, line: int, payload: dict[str, Any]) -> int:
        """Queue the pair (once) and hold the row; returns the pair id."""
        today = dt.date.today().isoformat()
        self._db.execute(
            "INSERT INTO pairs (site_key, candidate_id, score, country, name, address, candidate_name, "
            "candidate_address, source, created_on) VALUES (?,?,?,?,?,?,?,?,?,?) "
            "ON CONFLICT (site_key, candidate_id) DO UPDATE SET score = excluded.score, "
            "name = excluded.name, address = excluded.address, source = excluded.source",
            (site_key, candidate_id, score, country, name, address, candidate_name, candidate_address,
             source, today))
        pair_id = self._db.execute("SELECT id FROM pairs WHERE site_key = ? AND candidate_id = ?",
                                   (site_key, candidate_id)).fetchone()[0]
        self._db.execute("INSERT OR REPLACE INTO held (pair_id, origin, line, payload) VALUES (?,?,?,?)",
                         (pair_id, origin, line, json.dumps(payload, default=_json_default)))
        return int(pair_id)

    def release_origin(self, origin: str) -> None:
        """Forget the rows an earlier upload of ``origin`` left waiting (a new upload replaces them)."""
        self._db.execute("DELETE FROM held WHERE origin = ?", (origin,))

    # -- review side -------------------------------------------------------------
    def pairs(self, status: str | None = "pending", above: float | None = None) -> list[Pair]:
        """Pairs with this status (all when None), best score first."""
        sql = "SELECT * FROM pairs WHERE 1=1"
        args: list[Any] = []
        if status:
            sql += " AND status = ?"
            args.append(status)
        if above is not None:
            sql += " AND score >= ?"
            args.append(above)
        sql += " ORDER BY score DESC, id"
        cur = self._db.execute(sql, args)
        cols = [d[0] for d in cur.description]
        return [Pair(**dict(zip(cols, row))) for row in cur]

    def get(self, pair_id: int) -> Pair:
        cur = self._db.execute("SELECT * FROM pairs WHERE id = ?", (pair_id,))
        row = cur.fetchone()
        if row is None:
            raise InvalidInput(f"no match pair {pair_id} (see `imvo matches list --all`)")
        return Pair(**dict(zip([d[0] for d in cur.description], row)))

    def held(self, pair_id: int) -> list[dict[str, Any]]:
        """The rows waiting on this pair, oldest line first."""
        rows = self._db.execute("SELECT payload FROM held WHERE pair_id = ? ORDER BY origin, line",
                                (pair_id,))
        return [json.loads(r[0]) for r in rows]

    def held_count(self, pair_id: int) -> int:
        return int(self._db.execute("SELECT count(*) FROM held WHERE pair_id = ?", (pair_id,)).fetchone()[0])

    def decide(self, pair_id: int, status: str) -> None:
        """Record the decision and drop the held rows (the caller has loaded them)."""
        self._db.execute("UPDATE pairs SET status = ?, decided_on = ? WHERE id = ?",
                         (status, dt.date.today().isoformat(), pair_id))
        self._db.execute("DELETE FROM held WHERE pair_id = ?", (pair_id,))


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in the review queue")
