"""Cells a spreadsheet opens as text, never as a formula (CSV / formula injection).

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
read by Excel, LibreOffice and Google Sheets as a formula (``=HYPERLINK(...)``,
``@SUM(...)``); every CSV the project writes passes its cells through
:func:`safe_cell`, which prefixes such a cell with an apostrophe (the OWASP
recommendation).  Numbers are left alone, so ``-0.5`` stays a number.

>>> safe_cell("=HYPERLINK(\\"http://x\\")"), safe_cell("-5"), safe_cell(-5), safe_cell("Acme")
('\\'=HYPERLINK("http://x")', '-5', -5, 'Acme')
>>> safe_cell("@SUM(A1)"), safe_cell("+31 20 123"), safe_cell("-x")
("'@SUM(A1)", "'+31 20 123", "'-x")
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

__all__ = ["safe_cell", "safe_row"]

_FORMULA = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet shows it literally (strings only; other types unchanged)."""
    if isinstance(value, str) and value.startswith(_FORMULA) and not (
            value[0] == "-" and _NUMBER.match(value)):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in values]
