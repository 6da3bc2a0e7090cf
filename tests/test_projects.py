"""Projects, the living-wage bill and responsible exit (DESIGN section 11), every role, both backends."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from support.server import LiveServer
from test_cli import cli_env, no_traceback, run  # noqa: F401 - cli_env is a fixture used below

from imvo.graph.store import GraphStore
from imvo.ingest.canonical import ingest_dir
from imvo.kernel.errors import InvalidInput
from imvo.queries import core
from imvo.queries import projects as pq
from imvo.queries.access import PUBLIC, SECRETARIAT, Viewer

FILES = {
    "countries.csv": "code,name,ituc_rating,living_wage_gap,living_wage_eur,prevailing_wage_eur\n"
                     "BD,Bangladesh,5,,250,130\nVN,Viet Nam,5,,300,350\nIN,India,5,,,\n",
    "covenants.csv": "id,name,sector,signed_on,ends_on,priority_risks\nCOV1,Garment,garment,2016-01-01,,living_wage\n",
    "companies.csv": "id,name,country,kind\nC1,Alpha,NL,brand\nC2,Beta,NL,brand\nC3,Gamma,NL,brand\n"
                     "C4,Delta,NL,brand\n",
    "factories.csv": "id,name,country,workers\nF1,One,BD,1000\nF2,Two,VN,200\nF3,Three,IN,\nF4,Four,BD,100\n",
    "unions.csv": "id,name,country,level\nU1,Union One,IN,workplace\n",
    "organisations.csv": "id,name,country,kind,active_in\nO1,Embassy,NL,embassy,BD\n",
    "covenant_parties.csv": "covenant_id,party_id,role,since,until\nCOV1,C1,signatory,2020-01-01,\n"
                            "COV1,C2,signatory,2020-01-01,\nCOV1,C3,signatory,2020-01-01,\n"
                            "COV1,C4,signatory,2020-01-01,2025-01-01\n",
    "sourcing.csv": "buyer_id,factory_id,share,since,until,disclosure\n"
                    "C1,F1,0.3,2020-01-01,,covenant\nC2,F1,0.2,2020-01-01,,confidential\n"
                    "C3,F1,,2020-01-01,,public\nC1,F2,0.5,2020-01-01,,public\nC2,F2,0.1,2020-01-01,,public\n"
                    "C4,F4,0.4,2020-01-01,2025-01-01,confidential\nC1,F4,,2020-01-01,,public\n"
                    "C2,F3,,2020-01-01,2025-06-01,confidential\n",
    "union_presence.csv": "union_id,factory_id,members\nU1,F3,50\n",
    "grievances.csv": "id,factory_id,risk,filed_on,status\nG1,F4,health_safety,2024-03-01,open\n",
    "projects.csv": "id,name,factory_id,risk,status,started_on,ended_on,summary\n"
                    "P1,Living wage step,F1,living_wage,active,2025-01-01,,a step\n"
                    "P2,Wage ladder,F2,living_wage,completed,2022-01-01,2023-01-01,\n"
                    "P3,Fire safety,F4,health_safety,stopped,2023-01-01,2025-02-01,buyer left\n",
    "project_participants.csv": "project_id,party_id,role\nP1,C2,lead\nP1,U1,participant\nP1,O1,supporter\n"
                                "P2,C1,participant\nP3,C4,lead\n",
}
C1, C2 = Viewer("company", "C1"), Viewer("company", "C2")
ON = dt.date(2026, 1, 15)


@pytest.fixture
def pstore(store: GraphStore, tmp_path: Path) -> GraphStore:
    folder = tmp_path / "ds"
    folder.mkdir()
    for name, text in FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    result = ingest_dir(store, folder)
    assert result.exit_code == 0, result.rejects[:3]
    return store


def _parts(rows: list[pq.Project], pid: str) -> list[tuple[str, str]]:
    return [(x.party.id, x.role) for p in rows if p.id == pid for x in p.participants]


def test_projects_load_idempotently_and_reject_bad_rows(store: GraphStore, tmp_path: Path) -> None:
    folder = tmp_path / "ds"
    folder.mkdir()
    for name, text in FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "projects.csv").write_text(FILES["projects.csv"] + "P9,Bad,F1,living_wage,going,,,\n"
                                         "P8,Dates,F1,living_wage,active,2025-01-01,2024-01-01,\n")
    (folder / "countries.csv").write_text(FILES["countries.csv"] + "PK,Pakistan,5,,-3,\n")
    first = ingest_dir(store, folder)
    counts = store.counts()
    again = ingest_dir(store, folder)
    assert store.counts() == counts and counts.nodes["Project"] == 3
    where = sorted((r.file, r.line, r.column) for r in first.rejects)
    assert where == [("countries.csv", 5, "living_wage_eur"), ("projects.csv", 5, "status"),
                     ("projects.csv", 6, "ended_on")]
    assert len(again.rejects) == 3


def test_projects_each_role(pstore: GraphStore) -> None:
    sec = pq.projects(pstore, SECRETARIAT)
    assert [p.id for p in sec] == ["P1", "P2", "P3"]
    assert _parts(sec, "P1") == [("C2", "lead"), ("O1", "supporter"), ("U1", "participant")]
    assert sec[0].factory.id == "F1" and sec[0].get("status") == "active"
    # C1 may not see C2's confidential link to F1: C2's part in the project would reveal it
    assert _parts(pq.projects(pstore, C1), "P1") == [("O1", "supporter"), ("U1", "participant")]
    assert _parts(pq.projects(pstore, C2), "P1")[0] == ("C2", "lead")
    assert _parts(pq.projects(pstore, PUBLIC), "P1") == [("O1", "supporter"), ("U1", "participant")]
    assert _parts(pq.projects(pstore, PUBLIC), "P2") == [("C1", "participant")]       # a public link
    assert _parts(pq.projects(pstore, PUBLIC), "P3") == []                            # confidential, ended


def test_project_filters_never_use_hidden_participants(pstore: GraphStore) -> None:
    assert [p.id for p in pq.projects(pstore, SECRETARIAT, status="active")] == ["P1"]
    assert [p.id for p in pq.projects(pstore, SECRETARIAT, risk="health_safety")] == ["P3"]
    assert [p.id for p in pq.projects(pstore, SECRETARIAT, country="BD")] == ["P1", "P3"]
    assert [p.id for p in pq.projects(pstore, SECRETARIAT, covenant_id="COV1")] == ["P1", "P2"]
    # P1 is in COV1 only through C2, whom C1 and the public may not see at F1
    assert [p.id for p in pq.projects(pstore, C1, covenant_id="COV1")] == ["P2"]
    assert [p.id for p in pq.projects(pstore, PUBLIC, covenant_id="COV1")] == ["P2"]
    assert [p.id for p in pq.projects(pstore, C2, covenant_id="COV1")] == ["P1", "P2"]
    with pytest.raises(InvalidInput, match="unknown project status"):
        pq.projects(pstore, SECRETARIAT, status="going")


def test_living_wage_gap_each_role(pstore: GraphStore) -> None:
    sec = pq.living_wage_gap(pstore, SECRETARIAT, factory_id="F1", as_of=ON)
    assert sec is not None and sec.workers == 1000 and sec.monthly_gap_eur == 120000.0 and sec.reason is None
    assert [(b.company.id, b.share, b.monthly_eur) for b in sec.buyers] == [
        ("C1", 0.3, 36000.0), ("C2", 0.2, 24000.0), ("C3", None, None)]
    c1 = pq.living_wage_gap(pstore, C1, factory_id="F1", as_of=ON)
    assert c1 is not None and c1.monthly_gap_eur == 120000.0               # the total: a factory fact
    assert [b.company.id for b in c1.buyers] == ["C1", "C3"]                # not C2's confidential part
    c2 = pq.living_wage_gap(pstore, C2, factory_id="F1", as_of=ON)
    assert c2 is not None and [b.company.id for b in c2.buyers] == ["C1", "C2", "C3"]   # C1's covenant link
    pub = pq.living_wage_gap(pstore, PUBLIC, factory_id="F1", as_of=ON)
    assert pub is not None and [b.company.id for b in pub.buyers] == ["C3"]
    # the same answer on a later date after nothing changed: no differencing window
    later = pq.living_wage_gap(pstore, C1, factory_id="F1", as_of=dt.date(2026, 6, 1))
    assert later is not None and [b.company.id for b in later.buyers] == ["C1", "C3"]


def test_living_wage_gap_unknown_inputs_and_no_gap(pstore: GraphStore) -> None:
    met = pq.living_wage_gap(pstore, SECRETARIAT, factory_id="F2", as_of=ON)
    assert met is not None and met.monthly_gap_eur == 0.0 and "meets the living wage" in (met.reason or "")
    assert [(b.company.id, b.monthly_eur) for b in met.buyers] == [("C1", 0.0), ("C2", 0.0)]
    unknown = pq.living_wage_gap(pstore, SECRETARIAT, factory_id="F3", as_of=ON)
    assert unknown is not None and unknown.monthly_gap_eur is None and unknown.workers is None
    assert "workers is unknown" in (unknown.reason or "") and "no living wage figure" in (unknown.reason or "")
    assert pq.living_wage_gap(pstore, SECRETARIAT, factory_id="nope") is None


def test_opportunities_mark_and_leave_out_projects_under_way(pstore: GraphStore) -> None:
    rows = core.joint_action_opportunities(pstore, SECRETARIAT, risk="living_wage", as_of=ON)
    by = {o.factory.id: o for o in rows}
    assert [p.id for p in by["F1"].active_projects] == ["P1"] and by["F2"].active_projects == []
    assert by["F1"].monthly_gap_eur == 120000.0 and by["F2"].monthly_gap_eur == 0.0
    left = core.joint_action_opportunities(pstore, SECRETARIAT, risk="living_wage", as_of=ON,
                                           exclude_under_way=True)
    assert "F1" not in {o.factory.id for o in left} and "F2" in {o.factory.id for o in left}
    # the risk matters: the active living-wage project does not address health and safety
    hs = core.joint_action_opportunities(pstore, SECRETARIAT, risk="health_safety", as_of=ON)
    assert all(o.active_projects == [] for o in hs)


def test_ended_links_each_role(pstore: GraphStore) -> None:
    start, end = dt.date(2024, 6, 1), dt.date(2026, 1, 1)
    sec = pq.ended_links(pstore, SECRETARIAT, start=start, end=end)
    assert [(e.company.id, e.factory.id, e.ended_on, e.reasons) for e in sec] == [
        ("C4", "F4", dt.date(2025, 1, 1), ["open grievance"]),
        ("C2", "F3", dt.date(2025, 6, 1), ["union present"])]
    assert [e.company.id for e in pq.ended_links(pstore, SECRETARIAT, covenant_id="COV1", start=start,
                                                 end=end)] == ["C4", "C2"]
    assert pq.ended_links(pstore, C1, start=start, end=end) == []              # both links confidential
    assert [(e.company.id, e.factory.id) for e in pq.ended_links(pstore, C2, start=start, end=end)] == [
        ("C2", "F3")]
    assert pq.ended_links(pstore, PUBLIC, start=start, end=end) == []
    # [from, to): the end date is excluded
    assert [e.company.id for e in pq.ended_links(pstore, SECRETARIAT, start=start,
                                                 end=dt.date(2025, 6, 1))] == ["C4"]
    with pytest.raises(InvalidInput):
        pq.ended_links(pstore, SECRETARIAT, start=end, end=start)


def test_graphql_projects_gap_and_ended_links(pstore: GraphStore) -> None:
    with LiveServer(pstore, tokens="s=secretariat,c1=company:C1") as server:
        q = ('{ projects(status: "active") { id name status risk summary startedOn endedOn factory { id } '
             'participants { party { __typename ... on Company { id name } ... on Union { id name } '
             '... on Organisation { id name } } role } } }')
        sec = server.graphql(q, "s")["data"]["projects"]
        assert sec[0]["id"] == "P1" and sec[0]["startedOn"] == "2025-01-01"
        assert [p["party"]["id"] for p in sec[0]["participants"]] == ["C2", "O1", "U1"]
        c1 = server.graphql(q, "c1")["data"]["projects"]
        assert [p["party"]["id"] for p in c1[0]["participants"]] == ["O1", "U1"]
        fp = server.graphql('{ factory(id: "F1") { projects { id participants { role } } } }')
        assert fp["data"]["factory"]["projects"] == [{"id": "P1", "participants": [{"role": "supporter"},
                                                                                    {"role": "participant"}]}]
        gap = server.graphql('{ livingWageGap(factoryId: "F1", asOf: "2026-01-15") { workers monthlyGapEur '
                             'reason buyers { company { id } share monthlyEur } } }', "c1")["data"]["livingWageGap"]
        assert gap["monthlyGapEur"] == 120000.0 and [b["company"]["id"] for b in gap["buyers"]] == ["C1", "C3"]
        ended = server.graphql('{ endedLinks(from: "2024-06-01", to: "2026-01-01") { company { id } '
                               'factory { id } endedOn reasons } }', "s")["data"]["endedLinks"]
        assert [e["company"]["id"] for e in ended] == ["C4", "C2"] and ended[0]["reasons"] == ["open grievance"]
        opp = server.graphql('{ jointActionOpportunities(risk: "living_wage", asOf: "2026-01-15", '
                             'excludeUnderWay: true) { factory { id } projectUnderWay monthlyGapEur } }', "s")
        assert not opp.get("errors"), opp
        assert "F1" not in [o["factory"]["id"] for o in opp["data"]["jointActionOpportunities"]], opp
        bad = server.graphql('{ projects(status: "going") { id } }', "s")
        assert "unknown project status" in bad["errors"][0]["message"]


def test_sample_tells_the_story(sample_store: GraphStore) -> None:
    from imvo.viz.pages import entity_page
    on = dt.date(2026, 6, 30)
    rows = pq.projects(sample_store, SECRETARIAT)
    assert [(p.id, p.get("status")) for p in rows] == [("P001", "active"), ("P002", "completed"),
                                                        ("P003", "stopped")]
    active = rows[0]
    kinds = {x.party.label for x in active.participants}
    assert {"Company", "Union", "NGO", "Organisation"} <= kinds
    assert any(x.party.props.get("kind") == "embassy" for x in active.participants)
    gap = pq.living_wage_gap(sample_store, SECRETARIAT, factory_id=active.factory.id, as_of=on)
    assert gap is not None and gap.monthly_gap_eur and len(gap.buyers) >= 2
    ended = pq.ended_links(sample_store, SECRETARIAT, start=dt.date(2025, 1, 1), end=dt.date(2026, 1, 1))
    assert any("open grievance" in e.reasons for e in ended)
    opp = core.joint_action_opportunities(sample_store, SECRETARIAT, risk="living_wage", first=1000, as_of=on)
    assert active.factory.id in {o.factory.id for o in opp if o.active_projects}
    page = entity_page(sample_store, PUBLIC, "factory", active.factory.id, as_of=on)
    projects = page.table("projects")
    assert projects.rows and "Living wage step" in str(projects.rows[0][0])
    lead = next(x.party for x in active.participants if x.party.label == "Company")
    public = pq.projects(sample_store, PUBLIC, factory_id=active.factory.id)[0]
    assert (lead.id in {x.party.id for x in public.participants}) == (str(lead.name) in str(projects.rows[0][5]))


def test_paths_do_not_run_through_projects(pstore: GraphStore) -> None:
    """C2 takes part in P1 at F1 through a confidential link: no path via the project shows C1 the link."""
    from imvo.queries import analytics
    found = analytics.paths(pstore, C1, "C2", "F1", max_hops=4)
    assert all("PARTICIPATES_IN" not in p.rels and "AT" not in p.rels for p in found)


def test_public_list_names_no_buyer(cli_env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    import re
    import zipfile

    env = cli_env
    folder = tmp_path / "ds"
    folder.mkdir()
    files = dict(FILES)
    files["suppliers.csv"] = "id,name,country,kind\nS1,Alpha,BD,group\nS2,Owner Group,VN,group\n"
    files["factories.csv"] = ("id,name,country,workers,owner_id\nF1,One,BD,1000,S1\nF2,Two,VN,200,S2\n"
                              "F3,Three,IN,,\nF4,Four,BD,100,\n")
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    assert run(["ingest", str(folder)], env).returncode == 0
    out = tmp_path / "list.csv"
    p = run(["export", "public-list", "--as-of", "2026-01-15", "-o", str(out)], env)
    assert p.returncode == 1 and "no snapshot published" in p.stderr and len(p.stderr.strip().splitlines()) == 1
    no_traceback(p)
    assert run(["publish", "--as-of", "2026-01-15"], env).returncode == 0
    p = run(["export", "public-list", "--as-of", "2026-03-01", "-o", str(out)], env)
    assert p.returncode == 0, p.stderr
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    header = text.splitlines()[0].split(",")
    assert header[:9] == ["Factory Name", "Factory Type", "Product Type", "Parent company", "Address", "Country",
                          "Total Workers", "OS ID", "Number of signatory buyers"]
    assert {"name", "address", "country", "sector", "product_type", "number_of_workers", "parent_company",
            "facility_type"} <= set(header)
    assert [line.split(",")[0] for line in text.splitlines()[1:]] == ["One", "Two", "Four"]   # active signatory links
    assert "Owner Group" in text                                   # the owner group, not a buyer
    xlsx = tmp_path / "list.xlsx"
    assert run(["export", "public-list", "--as-of", "2026-03-01", "-o", str(xlsx)], env).returncode == 0
    from openpyxl import load_workbook
    with zipfile.ZipFile(xlsx) as z:                        # names: nowhere in the file's parts
        inside = b"".join(z.read(n) for n in z.namelist()).decode("utf-8", "replace")
    cells = "\n".join(str(v) for row in load_workbook(xlsx).active.iter_rows(values_only=True) for v in row)
    assert "Owner Group" in cells
    for blob in (text, inside, cells):
        for company in ("Alpha", "Beta", "Gamma", "Delta"):
            assert company not in blob
    for blob in (text, cells):                              # ids ("C1" is also a cell reference in the XML)
        for cid in ("C1", "C2", "C3", "C4"):
            assert not re.search(rf"\b{cid}\b", blob)
