"""Tables as real files hold them: CSV in any common encoding and separator, XLSX, legacy XLS.

:func:`read_table` opens a file by what it *is* (an OLE2 workbook, a zip
workbook, or text), whatever its extension says, and returns a :class:`Table`
whose :meth:`Table.rows` yields ``(line, cells, problem)``: ``problem`` is None
for a row that was read, else a one-line reason why that row (and only that
row) could not be read.  Nothing here knows what the columns mean.

Text files
    *Encoding*: a byte-order mark (UTF-8, UTF-16) wins; then UTF-8.  A file
    that is UTF-8 but for a few bad bytes stays UTF-8 and only the rows holding
    a bad byte are reported; a file with no valid UTF-8 at all is a legacy
    encoding: Windows-1252 when the text reads as a Western one (accented
    letters are sparse within words), else the best of the other common legacy
    code pages (charset-normalizer).  ``encoding`` overrides all of this.
    *Separator*: the one of ``, ; tab |`` that splits the first rows into the
    most consistent number of cells (``delimiter`` overrides).
    *Quoting*: RFC 4180.  A quoted cell may span lines; one that is not closed
    within :data:`MAX_RECORD_LINES` lines, a malformed quote, or a cell larger
    than :data:`MAX_CELL` costs only the row it starts on: reading resumes on
    the next line.  A record spanning lines whose cell count does not fit the
    header is treated the same way (a stray quote, not a multi-line cell).

Workbooks
    XLSX through openpyxl (read-only, values of formulas), XLS through xlrd.
    Numbers that are whole print without ``.0`` (postcodes, worker counts),
    dates as ISO dates, spreadsheet errors (``#N/A``) as their text.  A
    workbook that cannot be opened is one :class:`InvalidInput` line; a sheet
    that breaks halfway costs the rows from there on, reported as one problem.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imvo.kernel.errors import InvalidInput

__all__ = ["EXCEL_ERRORS", "MAX_CELL", "MAX_RECORD_LINES", "Table", "decode", "read_table"]

#: a quoted cell not closed within this many lines is a stray quote, not a multi-line cell
MAX_RECORD_LINES = 60
#: the largest cell read (characters); a larger one costs its row
MAX_CELL = 100_000
#: cell texts that are spreadsheet errors, never values
EXCEL_ERRORS = frozenset({"#N/A", "#N/A N/A", "#NA", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!",
                          "#NULL!", "#GETTING_DATA", "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!"})

_DELIMITERS = (",", ";", "\t", "|")
_LEGACY = ("cp1251", "cp1250", "cp1254", "cp1253", "cp1257", "cp1255", "cp1256", "cp874", "cp1258",
           "gb18030", "big5", "shift_jis", "euc_kr")
_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16", "cp1252": "Windows-1252"}

csv.field_size_limit(MAX_CELL)


class _TooLong(Exception):
    """A record ran over MAX_RECORD_LINES lines."""


@dataclass
class Table:
    """A table read from a file: what it is and its rows."""

    name: str
    kind: str                                  # "csv" | "xlsx" | "xls"
    encoding: str | None = None                # text files: the encoding used
    delimiter: str | None = None               # text files: the separator used
    sheet: str | None = None                   # workbooks: the sheet read
    sheets: list[str] = field(default_factory=list)
    note: str | None = None                    # something a person should know (a legacy encoding)
    _rows: Iterator[tuple[int, list[str] | None, str | None]] | None = None
    width: int | None = None                   # set by the reader of the header (see the module notes)

    def rows(self) -> Iterator[tuple[int, list[str] | None, str | None]]:
        """``(line, cells, None)`` for a row read, ``(line, None, reason)`` for one that was not."""
        assert self._rows is not None
        return self._rows

    def describe(self) -> str:
        if self.kind == "csv":
            sep = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "bar"}.get(self.delimiter or ",", "?")
            return f"CSV, {_NAMES.get(self.encoding or '', self.encoding)}, {sep}-separated"
        return f"{self.kind.upper()} workbook, sheet {self.sheet!r}"


# ---------------------------------------------------------------------------
# text
# ---------------------------------------------------------------------------

_WORD = re.compile(r"[^\W\d_]+")


def _western(text: str) -> bool:
    """Does ``text`` (decoded as Windows-1252) read as a Western language?  Accented letters are
    a minority within the words that have any; a Cyrillic or Greek code page read as 1252
    makes whole words of them."""
    shares = [sum(not ch.isascii() for ch in w) / len(w) for w in _WORD.findall(text) if not w.isascii()]
    return not shares or sum(shares) / len(shares) < 0.5


def decode(data: bytes, encoding: str | None = None, strict_utf8: bool = False) -> tuple[str, str, bool]:
    """``(text, encoding, damaged)``: ``damaged`` when some bytes could not be decoded; they are
    kept as lone surrogates (``\\udc80``-``\\udcff``) so that only the rows holding them are lost.

    ``strict_utf8``: the file must be UTF-8 (the canonical format): no legacy guess.

    >>> decode("Café".encode("cp1252"))[1], decode("Café".encode())[1]
    ('cp1252', 'utf-8')
    >>> decode(b"A\\xff\\nB\\xc3\\xa9", strict_utf8=True)[2]
    True
    """
    if encoding:
        try:
            return data.decode(encoding, errors="surrogateescape"), encoding, False
        except LookupError:
            raise InvalidInput(f"unknown encoding {encoding!r} (e.g. utf-8, cp1252, latin-1, utf-16)") from None
    if data.startswith(b"\xef\xbb\xbf"):
        data, bom = data[3:], True
    else:
        bom = False
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) and not bom:
        return data.decode("utf-16", errors="replace"), "utf-16", False
    sample = data[:4000]
    if len(sample) >= 8 and not bom and sample.count(0) > len(sample) // 4:
        enc = "utf-16-le" if sample[1::2].count(0) > sample[0::2].count(0) else "utf-16-be"
        return data.decode(enc, errors="replace"), enc, False
    try:
        return data.decode("utf-8"), "utf-8", False
    except UnicodeDecodeError:
        pass
    if strict_utf8 or bom:
        return data.decode("utf-8", errors="surrogateescape"), "utf-8", True
    good = bad = 0
    for line in data.split(b"\n"):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            good += 1
        except UnicodeDecodeError:
            bad += 1
    if good > bad:
        return data.decode("utf-8", errors="surrogateescape"), "utf-8", True
    try:
        text = data.decode("cp1252")
        if _western(text):
            return text, "cp1252", False
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes
    best = from_bytes(data, cp_isolation=list(_LEGACY)).best()
    if best is not None and best.encoding:
        return str(best), best.encoding, False
    return data.decode("cp1252", errors="replace"), "cp1252", True


def _delimiter(lines: list[str]) -> str:
    """The separator that splits the first rows into the most consistent number of cells (> 1)."""
    head = [ln for ln in lines[:60] if ln.strip()]
    best, best_key = ",", (0, 0, 0)
    for d in _DELIMITERS:
        counts = []
        try:
            for cells in csv.reader(head, delimiter=d):
                counts.append(len(cells))
        except csv.Error:
            continue
        if not counts:
            continue
        wide = Counter(c for c in counts if c > 1)
        width, n = wide.most_common(1)[0] if wide else (1, 0)
        key = (n, width, -_DELIMITERS.index(d))
        if key > best_key:
            best, best_key = d, key
    return best


class _Lines:
    """The lines of a text, fed to csv.reader one at a time, with a cursor that can be moved back."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.i = 0
        self.start = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self.i >= len(self.lines):
            raise StopIteration
        if self.i - self.start >= MAX_RECORD_LINES:
            raise _TooLong
        line = self.lines[self.i]
        self.i += 1
        return line


_SURROGATE = re.compile("[\udc80-\udcff]")


def _rows_inside(lines: list[str], delim: str, width: int) -> bool:
    """Do the inner lines of a record spanning lines look like rows of their own (a stray quote
    swallowed them) rather than the lines of an address?"""
    need = max(2, width - 1)
    return any(line.count(delim) >= need for line in lines)


def _csv_rows(table: Table, text: str, damaged: bool) -> Iterator[tuple[int, list[str] | None, str | None]]:
    lines = list(io.StringIO(text, newline=""))
    src = _Lines(lines)
    delim = table.delimiter or ","
    while src.i < len(lines):
        src.start = src.i
        reader = csv.reader(src, delimiter=delim, strict=True)
        try:
            for cells in reader:
                first, span = src.start + 1, src.i - src.start
                if span > 1 and table.width and (len(cells) != table.width or _rows_inside(
                        src.lines[src.start + 1:src.i - 1], delim, table.width)):
                    # a stray quote swallowed the next lines: only this line is lost
                    yield first, None, ("a quote in this row is not closed where the row ends "
                                        "(the next lines were read on their own)")
                    src.i = src.start + 1
                    break
                if damaged and _SURROGATE.search("".join(cells)):
                    bad = _SURROGATE.search("".join(cells))
                    byte = ord(bad.group(0)) - 0xDC00 if bad else 0
                    enc = _NAMES.get(table.encoding or "", table.encoding)
                    yield first, None, f"the row holds a byte that is not {enc} (0x{byte:02x}); fix or remove it"
                else:
                    yield first, cells, None
                src.start = src.i
            else:
                return
        except _TooLong:
            yield src.start + 1, None, (f"a quoted cell opened in this row is not closed within "
                                        f"{MAX_RECORD_LINES} lines (the next lines were read on their own)")
            src.i = src.start + 1
        except csv.Error as exc:
            reason = str(exc)
            if "field larger" in reason:
                reason = f"a cell is larger than {MAX_CELL:,} characters"
            yield src.start + 1, None, f"malformed CSV: {reason}"
            src.i = src.start + 1


def _text_table(path: Path, data: bytes, encoding: str | None, delimiter: str | None,
                strict_utf8: bool) -> Table:
    text, enc, damaged = decode(data, encoding, strict_utf8)
    if text.lstrip()[:1] == "<" and re.search(r"<(table|html)\b", text[:5000], re.IGNORECASE):
        raise InvalidInput(f"{path.name} is a web page (HTML), not a table file: open it in a spreadsheet "
                           f"and save it as XLSX or CSV")
    lines = list(io.StringIO(text[:200_000], newline=""))
    table = Table(path.name, "csv", enc, delimiter or _delimiter(lines))
    if enc not in ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be") and not encoding:
        table.note = (f"{path.name} is not UTF-8: read as {_NAMES.get(enc, enc)}; if names look wrong, "
                      f"give the encoding in a mapping file (encoding = ...)")
    table._rows = _csv_rows(table, text, damaged)
    return table


# ---------------------------------------------------------------------------
# workbooks
# ---------------------------------------------------------------------------

def cell_text(value: Any) -> str:
    """A workbook cell as text: whole numbers without ``.0``, dates as ISO dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _sheet_rows(name: str, sheet: str, it: Iterator[list[str]]) -> Iterator[tuple[int, list[str] | None, str | None]]:
    n = 0
    while True:
        try:
            cells = next(it)
        except StopIteration:
            return
        except Exception as exc:     # a broken sheet: what was read stays read
            yield n + 1, None, (f"sheet {sheet!r} of {name} cannot be read from this row on "
                                f"({type(exc).__name__}: {str(exc)[:120]})")
            return
        n += 1
        if any(len(c) > MAX_CELL for c in cells):
            yield n, None, f"a cell is larger than {MAX_CELL:,} characters"
            continue
        yield n, cells, None


def _xlsx_table(path: Path, data: bytes, sheet: str | None, pick: Any) -> Table:
    from openpyxl import load_workbook
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:      # openpyxl raises many types for a damaged workbook
        raise InvalidInput(f"cannot read {path.name} as an Excel workbook ({type(exc).__name__}: "
                           f"{str(exc)[:120]})") from None
    names = list(wb.sheetnames)

    def values(ws: Any, limit: int | None = None) -> Iterator[list[str]]:
        for row in ws.iter_rows(values_only=True, max_row=limit):
            yield [cell_text(v) for v in row]

    try:
        ws = _choose(path, wb, names, sheet, lambda n: list(values(wb[n], 30)), pick)
    except InvalidInput:
        wb.close()
        raise

    def rows() -> Iterator[tuple[int, list[str] | None, str | None]]:
        try:
            yield from _sheet_rows(path.name, ws, values(wb[ws]))
        finally:
            wb.close()
    table = Table(path.name, "xlsx", sheet=ws, sheets=names)
    table._rows = rows()
    return table


def _xls_table(path: Path, data: bytes, sheet: str | None, pick: Any) -> Table:
    import xlrd
    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
    except Exception as exc:      # xlrd raises XLRDError, struct errors, ... for a damaged file
        raise InvalidInput(f"cannot read {path.name} as a legacy Excel (.xls) workbook "
                           f"({type(exc).__name__}: {str(exc)[:120]})") from None
    names = list(book.sheet_names())

    def values(name: str, limit: int | None = None) -> Iterator[list[str]]:
        sh = book.sheet_by_name(name)
        for r in range(sh.nrows if limit is None else min(limit, sh.nrows)):
            out = []
            for c in sh.row(r):
                if c.ctype == xlrd.XL_CELL_DATE:
                    try:
                        out.append(cell_text(xlrd.xldate_as_datetime(c.value, book.datemode)))
                    except (ValueError, OverflowError):
                        out.append(cell_text(c.value))
                elif c.ctype == xlrd.XL_CELL_ERROR:
                    out.append(xlrd.error_text_from_code.get(c.value, "#N/A"))
                elif c.ctype == xlrd.XL_CELL_BOOLEAN:
                    out.append("TRUE" if c.value else "FALSE")
                else:
                    out.append(cell_text(c.value))
            yield out

    ws = _choose(path, book, names, sheet, lambda n: list(values(n, 30)), pick)
    table = Table(path.name, "xls", sheet=ws, sheets=names)
    table._rows = _sheet_rows(path.name, ws, values(ws))
    return table


def _choose(path: Path, book: Any, names: list[str], sheet: str | None, head: Any, pick: Any) -> str:
    """The sheet to read: the one asked for, else the first whose first rows ``pick`` accepts."""
    if sheet is not None:
        if sheet not in names:
            raise InvalidInput(f"{path.name} has no sheet {sheet!r} (it has {', '.join(map(repr, names))})")
        return sheet
    if pick is not None:
        for n in names:
            try:
                if pick(head(n)):
                    return n
            except Exception:
                continue
    if not names:
        raise InvalidInput(f"{path.name} has no sheets")
    return names[0]


# ---------------------------------------------------------------------------

def read_table(path: Path, *, sheet: str | None = None, encoding: str | None = None,
               delimiter: str | None = None, strict_utf8: bool = False, pick: Any = None) -> Table:
    """Open ``path`` as a table (see the module notes).  ``pick(first rows) -> bool`` chooses the
    sheet of a workbook when ``sheet`` is not given."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return _xls_table(path, data, sheet, pick)
    if data.startswith(b"PK\x03\x04"):
        try:
            is_xlsx = "xl/workbook.xml" in zipfile.ZipFile(io.BytesIO(data)).namelist()
        except zipfile.BadZipFile:
            is_xlsx = False
        if not is_xlsx:
            raise InvalidInput(f"cannot read {path.name} as an Excel workbook: it is a zip file without "
                               f"a workbook in it (a damaged or other file)")
        return _xlsx_table(path, data, sheet, pick)
    if delimiter is not None and delimiter.lower() in ("tab", "\\t"):
        delimiter = "\t"
    return _text_table(path, data, encoding, delimiter, strict_utf8)
