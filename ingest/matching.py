"""The factory matcher core: normalised keys, a blocked index and a fuzzy score.

No store and no I/O here: :mod:`ingest.sites` feeds it the factories of the
store, ``scripts/eval_matcher.py`` measures its precision and recall and
``scripts/bench_matching.py`` its speed.

How a pair is scored (0..100), see :func:`score`:

* **name** (weight 0.6): the normalised name words (:func:`ingest.normalise.name_tokens`:
  folded, transliterated, legal forms and stop words dropped, abbreviations
  expanded) compared as sorted words (rapidfuzz ``ratio``) and as word sets
  (``token_set_ratio``, forgiving an added or missing word), averaged; or,
  when higher, the words run together (``ratio``: Hanzi syllables against
  pinyin words).  Different unit numbers in the names (``Unit 1`` / ``Unit 2``)
  cost 30 points, a number in one name only 10.
* **address** (weight 0.4): the same two measures over the normalised address
  words; house numbers and postcodes that contradict each other cost 12 points
  (partly) or 30 points (nothing in common); a number missing on one side
  costs nothing (missing postcodes).
* without an address on one side the score is the name score minus 13: a name
  alone never merges automatically (at best 87, the review band).

Then :func:`classify`: the best candidate merges automatically when it scores
``UPPER`` or more and no other candidate comes within ``MARGIN`` of it (two
look-alike factories: a person decides); ``LOWER`` or more goes to review.

Blocking: candidates come only from the same country, and within it from the
rarest few *keys* of the incoming record (its name words, their 4-letter
prefixes and suffixes, which survive one typo, the name run together, and its
address words), at most ``cap`` records per query; a first cut in C keeps a
shortlist of them for the full score.  So 100k incoming records against 1M
existing cost 100k small lookups, never 10^11 comparisons.
"""
from __future__ import annotations

import gc
import re
from collections import defaultdict
from collections.abc import Iterable
from operator import itemgetter
from typing import NamedTuple

from rapidfuzz import fuzz, process

from .normalise import address_tokens, name_tokens, stable_hash

__all__ = [
    "LOWER",
    "MARGIN",
    "UPPER",
    "FactoryIndex",
    "Prepared",
    "classify",
    "prepare",
    "score",
    "site_key",
]

#: at or above: the same factory, merged automatically (see docs/real-world-formats.md)
UPPER = 88.0
#: at or above (and below UPPER): a possible match, queued for review
LOWER = 75.0
#: a candidate this good ends the search early (see FactoryIndex.best)
SURE = 97.0
#: two candidates closer than this are ambiguous: neither is merged automatically
MARGIN = 2.0


class Prepared(NamedTuple):
    """A factory reduced to what matching needs (a tuple: a million of them build fast)."""

    id: str
    country: str
    os_id: str | None
    name: str                  # normalised name words, in order
    sorted_name: str           # the same words sorted
    addr: str                  # normalised address words, sorted
    name_nums: frozenset[str]
    addr_nums: frozenset[str]
    label: str = ""            # the original name (for people reading a review queue)

    @property
    def compact(self) -> str:
        """The name words run together."""
        return self.name.replace(" ", "")


_NO_NUMBERS: frozenset[str] = frozenset()


_DIGITS = re.compile(r"\b\d+\b")
_DIGIT_PAIRS = re.compile(r"(?=\b(\d+) (\d+)\b)")


def _numbers(text: str) -> frozenset[str]:
    """Digit words, plus each pair of adjacent digit words joined (``08-400`` ~ ``08400``)."""
    nums = _DIGITS.findall(text)
    if not nums:
        return _NO_NUMBERS
    if len(nums) > 1:
        nums += [(a + b).lstrip("0") or "0" for a, b in _DIGIT_PAIRS.findall(text)]
    return frozenset(nums)


def prepare(id_: str, country: str, name: str, address: str | None = None,
            os_id: str | None = None) -> Prepared:
    """Normalise one factory for matching."""
    words = name_tokens(name)
    addr = address_tokens(address, country)
    text = " ".join(words)
    return Prepared(id_, country, os_id or None, text, " ".join(sorted(words)),
                    " ".join(sorted(addr)), _numbers(text), _numbers(" ".join(addr)), name)


def site_key(p: Prepared) -> str:
    """A stable digest of country, normalised name and address (the basis of new factory ids)."""
    return stable_hash(p.country, p.sorted_name, p.addr)


def _without_places(a: Prepared, b: Prepared) -> tuple[list[str], list[str]]:
    """Both names' words, less the words one name adds that the other's address holds
    (a place written into the name: ``Sunrise Garments, Savar``)."""
    wa, wb = a.name.split(), b.name.split()
    if set(wa) == set(wb):
        return wa, wb
    aa, ba, ca, cb = f" {a.addr} ", f" {b.addr} ", a.compact, b.compact
    return ([w for w in wa if w in cb or f" {w} " not in ba] or wa,
            [w for w in wb if w in ca or f" {w} " not in aa] or wb)


def name_score(a: Prepared, b: Prepared) -> float:
    """Similarity of the two names, 0..100."""
    if a.sorted_name == b.sorted_name:
        return 100.0
    wa, wb = _without_places(a, b)
    na, nb = " ".join(wa), " ".join(wb)
    mixed = 0.5 * fuzz.ratio(" ".join(sorted(wa)), " ".join(sorted(wb))) + 0.5 * fuzz.token_set_ratio(na, nb)
    ns = max(mixed, fuzz.ratio("".join(wa), "".join(wb)))
    if a.name_nums != b.name_nums:
        ns -= 30 if a.name_nums and b.name_nums else 10
    return ns


def address_score(a: Prepared, b: Prepared) -> float | None:
    """Similarity of the two addresses, 0..100 (None when one is missing)."""
    if not a.addr or not b.addr:
        return None
    s = 0.5 * fuzz.token_set_ratio(a.addr, b.addr) + 0.5 * fuzz.ratio(a.addr, b.addr)   # both sorted
    na, nb = a.addr_nums, b.addr_nums
    if na and nb and not (na <= nb or nb <= na):
        s -= 12 if na & nb else 30
    return s


def score(a: Prepared, b: Prepared) -> float:
    """How likely ``a`` and ``b`` are one factory, 0..100 (see the module notes).

    >>> a = prepare("1", "BD", "Sunrise Garments (Pvt.) Ltd.", "Plot 12, Road 5, Uttara EPZ, Dhaka 1230")
    >>> b = prepare("2", "BD", "SUNRISE GARMENT LIMITED", "Uttara EPZ, Plot No 12, Rd 5, Dhaka")
    >>> c = prepare("3", "BD", "Sunshine Knitwear Ltd", "Plot 14, Road 5, Uttara EPZ, Dhaka 1230")
    >>> score(a, b) >= UPPER, score(a, c) < LOWER
    (True, True)
    """
    if a.os_id and b.os_id and a.os_id != b.os_id:
        return 0.0        # Open Supply Hub says they are different facilities
    ns = name_score(a, b)
    ads = address_score(a, b)
    s = ns - 13 if ads is None else 0.6 * ns + 0.4 * ads
    return round(max(s, 0.0), 2)


def _keys(p: Prepared) -> set[str]:
    """Blocking keys: name words, their 4-letter prefixes and suffixes, the run-together name,
    and address words of four letters or more."""
    keys = {"=" + p.name.replace(" ", "")[:8]}
    for t in p.name.split():
        if not t.isdigit():
            keys.add(t)
            if len(t) >= 6:
                keys.add(t[:4] + "<")
                keys.add(">" + t[-4:])
    keys.update(["@" + t for t in p.addr.split() if len(t) >= 4 and not t.isdigit()])
    return keys


class _Block:
    """The factories of one country: records, the strings the first cut compares, and postings."""

    __slots__ = ("addrs", "names", "postings", "records")

    def __init__(self) -> None:
        self.records: list[Prepared] = []
        self.names: list[str] = []
        self.addrs: list[str] = []
        self.postings: dict[str, list[int]] = defaultdict(list)


class FactoryIndex:
    """Factories blocked by country and cheap keys; finds the best candidates for a record.

    ``cap`` bounds the records looked at per query (taken from the rarest keys
    first); a first cut in C (rapidfuzz ``process.extract`` with ``ratio`` over
    the sorted name, the run-together name and the sorted address) keeps at most
    ``shortlist`` of them for the full :func:`score`.
    """

    def __init__(self, cap: int = 200, shortlist: int = 6) -> None:
        self.cap = cap
        self.shortlist = shortlist
        self._blocks: dict[str, _Block] = defaultdict(_Block)
        self._by_id: dict[str, Prepared] = {}
        self._by_os: dict[str, Prepared] = {}

    def __len__(self) -> int:
        return len(self._by_id)

    def add(self, p: Prepared) -> None:
        """Index one factory (a second record with the same id is ignored)."""
        if p.id in self._by_id:
            return
        self._by_id[p.id] = p
        if p.os_id:
            self._by_os.setdefault(p.os_id, p)
        block = self._blocks[p.country]
        i = len(block.records)
        block.records.append(p)
        block.names.append(p.sorted_name)
        block.addrs.append(p.addr)
        postings = block.postings
        for k in _keys(p):
            postings[k].append(i)

    def extend(self, records: Iterable[Prepared]) -> None:
        """Index many factories (the cyclic garbage collector paused meanwhile: 30% faster)."""
        enabled = gc.isenabled()
        gc.disable()
        try:
            for p in records:
                self.add(p)
        finally:
            if enabled:
                gc.enable()

    def get(self, id_: str) -> Prepared | None:
        return self._by_id.get(id_)

    def by_os_id(self, os_id: str) -> Prepared | None:
        return self._by_os.get(os_id)

    def _candidates(self, p: Prepared) -> tuple[_Block | None, list[int]]:
        block = self._blocks.get(p.country)
        if block is None:
            return None, []
        get = block.postings.get
        lists = sorted((ps for k in _keys(p) if (ps := get(k))), key=len)
        seen: set[int] = set()
        cap = self.cap
        for ps in lists:
            if seen and len(seen) + len(ps) > cap:
                break
            seen.update(ps[:cap])
        return block, list(seen)

    def candidates(self, p: Prepared) -> list[Prepared]:
        """Records of the same country sharing one of ``p``'s rarest keys (at most ``cap``)."""
        block, ids = self._candidates(p)
        return [block.records[i] for i in ids] if block else []

    def best(self, p: Prepared, minimum: float = LOWER) -> list[tuple[Prepared, float]]:
        """Candidates scoring at least ``minimum``, best first (ties: by id).

        The shortlist by name is scored first; when one of them scores ``SURE``
        or more, the shortlist by address is not looked at.
        """
        block, ids = self._candidates(p)
        if block is None or not ids:
            return []
        pick = itemgetter(*ids) if len(ids) > 1 else (lambda seq: [seq[ids[0]]])
        scored: dict[int, float] = {}
        for query, strings, limit, cutoff in ((p.sorted_name, block.names, self.shortlist, 40),
                                              (p.addr, block.addrs, self.shortlist // 2, 50)):
            if not query or (scored and max(scored.values()) >= SURE):
                continue
            for _, _, k in process.extract(query, pick(strings), scorer=fuzz.ratio, limit=limit,
                                           score_cutoff=cutoff):
                i = ids[k]
                if i not in scored:
                    c = block.records[i]
                    scored[i] = score(p, c) if c.id != p.id else -1.0
        out = [(block.records[i], s) for i, s in scored.items() if s >= minimum]
        out.sort(key=lambda cs: (-cs[1], cs[0].id))
        return out


def classify(found: list[tuple[Prepared, float]]) -> tuple[str, Prepared | None, float]:
    """``("merge" | "review" | "new", candidate, score)`` for the output of :meth:`FactoryIndex.best`.

    >>> a, b = prepare("a", "BD", "Sunrise Knit Ltd", "Dhaka"), prepare("b", "BD", "Sunrise Knit Ltd", "Gazipur")
    >>> classify([(a, 95.0)])[0], classify([(a, 95.0), (b, 94.0)])[0], classify([(a, 80.0)])[0], classify([])
    ('merge', 'review', 'review', ('new', None, 0.0))
    """
    if not found:
        return "new", None, 0.0
    top, s = found[0]
    if s >= UPPER and (len(found) == 1 or found[1][1] < s - MARGIN):
        return "merge", top, s
    return ("review", top, s) if s >= LOWER else ("new", None, 0.0)
