"""The complaints mechanism (issue 13, DESIGN section 11) and the organisations at a factory, on both
backends, for every role: the secretariat sees everything; a company sees whether it was informed (and
at most itself among those informed); the public sees that a grievance exists, its risk and status,
never to whom it was forwarded -- not by a list, a count, a note, navigation or a difference."""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, SAMPLE_DIR
from support.server import LiveServer

from imvo.graph.store import GraphStore
from imvo.ingest.canonical import ingest_dir
from imvo.ingest.grievances import forward, record_event
from imvo.kernel.errors import InvalidInput
from imvo.queries.access import PUBLIC, SECRETARIAT, Viewer
from imvo.queries.core import factory_leverage, joint_action_opportunities
from imvo.queries.grievances import facts
from imvo.queries.navigate import neighbours

# G001 at F0006 (filed 2021-01-20) is in dialogue, forwarded to its signatory buyers on the filing date:
# C009 and C011 (public links) and C020 (a confidential link). C013 buys there from 2027-02-15 only.
TOKENS = "sekret=secretariat,c9=company:C009,c20=company:C020,c13=company:C013,c2=company:C002"
INFORMED = ["C009", "C011", "C020"]
LATER = "2027-03-01"     # C013 buys at F0006 on this date; it was not a buyer when G001 was filed

GRIEVANCE = """query($id: ID!, $asOf: Date) { grievance(id: $id) {
  id risk status currentStatus isOpen openDays(asOf: $asOf)
  events { status on note } forwardedTo { id } informed } }"""


def _g(server: LiveServer, token: str | None, gid: str = "G001", as_of: str = "2026-06-30") -> dict[str, Any]:
    doc = server.graphql(GRIEVANCE, token, {"id": gid, "asOf": as_of})
    assert "errors" not in doc, doc
    return doc["data"]["grievance"]  # type: ignore[no-any-return]


@pytest.fixture
def sample_server(sample_store: GraphStore) -> Any:
    # warm the leverage index and the queries a cold Neo4j compiles first (not the subject here: the
    # request time limit is)
    joint_action_opportunities(sample_store, SECRETARIAT, risk="health_safety", first=50,
                               as_of=dt.date(2026, 6, 30))
    with LiveServer(sample_store, tokens=TOKENS) as server:
        yield server


# ---------------------------------------------------------------------------
# each role on the sample
# ---------------------------------------------------------------------------

def test_secretariat_sees_every_step_note_and_buyer_informed(sample_server: LiveServer) -> None:
    g = _g(sample_server, "sekret")
    assert g["currentStatus"] == "in_dialogue" and g["status"] == "open" and g["isOpen"] is True
    assert [e["status"] for e in g["events"]] == ["received", "admissible", "forwarded", "in_dialogue"]
    assert all(e["note"] for e in g["events"])
    assert [c["id"] for c in g["forwardedTo"]] == INFORMED
    assert g["informed"] is None
    assert g["openDays"] == (dt.date(2026, 6, 30) - dt.date(2021, 1, 20)).days
    done = _g(sample_server, "sekret", "G002")
    assert [e["status"] for e in done["events"]] == ["received", "admissible", "forwarded", "in_dialogue",
                                                     "resolved"]
    assert done["currentStatus"] == "resolved" and done["isOpen"] is False and done["openDays"] is None
    assert len(done["forwardedTo"]) == 4


@pytest.mark.parametrize("token", ["c9", "c20"])
def test_an_informed_company_sees_only_itself(sample_server: LiveServer, token: str) -> None:
    g = _g(sample_server, token)
    me = {"c9": "C009", "c20": "C020"}[token]
    assert [c["id"] for c in g["forwardedTo"]] == [me]
    assert g["informed"] is True
    assert all(e["note"] is None for e in g["events"])
    assert g["currentStatus"] == "in_dialogue"


@pytest.mark.parametrize("token", ["c13", "c2"])
def test_a_company_not_informed_learns_nothing_of_who_was(sample_server: LiveServer, token: str) -> None:
    for as_of in ("2026-06-30", LATER):
        g = _g(sample_server, token, as_of=as_of)
        assert g["forwardedTo"] == [] and g["informed"] is False
        assert all(e["note"] is None for e in g["events"])


def test_the_public_sees_existence_risk_and_status_never_to_whom(sample_server: LiveServer) -> None:
    pub = _g(sample_server, None)
    sec = _g(sample_server, "sekret")
    assert pub["forwardedTo"] == [] and pub["informed"] is None
    assert all(e["note"] is None for e in pub["events"])
    assert (pub["risk"], pub["currentStatus"], pub["openDays"]) == (sec["risk"], sec["currentStatus"],
                                                                    sec["openDays"])
    assert [(e["status"], e["on"]) for e in pub["events"]] == [(e["status"], e["on"]) for e in sec["events"]]


def test_roles_differ_only_in_the_fields_of_their_own(sample_server: LiveServer) -> None:
    """Everything but forwardedTo, informed and the notes is the same for every role (so nothing else can
    be differenced), and a company's forwardedTo never holds another company."""
    def common(g: dict[str, Any]) -> Any:
        return {k: v for k, v in g.items() if k not in ("forwardedTo", "informed", "events")}, \
            [(e["status"], e["on"]) for e in g["events"]]
    for gid in ("G001", "G002", "G005", "G004"):
        answers = {t: _g(sample_server, t, gid) for t in ("sekret", "c9", "c20", "c13", "c2", None)}
        assert len({json.dumps(common(a), sort_keys=True) for a in answers.values()}) == 1, gid
        for t, me in (("c9", "C009"), ("c20", "C020"), ("c13", "C013"), ("c2", "C002")):
            assert {c["id"] for c in answers[t]["forwardedTo"]} <= {me}


# ---------------------------------------------------------------------------
# organisations in the leverage answers
# ---------------------------------------------------------------------------

LEVERAGE = """{ factoryLeverage(factoryId: "F0006", asOf: "2026-06-30") {
  organisations { id kind name } ngos { id } oldestOpenGrievanceDays openGrievances { id openDays(asOf: "2026-06-30") } }
  jointActionOpportunities(risk: "health_safety", first: 50, asOf: "2026-06-30") {
    factory { id } organisations { id kind } oldestOpenGrievanceDays openGrievances { id } } }"""


@pytest.mark.parametrize("token", ["sekret", "c9", None])
def test_organisations_embassy_first_and_open_days(sample_server: LiveServer, token: str | None) -> None:
    doc = sample_server.graphql(LEVERAGE, token)
    assert "errors" not in doc, doc
    lev = doc["data"]["factoryLeverage"]
    orgs = lev["organisations"]
    assert orgs[0] == {"id": "O-EMB-BD", "kind": "embassy",
                       "name": "Embassy of the Kingdom of the Netherlands in Dhaka"}
    assert [o["name"].lower() for o in orgs[1:]] == sorted(o["name"].lower() for o in orgs[1:])
    assert {o["id"] for o in orgs} == {"O-EMB-BD", "O-FAIRWEAR", "O-MINBUZA"}
    days = (dt.date(2026, 6, 30) - dt.date(2021, 1, 20)).days
    assert lev["oldestOpenGrievanceDays"] == days
    assert {"id": "G001", "openDays": days} in lev["openGrievances"]
    opp = {o["factory"]["id"]: o for o in doc["data"]["jointActionOpportunities"]}
    assert opp["F0006"]["organisations"][0]["kind"] == "embassy"
    assert opp["F0006"]["oldestOpenGrievanceDays"] == days
    for o in opp.values():
        assert (o["oldestOpenGrievanceDays"] is None) == (not o["openGrievances"])


def test_organisations_follow_the_store_version(store: GraphStore, tmp_path: Path) -> None:
    """The per-country lookup is read once per store version: a new organisation shows at once."""
    ingest_dir(store, SAMPLE_DIR)
    before = factory_leverage(store, PUBLIC, factory_id="F0006")
    assert before is not None and before.organisations[0].id == "O-EMB-BD"
    folder = tmp_path / "more"
    folder.mkdir()
    (folder / "organisations.csv").write_text(
        "id,name,country,kind,active_in\nO-AAA,Aardvark Facilitators,NL,facilitator,BD\n", encoding="utf-8")
    assert ingest_dir(store, folder).exit_code == 0
    after = factory_leverage(store, PUBLIC, factory_id="F0006")
    assert after is not None
    assert [o.id for o in after.organisations] == ["O-EMB-BD", "O-AAA", "O-FAIRWEAR", "O-MINBUZA"]


# ---------------------------------------------------------------------------
# the process: events, forwarding, attacks
# ---------------------------------------------------------------------------

def _loaded(store: GraphStore) -> GraphStore:
    result = ingest_dir(store, SAMPLE_DIR)
    assert result.exit_code == 0, result.rejects[:3]
    return store


def _public_answers(store: GraphStore, viewer: Viewer) -> str:
    """Everything a viewer is told about grievances and leverage at F0062 (G005) and F0006 (G001)."""
    f = facts(store, viewer, ["G001", "G005"])
    # the current status and the `forwarded` step are shown to all (the same whoever was informed)
    out: dict[str, Any] = {gid: (x.forwarded_to, x.informed, [(e.status, e.note) for e in x.events
                                                             if e.status != "forwarded"])
                           for gid, x in f.items()}
    for fid in ("F0006", "F0062"):
        lev = factory_leverage(store, viewer, factory_id=fid, as_of=dt.date(2026, 6, 30))
        assert lev is not None
        out[fid] = (lev.buyer_count, lev.signatory_buyer_count, [b.id for b in lev.buyers], lev.combined_share,
                    [g.id for g in lev.open_grievances], lev.oldest_open_grievance_days)
    out["jao"] = [(o.factory.id, o.score, o.signatory_buyer_count)
                  for o in joint_action_opportunities(store, viewer, risk="discrimination", first=100,
                                                      as_of=dt.date(2026, 6, 30))]
    for gid in ("G001", "G005"):
        out[f"nav-{gid}"] = [e.node.id for e in neighbours(store, viewer, "Grievance", [gid], "FORWARDED_TO",
                                                           "out")[gid]]
    return json.dumps(out, sort_keys=True, default=str)


def test_forward_informs_the_signatory_buyers_on_the_filing_date(store: GraphStore) -> None:
    _loaded(store)
    r = forward(store, "G005", dt.date(2025, 7, 1))
    assert r.new
    buyers = r.companies
    assert buyers and set(buyers) <= {"C004", "C007", "C008", "C011"}
    assert "C008" not in buyers           # its link starts after the filing date
    sec = facts(store, SECRETARIAT, ["G005"])["G005"]
    assert sec.forwarded_to == buyers and sec.status == "forwarded"
    again = forward(store, "G005", dt.date(2025, 8, 1))
    assert not again.new and again.companies == buyers and again.on == dt.date(2025, 7, 1)
    assert [e.status for e in facts(store, SECRETARIAT, ["G005"])["G005"].events] == ["forwarded"]
    with pytest.raises(InvalidInput, match="unknown grievance id 'G999'"):
        forward(store, "G999")
    with pytest.raises(InvalidInput, match="before grievance"):
        forward(store, "G004", dt.date(2000, 1, 1))
    assert record_event(store, "G005", "in_dialogue", dt.date(2025, 9, 1), "talks with C011")
    assert not record_event(store, "G005", "in_dialogue", dt.date(2025, 9, 1), "talks")
    assert facts(store, SECRETARIAT, ["G005"])["G005"].status == "in_dialogue"
    assert facts(store, PUBLIC, ["G005"])["G005"].events[-1].note is None
    assert record_event(store, "G005", "resolved", dt.date(2026, 1, 5))
    lev = factory_leverage(store, PUBLIC, factory_id="F0062", as_of=dt.date(2026, 6, 30))
    assert lev is not None and "G005" not in [g.id for g in lev.open_grievances]


def test_forwarding_cannot_be_learnt_by_differencing(store: GraphStore) -> None:
    """Before and after the secretariat forwards G005 (to buyers whose links are confidential): the public
    and a company not informed get the same answers, save the `forwarded` step itself, which is recorded
    also when no buyer was informed."""
    _loaded(store)
    outsiders = [PUBLIC, Viewer("company", "C002"), Viewer("company", "C013")]
    before = {str(v): _public_answers(store, v) for v in outsiders}
    r = forward(store, "G005", dt.date(2025, 7, 1))
    assert r.companies
    for v in outsiders:
        assert _public_answers(store, v) == before[str(v)], v
    informed = Viewer("company", r.companies[0])
    mine = facts(store, informed, ["G005"])["G005"]
    assert mine.forwarded_to == [r.companies[0]] and mine.informed is True
    for other in r.companies[1:]:
        assert neighbours(store, informed, "Company", [other], "FORWARDED_TO", "in")[other] == []
    assert neighbours(store, PUBLIC, "Grievance", ["G005"], "HAS_EVENT", "out")["G005"] == []
    # a factory without any signatory buyer on the filing date still gets its `forwarded` step
    nobody = forward(store, "G044", dt.date(2025, 1, 10))
    assert nobody.companies == []
    assert [e.status for e in facts(store, PUBLIC, ["G044"])["G044"].events] == ["forwarded"]


def test_the_workbench_grievance_page_hides_who_was_informed(store: GraphStore) -> None:
    from imvo.viz.pages import entity_page
    _loaded(store)
    def tables(viewer: Viewer) -> dict[str, Any]:
        page = entity_page(store, viewer, "grievance", "G001", as_of=dt.date(2026, 6, 30))
        return {t.key: t for t in page.tables}, dict(page.facts)
    sec, sec_facts = tables(SECRETARIAT)
    assert len(sec["forwarded"].rows) == 3 and sec_facts["current status"] == "in_dialogue"
    for viewer in (PUBLIC, Viewer("company", "C009"), Viewer("company", "C013")):
        t, _f = tables(viewer)
        assert "forwarded" not in t and all(not row[2] for row in t["steps"].rows)
        assert not any(tt.key.startswith("forwarded_to") for tt in t.values())
    assert tables(Viewer("company", "C009"))[1]["you were informed"] == "yes"
    assert tables(Viewer("company", "C013"))[1]["you were informed"] == "no"


# ---------------------------------------------------------------------------
# the canonical file and the command line
# ---------------------------------------------------------------------------

def test_grievance_events_csv_is_validated_and_idempotent(store: GraphStore, tmp_path: Path) -> None:
    folder = tmp_path / "ds"
    shutil.copytree(SAMPLE_DIR, folder)
    (folder / "grievance_forwards.csv").unlink()
    (folder / "grievance_events.csv").write_text(
        "grievance_id,status,on,note\n"
        "G004,received,2019-10-12,first\n"
        "G999,received,2020-01-01,\n"
        "G004,pending,2020-01-01,\n"
        "G004,admissible,2020-13-01,\n"
        "G004,admissible,2019-11-01,ok\n", encoding="utf-8")
    r = ingest_dir(store, folder)
    where = {(x.line, x.column) for x in r.rejects if x.file == "grievance_events.csv"}
    assert where == {(3, "grievance_id"), (4, "status"), (5, "on")}, r.rejects
    assert r.loaded["grievance_events.csv"] == 2
    first = facts(store, SECRETARIAT, ["G004"])["G004"]
    assert [e.status for e in first.events] == ["received", "admissible"] and first.status == "admissible"
    ingest_dir(store, folder)                                              # again: nothing doubles
    assert facts(store, SECRETARIAT, ["G004"])["G004"] == first
    assert facts(store, SECRETARIAT, ["G001"])["G001"].forwarded_to == []  # no grievance_forwards.csv here


def _cli_env(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMVO_", "NEO4J_"))}
    env.update({"IMVO_DATA_DIR": str(tmp_path / "data"), "IMVO_STORE": backend, "NO_COLOR": "1",
                "COLUMNS": "200"})
    if backend == "neo4j":
        request.getfixturevalue("store")
        env["NEO4J_URI"] = os.environ["IMVO_TEST_NEO4J_URI"]
        for k in ("NEO4J_USER", "NEO4J_PASSWORD", "NEO4J_DATABASE"):
            if k in os.environ:
                env[k] = os.environ[k]
    return env


def test_cli_forward_show_and_event(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    env = _cli_env(backend, request, tmp_path)

    def imvo(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "imvo", *args], env=env, capture_output=True, text=True,
                              timeout=300, cwd=ROOT)
    assert imvo("ingest", str(SAMPLE_DIR)).returncode == 0
    p = imvo("grievances", "forward", "G005", "--on", "2025-07-01")
    assert p.returncode == 0 and p.stdout.startswith("forwarded G005 on 2025-07-01 to "), p.stderr
    p2 = imvo("grievances", "forward", "G005", "--on", "2025-08-01")
    assert p2.returncode == 0 and "already forwarded on 2025-07-01" in p2.stdout and "nothing changed" in p2.stdout
    assert imvo("grievances", "event", "G005", "in_dialogue", "--on", "2025-09-01", "--note", "talks").returncode == 0
    show = imvo("grievances", "show", "G005")
    assert "status in_dialogue" in show.stdout and "2025-09-01  in_dialogue  talks" in show.stdout
    for args, message in ((("forward", "G999"), "error: unknown grievance id 'G999'"),
                          (("event", "G005", "pending", "--on", "2025-09-01"), "error: unknown status 'pending'"),
                          (("forward", "G005", "--on", "someday"), "error: ")):
        bad = imvo("grievances", *args)
        lines = [ln for ln in bad.stderr.splitlines() if ln.strip()]
        assert bad.returncode == 1 and len(lines) == 1 and lines[0].startswith(message), bad.stderr
        assert "Traceback" not in bad.stderr
