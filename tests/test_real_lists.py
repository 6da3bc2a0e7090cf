"""Real supplier lists as secretariats receive them: every sample layout, header variants read without
guessing, countries in the forms lists use, compiled lists, confidentiality, the yearly cycle
(``--replace``, ``asOf``), ``--dry-run``.  Store tests run on both backends; the samples are read
from ``../shared/samples`` (skipped, with the reason, when that folder is absent)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import SHARED_SAMPLES
from test_brandlist import nodes, rels, seed

from imvo.graph.store import GraphStore
from imvo.ingest import Preview, load_path
from imvo.ingest.brandlist import assign_columns, parse_country, read_header
from imvo.ingest.canonical import ingest_dir
from imvo.kernel.errors import InvalidInput

D25, D26 = dt.date(2025, 3, 31), dt.date(2026, 3, 31)


def sample(name: str) -> Path:
    path = SHARED_SAMPLES / name
    if not path.exists():
        pytest.skip(f"the shared real-world samples are not at {SHARED_SAMPLES}")
    return path


def write(path: Path, text: str) -> Path:
    path.write_text(text.lstrip("\n"), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------
# which column is the site: never a guess
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("header, site", [
    (["name", "city", "state", "country", "workerCount"], "name"),                      # a retailer's list
    (["country", "name", "address", "sector", "lat", "lng"], "name"),                   # Open Supply Hub uploads
    (["COMPANY NAME", "ADDRESS", "COUNTRY"], "COMPANY NAME"),
    (["Supplier Name", "Factory Name", "Factory Address", "Country"], "Factory Name"),   # the vendor is no site
    (["company_name", "supplier_address", "supplier_name", "Country"], "supplier_name"),  # its subject has the address
    (["Vendor", "Facility Name (English)", "Facility Name (Chinese)", "Country/Region"], "Facility Name (English)"),
    (["Factory Name / Fabrieksnaam", "Adres", "Land"], "Factory Name / Fabrieksnaam"),
    (["Betriebsstätte", "Straße", "PLZ", "Ort", "Land"], "Betriebsstätte"),
    (["Name of the factory", "Parent company", "Country of production"], "Name of the factory"),
])
def test_the_site_column(header: list[str], site: str) -> None:
    cols = assign_columns(header, None, "list.csv")
    assert header[cols.fields["name"][0]] == site
    assert "country" in cols.fields


@pytest.mark.parametrize("header, message", [
    (["Vendor name", "Parent company", "Address", "Country"], "'Vendor name' \\(vendor\\).*never the site"),
    (["Factory name", "Facility name", "Country"],
     "which column is the production site's name\\? 'Factory name', 'Facility name'"),
    (["name", "company name", "Country"], "'name', 'company name' could each be"),
    (["Lfd", "Bezeichnung", "Country"], "candidates: 'Lfd', 'Bezeichnung'"),
    (["Factory name", "Address", "City"], "no column gives the site's country"),
])
def test_a_site_that_cannot_be_read_without_guessing_is_refused_in_one_line(header: list[str],
                                                                           message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as info:
        assign_columns(header, None, "list.csv")
    assert "\n" not in str(info.value) and "--map" in str(info.value)


def test_headers_other_subjects_are_not_the_sites() -> None:
    cols = assign_columns(["Factory Name", "Supplier Name", "Supplier Address", "Address", "Country",
                           "Brands produced", "% Female workers"], None, "l.csv")
    h = cols.header
    assert h[cols.first("vendor")] == "Supplier Name" and h[cols.first("address")] == "Address"
    described = dict(cols.describe())
    assert described["Supplier Address"].startswith("not read (describes the supplier")
    assert "--buyer-column" in described["Brands produced"]
    assert read_header("Colour") is None


@pytest.mark.parametrize("text, code", [
    ("China Mainland", "CN"), ("Korea (Republic of)", "KR"), ("Moldova (Republic of)", "MD"), ("Bosnia", "BA"),
    ("USA", "US"), ("Türkiye", "TR"), ("TURKIYE", "TR"), ("Viet Nam", "VN"), ("Hong Kong SAR, China", "HK"),
    ("Taiwan, China", "TW"), ("Congo (Democratic Republic of the)", "CD"), ("Philippines (the)", "PH"),
    ("Dhaka, Bangladesh", "BD"), ("Bangladesh (BD)", "BD"), ("CAMBODIA", "KH"), ("u.s.a.", "US"),
])
def test_countries_in_the_forms_lists_use(text: str, code: str) -> None:
    assert parse_country(text) == code


@pytest.mark.parametrize("text", ["Asia", "Rumänien", "Georgia, Jordan", "Narnia"])
def test_countries_are_never_guessed(text: str) -> None:
    assert parse_country(text) is None


# ---------------------------------------------------------------------------
# every real sample
# ---------------------------------------------------------------------------

SAMPLE_FILES = ["amazon-suppliers-2019.csv", "odsas-template.csv", "odsas-template.xlsx",
                *[f"oshub-contributor-lists/{n}" for n in (
                    "Fall 2017 Compliance List.csv", "Fall 2018 Compliance List.csv", "Spring 2017 Apparel List.csv",
                    "Spring 2019 Compliance List.csv", "Summer 2017 Compliance List.csv",
                    "Summer 2018 Affiliate List.csv", "Summer 2019 Affiliate List.csv",
                    "Summer 2019 Apparel List.csv", "Summer 2019 Compliance List.csv",
                    "Winter 2017 Affiliate List.csv", "Winter 2017 Compliance List.csv",
                    "Winter 2018 Apparel List.csv", "Winter 2019 Compliance List V2.csv",
                    "Winter 2019 Compliance List.csv")]]


def test_the_samples_folder_holds_the_files_tested() -> None:
    if not SHARED_SAMPLES.is_dir():
        pytest.skip(f"the shared real-world samples are not at {SHARED_SAMPLES}")
    found = {p.relative_to(SHARED_SAMPLES).as_posix() for p in SHARED_SAMPLES.rglob("*")
             if p.is_file() and p.suffix in (".csv", ".xlsx", ".xls")}
    assert found == {*SAMPLE_FILES, "oshub-download-wilmar.csv", "wikirate-22-brands-suppliers.csv"}


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_every_brand_list_sample_loads_as_it_is(name: str, tmp_path: Path) -> None:
    from imvo.graph.embedded import EmbeddedStore
    path = sample(name)
    store = EmbeddedStore(tmp_path / "data")
    seed(store, tmp_path)
    result = load_path(store, path, format="brand-list", buyer="ACME", reported_on=D25,
                       matches=tmp_path / "m.sqlite")
    assert len(result.rejects) <= max(1, result.rows) * 0.01, result.rejects[:3]
    expected_rows = {"odsas-template.csv": 0, "odsas-template.xlsx": 0, "amazon-suppliers-2019.csv": 1049}
    if name in expected_rows:
        assert result.rows == expected_rows[name]
    else:
        assert result.rows >= 14
    links = rels(store, "SOURCES_FROM")
    assert all(r["props"]["disclosure"] == "confidential" and r["props"]["since"] == D25 for r in links)


def test_the_retailers_list_bands_cities_and_xy(store: GraphStore, tmp_path: Path) -> None:
    seed(store, tmp_path)
    result = load_path(store, sample("amazon-suppliers-2019.csv"), format="brand-list", buyer="ZENITH",
                       reported_on=D25, matches=tmp_path / "m.sqlite")
    assert result.exit_code == 0 and result.rows == 1049
    f = {v["name"]: v for v in nodes(store, "Factory").values()}
    welspun = f["Welspun India Limited Anjar"]
    assert welspun["country"] == "IN" and welspun["address"] == "Anjar, Gujarat"
    assert welspun["workers_band"] == ">1001" and welspun.get("workers") is None
    assert welspun["lon"] == pytest.approx(70.028) and welspun["lat"] == pytest.approx(23.11)
    # one site listed twice (same name, same city) is one factory; two sites of one company are two
    assert result.created < 1049
    assert {"Brandix Apparel Solutions Limited - Essentials"} <= set(f)
    brandix = [v for v in nodes(store, "Factory").values()
               if v["name"].startswith("Brandix Apparel Solutions Limited - Essentials")]
    assert len(brandix) >= 3


def test_the_22_brand_file_is_refused_until_it_says_where_the_country_is(store: GraphStore, tmp_path: Path) -> None:
    path = sample("wikirate-22-brands-suppliers.csv")
    seed(store, tmp_path)
    with pytest.raises(InvalidInput, match=r"no column gives the site's country.*country = ") as info:
        load_path(store, path, format="brand-list", buyer_column="company_name", matches=tmp_path / "m.sqlite")
    assert "\n" not in str(info.value)
    mapping = write(tmp_path / "w.map", "country = supplier_address\n")
    with pytest.raises(InvalidInput, match=r"none of the buyers in the column 'company_name'.*'H & M, Hennes"):
        load_path(store, path, format="brand-list", buyer_column="company_name", mapping=mapping,
                  matches=tmp_path / "m.sqlite")
    folder = tmp_path / "brands"
    folder.mkdir()
    write(folder / "companies.csv", """
id,name,country,kind
HM,"H&M Hennes & Mauritz AB",SE,brand
NIKE,nike inc,US,brand
""")
    assert ingest_dir(store, folder).exit_code == 0
    result = load_path(store, path, format="brand-list", buyer_column="company_name", mapping=mapping,
                       matches=tmp_path / "m.sqlite", reported_on=D25)
    by_buyer: dict[str, int] = {}
    for r in rels(store, "SOURCES_FROM"):
        by_buyer[r["start"]] = by_buyer.get(r["start"], 0) + 1
    assert set(by_buyer) == {"HM", "NIKE"} and by_buyer["NIKE"] >= 10
    unknown = [r for r in result.rejects if r.column == "company_name"]
    assert unknown and all("unknown buyer" in r.reason for r in unknown)
    assert any("Tesco" in r.value for r in unknown)
    no_country = [r for r in result.rejects if r.column == "supplier_address"]
    assert no_country                                   # rows whose address names no country: reported


# ---------------------------------------------------------------------------
# values
# ---------------------------------------------------------------------------

def test_postcodes_made_numbers_cba_without_union_and_missing_markers(store: GraphStore, tmp_path: Path) -> None:
    seed(store, tmp_path)
    path = write(tmp_path / "l.csv", """
Factory Name,Street,City,Zip,Country,Trade union,CBA,Number of workers
Columbia Knit,7000 NE Airport Way,Portland,97220.0,USA,No,Yes,N/A
Sarajevo Tekstil,Zmaja od Bosne 7,Sarajevo,71000,Bosnia,,yes,#N/A
Dhaka Knit,Plot 5,Dhaka,-,Bangladesh,Dhaka Knit Sramik Union,no,120
""")
    result = load_path(store, path, format="brand-list", buyer="ACME", matches=tmp_path / "m.sqlite")
    assert [(r.line, r.column) for r in result.rejects] == [(3, "Number of workers")]   # the spreadsheet error
    assert "spreadsheet error #N/A" in result.rejects[0].reason and "row was loaded" in result.rejects[0].reason
    f = {v["name"]: v for v in nodes(store, "Factory").values()}
    assert f["Columbia Knit"]["address"] == "7000 NE Airport Way, Portland, 97220"
    assert f["Columbia Knit"]["country"] == "US" and f["Columbia Knit"]["has_cba"] is True
    assert f["Sarajevo Tekstil"]["country"] == "BA" and f["Sarajevo Tekstil"]["has_cba"] is True
    assert f["Dhaka Knit"]["address"] == "Plot 5, Dhaka" and f["Dhaka Knit"]["workers"] == 120
    (union,) = nodes(store, "Union").values()          # a CBA alone invents no workplace union
    assert union["name"] == "Dhaka Knit Sramik Union"
    (rep,) = rels(store, "REPRESENTS")
    assert rep["props"]["has_cba"] is False


def test_a_legacy_xls_with_a_title_row(store: GraphStore, tmp_path: Path) -> None:
    import xlwt
    seed(store, tmp_path)
    book = xlwt.Workbook()
    book.add_sheet("About").write(0, 0, "Published by Zenith Retail, 2025")
    sh = book.add_sheet("Factory list")
    rows = [["Zenith Retail - tier 1 production sites (map export)"], [],
            ["Manufacturer Name", "Address", "Postal code", "Country", "Number of Employees"],
            ["Sunrise Knit Composite Ltd", "Plot 12, Road 5, Uttara EPZ", 1230.0, "BANGLADESH", 3200.0],
            ["Ege Tekstil", "Organize Sanayi Bolgesi", 16140.0, "Türkiye", "750"]]
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            sh.write(r, c, v)
    book.save(str(tmp_path / "zenith-map.xls"))
    preview = Preview()
    result = load_path(store, tmp_path / "zenith-map.xls", format="brand-list", buyer="ZENITH",
                       matches=tmp_path / "m.sqlite", preview=preview)
    assert result.exit_code == 0 and result.rows == 2
    assert "XLS workbook, sheet 'Factory list'" in preview.table and "header on row 3" in preview.table
    f = {v["name"]: v for v in nodes(store, "Factory").values()}
    assert f["Sunrise Knit Composite Ltd"]["address"] == "Plot 12, Road 5, Uttara EPZ, 1230"
    assert f["Sunrise Knit Composite Ltd"]["workers"] == 3200 and f["Ege Tekstil"]["country"] == "TR"


def test_disclosure_levels(store: GraphStore, tmp_path: Path) -> None:
    seed(store, tmp_path)
    path = write(tmp_path / "l.csv", "Factory name,Address,Country\nKnit Ltd,Plot 1 Road 2 Savar,BD\n")
    for level in ("covenant", "public", "confidential"):
        load_path(store, path, format="brand-list", buyer="ACME", disclosure=level, matches=tmp_path / "m.sqlite")
        (link,) = rels(store, "SOURCES_FROM")
        assert link["props"]["disclosure"] == level
    with pytest.raises(InvalidInput, match="--disclosure 'secret'"):
        load_path(store, path, format="brand-list", buyer="ACME", disclosure="secret", matches=tmp_path / "m.sqlite")


def test_a_compiled_list_names_each_rows_buyers(store: GraphStore, tmp_path: Path) -> None:
    seed(store, tmp_path)
    path = write(tmp_path / "compiled.csv", """
Brand,Factory name,Address,Country
acme fashion,Knit Ltd,Plot 1 Road 2 Savar,BD
"ZENITH; ACME",Denim Ltd,Sector 3 Faridabad,IN
Zenith Retail,Shoe Ltd,Sokak 4 Bursa,TR
Nobody Ltd,Ghost Ltd,Street 9 Lahore,PK
""")
    result = load_path(store, path, format="brand-list", buyer_column="Brand", matches=tmp_path / "m.sqlite")
    ((reject),) = result.rejects
    assert (reject.line, reject.column, reject.value) == (5, "Brand", "Nobody Ltd")
    assert "unknown buyer 'Nobody Ltd'" in reject.reason
    links = sorted((r["start"], nodes(store, "Factory")[r["end"]]["name"]) for r in rels(store, "SOURCES_FROM"))
    assert links == [("ACME", "Denim Ltd"), ("ACME", "Knit Ltd"), ("ZENITH", "Denim Ltd"), ("ZENITH", "Shoe Ltd")]
    with pytest.raises(InvalidInput, match=r"--buyer-column names the column 'Buyer'"):
        load_path(store, path, format="brand-list", buyer_column="Buyer", matches=tmp_path / "m.sqlite")
    with pytest.raises(InvalidInput, match=r"the column 'Brand' may name the buyers"):
        load_path(store, path, format="brand-list", matches=tmp_path / "m.sqlite")


# ---------------------------------------------------------------------------
# the yearly cycle
# ---------------------------------------------------------------------------

LIST_2025 = """
Factory Name,Address,Country,Vendor
Sunrise Knit Composite (Pvt.) Ltd.,"Plot 12, Road 5, Uttara EPZ, Dhaka 1230",Bangladesh,Global Sourcing (HK) Ltd
Ege Tekstil Sanayi ve Ticaret A.Ş.,"Organize Sanayi Bölgesi 4. Cadde No:12, 16140 Nilüfer/Bursa",Türkiye,
Viet Tien Garment Corporation,"7 Le Minh Xuan, Tan Binh District, Ho Chi Minh City",Viet Nam,
"""
LIST_2026 = """
Factory Name,Address,Country,Vendor
SUNRISE KNIT COMPOSITE LIMITED,"Plot 12, Rd 5, Uttara EPZ, Dhaka",BANGLADESH,Global Sourcing HK Limited
Ege Tekstil San. ve Tic. A.S.,"Organize Sanayi Bolgesi 4. Cad. No 12, Nilufer, Bursa",Turkey,
Dhaka Denim Mills Ltd,"Plot 40, Road 5, Uttara EPZ, Dhaka 1230",Bangladesh,
"""


def _sourcing_as_of(store: GraphStore, day: str) -> list[tuple[str, str | None, str | None]]:
    from support.server import LiveServer
    with LiveServer(store) as server:
        doc = server.graphql(f'{{ company(id: "ACME") {{ sourcing(asOf: "{day}") {{ factory {{ name }} '
                             f'since until disclosure reportedOn }} }} }}', "sekret")
    assert "errors" not in doc, doc
    return sorted((s["factory"]["name"], s["since"], s["until"]) for s in doc["data"]["company"]["sourcing"])


def test_next_years_list_replaces_this_years_and_each_year_shows_as_it_was(store: GraphStore,
                                                                          tmp_path: Path) -> None:
    seed(store, tmp_path)
    q = tmp_path / "m.sqlite"
    first = load_path(store, write(tmp_path / "acme-2025.csv", LIST_2025), format="brand-list", buyer="ACME",
                      reported_on=D25, replace=True, matches=q)
    assert (first.count("added"), first.count("continued"), first.count("ended")) == (3, 0, 0)
    second = load_path(store, write(tmp_path / "acme-2026.csv", LIST_2026), format="brand-list", buyer="ACME",
                       reported_on=D26, replace=True, matches=q)
    changes = {c.factory: (c.change, c.since, c.until) for c in second.changes}
    assert changes == {"Sunrise Knit Composite (Pvt.) Ltd.": ("continued", D25, None),   # respelled: one node
                       "Ege Tekstil Sanayi ve Ticaret A.Ş.": ("continued", D25, None),
                       "Dhaka Denim Mills Ltd": ("added", D26, None),
                       "Viet Tien Garment Corporation": ("ended", D25, D26)}
    assert len(nodes(store, "Factory")) == 4
    y25 = _sourcing_as_of(store, "2025-06-30")
    y26 = _sourcing_as_of(store, "2026-06-30")
    assert [n for n, _, _ in y25] == ["Ege Tekstil Sanayi ve Ticaret A.Ş.", "Sunrise Knit Composite (Pvt.) Ltd.",
                                      "Viet Tien Garment Corporation"]
    assert [n for n, _, _ in y26] == ["Dhaka Denim Mills Ltd", "Ege Tekstil Sanayi ve Ticaret A.Ş.",
                                      "Sunrise Knit Composite (Pvt.) Ltd."]
    assert ("Sunrise Knit Composite (Pvt.) Ltd.", "2025-03-31", None) in y26    # it kept its since
    assert _sourcing_as_of(store, "2025-01-01") == []
    # the vendor links follow: the buyer still buys through the one vendor, spelled two ways
    (via,) = rels(store, "BUYS_VIA")
    assert via["props"]["since"] == D25 and via["props"].get("until") is None
    # loading the 2026 list again changes nothing; loading it without --replace ends nothing
    before = rels(store, "SOURCES_FROM")
    again = load_path(store, tmp_path / "acme-2026.csv", format="brand-list", buyer="ACME", reported_on=D26,
                      replace=True, matches=q)
    assert again.count("ended") == 0 and rels(store, "SOURCES_FROM") == before


def test_a_corrected_list_of_the_same_day_reopens_what_it_ended(store: GraphStore, tmp_path: Path) -> None:
    seed(store, tmp_path)
    q = tmp_path / "m.sqlite"
    load_path(store, write(tmp_path / "a.csv", LIST_2025), format="brand-list", buyer="ACME", reported_on=D25,
              replace=True, matches=q)
    short = write(tmp_path / "b.csv", "\n".join(LIST_2025.strip().splitlines()[:2]) + "\n")
    r = load_path(store, short, format="brand-list", buyer="ACME", reported_on=D26, replace=True, matches=q)
    assert r.count("ended") == 2
    r = load_path(store, write(tmp_path / "b.csv", LIST_2025), format="brand-list", buyer="ACME",
                  reported_on=D26, replace=True, matches=q)
    assert (r.count("continued"), r.count("ended")) == (3, 0)
    assert all(x["props"].get("until") is None for x in rels(store, "SOURCES_FROM"))


def test_replace_refuses_a_list_with_no_readable_row(store: GraphStore, tmp_path: Path) -> None:
    seed(store, tmp_path)
    path = write(tmp_path / "bad.csv", "Factory Name,Country\nKnit Ltd,Atlantis\n")
    with pytest.raises(InvalidInput, match="cannot replace"):
        load_path(store, path, format="brand-list", buyer="ACME", replace=True, matches=tmp_path / "m.sqlite")


def test_dry_run_reads_validates_and_matches_but_writes_nothing(store: GraphStore, tmp_path: Path) -> None:
    seed(store, tmp_path)
    q = tmp_path / "m.sqlite"
    load_path(store, write(tmp_path / "a.csv", LIST_2025), format="brand-list", buyer="ACME", reported_on=D25,
              matches=q)
    before, queue_before = store.counts(), q.read_bytes()
    preview = Preview()
    result = load_path(store, write(tmp_path / "b.csv", LIST_2026), format="brand-list", buyer="ACME",
                       reported_on=D26, replace=True, dry_run=True, matches=q, preview=preview)
    assert store.counts() == before and q.read_bytes() == queue_before
    assert (result.merged, result.created, result.held) == (2, 1, 0)
    assert (result.count("added"), result.count("continued"), result.count("ended")) == (1, 2, 1)
    assert dict(preview.columns) == {"Factory Name": "site name", "Address": "address", "Country": "country",
                                     "Vendor": "vendor (Supplier, BUYS_VIA / SUPPLIES_FROM)"}
    assert preview.sample[0]["name"] == "SUNRISE KNIT COMPOSITE LIMITED"
    fresh = tmp_path / "never.sqlite"
    load_path(store, tmp_path / "b.csv", format="brand-list", buyer="ACME", dry_run=True, matches=fresh)
    assert not fresh.exists()
