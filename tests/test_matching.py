"""Factory matching: normalisation, scores, blocking, deterministic ids, and the review queue
from the command line."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_brandlist import ACME, canonical_dataset, nodes, rels
from test_cli import no_traceback, run

from imvo.graph.embedded import EmbeddedStore
from imvo.ingest.matching import LOWER, UPPER, FactoryIndex, prepare, score, site_key
from imvo.ingest.normalise import address_tokens, country_code, name_tokens, parse_workers
from imvo.ingest.review import ReviewQueue


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
# the matcher on real lists
# ---------------------------------------------------------------------------

def test_on_real_lists_precision_at_least_098_at_recall_at_least_090() -> None:
    from support import realpairs
    if not realpairs.available():
        pytest.skip(f"the shared real-world samples are not at {realpairs.SAMPLES}")
    pw = realpairs.pairwise(score)
    precision, recall, _, _ = pw.at(UPPER)
    assert pw.same >= 100 and precision >= 0.98 and recall >= 0.90, (precision, recall)
    loads = realpairs.loads()
    assert loads.precision >= 0.98 and loads.recall_with_review >= 0.90
    assert loads.reviewed / loads.rows < 0.02                 # the review burden stays small


def test_the_review_queue_shows_the_evidence() -> None:
    from imvo.ingest.matching import explain
    a = prepare("a", "CN", "SMK Electronics (Dongguan) Co., Ltd", "Dongguan, Guangdong")
    b = prepare("b", "CN", "Dongguan Chilisin Electronics Ltd.", "Dongguan, Guangdong")
    e = explain(a, b)
    assert e["score"] < LOWER and e["distinctive words"] < 50
    assert any("distinctive words" in n for n in e["notes"]) and any("only a place" in n for n in e["notes"])


def test_suppliers_are_matched_fuzzily(tmp_path: Path) -> None:
    from imvo.ingest import load_path
    from imvo.ingest.canonical import ingest_dir
    store = EmbeddedStore(tmp_path / "data")
    ingest_dir(store, canonical_dataset(tmp_path / "canon"))
    q = tmp_path / "m.sqlite"
    one = tmp_path / "one.csv"
    one.write_text("Factory name,Address,Country,Vendor,Parent company\n"
                   "Knit Ltd,Plot 1 Road 2 Savar,BD,Global Sourcing (HK) Ltd,Wilmar International Limited\n")
    two = tmp_path / "two.csv"
    two.write_text("Factory name,Address,Country,Vendor,Parent company\n"
                   "Denim Ltd,Sector 3 Faridabad,IN,Global Sourcng HK Limited,WILMARR INTERNATIONAL LTD\n"
                   "Shoe Ltd,Sokak 4 Bursa,TR,Global Outsourcing Ltd,\n")
    load_path(store, one, format="brand-list", buyer="ACME", matches=q)
    r = load_path(store, two, format="brand-list", buyer="ZENITH", matches=q)
    names = sorted(v["name"] for v in nodes(store, "Supplier").values())
    assert names == ["Global Outsourcing Ltd", "Global Sourcing (HK) Ltd", "Wilmar International Limited"]
    assert any("supplier name(s) matched" in n for n in r.notes)


# ---------------------------------------------------------------------------
# the review queue, undo, split and merge from the command line, on both backends
# ---------------------------------------------------------------------------


@pytest.fixture
def cli_env(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """The environment of an `imvo` subprocess on the backend under test (its store emptied first)."""
    import os
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMVO_", "NEO4J_"))}
    env.update({"IMVO_DATA_DIR": str(tmp_path / "data"), "IMVO_STORE": backend, "NO_COLOR": "1", "COLUMNS": "200"})
    if backend == "neo4j":
        request.getfixturevalue("store")
        env["NEO4J_URI"] = os.environ["IMVO_TEST_NEO4J_URI"]
        env.update({k: os.environ[k] for k in ("NEO4J_USER", "NEO4J_PASSWORD", "NEO4J_DATABASE") if k in os.environ})
    return env


REVIEW_LIST = """
Factory name,Address,Country
SUNRISE KNIT COMPOSITE LIMITED,"Plot No. 12, Rd 5, Uttara EPZ, Dhaka",BD
Shahi Exports Private Limited,"Sector 28, Faridabad, Haryana",IN
Viettien Garment JSC,"7 Le Minh Xuan Street, Ho Chi Minh City",VN
Dhaka Denim Mills Ltd,"Plot 40, Road 5, Uttara EPZ, Dhaka 1230",BD
"""


def _load_two_lists(env: dict[str, str], tmp_path: Path) -> Path:
    assert run(["ingest", str(canonical_dataset(tmp_path / "canon"))], env).returncode == 0
    done = run(["ingest", str(ACME), "--format", "brand-list", "--buyer", "ACME", "--reported-on", "2025-03-31"], env)
    assert done.returncode == 2 and "Atlantis" in done.stdout, done.stdout + done.stderr
    zen = tmp_path / "zenith.csv"
    zen.write_text(REVIEW_LIST.lstrip())
    done = run(["ingest", str(zen), "--format", "brand-list", "--buyer", "ZENITH", "--reported-on", "2025-03-31"], env)
    assert done.returncode == 0 and "2 rows wait for a match decision" in done.stdout, done.stdout + done.stderr
    return zen


def _pending(env: dict[str, str]) -> dict[str, Any]:
    with ReviewQueue(Path(env["IMVO_DATA_DIR"]) / "matches.sqlite") as q:
        return {p.name: p for p in q.pairs()}


def store_for(env: dict[str, str]):  # type: ignore[no-untyped-def]
    """The store the command line in ``env`` uses."""
    if env["IMVO_STORE"] == "neo4j":
        from imvo.graph.neo4j_store import Neo4jStore, make_driver
        driver = make_driver(env["NEO4J_URI"], env.get("NEO4J_USER", "neo4j"), env.get("NEO4J_PASSWORD", ""))
        return Neo4jStore(driver, env.get("NEO4J_DATABASE", "neo4j"), env["NEO4J_URI"])
    return EmbeddedStore(Path(env["IMVO_DATA_DIR"]))


def _links(env: dict[str, str], buyer: str) -> set[str]:
    store = store_for(env)
    try:
        return {r["end"] for r in rels(store, "SOURCES_FROM") if r["start"] == buyer}
    finally:
        store.close()


def test_accept_reject_and_undo_from_the_command_line(cli_env: dict[str, str], tmp_path: Path) -> None:
    zen = _load_two_lists(cli_env, tmp_path)
    listed = run(["matches", "list"], cli_env)
    assert listed.returncode == 0 and "Shahi Exports Private Limited" in listed.stdout
    assert "Viettien Garment JSC" in listed.stdout and "address" in listed.stdout and "name" in listed.stdout
    pending = _pending(cli_env)
    shahi, viet = pending["Shahi Exports Private Limited"], pending["Viettien Garment JSC"]
    assert LOWER <= shahi.score < UPPER and shahi.evidence["candidate"]["name"] == "Shahi Exports Pvt. Ltd. Unit 8"
    assert shahi.evidence["score"]["notes"]

    done = run(["matches", "accept", str(shahi.id)], cli_env)
    assert done.returncode == 0 and f"merged into {shahi.candidate_id}" in done.stdout, done.stdout + done.stderr
    done = run(["matches", "reject", str(viet.id)], cli_env)
    assert done.returncode == 0 and "new factory" in done.stdout
    zen_links = _links(cli_env, "ZENITH")
    assert shahi.candidate_id in zen_links and viet.candidate_id not in zen_links and len(zen_links) == 4
    show = run(["matches", "show", str(shahi.id)], cli_env)
    assert "accepted" in show.stdout and "Shahi" in show.stdout

    # undo the acceptance: ZENITH's row leaves the factory and waits again
    done = run(["matches", "undo", str(shahi.id)], cli_env)
    assert done.returncode == 0 and "1 row(s) wait again" in done.stdout, done.stdout + done.stderr
    assert shahi.candidate_id not in _links(cli_env, "ZENITH") and shahi.candidate_id in _links(cli_env, "ACME")
    assert set(_pending(cli_env)) == {"Shahi Exports Private Limited"}
    done = run(["matches", "undo", str(shahi.id)], cli_env)
    assert done.returncode == 1 and "no decision to undo" in done.stderr
    # undo the rejection: the new factory made of that row goes again
    done = run(["matches", "undo", str(viet.id)], cli_env)
    assert done.returncode == 0 and "removed" in done.stdout, done.stdout
    assert len(_links(cli_env, "ZENITH")) == 2
    for pid in (shahi.id, viet.id):
        assert run(["matches", "accept", str(pid)], cli_env).returncode == 0
    assert {shahi.candidate_id, viet.candidate_id} <= _links(cli_env, "ZENITH")
    # next year's upload asks nothing again
    done = run(["ingest", str(zen), "--format", "brand-list", "--buyer", "ZENITH", "--reported-on", "2026-03-31",
                "--replace"], cli_env)
    assert done.returncode == 0 and "0 rows wait" in done.stdout and "4 continued, 0 ended" in done.stdout, done.stdout
    history = run(["matches", "history"], cli_env)
    assert "undo" in history.stdout and "accept" in history.stdout
    no_traceback(done)


def test_split_a_wrong_merge_and_merge_two_nodes_from_the_command_line(cli_env: dict[str, str],
                                                                      tmp_path: Path) -> None:
    zen = _load_two_lists(cli_env, tmp_path)
    # Sunrise was merged automatically: say it was a mistake
    shared = _links(cli_env, "ACME") & _links(cli_env, "ZENITH")
    (sunrise,) = [f for f in shared if f.startswith("F-BD-")]
    shown = run(["matches", "show", sunrise], cli_env)
    assert shown.returncode == 0 and "SUNRISE KNIT COMPOSITE LIMITED" in shown.stdout
    with ReviewQueue(Path(cli_env["IMVO_DATA_DIR"]) / "matches.sqlite") as q:
        rows = {s.name: s.id for s in q.sites_of(sunrise)}
    done = run(["matches", "split", sunrise, str(rows["SUNRISE KNIT COMPOSITE LIMITED"])], cli_env)
    assert done.returncode == 0 and "are now the factory" in done.stdout, done.stdout + done.stderr
    new = done.stdout.split("are now the factory ")[1].split()[0]
    assert sunrise in _links(cli_env, "ACME") and sunrise not in _links(cli_env, "ZENITH")
    assert new in _links(cli_env, "ZENITH") and new not in _links(cli_env, "ACME")
    # the decision is remembered: the next upload keeps them apart
    assert run(["ingest", str(zen), "--format", "brand-list", "--buyer", "ZENITH"], cli_env).returncode == 0
    assert sunrise not in _links(cli_env, "ZENITH")
    # and the two nodes of one factory merged back, provenance kept
    done = run(["matches", "merge", sunrise, new], cli_env)
    assert done.returncode == 0 and "provenance kept" in done.stdout, done.stdout + done.stderr
    assert sunrise in _links(cli_env, "ZENITH")
    store = store_for(cli_env)
    try:
        assert new not in nodes(store, "Factory")
        zl = [r for r in rels(store, "SOURCES_FROM") if r["start"] == "ZENITH" and r["end"] == sunrise]
        assert zl and all(r["props"]["source"] == "ZENITH supplier list zenith.csv" for r in zl)
    finally:
        store.close()
    assert run(["ingest", str(zen), "--format", "brand-list", "--buyer", "ZENITH"], cli_env).returncode == 0
    assert new not in _links(cli_env, "ZENITH") and sunrise in _links(cli_env, "ZENITH")
    for args, message in ((["merge", sunrise, sunrise], "into itself"), (["merge", sunrise, "NOPE"], "unknown"),
                          (["split", sunrise, "99999"], "no registered row")):
        done = run(["matches", *args], cli_env)
        assert done.returncode == 1 and message in done.stderr and "Traceback" not in done.stderr


def test_accept_all_above_a_score(tmp_path: Path) -> None:
    from imvo.ingest import load_path
    from imvo.ingest.canonical import ingest_dir
    from imvo.ingest.matches import accept, list_pairs
    data = tmp_path / "data"
    store = EmbeddedStore(data)
    ingest_dir(store, canonical_dataset(tmp_path / "canon"))
    q = data / "matches.sqlite"
    load_path(store, ACME, format="brand-list", buyer="ACME", matches=q)
    zen = tmp_path / "z.csv"
    zen.write_text(REVIEW_LIST.lstrip())
    assert load_path(store, zen, format="brand-list", buyer="ZENITH", matches=q).held == 2
    assert list_pairs(q, above=99) == []
    out = accept(store, q, [v.pair.id for v in list_pairs(q, above=LOWER)])
    assert [o.ok for o in out] == [True, True] and list_pairs(q) == []


def test_dry_run_and_the_yearly_report_from_the_command_line(cli_env: dict[str, str], tmp_path: Path) -> None:
    zen = _load_two_lists(cli_env, tmp_path)
    before = run(["status"], cli_env).stdout
    done = run(["ingest", str(zen), "--format", "brand-list", "--buyer", "ZENITH", "--reported-on", "2026-03-31",
                "--replace", "--dry-run"], cli_env)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "dry run: nothing was written" in out and "Factory name" in out and "-> site name" in out
    assert "first rows as read:" in out and "held for review: 2" in out
    assert "links (would be): 0 added, 2 continued, 0 ended" in out
    assert run(["status"], cli_env).stdout == before
    short = tmp_path / "zenith-2026.csv"
    short.write_text("\n".join(REVIEW_LIST.strip().splitlines()[:2]) + "\n")
    report = tmp_path / "r.csv"
    done = run(["ingest", str(short), "--format", "brand-list", "--buyer", "ZENITH", "--reported-on", "2026-03-31",
                "--replace", "--report", str(report)], cli_env)
    assert done.returncode == 0 and "0 added, 1 continued, 1 ended" in done.stdout, done.stdout + done.stderr
    lines = (tmp_path / "r-links.csv").read_text().splitlines()
    assert lines[0] == "change,buyer,factory_id,factory,since,until,line"
    assert sorted(x.split(",")[0] for x in lines[1:]) == ["continued", "ended"]
