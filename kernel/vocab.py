"""The vocabulary every layer shares: folded words, countries and dates (pure functions, no I/O).

>>> fold("Ünal Örme  San. & Tic. A.Ş.")
'unal orme san and tic a s'
>>> country_code("People's Republic of China"), country_code("Turkey"), country_code("viet nam")
('CN', 'TR', 'VN')
>>> country_code("bd"), country_code("BGD"), country_code("Bangladesh")
('BD', 'BD', 'BD')
"""
from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata

import pycountry
from anyascii import anyascii

from .errors import InvalidInput

__all__ = [
    "COUNTRY_VARIANTS",
    "EXTRA_COUNTRIES",
    "country_code",
    "country_name",
    "fold",
    "iso_country",
    "joined_words",
    "parse_date",
    "words",
]

_WORDS = re.compile(r"[a-z]+|[0-9]+")


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return (0x3040 <= o <= 0x30FF or 0x3400 <= o <= 0x9FFF or 0xAC00 <= o <= 0xD7AF
            or 0xF900 <= o <= 0xFAFF)


def words(text: str) -> list[str]:
    """Folded, transliterated lower-case words and numbers of ``text``."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
        text = "".join(ch if ch.isascii() else (f" {anyascii(ch)} " if _is_cjk(ch) else anyascii(ch))
                       for ch in text)
    return _WORDS.findall(text.lower().replace("&", " and ").replace("'", ""))


def joined_words(text: str) -> list[str]:
    """Words with runs of single letters joined: ``P.T.`` -> ``pt``, ``S.A. de C.V.`` -> ``sa de cv``."""
    found = words(text)
    if min(map(len, found), default=2) > 1:
        return found
    out: list[str] = []
    run = ""
    for t in found:
        if len(t) == 1 and t.isalpha():
            run += t
            continue
        if run:
            out.append(run)
            run = ""
        out.append(t)
    if run:
        out.append(run)
    return out


def fold(text: str) -> str:
    """Lower-case ASCII words separated by single spaces.

    Unicode is folded (NFKC) and transliterated (anyascii); each CJK character
    becomes its own syllable so that a name written in Hanzi compares with its
    pinyin spelling; ``&`` reads as ``and``; every other punctuation mark is a
    word boundary; letters and digits run together are split (``no56``).

    >>> fold("Ünal Örme  San. & Tic. A.Ş.")
    'unal orme san and tic a s'
    >>> fold("广州服装")
    'guang zhou fu zhuang'
    """
    return " ".join(words(text))


# names in common use that pycountry does not know under that spelling (folded)
COUNTRY_VARIANTS = {
    "peoples republic of china": "CN", "pr china": "CN", "p r china": "CN", "prc": "CN",
    "china mainland": "CN", "mainland china": "CN", "china prc": "CN", "china pr": "CN",
    "turkey": "TR", "turkiye": "TR", "republic of turkey": "TR",
    "vietnam": "VN", "viet nam": "VN", "socialist republic of vietnam": "VN",
    "korea": "KR", "south korea": "KR", "korea south": "KR", "republic of korea": "KR",
    "korea republic of": "KR", "korea rep": "KR", "north korea": "KP",
    "taiwan": "TW", "taiwan roc": "TW", "republic of china taiwan": "TW", "chinese taipei": "TW",
    "hong kong": "HK", "hong kong sar": "HK", "hong kong china": "HK", "hongkong": "HK",
    "macau": "MO", "macao": "MO", "uk": "GB", "great britain": "GB", "england": "GB",
    "scotland": "GB", "wales": "GB", "northern ireland": "GB", "britain": "GB",
    "usa": "US", "us": "US", "u s a": "US", "united states of america": "US", "america": "US",
    "russia": "RU", "russian federation": "RU", "iran": "IR", "laos": "LA", "lao pdr": "LA",
    "burma": "MM", "myanmar burma": "MM", "czech republic": "CZ", "czechia": "CZ",
    "ivory coast": "CI", "cote divoire": "CI", "cote d ivoire": "CI", "swaziland": "SZ",
    "macedonia": "MK", "north macedonia": "MK", "fyrom": "MK", "moldova": "MD", "syria": "SY",
    "tanzania": "TZ", "bolivia": "BO", "venezuela": "VE", "palestine": "PS", "vatican": "VA",
    "holland": "NL", "the netherlands": "NL", "netherlands the": "NL", "brunei": "BN",
    "cape verde": "CV", "kosovo": "XK", "uae": "AE", "u a e": "AE", "emirates": "AE",
    "sri lanka": "LK", "ceylon": "LK", "bosnia": "BA", "bosnia herzegovina": "BA",
    "congo drc": "CD", "drc": "CD", "dr congo": "CD", "democratic republic of congo": "CD",
    "democratic republic of the congo": "CD", "republic of congo": "CG", "congo brazzaville": "CG",
    "the gambia": "GM", "gambia": "GM", "east timor": "TL", "micronesia": "FM",
    "saint lucia": "LC", "st lucia": "LC", "slovak republic": "SK", "kyrgyz republic": "KG",
    "taiwan china": "TW", "taiwan province of china": "TW", "macau china": "MO", "macao china": "MO",
    "prc china": "CN", "china peoples republic of": "CN", "u s": "US", "us of a": "US",
    "srilanka": "LK", "bangla desh": "BD", "macedonia former yugoslav republic of": "MK",
    "the former yugoslav republic of macedonia": "MK", "egypt arab rep": "EG",
    "iran islamic rep": "IR", "yemen rep": "YE", "venezuela rb": "VE", "lao peoples dem rep": "LA",
    "bosnia and hercegovina": "BA", "turkiye turkey": "TR", "turkey turkiye": "TR",
}

# words that only say a country's form of government, dropped when the whole name is not known
# ("Vietnam (Socialist Republic of)", "Cambodia, Kingdom of", "Macao SAR", "Philippines (the)")
_FORM_WORDS = frozenset("the republic of kingdom state socialist rep sar province".split())


@functools.lru_cache(maxsize=1)
def _country_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("alpha_2", "alpha_3", "name", "common_name", "official_name"):
            value = getattr(c, attr, None)
            if value:
                index.setdefault(fold(value), c.alpha_2)
    index["xk"] = index["xkx"] = "XK"
    for variant, code in COUNTRY_VARIANTS.items():
        index[fold(variant)] = code
    for key, code in list(index.items()):
        bare = " ".join(w for w in key.split() if w != "the")
        index.setdefault(bare, code)
    return index


def country_code(text: str | None) -> str | None:
    """An ISO 3166-1 alpha-2 code from a code (alpha-2 or alpha-3) or a name in common use.

    None when the text names no country; never a guess from a partial match.
    """
    if not text or not text.strip():
        return None
    key = fold(text)
    index = _country_index()
    if key in index:
        return index[key]
    words_ = key.replace("s a r", "sar").split()
    bare = " ".join(w for w in words_ if w != "the")
    if bare in index:
        return index[bare]
    core = " ".join(w for w in words_ if w not in _FORM_WORDS)
    return index.get(core) if core and core != key else None


# codes in common use that ISO reserves rather than assigns
EXTRA_COUNTRIES = {"XK": "Kosovo"}


def iso_country(text: str) -> str | None:
    """An ISO 3166-1 alpha-2 code (any case) -> the upper-case code; None when it is not one."""
    code = text.strip().upper()
    if len(code) == 2 and (code in EXTRA_COUNTRIES or pycountry.countries.get(alpha_2=code)):
        return code
    return None


def country_name(code: str) -> str | None:
    """The common English name of an ISO code (None for an unknown code)."""
    if code in EXTRA_COUNTRIES:
        return EXTRA_COUNTRIES[code]
    c = pycountry.countries.get(alpha_2=code)
    return (getattr(c, "common_name", None) or getattr(c, "name", None)) if c else None


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_date(text: str, what: str = "date") -> dt.date:
    """``YYYY-MM-DD`` -> a date; anything else -> :class:`InvalidInput` naming ``what``.

    >>> parse_date("2026-06-30")
    datetime.date(2026, 6, 30)
    """
    value = text.strip()
    if _DATE.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise InvalidInput(f"{what} {text!r} is not a date YYYY-MM-DD")
