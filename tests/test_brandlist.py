"""Brand supplier lists (--format brand-list): CSV and XLSX, header variants, mapping files,
provenance, and two lists meeting in shared_factories.  Store tests run on both backends."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from imvo.graph.model import rel_type
from imvo.graph.store import GraphStore, ReadQuery
from imvo.ingest import load_path
from imvo.ingest.canonical import ingest_dir
from imvo.kernel.errors import InvalidInput
from imvo.queries.access import SECRETARIAT
from imvo.queries.core import shared_factories

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "brandlists"
ACME = FIXTURES / "acme-2025.csv"
REPORTED = dt.date(2025, 3, 31)


# ---------------------------------------------------------------------------
# helpers (also used by test_oshub.py and test_matching.py)
# ---------------------------------------------------------------------------

def canonical_dataset(folder: Path) -> Path:
    """A covenant with two signatory brands, ACME and ZENITH (and NORDWIND, not a signatory)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "covenants.csv").write_text(
        "id,name,sector,signed_on\nCOV-GARMENT,Garments and textile covenant,garments,2016-07-04\n")
    (folder / "companies.csv").write_text(
        "id,name,country,kind\nACME,ACME Fashion,NL,brand\nZENITH,Zenith Retail,NL,retailer\n"
        "NORDWIND,Nordwind Mode,DE,brand\n")
    (folder / "covenant_parties.csv").write_text(
        "covenant_id,party_id,role,since\nCOV-GARMENT,ACME,signatory,2016-07-04\n"
        "COV-GARMENT,ZENITH,signatory,2017-01-01\n")
    return folder


def seed(store: GraphStore, tmp: Path) -> None:
    result = ingest_dir(store, canonical_dataset(tmp / "canonical"))
    assert result.exit_code == 0, result.rejects


def _rels_py(view: Any, *, type_: str) -> list[dict[str, Any]]:
    rows = [{"start": s["id"], "end": e["id"], "props": {k: v for k, v in r.items() if k != "key"}}
            for _, s, r, _, e in view.edges(type_)]
    return sorted(rows, key=lambda r: (r["start"], r["end"]))


def rels(store: GraphStore, type_: str) -> list[dict[str, Any]]:
    """Every relationship of a declared type: start id, end id, properties."""
    rel_type(type_)
    query = ReadQuery(f"test_rels_{type_}", f"""
        MATCH (a)-[r:{type_}]->(b)
        RETURN a.id AS start, b.id AS end, apoc_free_props AS props ORDER BY start, end
    """.replace("apoc_free_props", "properties(r)"), _rels_py)
    rows = store.read(query, type_=type_)
    for r in rows:
        r["props"].pop("key", None)
    return sorted(rows, key=lambda r: (r["start"], r["end"]))


def _nodes_py(view: Any, *, label: str) -> list[dict[str, Any]]:
    return sorted(view.nodes(label), key=lambda n: n["id"])


def nodes(store: GraphStore, label: str) -> dict[str, dict[str, Any]]:
    """{id: properties} of every node of a declared label."""
    from imvo.graph.model import node_type
    node_type(label)
    query = ReadQuery(f"test_nodes_{label}", f"MATCH (n:{label}) RETURN properties(n) AS p ORDER BY n.id",
                      lambda view, label: [{"p": n} for n in _nodes_py(view, label=label)])
    return {r["p"]["id"]: r["p"] for r in store.read(query, label=label)}


def zenith_xlsx(path: Path) -> Path:
    """Zenith's list as an Excel workbook: another layout, country codes, other spellings."""
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.title = "Production sites"
    ws.append(["Zenith Retail supplier list"])
    ws.append([])
    ws.append(["Supplier Name", "Factory Name", "Full Address", "Country Code", "Products",
               "No. of workers", "Union", "CBA"])
    ws.append(["Trendy Trading Ltd", "SUNRISE KNIT COMPOSITE LIMITED", "Plot No. 12, Rd 5, Uttara EPZ, Dhaka",
               "BD", "T-shirts", 3200, "no", None])
    ws.append([None, "EGE TEKSTIL SAN. VE TIC. AS", "Organize Sanayi Bolgesi 4. Cad. No 12, Nilufer, Bursa",
               "tr", "Jeans", "800", None, None])
    ws.append(["Trendy Trading Ltd", "Ningbo Xinhua Garment Co., Ltd.", "88 Jianshe Rd, Yinzhou, Ningbo",
               "CN", "Jackets, Coats", None, "Xinhua Trade Union Committee", "yes"])
    ws.append([None, "Shahi Exports Private Limited", "Sector 28, Faridabad, Haryana", "IN", "Shirts",
               "1001-5000", None, None])
    ws.append([None, "Hirdaramani Industries Matugama", "Agalawatta, Matugama", "LK", "Lingerie",
               None, None, None])
    ws.append([None, "Dhaka Denim Mills Ltd", "Plot 40, Road 5, Uttara EPZ, Dhaka 1230", "BD", "Jeans",
               "5000+", None, None])
    ws.append([None, "Nowhere Textiles", "Somewhere 1", "ZZ", "Jeans", None, None, None])
    wb.save(path)
    return path


# ---------------------------------------------------------------------------
# tests
# ---------------------------------------------------------------------------

def test_csv_with_recognised_headers(store: GraphStore, tmp_path: Path) -> None:
    seed(store, tmp_path)
    result = load_path(store, ACME, format="brand-list", buyer="ACME", reported_on=REPORTED,
                       matches=tmp_path / "m.sqlite")
    # rows: 10 data rows; 2 rejected whole (unknown country, missing name)
    assert result.loaded == {"acme-2025.csv": 8}
    assert (result.created, result.merged, result.held) == (8, 0, 0)
    bad = {(r.line, r.column): r.reason for r in result.rejects}
    assert "'Atlantis' is not a country" in bad[(10, "Country")]
    assert "name is missing" in bad[(12, "Facility Name")]
    assert all("\n" not in r.reason for r in result.rejects)
    assert "left out" in bad[(11, "Number of Workers")]          # approx. many
    assert "left out" in bad[(11, "Trade Union Present")]        # maybe
    assert "left out" in bad[(13, "OS ID")]                      # NOT-AN-OSID
    assert result.exit_code == 2

    f = {v["name"]: v for v in nodes(store, "Factory").values()}
    sunrise = f["Sunrise Knit Composite (Pvt.) Ltd."]
    assert sunrise["country"] == "BD" and sunrise["workers_band"] == "1001-5000"
    assert sunrise.get("workers") is None
    assert sunrise["products"] == ["T-shirts", "Polo shirts"]
    assert sunrise["processing_type"] == ["Cutting", "Sewing"]
    assert f["宁波新华服装有限公司"]["country"] == "CN" and f["宁波新华服装有限公司"]["workers"] == 2300
    assert f["Ege Tekstil Sanayi ve Ticaret A.Ş."]["country"] == "TR"
    assert f["Kaynak Örme Tekstil Ltd. Şti."]["country"] == "TR"            # "Turkey"
    assert f["Viet Tien Garment Corporation"]["workers_band"] == "<1000"
    assert f["Phnom Penh Knits Co. Ltd."].get("workers") is None
    assert all(fid.startswith("F-") for fid in nodes(store, "Factory"))

    src = "ACME supplier list acme-2025.csv"
    sourcing = rels(store, "SOURCES_FROM")
    assert len(sourcing) == 8 and {r["start"] for r in sourcing} == {"ACME"}
    for r in sourcing:
        assert r["props"]["disclosure"] == "confidential"        # a submitted list is confidential
        assert r["props"]["source"] == src
        assert r["props"]["since"] == REPORTED                    # first seen in this list
        assert r["props"]["source_type"] == "brand-list"
        assert r["props"]["reported_on"] == REPORTED
    suppliers = {v["name"]: v for v in nodes(store, "Supplier").values()}
    assert suppliers["Sunrise Group"]["kind"] == "group" and suppliers["Sunrise Group"]["country"] == "BD"
    assert suppliers["Global Sourcing (HK) Ltd"]["kind"] == "vendor"
    for type_ in ("OWNS", "BUYS_VIA", "SUPPLIES_FROM", "REPRESENTS"):
        found = rels(store, type_)
        assert found, type_
        for r in found:
            assert (r["props"]["source"], r["props"]["source_type"], r["props"]["reported_on"]) == \
                (src, "brand-list", REPORTED), type_
    assert len(rels(store, "OWNS")) == 4
    assert {r["start"] for r in rels(store, "BUYS_VIA")} == {"ACME"}
    assert len(rels(store, "SUPPLIES_FROM")) == 2                    # Sunrise and Ningbo via the agent
    # a named union with a CBA; a union said present without a name (kept: a union is there)
    reps = {r["end"]: r for r in rels(store, "REPRESENTS")}
    assert reps[sunrise["id"]]["props"]["has_cba"] is True
    shahi = f["Shahi Exports Pvt. Ltd. Unit 8"]
    assert reps[shahi["id"]]["props"].get("has_cba") is None and len(reps) == 2
    unions = {u["name"]: u for u in nodes(store, "Union").values()}
    assert sorted(unions) == ["Sunrise Garment Workers Union",
                              "Trade union at Shahi Exports Pvt. Ltd. Unit 8 (name not given)"]
    assert all(u["level"] == "workplace" for u in unions.values())


def test_reload_is_idempotent(store: GraphStore, tmp_path: Path) -> None:
    seed(store, tmp_path)
    first = load_path(store, ACME, format="brand-list", buyer="ACME", matches=tmp_path / "m.sqlite")
    before = store.counts()
    again = load_path(store, ACME, format="brand-list", buyer="ACME", matches=tmp_path / "m.sqlite")
    assert store.counts() == before
    assert (again.created, again.merged, again.held) == (0, first.created, 0)


def test_xlsx_lists_meet_in_shared_factories(store: GraphStore, tmp_path: Path) -> None:
    seed(store, tmp_path)
    queue = tmp_path / "m.sqlite"
    load_path(store, ACME, format="brand-list", buyer="ACME", matches=queue, reported_on=REPORTED)
    result = load_path(store, zenith_xlsx(tmp_path / "zenith.xlsx"), format="brand-list", buyer="ZENITH",
                       matches=queue, reported_on=REPORTED)
    # Sunrise, Ege and Ningbo merged automatically; Shahi (a unit number on one side only) waits for
    # review; Hirdaramani Industries (another name than Hirdaramani Mercury Apparel) and Dhaka Denim are
    # new; ZZ is not a country
    assert (result.merged, result.held, result.created) == (3, 1, 2)
    assert [(r.line, r.column) for r in result.rejects] == [(10, "Country Code")]
    shared = shared_factories(store, SECRETARIAT, covenant_id="COV-GARMENT", as_of=dt.date(2026, 1, 1))
    names = sorted(s.factory.name for s in shared)
    assert names == ["Ege Tekstil Sanayi ve Ticaret A.Ş.", "Sunrise Knit Composite (Pvt.) Ltd.",
                     "宁波新华服装有限公司"]       # the first list's spelling stays
    assert all(s.buyer_count == 2 and [b.id for b in s.buyers] == ["ACME", "ZENITH"] for s in shared)
    sunrise = next(s.factory for s in shared if s.factory.name.startswith("Sunrise"))
    assert sunrise.props["workers"] == 3200 and sunrise.props["workers_band"] == "1001-5000"
    ningbo_union = [r for r in rels(store, "REPRESENTS") if r["props"]["source"].startswith("ZENITH")]
    assert len(ningbo_union) == 1 and ningbo_union[0]["props"]["has_cba"] is True
    # a "no" in the union column is no union
    assert len(nodes(store, "Union")) == 3
    # the vendor is matched across the two lists' spellings, and SUPPLIES_FROM carries buyer and disclosure
    vendors = [v for v in nodes(store, "Supplier").values() if v["kind"] == "vendor"]
    assert sorted(v["name"] for v in vendors) == ["Global Sourcing (HK) Ltd", "Trendy Trading Ltd"]
    for r in rels(store, "SUPPLIES_FROM"):
        assert r["props"]["buyer"] in ("ACME", "ZENITH") and r["props"]["disclosure"] == "confidential"


def test_mapping_file_and_unmappable_values(store: GraphStore, tmp_path: Path) -> None:
    seed(store, tmp_path)
    csv_file = FIXTURES / "nordwind-custom.csv"
    odd = tmp_path / "odd.csv"
    odd.write_text("Lfd;Bezeichnung;Anschrift;Staat\n1;Tricotaje Brasov SA;Str. Zizinului 3;Romania\n")
    with pytest.raises(InvalidInput, match=r"no column names the production site.*'Bezeichnung'.*name = .*--map"):
        load_path(store, odd, format="brand-list", buyer="NORDWIND", matches=tmp_path / "m.sqlite")
    result = load_path(store, csv_file, format="brand-list", buyer="NORDWIND",
                       mapping=FIXTURES / "nordwind-custom.map", matches=tmp_path / "m.sqlite")
    assert result.loaded == {"nordwind-custom.csv": 3}
    (bad,) = result.rejects
    assert (bad.line, bad.column, bad.value) == (4, "Land", "Rumänien")      # never guessed
    f = {v["name"]: v for v in nodes(store, "Factory").values()}
    rocha = f["Têxteis Rocha Lda."]
    assert rocha["country"] == "PT" and rocha["workers"] == 240 and rocha["products"] == ["Strickwaren"]
    assert rocha["address"] == "Rua da Indústria 45, Vila Nova de Famalicão, 4760-123"
    assert f["Sunrise Knit Composite Ltd"]["country"] == "BD"
    (owns,) = rels(store, "OWNS")
    assert nodes(store, "Supplier")[owns["start"]]["name"] == "Rocha Holding SGPS"


def test_xlsx_with_json_mapping(store: GraphStore, tmp_path: Path) -> None:
    from openpyxl import Workbook
    seed(store, tmp_path)
    wb = Workbook()
    wb.active.title = "Notes"
    wb.active.append(["This workbook lists our suppliers on the next sheet"])
    ws = wb.create_sheet("Lieferanten")
    ws.append(["Werk", "Anschrift", "Staat", "Konzern", "Gewerkschaft", "Tarifvertrag"])
    ws.append(["Ha-Meem Denim Ltd", "Tetuljhora, Hemayetpur, Savar, Dhaka", "Bangladesh", "Ha-Meem Group",
               "Ha-Meem Sramik Union", "nein"])
    ws.append(["Ha-Meem Denim Ltd", "Tetuljhora, Hemayetpur, Savar, Dhaka", "Bangladesh", None, None, None])
    wb.save(tmp_path / "nw.xlsx")
    (tmp_path / "nw.json").write_text(
        '{"sheet": "Lieferanten", "name": "Werk", "address": "Anschrift", "country": "Staat", '
        '"parent": "Konzern", "union_name": "Gewerkschaft", "cba": "Tarifvertrag"}')
    result = load_path(store, tmp_path / "nw.xlsx", format="brand-list", buyer="NORDWIND",
                       mapping=tmp_path / "nw.json", matches=tmp_path / "m.sqlite")
    assert result.loaded == {"nw.xlsx": 2} and (result.created, result.merged) == (1, 0)
    assert "nein" in str(result.rejects[0]) or result.rejects[0].value == "nein"
    assert len(nodes(store, "Factory")) == 1
    (rep,) = rels(store, "REPRESENTS")
    assert nodes(store, "Union")[rep["start"]]["name"] == "Ha-Meem Sramik Union"


@pytest.mark.parametrize("kwargs, message", [
    ({}, "needs --buyer ID .* or --buyer-column"),
    ({"buyer": "NOBODY"}, "unknown buyer 'NOBODY'"),
    ({"buyer": "ACME", "mapping": FIXTURES / "missing.map"}, "cannot read the mapping file"),
    ({"buyer": "ACME", "mapping": "bad-field"}, "unknown field 'factory'"),
    ({"buyer": "ACME", "mapping": "bad-column"}, "has no such column"),
    ({"buyer": "ACME", "mapping": "bad-json"}, "not valid JSON"),
])
def test_bad_arguments_are_one_line_errors(store: GraphStore, tmp_path: Path, kwargs: dict,
                                           message: str) -> None:
    seed(store, tmp_path)
    maps = {"bad-field": ("m.map", "factory = Facility Name\n"),
            "bad-column": ("m.map", "name = Werk\n"), "bad-json": ("m.json", "{name: Werk")}
    if kwargs.get("mapping") in maps:
        name, text = maps[kwargs["mapping"]]
        (tmp_path / name).write_text(text)
        kwargs = {**kwargs, "mapping": tmp_path / name}
    with pytest.raises(InvalidInput, match=message) as info:
        load_path(store, ACME, format="brand-list", matches=tmp_path / "m.sqlite", **kwargs)
    assert "\n" not in str(info.value)


def test_unreadable_files(store: GraphStore, tmp_path: Path) -> None:
    seed(store, tmp_path)
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 600)
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    (tmp_path / "empty.csv").write_text("")
    for path, message in ((tmp_path / "old.xls", "legacy Excel"),
                          (tmp_path / "broken.xlsx", "cannot read broken.xlsx as an Excel workbook"),
                          (tmp_path / "empty.csv", "is empty"),
                          (tmp_path, "is not a file")):
        with pytest.raises(InvalidInput, match=message):
            load_path(store, path, format="brand-list", buyer="ACME", matches=tmp_path / "m.sqlite")


def test_windows_encoded_semicolon_csv(store: GraphStore, tmp_path: Path) -> None:
    seed(store, tmp_path)
    path = tmp_path / "excel-export.csv"
    path.write_bytes("Factory name;Street;City;Postal code;Country\n"
                     "Confecções Marília Lda;Rua Direita 5;Guimarães;4800-001;Portugal\n".encode("cp1252"))
    result = load_path(store, path, format="brand-list", buyer="ACME", matches=tmp_path / "m.sqlite")
    assert result.rejects == [] and result.loaded == {"excel-export.csv": 1}
    (f,) = nodes(store, "Factory").values()
    assert f["name"] == "Confecções Marília Lda" and f["address"] == "Rua Direita 5, Guimarães, 4800-001"
