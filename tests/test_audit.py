"""Accountability (docs/security.md#audit-log): who read which confidential links, through real HTTP,
on both backends; tokens given as hashes, with names; the log rotates and never holds a token."""
from __future__ import annotations

import csv
import datetime as dt
import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import CONTRACT_DATASET, ROOT, LiveServer

from imvo.api.app import create_app
from imvo.graph.store import GraphStore
from imvo.kernel.errors import ImvoError
from imvo.kernel.settings import load_settings
from imvo.kernel.tokens import digest, hash_token, parse_tokens

DAY = "2026-06-30"
PLAIN, HASHED, COMPANY = "plain-secret-4711", "hashed-secret-0815", "company-secret-27"
TOKENS = f"{PLAIN}=secretariat,ops:{hash_token(HASHED)}=secretariat,{COMPANY}=company:C027"


def sourcing_rows() -> list[dict[str, str]]:
    with open(CONTRACT_DATASET / "sourcing.csv", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def active(row: dict[str, str], day: str = DAY) -> bool:
    return (not row["since"] or row["since"] <= day) and (not row["until"] or day < row["until"])


def records(path: Path) -> list[dict[str, Any]]:
    files = sorted(path.parent.glob(path.name + "*"), key=lambda p: (len(p.name), p.name), reverse=True)
    return [json.loads(line) for f in files for line in f.read_text("utf-8").splitlines()]


def links(rec: dict[str, Any]) -> set[tuple[str, ...]]:
    return {(ln["rel"], ln["buyer"], ln.get("supplier", ""), ln.get("factory", ""), ln["disclosure"])
            for ln in rec["links"]}


def test_one_record_per_request_names_the_role_the_token_and_the_confidential_links(
        contract_store: GraphStore, tmp_path: Path) -> None:
    log = tmp_path / "audit" / "audit.jsonl"
    with LiveServer(contract_store, tokens=TOKENS, IMVO_AUDIT_LOG=str(log)) as server:
        shared = server.graphql(f'query Shared {{ sharedFactories(minBuyers: 2, asOf: "{DAY}") '
                                '{ factory { id } buyers { id } } }', HASHED)
        own = server.graphql(f'{{ company(id: "C027") {{ sourcing(asOf: "{DAY}") {{ factory {{ id }} '
                             'disclosure } } }', COMPANY)
        public = server.graphql(f'{{ sharedFactories(minBuyers: 2, asOf: "{DAY}") {{ buyers {{ id }} }} '
                                f'countryOverview(code: "BD", asOf: "{DAY}") {{ signatoryBuyerCount }} }}')
        overview = server.graphql(f'{{ countryOverview(code: "BD", asOf: "{DAY}") {{ signatoryBuyerCount }} }}',
                                  COMPANY)
        bad = httpx.post(server.url + "/graphql", json={"query": "{ viewer }"},
                         headers={"Authorization": "Bearer not-a-token"})
        view = httpx.get(server.url + "/views/factory/F0057", params={"asOf": DAY},
                         headers={"Authorization": f"Bearer {PLAIN}"})
    assert "errors" not in shared and "errors" not in own and "errors" not in public and "errors" not in overview
    assert bad.status_code == 401 and view.status_code == 200
    recs = records(log)
    assert len(recs) == 6, [r["operation"] for r in recs]
    r_shared, r_own, r_public, r_overview, r_bad, r_view = recs

    # the secretariat's answer named buyers at factories: every non-public active link of those pairs
    named = {(b["id"], s["factory"]["id"]) for s in shared["data"]["sharedFactories"] for b in s["buyers"]}
    expected = {("SOURCES_FROM", r["buyer_id"], "", r["factory_id"], r["disclosure"] or "confidential")
                for r in sourcing_rows() if (r["buyer_id"], r["factory_id"]) in named and active(r)
                and r["disclosure"] != "public"}
    assert expected and links(r_shared) == expected
    assert (r_shared["role"], r_shared["token"], r_shared["operation"], r_shared["status"]) == \
        ("secretariat", "ops", "query Shared { sharedFactories }", 200)

    # a company reading its own links: exactly the non-public ones of its answer
    mine = {("SOURCES_FROM", "C027", "", s["factory"]["id"], s["disclosure"])
            for s in own["data"]["company"]["sourcing"] if s["disclosure"] != "public"}
    assert mine and links(r_own) == mine
    assert (r_own["role"], r_own["token"]) == ("company:C027", parse_tokens(TOKENS)[2].name)

    # the public sees no confidential link; counts computed from hidden links hand none out
    assert (r_public["role"], r_public["token"], r_public["links"]) == ("public", None, [])
    assert r_public["operation"] == "query { countryOverview sharedFactories }"
    assert r_overview["links"] == []
    assert (r_bad["status"], r_bad["token"], r_bad["role"]) == (401, "(unknown token)", None)
    assert r_view["request"] == f"GET /views/factory/F0057?asOf={DAY}" and r_view["role"] == "secretariat"
    assert all(ln["factory"] == "F0057" for ln in r_view["links"]) and r_view["links"]

    text = "".join(p.read_text("utf-8") for p in log.parent.iterdir())
    for secret in (PLAIN, HASHED, COMPANY, digest(HASHED), digest(PLAIN)):
        assert secret not in text


def test_paths_record_the_links_on_the_paths_they_return_not_those_explored(
        contract_store: GraphStore, tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    with LiveServer(contract_store, tokens=TOKENS, IMVO_AUDIT_LOG=str(log)) as server:
        doc = server.graphql(f'{{ paths(fromId: "C027", toId: "C029", asOf: "{DAY}") '
                             '{ nodes { ... on Company { id } ... on Factory { id } ... on Supplier { id } } '
                             'relationships } }', PLAIN)
    assert "errors" not in doc and doc["data"]["paths"], doc
    hops = set()
    for p in doc["data"]["paths"]:
        ids = [n.get("id") for n in p["nodes"]]
        hops |= {frozenset(pair) for pair, rel in zip(itertools.pairwise(ids), p["relationships"])
                 if rel == "SOURCES_FROM"}
    (rec,) = records(log)
    recorded = {frozenset((ln["buyer"], ln["factory"])) for ln in rec["links"] if ln["rel"] == "SOURCES_FROM"}
    assert recorded <= hops
    rows = {frozenset((r["buyer_id"], r["factory_id"])) for r in sourcing_rows()
            if r["disclosure"] != "public" and active(r)}
    assert recorded == hops & rows


def test_the_log_rotates(contract_store: GraphStore, tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    with LiveServer(contract_store, tokens=TOKENS, IMVO_AUDIT_LOG=str(log), IMVO_AUDIT_MAX_BYTES=10_000,
                    IMVO_AUDIT_BACKUPS=2) as server:
        for _ in range(70):
            server.graphql(f'{{ factoryLeverage(factoryId: "F0057", asOf: "{DAY}") {{ buyers {{ id }} }} }}', PLAIN)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["audit.jsonl", "audit.jsonl.1", "audit.jsonl.2"], files
    assert all(p.stat().st_size <= 10_000 for p in tmp_path.iterdir())
    assert all(r["role"] == "secretariat" for r in records(log))


def test_audit_off(contract_store: GraphStore, tmp_path: Path) -> None:
    with LiveServer(contract_store, IMVO_AUDIT_LOG="off", IMVO_DATA_DIR=str(tmp_path)) as server:
        assert server.graphql("{ viewer }") == {"data": {"viewer": "public"}}
    assert not list(tmp_path.rglob("*.jsonl"))
    assert load_settings(IMVO_DATA_DIR=str(tmp_path), IMVO_AUDIT_LOG="").audit_path() == \
        tmp_path / "audit" / "audit.jsonl"


# ---------------------------------------------------------------------------
# the token syntax
# ---------------------------------------------------------------------------

def test_the_token_syntax() -> None:
    old = parse_tokens("tokenA=secretariat,tokenB=company:C12")
    assert [(e.role, e.digest) for e in old] == [("secretariat", digest("tokenA")), ("company:C12", digest("tokenB"))]
    assert [e.name for e in old] == [f"token-{digest('tokenA')[:8]}", f"token-{digest('tokenB')[:8]}"]
    named = parse_tokens(f"ops:{hash_token('x')}=secretariat, {hash_token('y').upper().replace('SHA256', 'sha256')}"
                         "=public")
    assert [(e.name, e.role, e.digest) for e in named] == [("ops", "secretariat", digest("x")),
                                                           (f"token-{digest('y')[:8]}", "public", digest("y"))]
    # a plain token with a colon stays a plain token
    assert parse_tokens("a:b=secretariat")[0].digest == digest("a:b")
    for bad, message in (("tokenA", "entry 1 is not SECRET=ROLE"), ("a=secretariat,a=public", "repeats"),
                         ("a=secretariat,=public", "entry 2")):
        with pytest.raises(ValueError, match=message):
            parse_tokens(bad)


@pytest.mark.parametrize("spec", ["tokenA", "tok-1234=admin"])
def test_a_bad_token_setting_is_one_line_without_the_token(spec: str) -> None:
    with pytest.raises(ImvoError) as err:
        create_app(load_settings(IMVO_API_TOKENS=spec))
    assert str(err.value).startswith("IMVO_API_TOKENS: ") and "\n" not in str(err.value)
    assert "tokenA" not in str(err.value) and "tok-1234" not in str(err.value)


def test_imvo_token_hash_makes_an_entry_the_api_accepts(contract_store: GraphStore, tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "imvo", "token", "hash", "--name", "alice", "--role", "company:C029"]
    out = subprocess.run(cmd, input="alice-secret\n", capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    entry = out.stdout.strip()
    assert entry == f"alice:{hash_token('alice-secret')}=company:C029" and "alice-secret" not in entry
    new = subprocess.run([sys.executable, "-m", "imvo", "token", "new", "--name", "bob", "--role", "secretariat"],
                         capture_output=True, text=True, cwd=ROOT, timeout=60)
    token = new.stderr.split("token (shown once): ")[1].split()[0]
    assert new.stdout.strip() == f"bob:{hash_token(token)}=secretariat"
    log = tmp_path / "audit.jsonl"
    with LiveServer(contract_store, tokens=f"{entry},{new.stdout.strip()}", IMVO_AUDIT_LOG=str(log)) as server:
        assert server.graphql("{ viewer }", "alice-secret") == {"data": {"viewer": "company:C029"}}
        assert server.graphql("{ viewer }", token) == {"data": {"viewer": "secretariat"}}
        assert httpx.post(server.url + "/graphql", json={"query": "{ viewer }"},
                          headers={"Authorization": f"Bearer {hash_token('alice-secret')}"}).status_code == 401
    assert [r["token"] for r in records(log)] == ["alice", "bob", "(unknown token)"]
    assert dt.date.fromisoformat(records(log)[0]["time"][:10])
