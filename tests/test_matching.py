"""Factory matching: normalisation, scores, blocking, deterministic ids, and the review queue
from the command line."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from test_brandlist import ACME, canonical_dataset, nodes, rels, zenith_xlsx

from imvo.graph.embedded import EmbeddedStore
from imvo.ingest.matching import LOWER, UPPER, FactoryIndex, prepare, score, site_key
from imvo.ingest.normalise import address_tokens, country_code, name_tokens, parse_workers
from imvo.ingest.review import ReviewQueue

ROOT = Path(__file__).resolve().parent.parent
IMVO = ROOT / ".venv" / "bin" / "imvo"


@pytest.mark.parametrize("text, code", [
    ("People's Republic of China", "CN"), ("PR China", "CN"), ("china", "CN"), ("CHN", "CN"),
    ("Türkiye", "TR"), ("Turkey", "TR"), ("Turkiye", "TR"), ("Viet Nam", "VN"), ("Vietnam", "VN"),
    ("Korea", "KR"), ("South Korea", "KR"), ("Korea, Republic of", "KR"), ("Taiwan", "TW"),
    ("Hong Kong SAR", "HK"), ("UK", "GB"), ("USA", "US"), ("Côte d'Ivoire", "CI"), ("Ivory Coast", "CI"),
    ("bd", "BD"), ("The Netherlands", "NL"), ("Myanmar", "MM"), ("Burma", "MM"), ("Kosovo", "XK"),
])
def test_country_names_and_codes(text: str, code: str) -> None:
    assert country_code(text) == code


@pytest.mark.parametrize("text", ["Atlantis", "Rumänien", "Chin", "", "  ", "Asia"])
def test_unknown_countries_are_not_guessed(text: str) -> None:
    assert country_code(text) is None


def test_names_lose_legal_forms_and_punctuation() -> None:
    same = ["Sunrise Knit Composite (Pvt.) Ltd.", "SUNRISE KNIT COMPOSITE PRIVATE LIMITED",
            "M/s. Sunrise Knit Composite Pvt Ltd", "Sunrise Knit-Composite Ltd"]
    assert {" ".join(name_tokens(n)) for n in same} == {"sunrise knit composite"}
    assert name_tokens("Ege Tekstil San. ve Tic. A.Ş.") == name_tokens("EGE TEKSTIL SANAYI VE TICARET AS")
    assert name_tokens("PT Sinar Jaya Garment Tbk") == name_tokens("P.T. Sinar Jaya Garments")
    assert name_tokens("Textiles de México S.A. de C.V.") == ["textile", "mexico"]
    assert name_tokens("Wilmar Oleo GmbH & Co. KG") == ["wilmar", "oleo"]
    assert "".join(name_tokens("宁波新华服装有限公司")) == "".join(name_tokens("Ningbo Xinhua Fuzhuang Youxian Gongsi"))
    assert name_tokens("Ltd.") == ["ltd"]          # nothing left: the folded words stay


def test_addresses() -> None:
    assert address_tokens("No. 5, Jl. Raya Bogor Km 23, Jakarta, Indonesia", "ID") == \
        ["5", "jalan", "raya", "bogor", "km", "23", "jakarta"]
    assert address_tokens(None) == []


def test_workers() -> None:
    assert parse_workers("1001-5000") == (None, "1001-5000")
    assert parse_workers("1.200") == (1200, None)
    assert parse_workers(" 35 ") == (35, None)
    assert parse_workers("More than 10,000") == (None, ">10000")
    assert parse_workers("") == (None, None)
    for bad in ("approx. 300", "5000-1000", "many"):
        with pytest.raises(ValueError):
            parse_workers(bad)


POSITIVES = [
    (("BD", "Sunrise Knit Composite (Pvt.) Ltd.", "Plot 12, Road 5, Uttara EPZ, Dhaka 1230"),
     ("BD", "SUNRISE KNIT COMPOSIT LIMITED", "Uttara EPZ, Plot No 12, Rd 5, Dhaka")),
    (("TR", "Ege Tekstil Sanayi ve Ticaret A.Ş.", "Organize Sanayi Bölgesi 4. Cadde No:12, 16140 Nilüfer/Bursa"),
     ("TR", "EGE TEKSTIL SAN. VE TIC. AS", "Organize Sanayi Bolgesi 4. Cad. No 12, Nilufer, Bursa")),
    (("CN", "宁波新华服装有限公司", "No. 88 Jianshe Road, Yinzhou District, Ningbo, Zhejiang 315100"),
     ("CN", "Ningbo Xinhua Garment Co., Ltd.", "88 Jianshe Rd, Yinzhou, Ningbo")),
    (("PL", "Erca Wilmar Cosmetic Ingredients Sp. Z O.O.", "Ul. Ii Armii Wojska Polskiego 44 08-400 Garwolin"),
     ("PL", "ERCA WILMAR COSMETIC INGREDIENTS SP ZOO", "ul. II Armii Wojska Polskiego 44, 08400 Garwolin, Poland")),
]
NEGATIVES = [   # same street, another factory; a sister unit; one name in two cities
    (("BD", "Sunrise Knit Composite (Pvt.) Ltd.", "Plot 12, Road 5, Uttara EPZ, Dhaka 1230"),
     ("BD", "Dhaka Denim Mills Ltd", "Plot 40, Road 5, Uttara EPZ, Dhaka 1230")),
    (("IN", "Shahi Exports Unit 8", "Plot 14, Sector 28, Faridabad 121008"),
     ("IN", "Shahi Exports Unit 9", "Plot 15, Sector 28, Faridabad 121008")),
    (("BD", "Fakir Knitwears Ltd", "Kayempur, Fatullah, Narayanganj 1400"),
     ("BD", "Fakir Knitwears Ltd", "Boro Bhabanipur, Kashimpur, Gazipur 1750")),
]


@pytest.mark.parametrize("a, b", POSITIVES)
def test_variants_merge_automatically(a: tuple, b: tuple) -> None:
    assert score(prepare("a", *a), prepare("b", *b)) >= UPPER


@pytest.mark.parametrize("a, b", NEGATIVES)
def test_different_factories_are_not_merged(a: tuple, b: tuple) -> None:
    assert score(prepare("a", *a), prepare("b", *b)) < UPPER


def test_os_ids_that_differ_never_match() -> None:
    a = prepare("a", "BD", "Sunrise Knit", "Dhaka", os_id="BD2019171KC8ZRE")
    b = prepare("b", "BD", "Sunrise Knit", "Dhaka", os_id="BD2019171KC8ZRF")
    assert score(a, b) == 0


def test_index_blocks_by_country_and_finds_typos() -> None:
    index = FactoryIndex()
    index.extend([prepare("bd", "BD", "Sunrise Knit Composite Ltd", "Plot 12, Road 5, Uttara EPZ, Dhaka"),
                  prepare("in", "IN", "Sunrise Knit Composite Ltd", "Plot 12, Road 5, Uttara EPZ, Dhaka"),
                  prepare("bd2", "BD", "Moonlight Apparels Ltd", "Savar, Dhaka")])
    found = index.best(prepare("q", "BD", "Sunrsie Knit Composit Limited", "Plot 12 Road 5 Uttara EPZ Dhaka"))
    assert [c.id for c, _ in found] == ["bd"] and found[0][1] >= UPPER
    assert index.best(prepare("q", "VN", "Sunrise Knit Composite Ltd")) == []
    assert {c.id for c in index.candidates(prepare("q", "BD", "Moonlight"))} == {"bd2"}


def test_site_keys_are_deterministic() -> None:
    a = prepare("", "BD", "Sunrise Knit Composite (Pvt.) Ltd.", "Plot 12, Road 5, Dhaka")
    b = prepare("", "BD", "SUNRISE KNIT COMPOSITE PVT LTD", "Dhaka, Road 5, Plot 12")
    c = prepare("", "IN", "Sunrise Knit Composite (Pvt.) Ltd.", "Plot 12, Road 5, Dhaka")
    assert site_key(a) == site_key(b) != site_key(c)
    assert LOWER < UPPER


def test_review_queue_remembers(tmp_path: Path) -> None:
    with ReviewQueue(tmp_path / "q.sqlite") as q:
        pid = q.hold(site_key="k1", candidate_id="F1", score=80.0, country="BD", name="A", address=None,
                     candidate_name="A Ltd", candidate_address="Dhaka", source="s", origin="o", line=3,
                     payload={"x": 1})
        again = q.hold(site_key="k1", candidate_id="F1", score=81.0, country="BD", name="A", address=None,
                       candidate_name="A Ltd", candidate_address="Dhaka", source="s", origin="o", line=3,
                       payload={"x": 2})
        assert pid == again and q.held(pid) == [{"x": 2}] and [p.id for p in q.pairs()] == [pid]
        q.decide(pid, "rejected")
        assert q.pairs() == [] and q.held(pid) == []
        assert q.decisions({"k1", "k2"}) == {("k1", "F1"): "rejected"}


# ---------------------------------------------------------------------------
# the review queue from the command line
# ---------------------------------------------------------------------------

def _env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMVO_", "NEO4J_"))}
    return {**env, "IMVO_DATA_DIR": str(data), "IMVO_STORE": "embedded", "COLUMNS": "200"}


def _imvo(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(IMVO), *args], env=_env(data), capture_output=True, text=True, timeout=120)


def _registered() -> bool:
    from imvo.cli import app
    return any(g.name == "matches" for g in app.registered_groups)


def _matches(data: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    """`imvo matches ...` as a user runs it once the sub-app is registered; until then through
    typer's test runner on the sub-app itself."""
    if _registered():
        done = _imvo(data, "matches", *args)
        return done.returncode, done.stdout + done.stderr
    from typer.testing import CliRunner

    from imvo.cli.matches import matches_app
    from imvo.kernel.settings import get_settings
    for k, v in _env(data).items():
        monkeypatch.setenv(k, v)
    get_settings.cache_clear()
    try:
        run = CliRunner().invoke(matches_app, list(args))
    finally:
        get_settings.cache_clear()
    return run.exit_code, run.output


@pytest.mark.skipif(not IMVO.exists(), reason="the imvo command is not installed in .venv")
def test_review_queue_from_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    assert _imvo(data, "ingest", str(canonical_dataset(tmp_path / "canon"))).returncode == 0
    done = _imvo(data, "ingest", str(ACME), "--format", "brand-list", "--buyer", "ACME")
    assert done.returncode == 2, done.stderr              # ACME's list has bad rows: reported
    assert "Atlantis" in done.stdout and "Traceback" not in done.stderr
    zenith = zenith_xlsx(tmp_path / "zenith.xlsx")
    done = _imvo(data, "ingest", str(zenith), "--format", "brand-list", "--buyer", "ZENITH")
    assert done.returncode == 2 and "Traceback" not in done.stderr

    code, text = _matches(data, monkeypatch, "list")
    assert code == 0 and "Shahi Exports Private Limited" in text and "Hirdaramani" in text
    with ReviewQueue(data / "matches.sqlite") as q:
        pending = {p.name: p for p in q.pairs()}
    shahi, hirda = pending["Shahi Exports Private Limited"], pending["Hirdaramani Industries Matugama"]
    assert LOWER <= shahi.score < UPPER

    code, text = _matches(data, monkeypatch, "accept", str(shahi.id))
    assert code == 0 and f"merged into {shahi.candidate_id}" in text, text
    code, text = _matches(data, monkeypatch, "reject", str(hirda.id))
    assert code == 0 and "new factory" in text, text
    code, text = _matches(data, monkeypatch, "accept", str(shahi.id))
    assert code == 1 and "already accepted" in text and "Traceback" not in text
    code, text = _matches(data, monkeypatch, "accept", "999")
    assert code == 1 and "no match pair 999" in text
    code, text = _matches(data, monkeypatch, "list")
    assert code == 0 and "no pairs waiting" in text

    store = EmbeddedStore(data)
    zen = {r["end"] for r in rels(store, "SOURCES_FROM") if r["start"] == "ZENITH"}
    acme = {r["end"] for r in rels(store, "SOURCES_FROM") if r["start"] == "ACME"}
    assert shahi.candidate_id in zen & acme                # accepted: one factory, two buyers
    assert hirda.candidate_id in acme and hirda.candidate_id not in zen     # rejected: kept apart
    before = store.counts()

    # next year's upload of the same list asks nothing again and changes nothing
    done = _imvo(data, "ingest", str(zenith), "--format", "brand-list", "--buyer", "ZENITH")
    assert done.returncode == 2
    code, text = _matches(data, monkeypatch, "list")
    assert "no pairs waiting" in text
    assert EmbeddedStore(data).counts() == before
    code, text = _matches(data, monkeypatch, "list", "--all")
    assert "accepted" in text and "rejected" in text
    assert len(nodes(EmbeddedStore(data), "Factory")) == 8 + 2      # ACME's 8, Dhaka Denim, Hirdaramani


def test_accept_all_above_a_score(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from imvo.ingest import load_path
    from imvo.ingest.canonical import ingest_dir
    data = tmp_path / "data"
    store = EmbeddedStore(data)
    ingest_dir(store, canonical_dataset(tmp_path / "canon"))
    load_path(store, ACME, format="brand-list", buyer="ACME", matches=data / "matches.sqlite")
    result = load_path(store, zenith_xlsx(tmp_path / "z.xlsx"), format="brand-list", buyer="ZENITH",
                       matches=data / "matches.sqlite")
    assert result.held == 2
    code, text = _matches(data, monkeypatch, "accept-all", "--above", "99")
    assert code == 0 and "no pending pairs" in text
    code, text = _matches(data, monkeypatch, "accept-all", "--above", str(LOWER))
    assert code == 0 and text.count("accepted") == 2
