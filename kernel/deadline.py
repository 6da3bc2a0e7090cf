"""A request's deadline, checked cooperatively by the code that does the work.

Work for a request runs in threads, which Python cannot kill; so the time
limit is a deadline carried in a context variable (it follows the request
into ``asyncio`` tasks and worker threads, which copy the context) and
checked where the work loops: the embedded store's graph walks (every
:data:`CHECK_EVERY` steps), the query layer's loops, and every store read.
The Neo4j backend hands the remaining time to the server as the
transaction's timeout, so the server stops too.

>>> with within(5.0) as d:
...     0 < remaining() <= 5.0
True
>>> remaining() is None     # no deadline outside
True
>>> with within(0.0):
...     check()
Traceback (most recent call last):
...
imvo.kernel.errors.TooExpensive: the request took longer than 0 s and was stopped: ask for less (IMVO_REQUEST_TIMEOUT)
"""
from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Iterator
from dataclasses import dataclass

from .errors import TooExpensive

__all__ = ["CHECK_EVERY", "Deadline", "check", "current", "remaining", "within"]

#: graph-walk steps between two looks at the clock (a look costs ~50 ns; 1024 steps ~100 us of work)
CHECK_EVERY = 1024


@dataclass(frozen=True)
class Deadline:
    """The moment (``time.monotonic()``) after which the request's work must stop."""

    at: float
    seconds: float

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def expired(self) -> bool:
        return time.monotonic() >= self.at

    def check(self) -> None:
        """Raise :class:`TooExpensive` once the deadline has passed."""
        if time.monotonic() >= self.at:
            raise self.error()

    def error(self) -> TooExpensive:
        return TooExpensive(f"the request took longer than {self.seconds:g} s and was stopped: ask for less "
                            f"(IMVO_REQUEST_TIMEOUT)")


_current: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar("imvo_deadline", default=None)


def current() -> Deadline | None:
    """The deadline of the work in progress, if any."""
    return _current.get()


def remaining() -> float | None:
    """Seconds left (may be negative), or None without a deadline."""
    d = _current.get()
    return None if d is None else d.remaining()


def check() -> None:
    """Raise :class:`TooExpensive` when the current deadline has passed (no deadline: nothing)."""
    d = _current.get()
    if d is not None:
        d.check()


@contextlib.contextmanager
def within(seconds: float | None) -> Iterator[Deadline | None]:
    """Run the block under a deadline ``seconds`` from now (None: no deadline).

    An enclosing, earlier deadline stays in force.
    """
    if seconds is None:
        yield _current.get()
        return
    d = Deadline(time.monotonic() + seconds, seconds)
    outer = _current.get()
    if outer is not None and outer.at <= d.at:
        d = outer
    token = _current.set(d)
    try:
        yield d
    finally:
        _current.reset(token)
