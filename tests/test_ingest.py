"""Canonical ingest on both backends: valid data, bad data, partial loads, idempotence."""
from __future__ import annotations

from pathlib import Path

from conftest import CONTRACT_DATASET, SAMPLE_DIR

from imvo.graph.store import GraphStore
from imvo.ingest.canonical import FILES, ingest_dir
from imvo.queries.access import SECRETARIAT
from imvo.queries.navigate import neighbours, nodes_by_id


def write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text.lstrip("\n"), encoding="utf-8")


BASE = {
    "covenants.csv": """
id,name,sector,signed_on,ends_on,priority_risks
COV-G,Garments,garments_textile,2016-07-04,,living_wage;child_labour
""",
    "companies.csv": """
id,name,country,kind,website
C1,Brand One,NL,brand,
C2,Brand Two,nl,retailer,https://two.example
""",
    "factories.csv": """
id,name,country,address,os_id,lat,lon,workers,products,owner_id
F1,Knit Ltd,BD,"Plot 1, Ashulia",BD123,23.9,90.3,900,knitwear;tops,
F2,Denim Pvt Ltd,IN,,,,,,denim,
""",
    "covenant_parties.csv": """
covenant_id,party_id,role,since,until
COV-G,C1,signatory,2016-07-04,
COV-G,C2,signatory,2016-07-04,
""",
    "sourcing.csv": """
buyer_id,factory_id,supplier_id,products,share,since,until,disclosure,source
C1,F1,,knitwear,0.3,2020-01-01,,public,list 2025
C2,F1,,,,,,,
""",
}


def make_dataset(folder: Path, **files: str) -> Path:
    for name, text in {**{k.replace(".csv", ""): v for k, v in BASE.items()}, **files}.items():
        write(folder, f"{name}.csv", text)
    return folder


def test_contract_dataset_loads_without_rejects(store: GraphStore) -> None:
    result = ingest_dir(store, CONTRACT_DATASET)
    assert result.rejects == []
    assert result.loaded["sourcing.csv"] == 2051 and result.loaded["factories.csv"] == 800
    counts = store.counts()
    assert counts.nodes["Factory"] == 800 and counts.nodes["Company"] == 60
    assert counts.nodes["Country"] >= 15 and counts.nodes["Risk"] >= 9
    assert counts.rels["SOURCES_FROM"] == 2051
    # a BOM in countries.csv and reordered columns in union_presence.csv are read correctly
    assert nodes_by_id(store, "Country", ["BD"])["BD"].props["name"] == "Bangladesh"
    assert counts.rels["REPRESENTS"] == 60


def test_loading_twice_changes_nothing(store: GraphStore) -> None:
    ingest_dir(store, SAMPLE_DIR)
    first = store.counts()
    f = nodes_by_id(store, "Factory", ["F0001"])
    result = ingest_dir(store, SAMPLE_DIR)
    assert result.rejects == []
    assert store.counts() == first
    assert nodes_by_id(store, "Factory", ["F0001"]) == f


def test_sample_uses_every_file_and_loads_cleanly(store: GraphStore) -> None:
    result = ingest_dir(store, SAMPLE_DIR)
    assert result.rejects == []
    assert len(result.loaded) == len(FILES) and all(n > 0 for n in result.loaded.values())
    c = store.counts()
    assert c.nodes["Company"] >= 40 and c.nodes["Factory"] >= 300
    assert len({n.props.get("country") for n in
                nodes_by_id(store, "Factory", [f"F{i:04d}" for i in range(1, 400)]).values()}) >= 10


def test_values_are_typed_and_defaults_applied(store: GraphStore, tmp_path: Path) -> None:
    result = ingest_dir(store, make_dataset(tmp_path / "d"))
    assert result.rejects == []
    f1 = nodes_by_id(store, "Factory", ["F1"])["F1"].props
    assert f1["workers"] == 900 and f1["lat"] == 23.9 and f1["products"] == ["knitwear", "tops"]
    assert nodes_by_id(store, "Company", ["C2"])["C2"].props["country"] == "NL"   # code normalised
    links = {e.node.id: e for e in neighbours(store, SECRETARIAT, "Factory", ["F1"], "SOURCES_FROM", "in")["F1"]}
    assert links["C2"].get("disclosure") == "confidential"        # blank disclosure is confidential
    assert links["C1"].get("source") == "list 2025" and links["C2"].get("source") == "sourcing.csv"
    assert links["C1"].get("source_type") == "canonical"
    # a country without a row in countries.csv gets its ISO name
    assert nodes_by_id(store, "Country", ["IN"])["IN"].props["name"] == "India"
    risks = neighbours(store, SECRETARIAT, "Covenant", ["COV-G"], "PRIORITISES", "out")["COV-G"]
    assert sorted(e.node.id for e in risks) == ["child_labour", "living_wage"]


BAD_ROWS = {
    "companies.csv": """
id,name,country,kind,website
C1,Brand One,NL,brand,
C2,Brand Two,NL,retailer,
C3,,NL,brand,
C4,Brand Four,XX,brand,
C5,Brand Five,NL,wholesaler,
C1,Brand One again,NL,brand,
""",
    "factories.csv": """
id,name,country,address,os_id,lat,lon,workers,products,owner_id
F1,Knit Ltd,BD,,,,,900,,
F2,Denim Pvt Ltd,IN,,,,,many,,
F3,Owned Ltd,BD,,,,,,,S404
C2,Name clash,BD,,,,,,,
F4,Too far north,BD,,,95.0,,,,
""",
    "sourcing.csv": """
buyer_id,factory_id,supplier_id,products,share,since,until,disclosure,source
C1,F1,,,0.3,2020-01-01,,public,
C2,F1,,,1.5,,,,
C1,F404,,,,,,,
C2,F1,,,,2020-13-01,,,
C2,F1,,,,2021-01-01,2020-01-01,,
C2,F1,,,,,,secret,
C1,F3,,,,,,,
C1,F1,,,,2019-01-01,2019-06-01,public
""",
}

EXPECTED_REJECTS = {
    ("companies.csv", 4, "name"), ("companies.csv", 5, "country"), ("companies.csv", 6, "kind"),
    ("companies.csv", 7, "id"), ("factories.csv", 3, "workers"), ("factories.csv", 4, "owner_id"),
    ("factories.csv", 5, "id"), ("factories.csv", 6, "lat"), ("sourcing.csv", 3, "share"),
    ("sourcing.csv", 4, "factory_id"), ("sourcing.csv", 5, "since"), ("sourcing.csv", 6, "until"),
    ("sourcing.csv", 7, "disclosure"), ("sourcing.csv", 8, "factory_id"), ("sourcing.csv", 9, ""),
}


def test_bad_rows_are_rejected_with_file_line_column_and_the_rest_loads(store: GraphStore,
                                                                       tmp_path: Path) -> None:
    result = ingest_dir(store, make_dataset(tmp_path / "d", **{k[:-4]: v for k, v in BAD_ROWS.items()}))
    got = {(r.file, r.line, r.column) for r in result.rejects}
    assert got == EXPECTED_REJECTS
    assert all(r.reason for r in result.rejects)
    reasons = {(r.file, r.line): r.reason for r in result.rejects}
    assert "required" in reasons[("companies.csv", 4)]
    assert "duplicate id C1" in reasons[("companies.csv", 7)]
    assert "unknown supplier id S404" in reasons[("factories.csv", 4)]
    assert "unknown factory id F3" in reasons[("sourcing.csv", 8)]   # its factory row was rejected
    assert "fields" in reasons[("sourcing.csv", 9)]
    assert result.exit_code == 2
    # every valid row is still loaded
    c = store.counts()
    assert c.nodes["Company"] == 2 and c.nodes["Factory"] == 1 and c.rels["SOURCES_FROM"] == 1
    assert c.rels["PARTY_TO"] == 2


def test_missing_required_column_rejects_the_file_only(store: GraphStore, tmp_path: Path) -> None:
    result = ingest_dir(store, make_dataset(tmp_path / "d", factories="id,name\nF1,Knit\n"))
    assert next((r.file, r.line, r.column) for r in result.rejects) == ("factories.csv", 1, "country")
    assert store.counts().nodes["Company"] == 2


def test_a_file_that_is_not_utf8_is_reported(store: GraphStore, tmp_path: Path) -> None:
    folder = make_dataset(tmp_path / "d")
    (folder / "companies.csv").write_bytes("id,name,country,kind\nC1,Caf\xe9,NL,brand\n".encode("latin-1"))
    result = ingest_dir(store, folder)
    assert any(r.file == "companies.csv" and "UTF-8" in r.reason for r in result.rejects)


def test_a_dataset_may_be_loaded_in_parts(store: GraphStore, tmp_path: Path) -> None:
    part1 = make_dataset(tmp_path / "p1")
    (part1 / "sourcing.csv").unlink()
    part2 = tmp_path / "p2"
    write(part2, "sourcing.csv", BASE["sourcing.csv"])
    write(part2, "grievances.csv", "id,factory_id,risk,filed_on,status,filed_by,summary\n"
                                   "G1,F2,living_wage,2025-01-01,open,,late wages\n")
    assert ingest_dir(store, part1).rejects == []
    result = ingest_dir(store, part2)
    assert result.rejects == []
    assert store.counts().rels["SOURCES_FROM"] == 2 and store.counts().rels["CONCERNS"] == 1


def test_an_id_cannot_change_its_type_across_loads(store: GraphStore, tmp_path: Path) -> None:
    ingest_dir(store, make_dataset(tmp_path / "p1"))
    part2 = tmp_path / "p2"
    write(part2, "suppliers.csv", "id,name,country,kind\nF1,Agent,HK,agent\n")
    result = ingest_dir(store, part2)
    assert [(r.file, r.line, r.column) for r in result.rejects] == [("suppliers.csv", 2, "id")]
    assert "already a Factory" in result.rejects[0].reason


def test_empty_folder_loads_nothing(store: GraphStore, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = ingest_dir(store, tmp_path / "empty")
    assert result.rejects == [] and result.exit_code == 0


def test_contract_counts_are_identical_on_both_backends(contract_store: GraphStore, tmp_path: Path) -> None:
    from imvo.graph.embedded import EmbeddedStore
    reference = EmbeddedStore(tmp_path / "ref")
    ingest_dir(reference, CONTRACT_DATASET)
    assert contract_store.counts() == reference.counts()




def test_the_format_documentation_is_the_readers_own_declaration() -> None:
    from conftest import ROOT

    from imvo.ingest.canonical import describe_files
    doc = (ROOT / "docs" / "canonical-format.md").read_text("utf-8")
    block = doc.split("<!-- BEGIN GENERATED: describe_files() -->\n", 1)[1].split("\n<!-- END GENERATED -->", 1)[0]
    assert block == describe_files()


def test_a_bad_byte_or_a_broken_quote_costs_only_its_rows(store: GraphStore, tmp_path: Path) -> None:
    folder = make_dataset(tmp_path / "d")
    (folder / "companies.csv").write_bytes(b"id,name,country,kind\nC1,Brand One,NL,brand\n"
                                           b"C9,Caf\xe9 Nine,NL,brand\nC2,Brand Two,NL,retailer\n")
    (folder / "factories.csv").write_text(
        "id,name,country,address,os_id,lat,lon,workers,products,owner_id\n"
        "F1,Knit Ltd,BD,,,,,,,\n"
        'F2,Denim Ltd,IN,"Plot 1, Ashulia,,,,,,,\n'
        + "".join(f"F{i},Factory {i},BD,,,,,,,\n" for i in range(3, 80)))
    result = ingest_dir(store, folder)
    bad = {(r.file, r.line): r.reason for r in result.rejects}
    assert set(bad) == {("companies.csv", 3), ("factories.csv", 3)}
    assert "UTF-8" in bad[("companies.csv", 3)] and "0xe9" in bad[("companies.csv", 3)]
    assert "not closed" in bad[("factories.csv", 3)]
    c = store.counts()
    assert c.nodes["Company"] == 2 and c.nodes["Factory"] == 78
    assert c.rels["SOURCES_FROM"] == 2            # every sourcing row of the companies that loaded


def test_two_rows_of_one_sourcing_link_are_reported_naming_both_lines(store: GraphStore, tmp_path: Path) -> None:
    folder = make_dataset(tmp_path / "d", sourcing="""
buyer_id,factory_id,supplier_id,products,share,since,until,disclosure,source
C1,F1,,knitwear,0.3,2020-01-01,,public,list 2025
C2,F1,,,,,,,
C1,F1,,tops,0.5,2020-01-01,,confidential,list 2026
C1,F1,,,0.2,2021-01-01,,,
""")
    result = ingest_dir(store, folder)
    (dup,) = result.rejects
    assert (dup.file, dup.line) == ("sourcing.csv", 4)
    assert "line 2" in dup.reason and "buyer, factory and since" in dup.reason
    links = {e.get("since"): e for e in neighbours(store, SECRETARIAT, "Factory", ["F1"], "SOURCES_FROM", "in")["F1"]
             if e.node.id == "C1"}
    assert links[__import__("datetime").date(2020, 1, 1)].get("share") == 0.3      # the first row, not merged


def test_the_reject_report_is_spreadsheet_safe(tmp_path: Path) -> None:
    import csv

    from imvo.ingest.loader import Reject, write_report
    path = tmp_path / "r.csv"
    write_report([Reject("companies.csv", 3, "name", "=HYPERLINK(\"http://x\") is bad", "@SUM(A1)")], path)
    with path.open(encoding="utf-8", newline="") as fh:
        row = list(csv.reader(fh))[1]
    assert row[3].startswith("'=") and row[4] == "'@SUM(A1)"
