"""One argument vocabulary for every door (GraphQL, views, command line, exports).

Each function takes what a caller typed and returns the value the query layer
uses, or raises :class:`~imvo.kernel.errors.InvalidInput` (or
:class:`~imvo.kernel.errors.NotFound`) with one line that is the same
wherever the argument came from.

>>> country("bd"), country("Bangladesh"), country(" VNM ")
('BD', 'BD', 'VN')
>>> risk("living_wage")
'living_wage'
>>> parse_as_of("2026-06-30")
datetime.date(2026, 6, 30)
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from imvo.graph.model import RISKS
from imvo.graph.store import GraphStore
from imvo.kernel.errors import InvalidInput, NotFound
from imvo.kernel.vocab import country_code, parse_date

__all__ = [
    "MAX_FIRST",
    "as_of",
    "company",
    "count",
    "country",
    "covenant",
    "first",
    "known_ids",
    "min_buyers",
    "parse_as_of",
    "risk",
    "risks",
    "today",
]

MAX_FIRST = 5000


def today() -> dt.date:
    """The date a question without ``asOf`` is asked for."""
    return dt.date.today()


def as_of(value: dt.date | None) -> dt.date:
    """``asOf`` as given, or today."""
    return value if value is not None else today()


def parse_as_of(value: str | None, what: str = "asOf") -> dt.date | None:
    """``YYYY-MM-DD`` -> date; None or blank -> None (today)."""
    if value is None or not value.strip():
        return None
    return parse_date(value, what)


def country(value: str | None, what: str = "country") -> str | None:
    """A country given as an ISO code (alpha-2 or alpha-3, any case) or a name -> the alpha-2 code."""
    if value is None:
        return None
    code = country_code(value)
    if code is None:
        raise InvalidInput(f"{what} {value!r} is not a country code or name we know (e.g. BD, Bangladesh)")
    return code


def risk(value: str) -> str:
    """A risk id of docs/canonical-format.md."""
    key = value.strip().lower() if isinstance(value, str) else value
    if key not in RISKS:
        raise InvalidInput(f"unknown risk {value!r}; use one of {', '.join(RISKS)}")
    return key


def risks(values: Sequence[str] | None) -> list[str] | None:
    return None if values is None else [risk(v) for v in values]


def count(value: int, what: str, lo: int = 0, hi: int | None = None) -> int:
    """A whole number within bounds."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{what} must be a whole number")
    if value < lo or (hi is not None and value > hi):
        raise InvalidInput(f"{what} must be between {lo} and {hi}" if hi is not None
                           else f"{what} must be at least {lo}")
    return value


def first(value: int, cap: int = MAX_FIRST, what: str = "first") -> int:
    """A page size: 0..cap."""
    return count(value, what, 0, cap)


def min_buyers(value: int) -> int:
    return count(value, "minBuyers", 1)


def known_ids(store: GraphStore, label: str, ids: Sequence[str]) -> set[str]:
    """The ids of ``ids`` that exist as ``label``."""
    return set(store.labels_of(ids, (label,)))


def covenant(store: GraphStore, value: str | None) -> str | None:
    """A covenant id that exists (None stays None: any covenant)."""
    if value is None:
        return None
    cid = value.strip()
    if not store.labels_of([cid], ("Covenant",)):
        raise NotFound(f"unknown covenant {value!r}")
    return cid


def company(store: GraphStore, value: str) -> str:
    """A company id that exists."""
    cid = value.strip()
    if not cid or not store.labels_of([cid], ("Company",)):
        raise NotFound(f"unknown company {value!r}")
    return cid
