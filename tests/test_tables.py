"""Reading tables as real files hold them: encodings, separators, broken quotes, huge cells, XLSX, XLS.

A bad byte, an unterminated quote or a huge cell costs only the row it is in; a
workbook that cannot be opened is one line."""
from __future__ import annotations

from pathlib import Path

import pytest

from imvo.ingest.tables import MAX_CELL, MAX_RECORD_LINES, read_table
from imvo.kernel.errors import InvalidInput


def _rows(path: Path, **kw: object) -> tuple[list[tuple[int, list[str]]], list[tuple[int, str]], object]:
    table = read_table(path, **kw)  # type: ignore[arg-type]
    good, bad = [], []
    for line, cells, problem in table.rows():
        if problem is None:
            assert cells is not None
            good.append((line, cells))
        else:
            bad.append((line, problem))
        if line == 1 and cells:
            table.width = len(cells)
    return good, bad, table


@pytest.mark.parametrize("encoding, name", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8"), ("cp1252", "cp1252"),
                                            ("utf-16", "utf-16"), ("cp1251", "cp1251")])
def test_encodings(tmp_path: Path, encoding: str, name: str) -> None:
    text = ("Factory name;City;Country\nConfecções Marília Lda;Guimarães;Portugal\nÜnal Örme;Bursa;Türkiye\n"
            if encoding != "cp1251" else
            "name;city;country\nТекстильная фабрика Заря;Иваново;Россия\nШвейная фабрика Волна;Тверь;Россия\n")
    path = tmp_path / "list.csv"
    path.write_bytes(text.encode(encoding))
    good, bad, table = _rows(path)
    assert bad == []
    assert table.encoding.startswith(name)  # type: ignore[attr-defined]
    assert table.delimiter == ";"  # type: ignore[attr-defined]
    assert [cells[0] for _, cells in good[1:]] == [line.split(";")[0] for line in text.splitlines()[1:]]


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_separators_are_detected_even_under_a_title_row(tmp_path: Path, sep: str) -> None:
    path = tmp_path / "list.csv"
    path.write_text("Supplier list of ACME, March 2025\n"
                    + "\n".join(sep.join(r) for r in (["Factory", "Address", "Country"],
                                                      ["Knit Ltd", "Plot 1 Road 2", "BD"],
                                                      ["Denim Ltd", "Sector 3", "IN"])) + "\n")
    good, bad, table = _rows(path)
    assert bad == [] and table.delimiter == sep  # type: ignore[attr-defined]
    assert good[-1][1] == ["Denim Ltd", "Sector 3", "IN"]


def test_one_bad_byte_costs_only_its_row(tmp_path: Path) -> None:
    path = tmp_path / "companies.csv"
    path.write_bytes(b"id,name,country\nC1,Caf\xc3\xa9 One,NL\nC2,Bad \xff byte,NL\nC3,Three,NL\n")
    good, bad, _ = _rows(path, strict_utf8=True)
    assert [c[0] for _, c in good[1:]] == ["C1", "C3"]
    assert [line for line, _ in bad] == [3] and "0xff" in bad[0][1] and "\n" not in bad[0][1]


def test_an_unterminated_quote_costs_only_its_row(tmp_path: Path) -> None:
    lines = ["id,name,country", 'C1,"Unclosed quote,NL'] + [f"C{i},Name {i},NL" for i in range(2, 100)]
    path = tmp_path / "c.csv"
    path.write_text("\n".join(lines) + "\n")
    good, bad, _ = _rows(path)
    assert [line for line, _ in bad] == [2] and "not closed" in bad[0][1]
    assert len(good) == 1 + 98 and good[-1][1] == ["C99", "Name 99", "NL"]
    assert MAX_RECORD_LINES < 100


def test_a_stray_quote_pairing_with_a_later_one_costs_only_its_row(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text('id,name,country\nC1,"Plot 5,NL\nC2,Two,NL\nC3,Three",NL\nC4,Four,NL\n')
    good, bad, _ = _rows(path)
    assert next(line for line, _ in bad) == 2
    assert ["C2", "Two", "NL"] in [c for _, c in good] and ["C4", "Four", "NL"] in [c for _, c in good]


def test_multi_line_quoted_cells_are_one_row(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text('name,address,country\n"Knit Ltd","Plot 1\nRoad 2\nDhaka",BD\nDenim Ltd,Sector 3,IN\n')
    good, bad, _ = _rows(path)
    assert bad == [] and good[1] == (2, ["Knit Ltd", "Plot 1\nRoad 2\nDhaka", "BD"]) and good[2][0] == 5


def test_a_huge_cell_costs_only_its_row(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(f'id,name,country\nC1,"{"x" * (MAX_CELL + 10)}",NL\nC2,Two,NL\n')
    good, bad, _ = _rows(path)
    assert [line for line, _ in bad] == [2] and "larger than" in bad[0][1]
    assert good[-1][1] == ["C2", "Two", "NL"]


def test_workbooks_by_content_not_extension(tmp_path: Path) -> None:
    import xlwt
    from openpyxl import Workbook
    wb = Workbook()
    wb.active.append(["Factory Name", "Postcode", "Country"])
    wb.active.append(["Knit Ltd", 97220, "USA"])
    wb.save(tmp_path / "a.xlsx")
    (tmp_path / "a-named-csv.csv").write_bytes((tmp_path / "a.xlsx").read_bytes())
    book = xlwt.Workbook()
    sh = book.add_sheet("Factories")
    for r, row in enumerate([["Our suppliers"], [], ["Factory Name", "Postcode", "Country"],
                             ["Denim Ltd", 97220.0, "Bosnia"]]):
        for c, v in enumerate(row):
            sh.write(r, c, v)
    book.save(str(tmp_path / "b.xls"))
    for path, kind, want in ((tmp_path / "a.xlsx", "xlsx", ["Knit Ltd", "97220", "USA"]),
                             (tmp_path / "a-named-csv.csv", "xlsx", ["Knit Ltd", "97220", "USA"]),
                             (tmp_path / "b.xls", "xls", ["Denim Ltd", "97220", "Bosnia"])):
        good, bad, table = _rows(path)
        assert bad == [] and table.kind == kind and good[-1][1] == want  # type: ignore[attr-defined]


@pytest.mark.parametrize("content, message", [
    (b"PK\x03\x04 not really a workbook", "cannot read"),
    (b"\xd0\xcf\x11\xe0" + b"\x00" * 600, "legacy Excel"),
    (b"<html><body><table><tr><td>Factory</td></tr></table></body></html>", "web page"),
])
def test_unreadable_workbooks_are_one_line(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "list.xls"
    path.write_bytes(content)
    with pytest.raises(InvalidInput, match=message) as info:
        read_table(path)
    assert "\n" not in str(info.value)
