"""Normalisation of real-world cell values: names, addresses, countries, worker counts.

Used by the Open Supply Hub and brand-list adapters and by the factory matcher.
Everything here is a pure function of its input (no store, no I/O).

>>> name_tokens("PT. Sunrise Garments (Pvt.) Ltd.")
['sunrise', 'garment']
>>> name_tokens("Ege Tekstil Sanayi ve Ticaret A.Ş.")
['ege', 'textile']
>>> address_tokens("Plot No. 12, Rd 5, Uttara EPZ, Dhaka-1230, Bangladesh", "BD")
['plot', '12', 'road', '5', 'uttara', 'epz', 'dhaka', '1230']
>>> country_code("People's Republic of China"), country_code("Turkey"), country_code("viet nam")
('CN', 'TR', 'VN')
>>> parse_workers("1001-5000"), parse_workers("2,300"), parse_workers("Less than 1000")
((None, '1001-5000'), (2300, None), (None, '<1000'))
"""
from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable

import pycountry

from imvo.kernel.vocab import COUNTRY_VARIANTS, country_code, fold, joined_words, words

__all__ = [
    "LEGAL_FORMS",
    "address_tokens",
    "country_code",
    "country_names",
    "fold",
    "name_tokens",
    "parse_flag",
    "parse_workers",
    "stable_hash",
]


# Legal-form and registration words (after folding and joining initials), in many languages.
LEGAL_FORMS = frozenset("""
ltd limited llc llp lp plc inc incorporated corp corporation co company cos pvt private pte pty
gmbh ag kg ohg ug mbh sa sas sarl srl srls spa sl slu sau sc sro as asa oy oyj ab bv nv vof
sti as tas ltdsti sanayi san ticaret tic ve ith ihr ithalat ihracat pazarlama paz
pt tbk cv ud sdn bhd berhad sendirian jsc ojsc cjsc pjsc zao oao ooo tnhh cp cty ctcp mtv
lda ltda eireli me epp sp spzoo zoo sa de cv rl srl sapi sab kk kabushiki kaisha yk
youxian gongsi youxiangongsi gufen jituan zeren mchj ao qk xk jsc
pvtltd coltd colimited ltdco holdings holding group enterprise enterprises
""".split())

# Words with no power to tell factories apart, dropped from name keys (articles, "Messrs",
# and generic company words that lists add or leave out at will).
_NAME_STOP = frozenset("the of and de del la le el da do das dos di du van von und et y e a ms messrs"
                       " industry international trading global overseas".split())

# Common abbreviations in factory names -> one spelling (plurals are reduced separately).
_NAME_ABBR = {
    "intl": "international", "int": "international", "inter": "international",
    "ind": "industry", "inds": "industry", "indus": "industry", "industries": "industry",
    "industrial": "industry", "industri": "industry", "sanayii": "sanayi",
    "mfg": "manufacturing", "mfr": "manufacturing", "manufacturer": "manufacturing",
    "manufacturers": "manufacturing", "manuf": "manufacturing",
    "gmt": "garment", "gmts": "garment", "garmentsltd": "garment", "garm": "garment",
    "tex": "textile", "txt": "textile", "textiles": "textile", "tekstil": "textile",
    "apparels": "apparel", "appl": "apparel", "knits": "knit", "knitting": "knit",
    "clothing": "apparel", "clothings": "apparel", "knitwears": "knitwear",
    "fashions": "fashion", "fabrics": "fabric", "mills": "mill",
    "spg": "spinning", "dyg": "dyeing", "fty": "factory", "fac": "factory",
    "bros": "brothers", "bro": "brothers", "mfy": "factory", "exp": "export", "exports": "export",
    "corpn": "corporation", "dev": "development", "natl": "national", "assoc": "associated",
    "ent": "enterprise", "ents": "enterprise",
}

# Address words -> one spelling; None drops the word.
_ADDR_ABBR: dict[str, str | None] = {
    "rd": "road", "st": "street", "str": "street", "strasse": "street", "sokak": "street",
    "sok": "street", "sk": "street", "cad": "avenue", "cd": "avenue", "cadde": "avenue",
    "caddesi": "avenue", "ave": "avenue", "av": "avenue", "avda": "avenue", "blvd": "boulevard",
    "bulvari": "boulevard", "hwy": "highway", "bldg": "building", "blk": "block", "fl": "floor",
    "flr": "floor", "dist": "district", "distt": "district", "ind": "industrial",
    "indl": "industrial", "industry": "industrial", "est": "estate", "jl": "jalan", "jln": "jalan",
    "ln": "lane", "nagar": "nagar", "vill": "village", "vil": "village", "po": "post",
    "ps": "police", "ward": "ward", "sec": "sector", "sect": "sector", "ph": "phase",
    "no": None, "nr": None, "num": None, "number": None, "nos": None, "sn": None,
    "mah": "mahallesi", "mh": "mahallesi", "mahalle": "mahallesi", "osb": "osb",
    "organize": "organize", "zone": "zone", "zona": "zone", "khu": "zone", "kcn": "zone",
    "prov": "province", "pr": None, "prc": None, "the": None, "of": None, "and": None,
    "de": None, "at": None, "near": None, "opp": None, "opposite": None,
}


# legal forms written as several words (after the single words above are gone)
_NAME_PHRASES = ("you xian gong si", "you xian ze ren gong si", "gu fen", "gong si", "ji tuan",
                 "cong ty", "co phan", "trach nhiem huu han", "joint stock", "limited liability",
                 "sirketi", "anonim")

# Chinese trade words, as Hanzi syllables or pinyin words, in English: lists write one factory
# as 厦门新达纺织有限公司, Xiamen Xinda Fangzhi Youxian Gongsi and Xiamen Xinda Textile Co., Ltd.
_PINYIN_TRADES = {
    "fang zhi": "textile", "fangzhi": "textile", "fu zhuang": "garment", "fuzhuang": "garment",
    "zhen zhi": "knit", "zhenzhi": "knit", "fu shi": "apparel", "fushi": "apparel",
    "xie ye": "shoe", "xieye": "shoe", "pi ge": "leather", "pige": "leather",
    "yin ran": "printing dyeing", "yinran": "printing dyeing", "shi ye": "",
    "shiye": "", "mao yi": "trading", "maoyi": "trading", "gong ye": "industry",
    "gongye": "", "zhi yi": "knitwear", "zhiyi": "knitwear", "mao fang": "wool spinning",
}


def _stem(t: str) -> str:
    """Cheap plural folding for longer words (garments -> garment, industries kept by the table)."""
    if len(t) > 4 and t.endswith("s") and not t.endswith(("ss", "us", "is")):
        return t[:-1]
    return t


_PHRASE_START = frozenset(p.split()[0] for p in (*_NAME_PHRASES, *_PINYIN_TRADES) if " " in p)
_PHRASE_RE = re.compile(r"\b(?:{})\b".format("|".join(
    sorted((re.escape(p) for p in (*_NAME_PHRASES, *_PINYIN_TRADES) if " " in p), key=len, reverse=True))))


def _phrase(m: re.Match[str]) -> str:
    return f" {_PINYIN_TRADES.get(m.group(0), '')} "


class _Memo(dict[str, str]):
    """word -> normalised word, filled on demand (a plain dict: lookups stay in C; emptied
    when it passes a million words)."""

    def __init__(self, fn: Callable[[str], str]) -> None:
        super().__init__()
        self.fn = fn

    def __missing__(self, key: str) -> str:
        if len(self) > 1_000_000:
            self.clear()
        value = self[key] = self.fn(key)
        return value


def _name_word(t: str) -> str:
    """One folded name word as name keys spell it ('' to drop it)."""
    t = _NAME_ABBR.get(t, t)
    if t in LEGAL_FORMS or t in _NAME_STOP or (len(t) == 1 and t.isalpha()):
        return ""
    t = _stem(t)
    t = _NAME_ABBR.get(t) or _PINYIN_TRADES.get(t, t)
    if t in _NAME_STOP:
        return ""
    return t.replace("kh", "x")


_NAME_WORDS = _Memo(_name_word)


def _name_tokens(name: str) -> list[str]:
    memo = _NAME_WORDS
    out = [w for t in joined_words(name) if (w := memo[t])]
    if not _PHRASE_START.isdisjoint(out):
        # legal forms and trade words spelled out syllable by syllable (Hanzi, Vietnamese)
        return _PHRASE_RE.sub(_phrase, " ".join(out)).split()
    return out


def name_tokens(name: str) -> list[str]:
    """The words of a factory or company name that identify it.

    Folded and transliterated, initials joined, abbreviations expanded,
    plurals reduced; legal forms (Ltd, Pvt, GmbH, PT, A.Ş., Şti, Co., ...) and
    stop words dropped.  Word order is kept (callers sort when they need to).
    When nothing is left (a name made only of legal words) the folded words
    are returned instead.
    """
    return _name_tokens(name) or words(name)


@functools.lru_cache(maxsize=512)
def country_names(code: str) -> frozenset[str]:
    """Folded words naming the country ``code`` (to drop them from addresses)."""
    words: set[str] = set()
    c = pycountry.countries.get(alpha_2=code)
    if c is not None:
        for attr in ("name", "common_name", "official_name"):
            value = getattr(c, attr, None)
            if value:
                words.update(fold(value).split())
    for variant, vcode in COUNTRY_VARIANTS.items():
        if vcode == code:
            words.update(variant.split())
    words -= {"of", "the", "and", "republic", "democratic", "islamic", "people", "peoples", "united"}
    return frozenset(words | {_stem(w) for w in words})


def _address_word(t: str) -> str:
    """One folded address word as address keys spell it ('' to drop it)."""
    if t in _ADDR_ABBR:
        return _ADDR_ABBR[t] or ""
    if t.isdigit():
        return t.lstrip("0") or "0"
    return _stem(t)


_ADDRESS_WORDS = _Memo(_address_word)


def address_tokens(address: str | None, country: str = "") -> list[str]:
    """The words of an address: folded, street words spelled one way, ``No.`` and the
    country's own name dropped, numbers without leading zeros."""
    if not address:
        return []
    drop = country_names(country) if country else frozenset()
    memo = _ADDRESS_WORDS
    return [w for t in joined_words(address) if (w := memo[t]) and w not in drop]


def stable_hash(*parts: str, length: int = 10) -> str:
    """A short, stable hexadecimal digest of ``parts`` (for deterministic ids).

    >>> stable_hash("BD", "sunrise garment")
    'bae1f08bfa'
    """
    return hashlib.sha1("\x1f".join(parts).encode()).hexdigest()[:length]


# ---------------------------------------------------------------------------
# countries
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# workers and flags
# ---------------------------------------------------------------------------

_NUM = r"(\d{1,3}(?:[,. ]\d{3})+|\d+)"
_RANGE = re.compile(rf"^{_NUM}\s*(?:-|–|to)\s*{_NUM}$")
_LESS = re.compile(rf"^(?:<|less than|fewer than|under|below|up to|max\.?)\s*{_NUM}$")
_MORE = re.compile(rf"^(?:>|more than|over|above|greater than)\s*{_NUM}$"
                   rf"|^{_NUM}\s*(?:\+|or more|and more|and above|plus)$")


def _int(text: str) -> int:
    return int(re.sub(r"[,. ]", "", text))


def parse_workers(text: str | None) -> tuple[int | None, str | None]:
    """A worker count or band -> ``(workers, band)``; ValueError when it is neither.

    A count gives ``(n, None)``; a band gives ``(None, "a-b" | "<n" | ">n")``
    (no number is invented for a band).  ``1,200`` and ``1.200`` are 1200.
    """
    t = (text or "").strip().lower()
    if not t:
        return None, None
    if re.fullmatch(r"\d+(?:\.0+)?", t):
        return int(float(t)), None
    if re.fullmatch(r"\d{1,3}(?:[,. ]\d{3})+", t):
        return _int(t), None
    if m := _RANGE.match(t):
        lo, hi = _int(m.group(1)), _int(m.group(2))
        if lo > hi:
            raise ValueError(f"{text!r} is a range whose low end is above its high end")
        return None, f"{lo}-{hi}"
    if m := _LESS.match(t):
        return None, f"<{_int(m.group(1))}"
    if m := _MORE.match(t):
        return None, f">{_int(m.group(1) or m.group(2))}"
    raise ValueError(f"{text!r} is neither a number of workers nor a band such as 1001-5000")


_YES = {"yes", "y", "true", "1", "x", "ja", "oui", "si", "present", "yes present"}
_NO = {"no", "n", "false", "0", "none", "nee", "non", "not present", "absent", "no union"}


def parse_flag(text: str | None) -> bool | None:
    """Yes/no in the spellings lists use -> bool; blank -> None; ValueError otherwise."""
    t = fold(text or "")
    if not t:
        return None
    if t in _YES:
        return True
    if t in _NO:
        return False
    raise ValueError(f"{text!r} is not yes or no")
