"""Open Supply Hub downloads (--format oshub), on both backends."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import SHARED_SAMPLES
from test_brandlist import nodes, rels, seed

from imvo.graph.store import GraphStore
from imvo.ingest import load_path
from imvo.ingest.canonical import ingest_dir
from imvo.kernel.errors import InvalidInput

SAMPLE = SHARED_SAMPLES / "oshub-download-wilmar.csv"
HEADER = ('"os_id","contribution_date","name","address","country_code","country_name","lat","lng",'
          '"sector","contributor (list)","number_of_workers","parent_company",'
          '"processing_type_facility_type_raw","facility_type","processing_type","product_type","is_closed"\n')


def _sample() -> Path:
    if not SAMPLE.is_file():
        pytest.skip(f"the shared Open Supply Hub sample is not at {SAMPLE}")
    return SAMPLE


def test_shared_sample_loads(store: GraphStore, tmp_path: Path) -> None:
    sample = _sample()
    result = load_path(store, sample, format="oshub", matches=tmp_path / "m.sqlite")
    assert result.rejects == [] and result.exit_code == 0
    assert result.loaded == {sample.name: 51} and result.created == 51
    factories = nodes(store, "Factory")
    assert len(factories) == 51
    for fid, f in factories.items():
        assert fid == f"OS-{f['os_id']}" and f["is_closed"] is False
    paradip = factories["OS-IN2022300QKYJWP"]
    assert paradip["name"] == "Adani Wilmar Ltd" and paradip["country"] == "IN"
    assert paradip["processing_type"] == ["Refinery", "Manufacturing Plant"]
    assert paradip["sector"][:2] == ["Agriculture", "Food"]
    assert paradip["lat"] == pytest.approx(20.286)
    # parents -> Supplier groups that OWN the facilities; contributors are the provenance
    owners = {s["name"] for s in nodes(store, "Supplier").values()}
    assert {"Wilmar International Limited", "PZ Wilmar Ltd", "Pyramid Lanka (Private) Limited"} <= owners
    owns = rels(store, "OWNS")
    assert len(owns) == 42
    for r in owns:
        assert r["props"]["source"].startswith(f"Open Supply Hub {sample.name}; contributors: ")
        assert r["props"]["source_type"] == "oshub"
        assert r["props"]["reported_on"] == dt.date(2023, 10, 23)       # the latest contribution
    assert not rels(store, "SOURCES_FROM")                                  # no buyer named
    # loading it again changes nothing
    counts = store.counts()
    again = load_path(store, sample, format="oshub", matches=tmp_path / "m.sqlite")
    assert store.counts() == counts and (again.created, again.merged, again.held) == (0, 51, 0)


def test_sample_with_a_buyer(store: GraphStore, tmp_path: Path) -> None:
    sample = _sample()
    seed(store, tmp_path)
    result = load_path(store, sample, format="oshub", buyer="ACME", reported_on=dt.date(2024, 1, 31),
                       matches=tmp_path / "m.sqlite")
    assert result.exit_code == 0
    links = rels(store, "SOURCES_FROM")
    assert len(links) == 51 and {r["start"] for r in links} == {"ACME"}
    assert all(r["props"]["disclosure"] == "public" and r["props"]["source_type"] == "oshub"   # OS Hub: public data
               and r["props"]["reported_on"] == dt.date(2024, 1, 31) for r in links)
    with pytest.raises(InvalidInput, match="unknown buyer"):
        load_path(store, sample, format="oshub", buyer="NOBODY", matches=tmp_path / "m.sqlite")


def test_bands_closed_and_bad_rows(store: GraphStore, tmp_path: Path) -> None:
    path = tmp_path / "osh.csv"
    path.write_text(HEADER + "\n".join([
        ('"BD2019171KC8ZRE","2024-02-01","Sunrise Knit Composite Ltd","Plot 12, Road 5, Uttara EPZ, Dhaka",'
        '"BD","Bangladesh","23.87","90.39","Apparel","Brand A|Brand A|MSI B","1001-5000","Sunrise Group",'
        '"Cut & Sew","Final Product Assembly","Cutting|Sewing","T-shirts","False"'),
        ('"BD2020100AAAAAA","2023-05-05","Old Mill Ltd","Mirpur 10, Dhaka","BD","Bangladesh","","","Apparel",'
        '"Brand A","250","","","","","","True"'),
        ('"TR2021000BBBBBB","2023-05-05","Bad Lat Tekstil","Bursa","TR","Turkey","123","29","","Brand C",'
        '"about 40","","","","","","False"'),
        '"XX2021000CCCCCC","2023-05-05","Nowhere","?","","Narnia","","","","","","","","","","","False"',
        '"CN2021000DDDDDD","2023-05-05","","Somewhere","CN","China","","","","","","","","","","","False"',
        '"too","few","fields"',
    ]) + "\n")
    result = load_path(store, path, format="oshub", matches=tmp_path / "m.sqlite")
    assert result.loaded == {"osh.csv": 3}
    problems = {(r.line, r.column) for r in result.rejects}
    assert problems == {(4, "lat"), (4, "number_of_workers"), (5, "country_code"), (6, "name"), (7, "")}
    f = nodes(store, "Factory")
    sunrise = f["OS-BD2019171KC8ZRE"]
    assert sunrise["workers_band"] == "1001-5000" and sunrise.get("workers") is None
    assert sunrise["processing_type"] == ["Cutting", "Sewing", "Final Product Assembly"]
    assert sunrise["products"] == ["T-shirts"] and sunrise["sector"] == ["Apparel"]
    assert f["OS-BD2020100AAAAAA"]["is_closed"] is True and f["OS-BD2020100AAAAAA"]["workers"] == 250
    assert f["OS-TR2021000BBBBBB"].get("lat") is None and f["OS-TR2021000BBBBBB"]["lon"] == 29
    (owns,) = rels(store, "OWNS")
    assert owns["props"]["source"] == "Open Supply Hub osh.csv; contributors: Brand A; MSI B"


def test_not_an_oshub_file(store: GraphStore, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("Factory name,Country\nA,BD\n")
    with pytest.raises(InvalidInput, match="not an Open Supply Hub download"):
        load_path(store, path, format="oshub", matches=tmp_path / "m.sqlite")
    with pytest.raises(InvalidInput, match="--map and --buyer-column apply to --format brand-list"):
        load_path(store, path, format="oshub", mapping=path, matches=tmp_path / "m.sqlite")


def test_brand_list_meets_oshub_by_os_id_and_by_name(store: GraphStore, tmp_path: Path) -> None:
    sample = _sample()
    seed(store, tmp_path)
    load_path(store, sample, format="oshub", matches=tmp_path / "m.sqlite")
    lst = tmp_path / "acme.csv"
    lst.write_text(
        "Factory name,Address,Country,OS ID\n"
        "Wilmar Oleochemicals Dongguan,Somewhere else entirely,China,CN2023292S3XAX5\n"
        "ADANI WILMAR LIMITED,\"Oil Terminal Road, Atharbanki, Paradip, Odisha 754142\",India,\n")
    result = load_path(store, lst, format="brand-list", buyer="ACME", matches=tmp_path / "m.sqlite")
    assert (result.merged, result.created, result.held) == (2, 0, 0)
    ends = sorted(r["end"] for r in rels(store, "SOURCES_FROM"))
    assert ends == ["OS-CN2023292S3XAX5", "OS-IN2022300QKYJWP"]
    assert nodes(store, "Factory")["OS-IN2022300QKYJWP"]["name"] == "Adani Wilmar Ltd"     # kept


def test_canonical_reload_keeps_the_extra_properties(store: GraphStore, tmp_path: Path) -> None:
    sample = _sample()
    load_path(store, sample, format="oshub", matches=tmp_path / "m.sqlite")
    folder = tmp_path / "canon"
    folder.mkdir()
    (folder / "factories.csv").write_text(
        "id,name,country,address\nOS-IN2022300QKYJWP,Adani Wilmar Ltd (Paradip),IN,Paradip\n")
    assert ingest_dir(store, folder).exit_code == 0
    f = nodes(store, "Factory")["OS-IN2022300QKYJWP"]
    assert f["name"] == "Adani Wilmar Ltd (Paradip)" and f["is_closed"] is False
    assert f["processing_type"] == ["Refinery", "Manufacturing Plant"] and "sector" in f
