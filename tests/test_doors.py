"""One argument vocabulary: the same wrong argument gives the same one-line error through GraphQL,
the views, the command line and the exports; the same right one gives the same answer."""
from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from conftest import ROOT, LiveServer

from imvo.graph.embedded import EmbeddedStore
from imvo.graph.store import GraphStore

DAY = "2026-06-30"


@pytest.fixture
def contract(contract_store: GraphStore) -> GraphStore:
    """The contract dataset on the backend under test; the command line is pointed at the same store."""
    return contract_store


def imvo(store: GraphStore, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMVO_", "NEO4J_"))}
    env.update({"NO_COLOR": "1", "COLUMNS": "300"})
    if isinstance(store, EmbeddedStore):
        assert store.path is not None
        env["IMVO_DATA_DIR"] = str(store.path.parent)
    else:
        env.update({"IMVO_STORE": "neo4j", "NEO4J_URI": os.environ["IMVO_TEST_NEO4J_URI"],
                    "IMVO_DATA_DIR": str(Path(os.environ.get("TMPDIR", "/tmp")) / "imvo-doors")})
        for k in ("NEO4J_USER", "NEO4J_PASSWORD", "NEO4J_DATABASE"):
            if k in os.environ:
                env[k] = os.environ[k]
    return subprocess.run([sys.executable, "-m", "imvo", *args], env=env, capture_output=True, text=True,
                          timeout=120, cwd=ROOT)


def one_line_error(p: subprocess.CompletedProcess[str]) -> str:
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in p.stderr, p.stderr
    return lines[0][len("error: "):]


def gql_error(server: LiveServer, query: str) -> str:
    doc = server.graphql(query, "sekret")
    assert doc.get("errors"), doc
    return str(doc["errors"][0]["message"])


CASES = [
    # (what, GraphQL query, CLI arguments, view path or None, the message every door gives)
    ("unknown covenant", '{ sharedFactories(covenantId: "COV-NOPE") { buyerCount } }',
     ["export", "shared-factories", "--covenant", "COV-NOPE"], "/views/covenant/COV-NOPE",
     "unknown covenant 'COV-NOPE'"),
    ("unknown risk", '{ jointActionOpportunities(risk: "livingwage") { score } }',
     ["export", "opportunities", "--risk", "livingwage"], None, "unknown risk 'livingwage'"),
    ("unknown company", '{ coBuyers(companyId: "C-NOPE") { sharedCount } }',
     ["export", "co-buyers", "--company", "C-NOPE"], "/views/company/C-NOPE", "unknown company 'C-NOPE'"),
    ("unknown country", '{ sharedFactories(country: "Atlantis") { buyerCount } }',
     ["export", "shared-factories", "--country", "Atlantis"], None, "'Atlantis' is not a country code or name"),
    ("bad date", '{ sharedFactories(asOf: "2026-13-01") { buyerCount } }',
     ["export", "shared-factories", "--as-of", "2026-13-01"], "/views/covenant/COV-GARMENT?asOf=2026-13-01",
     "'2026-13-01' is not a date YYYY-MM-DD"),
    ("bad bound", '{ sharedFactories(minBuyers: 0) { buyerCount } }',
     ["export", "shared-factories", "--min-buyers", "0"], None, "minBuyers must be at least 1"),
]


@pytest.mark.parametrize(("what", "query", "cli", "view", "message"), CASES, ids=[c[0] for c in CASES])
def test_the_same_wrong_argument_gives_the_same_error_everywhere(
        contract: GraphStore, tmp_path: Path, what: str, query: str, cli: list[str],
        view: str | None, message: str) -> None:
    with LiveServer(contract) as server:
        assert message in gql_error(server, query)
        if view is not None:
            r = httpx.get(server.url + view, headers={"Authorization": "Bearer sekret"}, timeout=30)
            assert r.status_code in (400, 404) and message.replace("'", "&#x27;") in r.text, r.text[:300]
    p = imvo(contract, *cli, "-o", str(tmp_path / "out.csv"))
    assert message in one_line_error(p)
    assert not (tmp_path / "out.csv").exists()          # nothing written for a wrong question


def test_the_cli_view_gives_the_same_errors(contract: GraphStore, tmp_path: Path) -> None:
    out = str(tmp_path / "v.html")
    assert "unknown covenant 'COV-NOPE'" in one_line_error(imvo(contract, "view", "covenant",
                                                                "COV-NOPE", "-o", out))
    assert "'2026-13-01' is not a date YYYY-MM-DD" in one_line_error(
        imvo(contract, "view", "covenant", "COV-GARMENT", "--as-of", "2026-13-01", "-o", out))


def test_a_country_in_any_spelling_gives_the_same_answer_everywhere(contract: GraphStore,
                                                                    tmp_path: Path) -> None:
    with LiveServer(contract) as server:
        answers = []
        for spelling in ("BD", "bd", "Bangladesh", "BGD"):
            doc = server.graphql(f'{{ sharedFactories(country: "{spelling}", asOf: "{DAY}") '
                                 f'{{ factory {{ id }} buyerCount }} }}', "sekret")
            assert "errors" not in doc, doc
            answers.append([(s["factory"]["id"], s["buyerCount"]) for s in doc["data"]["sharedFactories"]])
    assert answers[0] and all(a == answers[0] for a in answers)
    for spelling in ("bd", "Bangladesh"):
        out = tmp_path / f"{spelling}.csv"
        p = imvo(contract, "export", "shared-factories", "--country", spelling, "--as-of", DAY,
                 "-o", str(out))
        assert p.returncode == 0, p.stderr
        with open(out, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(_data_lines(fh)))
        assert [(r["factory id"], int(r["buyer count"])) for r in rows] == answers[0]


def _data_lines(fh: object) -> list[str]:
    """The CSV lines of an export (a leading comment line, if any, states role and date)."""
    return [ln for ln in fh if not ln.startswith("#")]  # type: ignore[attr-defined]
