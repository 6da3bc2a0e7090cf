"""The matcher measured on real lists: the samples in ``../shared/samples`` and labelled pairs of them.

``tests/fixtures/real-pairs.csv`` names pairs of rows of the samples (file and line,
never their text) with a label: ``same`` (one factory), ``different`` or ``unsure``
(left out of every count).  How it was made: every pair of rows in one country whose
names score 80 or more, or share a rare name word, was a candidate (1,394 pairs);
each candidate whose names score 85 or more, or whose addresses resemble each other,
was read and judged by a person (one factory = the same name and the same place;
two units, branches or towns of one company are different factories); the rest,
names alike but addresses not, were presumed different.  A factory renamed or
translated beyond recognition is not in the set.

The rows are read exactly as ``imvo ingest --format brand-list`` reads them: the
contributor lists and the retailer's list as they are, the 22-brand file with the
mapping ``name = supplier_name``, ``address = supplier_address`` and ``country =
supplier_address`` (the country at the end of the address; rows without one are
not read).
"""
from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from imvo.ingest.brandlist import Mapping, open_brand_list
from imvo.ingest.matching import LOWER, UPPER, FactoryIndex, Prepared, classify, prepare
from imvo.ingest.sites import Site

ROOT = Path(__file__).resolve().parent.parent.parent
SAMPLES = ROOT.parent / "shared" / "samples"
LABELS = ROOT / "tests" / "fixtures" / "real-pairs.csv"

#: the order the lists are loaded in (a secretariat's seasons, then the other lists)
ORDER = (*(f"oshub-contributor-lists/{name}.csv" for name in (
    "Spring 2017 Apparel List", "Summer 2017 Compliance List", "Fall 2017 Compliance List",
    "Winter 2017 Affiliate List", "Winter 2017 Compliance List", "Winter 2018 Apparel List",
    "Summer 2018 Affiliate List", "Fall 2018 Compliance List", "Spring 2019 Compliance List",
    "Summer 2019 Affiliate List", "Summer 2019 Apparel List", "Summer 2019 Compliance List",
    "Winter 2019 Compliance List", "Winter 2019 Compliance List V2")), "amazon-suppliers-2019.csv",
    "wikirate-22-brands-suppliers.csv")
_MAPPINGS = {"wikirate-22-brands-suppliers.csv": Mapping(
    {"name": "supplier_name", "address": "supplier_address", "country": "supplier_address"})}

Key = tuple[str, int]


@dataclass(frozen=True)
class Row:
    file: str
    line: int
    site: Site

    @property
    def key(self) -> Key:
        return self.file, self.line


def available() -> bool:
    return SAMPLES.is_dir() and all((SAMPLES / f).is_file() for f in ORDER)


def rows() -> list[Row]:
    """Every row of the samples read as a site, in load order."""
    out: list[Row] = []
    for f in ORDER:
        bl = open_brand_list(SAMPLES / f, _MAPPINGS.get(f))
        out += [Row(f, s.line, s) for s, _, _ in bl.sites("eval") if s is not None]
    return out


def labels() -> dict[tuple[Key, Key], str]:
    with open(LABELS, encoding="utf-8", newline="") as fh:
        return {((r["file_a"], int(r["line_a"])), (r["file_b"], int(r["line_b"]))): r["label"]
                for r in csv.DictReader(fh)}


def _label(lab: dict[tuple[Key, Key], str], a: Key, b: Key) -> str | None:
    return lab.get((a, b)) or lab.get((b, a))


def _prep(r: Row, id_: str) -> Prepared:
    s = r.site
    return prepare(id_, s.country, s.name, s.address, s.os_id)


@dataclass
class Pairwise:
    pairs: int
    same: int
    rows: list[tuple[float, bool]] = field(default_factory=list)

    def at(self, threshold: float) -> tuple[float, float, int, int]:
        tp = sum(1 for s, same in self.rows if same and s >= threshold)
        fp = sum(1 for s, same in self.rows if not same and s >= threshold)
        return (tp / (tp + fp) if tp + fp else 1.0), (tp / self.same if self.same else 1.0), tp, fp


def pairwise(score: Callable[[Prepared, Prepared], float]) -> Pairwise:
    """The labelled pairs scored (``unsure`` left out)."""
    by_key = {r.key: r for r in rows()}
    out = Pairwise(0, 0)
    for (a, b), lab in labels().items():
        if lab == "unsure" or a not in by_key or b not in by_key:
            continue
        s = score(_prep(by_key[a], "a"), _prep(by_key[b], "b"))
        out.rows.append((s, lab == "same"))
    out.pairs = len(out.rows)
    out.same = sum(1 for _, same in out.rows if same)
    return out


@dataclass
class Loads:
    """The lists loaded one after the other, as ``imvo ingest`` resolves their rows."""

    rows: int = 0
    with_partner: int = 0          # rows whose factory an earlier row already gave
    merged_right: int = 0
    merged_wrong: int = 0
    merged_unsure: int = 0
    reviewed_right: int = 0
    reviewed_wrong: int = 0
    missed: int = 0
    wrong: list[tuple[Row, Row, float]] = field(default_factory=list)
    per_file: Counter[str] = field(default_factory=Counter)

    @property
    def reviewed(self) -> int:
        return self.reviewed_right + self.reviewed_wrong

    @property
    def precision(self) -> float:
        merged = self.merged_right + self.merged_wrong
        return self.merged_right / merged if merged else 1.0

    @property
    def recall(self) -> float:
        return self.merged_right / self.with_partner if self.with_partner else 1.0

    @property
    def recall_with_review(self) -> float:
        return (self.merged_right + self.reviewed_right) / self.with_partner if self.with_partner else 1.0


def loads() -> Loads:
    """Each list matched against the rows of the lists before it (the store) and its own earlier
    rows, with the decision rules of :mod:`ingest.sites`: merge, review (only against the store),
    new."""
    lab = labels()
    same: dict[Key, set[Key]] = defaultdict(set)
    for (a, b), v in lab.items():
        if v == "same":
            same[a].add(b)
            same[b].add(a)

    def cluster(k: Key) -> set[Key]:
        seen, todo = {k}, [k]
        while todo:
            for n in same[todo.pop()]:
                if n not in seen:
                    seen.add(n)
                    todo.append(n)
        return seen

    out = Loads()
    index = FactoryIndex()
    by_id: dict[str, Row] = {}
    earlier: set[Key] = set()
    stored: set[str] = set()
    for f in ORDER:
        file_rows = [r for r in rows_cache() if r.file == f]
        for r in file_rows:
            out.rows += 1
            mine = cluster(r.key) & earlier
            if mine:
                out.with_partner += 1
            p = _prep(r, f"{r.file}:{r.line}")
            verdict, cand, s = classify(index.best(p, LOWER))
            if verdict == "review" and (cand is None or cand.id not in stored):
                verdict = "new"
            if verdict in ("merge", "review") and cand is not None:
                c = by_id[cand.id]
                right = c.key in cluster(r.key)
                unsure = _label(lab, r.key, c.key) == "unsure"
                if verdict == "merge":
                    if right:
                        out.merged_right += 1
                    elif unsure:
                        out.merged_unsure += 1
                    else:
                        out.merged_wrong += 1
                        out.wrong.append((r, c, s))
                else:
                    out.per_file[f] += 1
                    if right:
                        out.reviewed_right += 1
                    else:
                        out.reviewed_wrong += 1
                if verdict == "merge":
                    earlier.add(r.key)
                    continue
            if mine and not (verdict in ("merge", "review") and cand is not None
                             and by_id[cand.id].key in cluster(r.key)):
                out.missed += 1
            if verdict != "review":
                index.add(p)
                by_id[p.id] = r
            earlier.add(r.key)
        stored.update(f"{r.file}:{r.line}" for r in file_rows)
    return out


_ROWS: list[Row] = []


def rows_cache() -> list[Row]:
    if not _ROWS:
        _ROWS.extend(rows())
    return _ROWS


__all__ = ["LOWER", "ORDER", "SAMPLES", "UPPER", "Loads", "Pairwise", "available", "labels", "loads", "pairwise",
           "rows"]
