"""The match memory: the review queue, the decisions, and which input rows make up each factory.

One SQLite file (``matches.sqlite`` in the data directory) with

* **pairs** -- an incoming site (known by its *site key*: country, normalised
  name and address) and a node it may be, with the evidence (both names and
  addresses, the score's parts, the other candidates).  A pair is ``pending``,
  ``accepted`` (the site *is* that node: a placement remembered for every later
  upload) or ``rejected`` (never that node again).  Decisions also come from
  corrections: a split remembers ``rejected`` for the old factory and
  ``accepted`` for the new one, a merge ``accepted`` for the node kept
  (``via`` says which).  ``kind`` is ``factory`` or ``supplier``.
* **held** -- while a pair is pending, the rows that describe the incoming
  site wait here, not loaded.
* **sites** -- the registry: every site an adapter loaded, the factory it
  went to, how it was matched (OS ID, its own id, a score, a decision), the
  row itself and the graph facts it contributed (*claims*), so that a decision
  can be undone and a factory split back into the sites it was made of.
* **log** -- what was decided or corrected, when.

Nothing here touches the graph; :mod:`ingest.sites` and :mod:`ingest.matches`
keep the two in step (graph first, then this file: a crash in between is
repaired by loading the same file again).
"""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

from imvo.kernel.errors import InvalidInput

__all__ = ["FILE_NAME", "Pair", "RegisteredSite", "ReviewQueue"]

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
CREATE TABLE IF NOT EXISTS sites (
    id INTEGER PRIMARY KEY,
    site_key TEXT NOT NULL,
    factory_id TEXT NOT NULL,
    origin TEXT NOT NULL,
    line INTEGER NOT NULL,
    buyer TEXT,
    country TEXT, name TEXT, address TEXT,
    how TEXT, pair_id INTEGER, created INTEGER NOT NULL DEFAULT 0,
    loaded_on TEXT, payload TEXT NOT NULL, props TEXT,
    UNIQUE (origin, line)
);
CREATE INDEX IF NOT EXISTS sites_factory ON sites (factory_id);
CREATE INDEX IF NOT EXISTS sites_key ON sites (site_key);
CREATE INDEX IF NOT EXISTS sites_pair ON sites (pair_id);
CREATE TABLE IF NOT EXISTS claims (
    site_id INTEGER NOT NULL,
    ident TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS claims_ident ON claims (ident);
CREATE INDEX IF NOT EXISTS claims_site ON claims (site_id);
CREATE TABLE IF NOT EXISTS log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);
"""
#: columns added since the first version of the file (added in place to an older file)
_ADDED = (("pairs", "evidence", "TEXT"), ("pairs", "kind", "TEXT NOT NULL DEFAULT 'factory'"),
          ("pairs", "via", "TEXT NOT NULL DEFAULT 'review'"), ("pairs", "buyer", "TEXT"),
          ("pairs", "origin", "TEXT"), ("pairs", "decided_seq", "INTEGER"))
_SEQ = "(SELECT coalesce(max(decided_seq), 0) + 1 FROM pairs)"


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
    evidence: dict[str, Any] | None = None
    kind: str = "factory"
    via: str = "review"
    buyer: str | None = None
    origin: str | None = None


@dataclass(frozen=True)
class RegisteredSite:
    """One input row as it was loaded."""

    id: int
    site_key: str
    factory_id: str
    origin: str
    line: int
    buyer: str | None
    country: str
    name: str
    address: str | None
    how: str
    pair_id: int | None
    created: bool
    loaded_on: str
    payload: dict[str, Any]
    props: dict[str, Any]


def ident(type_: str, source: str, start: str, target: str, end: str, key: str = "") -> str:
    """The text that names one relationship in the claims table."""
    return "\x1f".join((type_, source, start, target, end, key))


def node_ident(label: str, id_: str) -> str:
    return "\x1f".join(("node", label, id_))


def split_ident(text: str) -> tuple[str, ...]:
    return tuple(text.split("\x1f"))


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in the review queue")


def _dumps(value: Any) -> str:
    return json.dumps(value, default=_json_default, ensure_ascii=False, separators=(",", ":"))


class ReviewQueue:
    """The match memory in ``path`` (created on first use).  ``readonly``: for a dry run -- an
    absent file reads as empty and nothing is ever written."""

    def __init__(self, path: Path, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        try:
            if readonly and not self.path.exists():
                self._db = sqlite3.connect(":memory:", isolation_level=None)
            elif readonly:
                self._db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30,
                                           isolation_level=None)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            if not readonly or not self.path.exists():
                self._db.executescript(_SCHEMA)
                have = {(t, r[1]) for t in ("pairs",) for r in self._db.execute(f"PRAGMA table_info({t})")}
                for table, column, decl in _ADDED:
                    if (table, column) not in have:
                        self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")
        except (OSError, sqlite3.Error) as exc:
            raise InvalidInput(f"cannot open the match review queue {self.path}: {exc}") from None
        self._columns = [r[1] for r in self._db.execute("PRAGMA table_info(pairs)")]

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self.readonly:
            yield
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _write(self, sql: str, args: Sequence[Any] = ()) -> sqlite3.Cursor:
        if self.readonly:
            raise RuntimeError("a read-only match memory was asked to write")
        return self._db.execute(sql, args)

    # -- decisions ---------------------------------------------------------------
    def decisions(self, site_keys: Iterable[str], kind: str = "factory") -> dict[tuple[str, str], str]:
        """{(site key, candidate id): status} for the pairs of these site keys."""
        return {(k, c): s for k, c, s, _ in self._decided(site_keys, kind)}

    def placements(self, site_keys: Iterable[str], kind: str = "factory") -> dict[str, list[tuple[str, int]]]:
        """{site key: [(node id, pair id), ...]}: the accepted decisions, latest first."""
        out: dict[str, list[tuple[str, int]]] = {}
        for k, c, s, pid in self._decided(site_keys, kind):
            if s == "accepted":
                out.setdefault(k, []).append((c, pid))
        return out

    def _decided(self, site_keys: Iterable[str], kind: str) -> list[tuple[str, str, str, int]]:
        keys = sorted(set(site_keys))
        out: list[tuple[str, str, str, int]] = []
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            out += self._db.execute(
                f"SELECT site_key, candidate_id, status, id FROM pairs WHERE kind = ? AND site_key IN "
                f"({','.join('?' * len(chunk))}) ORDER BY coalesce(decided_seq, 0) DESC, id DESC", [kind, *chunk])
        return out

    def remember(self, *, site_key: str, candidate_id: str, status: str, via: str, kind: str = "factory",
                 name: str = "", country: str = "", address: str | None = None, score: float = 0.0,
                 candidate_name: str | None = None, candidate_address: str | None = None) -> int:
        """Record a decision taken outside the review (a split, a merge): (site, node) -> status."""
        today = dt.date.today().isoformat()
        self._write(
            "INSERT INTO pairs (site_key, candidate_id, score, status, country, name, address, candidate_name, "
            f"candidate_address, created_on, decided_on, kind, via, decided_seq) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,"
            f"{_SEQ}) ON CONFLICT (site_key, candidate_id) DO UPDATE SET status = excluded.status, "
            f"decided_on = excluded.decided_on, via = excluded.via, decided_seq = excluded.decided_seq",
            (site_key, candidate_id, score, status, country, name, address, candidate_name, candidate_address,
             today, today, kind, via))
        return int(self._db.execute("SELECT id FROM pairs WHERE site_key = ? AND candidate_id = ?",
                                    (site_key, candidate_id)).fetchone()[0])

    def hold(self, *, site_key: str, candidate_id: str, score: float, country: str, name: str,
             address: str | None, candidate_name: str | None, candidate_address: str | None,
             source: str, origin: str, line: int, payload: dict[str, Any],
             evidence: dict[str, Any] | None = None, buyer: str | None = None) -> int:
        """Queue the pair (once) and hold the row; returns the pair id."""
        today = dt.date.today().isoformat()
        self._write(
            "INSERT INTO pairs (site_key, candidate_id, score, country, name, address, candidate_name, "
            "candidate_address, source, created_on, evidence, buyer, origin) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) "
            "ON CONFLICT (site_key, candidate_id) DO UPDATE SET score = excluded.score, "
            "name = excluded.name, address = excluded.address, source = excluded.source, "
            "evidence = excluded.evidence, candidate_name = excluded.candidate_name, "
            "candidate_address = excluded.candidate_address, buyer = excluded.buyer, origin = excluded.origin",
            (site_key, candidate_id, score, country, name, address, candidate_name, candidate_address,
             source, today, _dumps(evidence) if evidence is not None else None, buyer, origin))
        pair_id = self._db.execute("SELECT id FROM pairs WHERE site_key = ? AND candidate_id = ?",
                                   (site_key, candidate_id)).fetchone()[0]
        self._write("INSERT OR REPLACE INTO held (pair_id, origin, line, payload) VALUES (?,?,?,?)",
                    (pair_id, origin, line, _dumps(payload)))
        return int(pair_id)

    def release_origin(self, origin: str) -> None:
        """Forget the rows an earlier upload of ``origin`` left waiting (a new upload replaces them)."""
        self._write("DELETE FROM held WHERE origin = ?", (origin,))

    # -- review side -------------------------------------------------------------
    def _pair(self, row: Sequence[Any], cols: Sequence[str]) -> Pair:
        d = dict(zip(cols, row))
        if isinstance(d.get("evidence"), str):
            d["evidence"] = json.loads(d["evidence"])
        return Pair(**{k: v for k, v in d.items() if k in Pair.__dataclass_fields__})

    def pairs(self, status: str | None = "pending", above: float | None = None, kind: str | None = None,
              via: str | None = "review") -> list[Pair]:
        """Pairs with this status (all when None), best score first."""
        sql = "SELECT * FROM pairs WHERE 1=1"
        args: list[Any] = []
        for column, value in (("status", status), ("kind", kind), ("via", via)):
            if value:
                sql += f" AND {column} = ?"
                args.append(value)
        if above is not None:
            sql += " AND score >= ?"
            args.append(above)
        sql += " ORDER BY score DESC, id"
        cur = self._db.execute(sql, args)
        cols = [d[0] for d in cur.description]
        return [self._pair(row, cols) for row in cur]

    def get(self, pair_id: int) -> Pair:
        cur = self._db.execute("SELECT * FROM pairs WHERE id = ?", (pair_id,))
        row = cur.fetchone()
        if row is None:
            raise InvalidInput(f"no match pair {pair_id} (see `imvo matches list --all`)")
        return self._pair(row, [d[0] for d in cur.description])

    def held(self, pair_id: int) -> list[dict[str, Any]]:
        """The rows waiting on this pair, oldest line first."""
        rows = self._db.execute("SELECT payload FROM held WHERE pair_id = ? ORDER BY origin, line",
                                (pair_id,))
        return [json.loads(r[0]) for r in rows]

    def held_count(self, pair_id: int) -> int:
        return int(self._db.execute("SELECT count(*) FROM held WHERE pair_id = ?", (pair_id,)).fetchone()[0])

    def held_total(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM held").fetchone()[0])

    def decide(self, pair_id: int, status: str) -> None:
        """Record the decision (``pending`` again for an undo) and drop the held rows (the caller
        has loaded them)."""
        decided = None if status == "pending" else dt.date.today().isoformat()
        self._write(f"UPDATE pairs SET status = ?, decided_on = ?, decided_seq = {_SEQ} WHERE id = ?",
                    (status, decided, pair_id))
        if status != "pending":
            self._write("DELETE FROM held WHERE pair_id = ?", (pair_id,))

    def rehold(self, pair_id: int, origin: str, line: int, payload: dict[str, Any]) -> None:
        """Put a row back on a pair (an undone decision)."""
        self._write("INSERT OR REPLACE INTO held (pair_id, origin, line, payload) VALUES (?,?,?,?)",
                    (pair_id, origin, line, _dumps(payload)))

    def repoint(self, old: str, new: str, kind: str = "factory") -> None:
        """Pending pairs offering ``old`` now offer ``new`` (``old`` was merged into it)."""
        self._write("UPDATE OR IGNORE pairs SET candidate_id = ? WHERE candidate_id = ? AND status = 'pending' "
                    "AND kind = ?", (new, old, kind))

    # -- the registry ------------------------------------------------------------
    def register(self, entries: Sequence[dict[str, Any]]) -> None:
        """Record loaded sites (an entry per input row: site_key, factory_id, origin, line, buyer,
        country, name, address, how, pair_id, created, payload, props, claims)."""
        today = dt.date.today().isoformat()
        for e in entries:
            old = self._db.execute("SELECT id FROM sites WHERE origin = ? AND line = ?",
                                   (e["origin"], e["line"])).fetchone()
            if old is not None:
                self._write("DELETE FROM claims WHERE site_id = ?", (old[0],))
                self._write("DELETE FROM sites WHERE id = ?", (old[0],))
            cur = self._write(
                "INSERT INTO sites (site_key, factory_id, origin, line, buyer, country, name, address, how, "
                "pair_id, created, loaded_on, payload, props) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (e["site_key"], e["factory_id"], e["origin"], e["line"], e.get("buyer"), e["country"], e["name"],
                 e.get("address"), e["how"], e.get("pair_id"), int(bool(e.get("created"))), today,
                 _dumps(e["payload"]), _dumps(e.get("props") or {})))
            sid = cur.lastrowid
            self._db.executemany("INSERT INTO claims (site_id, ident) VALUES (?, ?)",
                                 [(sid, c) for c in dict.fromkeys(e.get("claims") or ())])

    def forget_origin(self, origin: str, keep_lines: Iterable[int] = ()) -> None:
        """Drop the registry entries of an earlier upload of ``origin`` (but those lines)."""
        keep = set(keep_lines)
        for sid, line in list(self._db.execute("SELECT id, line FROM sites WHERE origin = ?", (origin,))):
            if line not in keep:
                self._write("DELETE FROM claims WHERE site_id = ?", (sid,))
                self._write("DELETE FROM sites WHERE id = ?", (sid,))

    def _site(self, row: Sequence[Any]) -> RegisteredSite:
        (sid, key, fid, origin, line, buyer, country, name, address, how, pair_id, created, loaded_on,
         payload, props) = row
        return RegisteredSite(sid, key, fid, origin, line, buyer, country, name, address, how, pair_id,
                              bool(created), loaded_on, json.loads(payload), json.loads(props or "{}"))

    _SITE_COLS = ("id, site_key, factory_id, origin, line, buyer, country, name, address, how, pair_id, created, "
                  "loaded_on, payload, props")

    def sites_of(self, factory_id: str) -> list[RegisteredSite]:
        """The registered sites that went to ``factory_id``, in the order they were loaded."""
        rows = self._db.execute(f"SELECT {self._SITE_COLS} FROM sites WHERE factory_id = ? ORDER BY id",
                                (factory_id,))
        return [self._site(r) for r in rows]

    def sites_by_id(self, ids: Iterable[int]) -> list[RegisteredSite]:
        want = sorted(set(ids))
        out: list[RegisteredSite] = []
        for i in range(0, len(want), 500):
            chunk = want[i:i + 500]
            out += [self._site(r) for r in self._db.execute(
                f"SELECT {self._SITE_COLS} FROM sites WHERE id IN ({','.join('?' * len(chunk))}) ORDER BY id",
                chunk)]
        return out

    def sites_of_pair(self, pair_id: int) -> list[RegisteredSite]:
        rows = self._db.execute(f"SELECT {self._SITE_COLS} FROM sites WHERE pair_id = ? ORDER BY id", (pair_id,))
        return [self._site(r) for r in rows]

    def sites_of_origin(self, origin: str) -> list[RegisteredSite]:
        rows = self._db.execute(f"SELECT {self._SITE_COLS} FROM sites WHERE origin = ? ORDER BY line", (origin,))
        return [self._site(r) for r in rows]

    def claims_of(self, site_id: int) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT ident FROM claims WHERE site_id = ?", (site_id,))]

    def claimed_elsewhere(self, idents: Iterable[str], but: Iterable[int]) -> set[str]:
        """The idents of ``idents`` that a registered site other than ``but`` also claims."""
        skip = set(but)
        out: set[str] = set()
        for text in set(idents):
            for (sid,) in self._db.execute("SELECT site_id FROM claims WHERE ident = ?", (text,)):
                if sid not in skip:
                    out.add(text)
                    break
        return out

    def move_sites(self, site_ids: Iterable[int], factory_id: str, how: str, pair_id: int | None = None) -> None:
        for sid in site_ids:
            self._write("UPDATE sites SET factory_id = ?, how = ?, pair_id = ?, created = 0 WHERE id = ?",
                        (factory_id, how, pair_id, sid))

    def set_claims(self, site_id: int, claims: Iterable[str], props: dict[str, Any] | None = None,
                   created: bool | None = None) -> None:
        self._write("DELETE FROM claims WHERE site_id = ?", (site_id,))
        self._db.executemany("INSERT INTO claims (site_id, ident) VALUES (?, ?)",
                             [(site_id, c) for c in dict.fromkeys(claims)])
        if props is not None:
            self._write("UPDATE sites SET props = ? WHERE id = ?", (_dumps(props), site_id))
        if created is not None:
            self._write("UPDATE sites SET created = ? WHERE id = ?", (int(created), site_id))

    def rename_claims(self, old: str, new: str) -> None:
        """Claims that name a relationship as ``old`` now name it ``new`` (a node merged away)."""
        self._write("UPDATE claims SET ident = ? WHERE ident = ?", (new, old))

    def drop_sites(self, site_ids: Iterable[int]) -> None:
        for sid in site_ids:
            self._write("DELETE FROM claims WHERE site_id = ?", (sid,))
            self._write("DELETE FROM sites WHERE id = ?", (sid,))

    def count_sites(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM sites").fetchone()[0])

    # -- the log -----------------------------------------------------------------
    def log(self, action: str, **detail: Any) -> None:
        self._write("INSERT INTO log (at, action, detail) VALUES (?,?,?)",
                    (dt.datetime.now().isoformat(timespec="seconds"), action, _dumps(detail)))

    def history(self, limit: int = 50) -> list[tuple[str, str, dict[str, Any]]]:
        rows = self._db.execute("SELECT at, action, detail FROM log ORDER BY id DESC LIMIT ?", (limit,))
        return [(a, b, json.loads(c)) for a, b, c in rows]
