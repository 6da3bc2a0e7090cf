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
  pinyin words).  A place one name adds that the other's address holds, or the
  country, does not count.  Different unit numbers in the names (``Unit 1`` /
  ``Unit 2``) cost 30 points, a number in one name only 10.
* **distinctive words** (:func:`core_words`: the name less trade words, places
  and geographic words): when they agree more than ``CORE_SLACK`` points less
  than the whole names (two factories sharing a city and a trade), the name
  score loses half of the difference beyond it.
* **address** (weight 0.4): the same two measures over the normalised address
  words; house numbers and postcodes that contradict each other cost 12 points
  (partly) or 30 points (nothing in common); a number missing on one side
  costs nothing (missing postcodes).
* an address that names **only a place** (``Dongguan, Guangdong``) is no
  evidence of the factory: the name score minus 13 when the other address has
  that place (minus 5 when the distinctive words agree and are long enough),
  minus 20 when a full address does not show it, minus 35 for two different
  places.
* without an address on one side the score is the name score minus
  ``NAME_ONLY`` (15): a name alone never merges automatically.

The weights and thresholds are measured on synthetic pairs and on labelled
pairs of real lists (docs/real-world-formats.md).

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

import functools
import gc
import re
from collections import defaultdict
from collections.abc import Iterable
from operator import itemgetter
from typing import NamedTuple

from rapidfuzz import fuzz, process

from .normalise import address_tokens, country_names, name_tokens, stable_hash

__all__ = [
    "LOWER",
    "MARGIN",
    "UPPER",
    "FactoryIndex",
    "Prepared",
    "classify",
    "explain",
    "prepare",
    "score",
    "site_key",
]

#: at or above: the same factory, merged automatically (see docs/real-world-formats.md)
UPPER = 86.0
#: at or above (and below UPPER): a possible match, queued for review
LOWER = 75.0
#: without an address on one side, the name score less this: at best just under UPPER
NAME_ONLY = 15.0
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
    core: str = ""             # the name's distinctive words, in order (see :func:`core_words`)
    locality: str = ""         # an address that names only a place ("Dongguan, Guangdong"): its words

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


#: words of a factory name that say what it makes or what it is, not which one it is
TRADE_WORDS = frozenset("""
garment apparel textile knit knitwear knitted fashion wear sportswear sport sporting clothing cloth clothes shoe
footwear leather bag luggage toy electronic electronics electric electrical electrics technology technologies tech
precision product plastic metal rubber furniture home houseware appliance appliances cosmetic craft crafts art arts
export manufacturing manufacture factory fty mill mills weaving spinning dyeing printing print embroidery embroideries
washing denim jeans sweater hosiery sock socks glove gloves headwear cap underwear lingerie intimate uniform shirt
composite cotton silk wool yarn fabric thread company corporation corp development investment joint stock design
creation style vina solution solutions material materials equipment component components packaging package science
industry service services supply supplies good goods trade dress line unit branch division plant
""".split())
_TRADE_LONG = sorted(w for w in TRADE_WORDS if len(w) >= 5)
_GEO_WORDS = frozenset("city province county district town township village area zone park region state".split())
_ROMAN = {"i": "1", "ii": "2", "ll": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7", "viii": "8",
          "ix": "9", "x": "10", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6"}
_PARTS = re.compile(r"[,;\n]+")


def _trade(word: str) -> bool:
    """A trade word, or a misspelling of one (``Gamrent``, ``Knittirg``)."""
    if word in TRADE_WORDS:
        return True
    return len(word) >= 5 and process.extractOne(word, _TRADE_LONG, scorer=fuzz.ratio, score_cutoff=80) is not None


class _TradeMemo(dict[str, bool]):
    """word -> is it a trade word (filled on demand, a plain dict: lookups stay in C)."""

    def __missing__(self, key: str) -> bool:
        if len(self) > 500_000:
            self.clear()
        value = self[key] = _trade(key)
        return value


_IS_TRADE = _TradeMemo()


def core_words(words: list[str], places: set[str]) -> list[str]:
    """The distinctive words of a name: less trade words (garment, electronic, technology ...), the
    country's and the address's place names (also when the name splits one: ``Zhong Shan``), and
    geographic words; roman numerals and number words as digits."""
    out: list[str] = []
    i = 0
    while i < len(words):
        w = words[i]
        if i + 1 < len(words) and w + words[i + 1] in places:
            i += 2
            continue
        i += 1
        if w in places or w in _GEO_WORDS or _IS_TRADE[w]:
            continue
        out.append(_ROMAN.get(w, w))
    return out


def _locality(address: str | None, tokens: list[str], country: str) -> str:
    """The words of an address that names only a place: one or two parts of at most three words,
    no number (``Dongguan, Guangdong``, ``Savar, Dhaka``); '' for an address that says more."""
    if not address or not tokens or any(t.isdigit() for t in tokens):
        return ""
    parts = [p for p in _PARTS.split(address) if p.strip()]
    if len(parts) > 2 or len(tokens) > 6 or any(len(address_tokens(p, country)) > 4 for p in parts):
        return ""
    return " ".join(tokens)


def prepare(id_: str, country: str, name: str, address: str | None = None,
            os_id: str | None = None) -> Prepared:
    """Normalise one factory for matching."""
    words = name_tokens(name)
    addr = address_tokens(address, country)
    text = " ".join(words)
    places = set(addr) | country_names(country) if country else set(addr)
    return Prepared(id_, country, os_id or None, text, " ".join(sorted(words)),
                    " ".join(sorted(addr)), _numbers(text), _numbers(" ".join(addr)), name,
                    " ".join(core_words(words, places)), _locality(address, addr, country))


def site_key(p: Prepared) -> str:
    """A stable digest of country, normalised name and address (the basis of new factory ids)."""
    return stable_hash(p.country, p.sorted_name, p.addr)


@functools.lru_cache(maxsize=512)
def _country_prefixes(code: str) -> frozenset[str]:
    """The country's name words and their beginnings of four letters or more ("thai" of Thailand)."""
    return frozenset(w[:n] for w in country_names(code) for n in range(4, len(w) + 1))


def _without_places(a: Prepared, b: Prepared) -> tuple[list[str], list[str]]:
    """Both names' words, less the words one name adds that the other's address holds or that name
    the country (a place written into the name: ``Sunrise Garments, Savar``, ``Eclat Textile
    (Vietnam)``).  A place only one name and its own address give (``Unichela - Koggala``) stays:
    it may say which of a company's sites this is."""
    wa, wb = a.name.split(), b.name.split()
    if set(wa) == set(wb):
        return wa, wb
    country = country_names(a.country)
    prefixes = _country_prefixes(a.country)
    pa, pb = {*a.addr.split(), *country}, {*b.addr.split(), *country}
    ca, cb = a.compact, b.compact

    def keep(words: list[str], other: str, places: set[str]) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(words):
            w = words[i]
            if i + 1 < len(words) and w + words[i + 1] in places and w + words[i + 1] not in other:
                i += 2                                        # "Zhong Shan" against "Zhongshan"
                if i < len(words) and words[i] in _GEO_WORDS:
                    i += 1                                    # ... "City"
                continue
            i += 1
            if w in prefixes:
                continue                                      # the country ("Thai" ~ Thailand)
            if w in other or w not in places:
                out.append(w)
        return out or words

    wa2, wb2 = keep(wa, cb, pb), keep(wb, ca, pa)
    return wa2, wb2


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


def core_score(a: Prepared, b: Prepared) -> float | None:
    """Similarity of the names' distinctive words (:func:`core_words`), each less the other's place
    names, 0..100; None when either name has none (a name made only of trade and place words)."""
    if not a.core or not b.core:
        return None
    if a.core == b.core:
        return 100.0
    ba, aa = f" {b.addr} ", f" {a.addr} "
    ca = [w for w in a.core.split() if f" {w} " not in ba]
    cb = [w for w in b.core.split() if f" {w} " not in aa]
    if not ca or not cb:
        return None
    if ca == cb:
        return 100.0
    na, nb = " ".join(ca), " ".join(cb)
    mixed = 0.5 * fuzz.ratio(" ".join(sorted(ca)), " ".join(sorted(cb))) + 0.5 * fuzz.token_set_ratio(na, nb)
    return max(mixed, fuzz.ratio("".join(ca), "".join(cb)))


def _same_place(a: Prepared, b: Prepared) -> str | None:
    """For an address that names only a place: ``"same"``, ``"elsewhere"`` or ``"unverified"``; None
    when neither address is of that kind.  Two place-only addresses are the same place when one's
    words hold the other's, else elsewhere; a place-only address is in a full one when its first
    (most specific) word is there, else unverified (a full address may leave the city out)."""
    if not a.locality and not b.locality:
        return None
    la, lb = a.locality.split(), b.locality.split()
    if la and lb:
        sa, sb = set(la), set(lb)
        return "same" if sa <= sb or sb <= sa else "elsewhere"
    loc, other = (la, b.addr) if la else (lb, a.addr)
    words = other.split()
    want = [w for w in loc if len(w) >= 4 and w not in _GEO_WORDS] or loc

    def found(x: str) -> bool:
        return x in words or any(fuzz.ratio(x, w) >= 85 for w in words if abs(len(w) - len(x)) <= 2)

    hits = [found(x) for x in want]
    return "same" if hits[0] or sum(hits) * 3 >= 2 * len(hits) else "unverified"


#: how much less than the whole names the distinctive words may agree before it counts (typos, spellings)
CORE_SLACK = 15.0
#: a name whose distinctive words are the same and this long (letters) identifies a factory in a place
DISTINCTIVE = 6


def _parts(a: Prepared, b: Prepared) -> tuple[float, float, float | None, float | None, list[str]]:
    """(score, name score, core score, address score, notes) -- see :func:`score`."""
    notes: list[str] = []
    if a.os_id and b.os_id and a.os_id != b.os_id:
        return 0.0, 0.0, None, None, [f"different OS IDs ({a.os_id} / {b.os_id}): never the same facility"]
    ns = name_score(a, b)
    if a.name_nums != b.name_nums:
        if a.name_nums and b.name_nums:
            notes.append(f"unit numbers differ ({'/'.join(sorted(a.name_nums))} / {'/'.join(sorted(b.name_nums))}):"
                         f" -30 on the name")
        else:
            notes.append("a number in one name only: -10 on the name")
    cs = core_score(a, b)
    if cs is not None and cs < ns - CORE_SLACK:
        ns -= 0.5 * (ns - CORE_SLACK - cs)
        notes.append(f"the names' distinctive words agree less than the names (score {cs:.0f}): the name score "
                     f"loses half of the difference beyond {CORE_SLACK:g}")
    ads = address_score(a, b)
    place = _same_place(a, b)
    if ads is None:
        s = ns - NAME_ONLY
        notes.append(f"no address on one side: the name score minus {NAME_ONLY:g} (a name alone never merges)")
    elif place == "same":
        core = a.core.replace(" ", "")
        if cs is not None and cs >= 90 and ns >= 90 and sum(ch.isalpha() for ch in core) >= DISTINCTIVE:
            s = ns - 5
            notes.append("an address names only a place, which the other shares, and the names' distinctive "
                         "words are the same: the name score minus 5")
        else:
            s = ns - 13
            notes.append("an address names only a place, which the other shares: the name score minus 13")
    elif place == "unverified":
        s = ns - 20
        notes.append("an address names only a place, which the other address does not show: the name score minus 20")
    elif place == "elsewhere":
        s = ns - 35
        notes.append("the addresses name only places, and different ones: the name score minus 35")
    else:
        s = 0.6 * ns + 0.4 * ads
        na, nb = a.addr_nums, b.addr_nums
        if na and nb and not (na <= nb or nb <= na):
            notes.append("house numbers or postcodes contradict: " + ("-12" if na & nb else "-30") + " on the address")
    return round(max(s, 0.0), 2), ns, cs, ads, notes


def score(a: Prepared, b: Prepared) -> float:
    """How likely ``a`` and ``b`` are one factory, 0..100 (see the module notes).

    >>> a = prepare("1", "BD", "Sunrise Garments (Pvt.) Ltd.", "Plot 12, Road 5, Uttara EPZ, Dhaka 1230")
    >>> b = prepare("2", "BD", "SUNRISE GARMENT LIMITED", "Uttara EPZ, Plot No 12, Rd 5, Dhaka")
    >>> c = prepare("3", "BD", "Sunshine Knitwear Ltd", "Plot 14, Road 5, Uttara EPZ, Dhaka 1230")
    >>> d = prepare("4", "CN", "SMK Electronics (Dongguan) Co., Ltd", "Dongguan, Guangdong")
    >>> e = prepare("5", "CN", "Dongguan Chilisin Electronics Ltd.", "Dongguan, Guangdong")
    >>> score(a, b) >= UPPER, score(a, c) < LOWER, score(d, e) < LOWER
    (True, True, True)
    """
    return _parts(a, b)[0]


def explain(a: Prepared, b: Prepared) -> dict[str, object]:
    """The parts of :func:`score` for people deciding a pair (the review queue shows them).

    >>> e = explain(prepare("1", "BD", "Sunrise Knit Ltd Unit 1", "Plot 12, Dhaka"),
    ...             prepare("2", "BD", "Sunrise Knit Unit 2"))
    >>> e["name"], e["address"], e["score"], e["notes"][0]
    (64.7, None, 49.74, 'unit numbers differ (1 / 2): -30 on the name')
    """
    s, ns, cs, ads, notes = _parts(a, b)
    return {"name": round(ns, 1), "distinctive words": None if cs is None else round(cs, 1),
            "address": None if ads is None else round(ads, 1), "score": s,
            "weights": "0.6 name + 0.4 address", "notes": notes}


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
