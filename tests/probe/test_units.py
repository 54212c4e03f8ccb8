"""Scoring, redaction, response comparison, ownership and client helpers."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mtlsguard.devserver.pki import TestPKI
from mtlsguard.findings.model import Confidence
from mtlsguard.findings.registry import get_rule
from mtlsguard.probe.client import (
    Exchange,
    ProbeClient,
    ProbeSetupError,
    UnsafeMethodError,
    parse_auth_header,
    same_origin,
)
from mtlsguard.probe.compare import same_content
from mtlsguard.probe.config import Identity, ProbeConfig
from mtlsguard.probe.ownership import (
    identity_markers,
    learn_user_ids,
    names_identity,
    owned_by_b,
)
from mtlsguard.probe.redact import (
    REDACTED,
    redact_body,
    redact_headers,
    web_request,
    web_response,
)
from mtlsguard.probe.rules import Category, category_of, probe_rules
from mtlsguard.probe.scoring import grade_for, grade_rank, score_findings
from tests.budget import secondary


def finding(rule_id: str, confidence: Confidence | None = None):  # type: ignore[no-untyped-def]
    return get_rule(rule_id).finding(
        route="/r/", evidence="e", remediation="r", confidence=confidence
    )


def test_rules_have_docs_cwes_and_categories() -> None:
    rules = probe_rules()
    assert [r.rule_id for r in rules] == [f"MG40{n}" for n in range(1, 9)]
    assert {r.rule_id: r.cwe for r in rules} == {
        "MG401": "CWE-306",
        "MG402": "CWE-306",
        "MG403": "CWE-290",
        "MG404": "CWE-639",
        "MG405": "CWE-307",
        "MG406": "CWE-384",
        "MG407": "CWE-613",
        "MG408": "CWE-347",
    }
    assert category_of("MG404") is Category.BOLA
    assert category_of("MG405") is Category.RATE_LIMITING
    assert category_of("MG406") is Category.SESSION
    for rule in rules:
        assert rule.doc.startswith(rule.rule_id)
        assert "**Fix" in rule.doc


def test_scores_and_grades() -> None:
    assert [grade_for(s) for s in (100, 90, 89, 80, 70, 60, 59, 0)] == list("AABBCDFF")
    assert grade_rank("b") == 1
    with pytest.raises(ValueError, match="unknown grade"):
        grade_rank("E")
    clean = score_findings([], {Category.AUTHENTICATION, Category.BOLA})
    assert (clean.score, clean.grade) == (100, "A")
    by = {c.category: c for c in clean.categories}
    assert by[Category.RATE_LIMITING].score is None
    assert by[Category.RATE_LIMITING].grade == "n/a"
    bad = score_findings(
        [finding("MG402"), finding("MG402"), finding("MG404")],
        {Category.AUTHENTICATION, Category.BOLA},
    )
    by = {c.category: c for c in bad.categories}
    assert (by[Category.AUTHENTICATION].score, by[Category.AUTHENTICATION].grade) == (20, "F")
    assert (by[Category.BOLA].score, by[Category.BOLA].grade) == (75, "C")
    assert (bad.score, bad.grade) == (0, "F")
    low = score_findings([finding("MG402", Confidence.LOW)], {Category.AUTHENTICATION})
    assert low.score == 80  # a low-confidence finding costs half
    assert bad.as_dict()["categories"]["BOLA"] == {  # type: ignore[index]
        "score": 75,
        "grade": "C",
        "findings": 1,
    }


def test_redacted_headers() -> None:
    shown = redact_headers(
        [
            ("Authorization", "Token abc"),
            ("Cookie", "sessionid=s3cret"),
            ("Set-Cookie", "sessionid=s3cret; HttpOnly; Max-Age=60"),
            ("X-CSRFToken", "t"),
            ("X-SSL-Client-Cert", "-----BEGIN%20CERTIFICATE"),
            ("Client-Cert", ":MII=:"),
            ("X-Forwarded-Client-Cert", "Hash=ab"),
            ("WWW-Authenticate", 'Token realm="api"'),
            ("Content-Type", "application/json"),
        ]
    )
    assert shown == {
        "Authorization": REDACTED,
        "Cookie": REDACTED,
        "Set-Cookie": f"sessionid={REDACTED}; HttpOnly; Max-Age=60",
        "X-CSRFToken": REDACTED,
        "X-SSL-Client-Cert": "[forwarded certificate header redacted]",
        "Client-Cert": "[forwarded certificate header redacted]",
        "X-Forwarded-Client-Cert": "[forwarded certificate header redacted]",
        "WWW-Authenticate": 'Token realm="api"',
        "Content-Type": "application/json",
    }


def test_redacted_bodies(pki: TestPKI) -> None:
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJl"
    body = json.dumps(
        {
            "token": "abc123",
            "refresh_token": "r",
            "password": "hunter2",
            "owner": "bob",
            "cert": pki.client.cert_pem.decode(),
            "note": f"bearer {jwt}",
        }
    )
    shown = redact_body(body)
    for secret in ("abc123", "hunter2", "BEGIN CERTIFICATE", jwt):
        assert secret not in shown
    assert '"owner": "bob"' in shown
    assert redact_body("x" * 5000).endswith("... [2952 more characters]")


def test_web_request_and_response() -> None:
    exchange = Exchange(
        "A",
        "GET",
        "https://h/x",
        (("Authorization", "Token t"),),
        status=200,
        reason="OK",
        response_headers=(("Set-Cookie", "csrftoken=z"),),
        body=b'{"access": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2ln", "id": 1}',
    )
    request = web_request(exchange)
    assert request["headers"] == {"Authorization": REDACTED}
    assert request["properties"] == {"identity": "A"}
    response = web_response(exchange)
    assert response["statusCode"] == 200
    assert response["headers"] == {"Set-Cookie": f"csrftoken={REDACTED}"}
    assert "eyJ" not in json.dumps(response)
    failed = web_response(Exchange("A", "GET", "https://h/", failure="timed out"))
    assert failed == {"noResponseReceived": True, "reasonPhrase": "timed out"}


@secondary()
@given(st.text(max_size=3000))
def test_redaction_never_lets_a_pem_through(text: str) -> None:
    body = text + "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----" + text
    assert "MIIE" not in redact_body(body, limit=100_000) or "MIIE" in text


def ok(body: bytes) -> Exchange:
    return Exchange("A", "GET", "https://h/", status=200, body=body)


def test_same_content_compares_json_values_not_status_codes() -> None:
    assert same_content(ok(b'{"a": 1, "b": 2}'), ok(b'{"b":2,"a":1}'))
    assert not same_content(ok(b'{"a": 1}'), ok(b'{"a": 2}'))
    assert not same_content(ok(b"[]"), ok(b"[]"))  # no data
    assert same_content(ok(b"<p>x</p>"), ok(b"<p>x</p>"))
    forbidden = Exchange("A", "GET", "https://h/", status=403, body=b'{"a": 1}')
    assert not same_content(forbidden, forbidden)


def test_ownership(pki: TestPKI) -> None:
    alice, bob = identity_markers(pki.client.cert), identity_markers(pki.other_client.cert)
    assert {"alice", "alice@example.com", "spiffe://example.com/ns/billing/sa/alice"} <= alice
    assert "bob" in bob
    b_names, a_names = bob | {"2"}, alice | {"1"}
    kw = {"b_names": b_names, "a_names": a_names}
    assert owned_by_b({"owner": "bob"}, planned=None, **kw) == "its owner field names B"
    assert owned_by_b({"owner": 2}, planned=None, **kw) == "its owner field names B"
    assert owned_by_b({"created_by": {"id": 2}}, planned=None, **kw) is not None
    assert owned_by_b({"x": 1}, planned="B", **kw) is not None
    assert owned_by_b({"x": 1}, planned=None, **kw) is None
    assert owned_by_b({"owner": "alice"}, planned=None, **kw) is None
    assert owned_by_b({"shared": ["alice", "bob"]}, planned=None, **kw) is None
    assert learn_user_ids("/api/me/", {"id": 1, "username": "alice"}, {"id": 2}) == (
        {"1", "alice"},
        {"2"},
    )
    assert learn_user_ids("/api/pricing/", {"id": 1}, {"id": 2}) == (set(), set())
    assert not names_identity({"owner": "bobby"}, bob)  # equality, not substrings


def test_client_helpers() -> None:
    assert parse_auth_header("Authorization: Token abc") == ("Authorization", "Token abc")
    for bad in ("Authorization", "Bad Name: x", "X-Key:", "X: a\r\nInjected: b"):
        with pytest.raises(ProbeSetupError):
            parse_auth_header(bad)
    assert same_origin("https://h:443/a", "https://h/")
    assert not same_origin("https://h:8443/a", "https://h/")
    assert not same_origin("http://h/a", "https://h/")
    assert not same_origin("https://evil/a", "https://h/")


def test_unsafe_methods_are_refused_before_anything_is_sent(pki_files: dict[str, Path]) -> None:
    config = ProbeConfig(
        "https://127.0.0.1:9/", Identity("A", pki_files["client"], pki_files["client_key"])
    )

    async def attempt(method: str) -> None:
        async with ProbeClient(config) as client:
            await client.send(config.identity, method, "/")
            assert client.requests_sent == 0

    for method in ("POST", "PUT", "PATCH", "DELETE", "TRACE"):
        with pytest.raises(UnsafeMethodError):
            asyncio.run(attempt(method))


def test_setup_errors_name_the_file(pki_files: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(ProbeSetupError, match=r"missing\.pem"):
        ProbeClient(ProbeConfig("https://h/", Identity("A", tmp_path / "missing.pem", None)))
    with pytest.raises(ProbeSetupError, match="not an http"):
        ProbeClient(ProbeConfig("ftp://h/", Identity("A")))


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mtlsguard", "probe", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_cli_usage_errors_exit_2(pki_files: dict[str, Path], tmp_path: Path) -> None:
    cert, key = str(pki_files["client"]), str(pki_files["client_key"])
    done = run_cli("https://127.0.0.1:9/", "--cert", cert, "--key", key, "--fail-under", "E")
    assert (done.returncode, "unknown grade" in done.stderr) == (2, True)
    done = run_cli("https://127.0.0.1:9/", "--cert", cert, "--key", key, "--peer-cert", cert)
    assert (done.returncode, "go together" in done.stderr) == (2, True)
    (tmp_path / "openapi.json").write_text('{"swagger": "1.2"}')
    done = run_cli(
        "https://127.0.0.1:9/",
        "--cert",
        cert,
        "--key",
        key,
        "--openapi",
        str(tmp_path / "openapi.json"),
    )
    assert (done.returncode, "not an OpenAPI 3" in done.stderr) == (2, True)
    done = run_cli("https://127.0.0.1:9/", "--cert", str(tmp_path / "nope.pem"), "--key", key)
    assert (done.returncode, "nope.pem" in done.stderr) == (2, True)
    # nothing listens on port 9: every request fails, the run reports it and exits 2
    done = run_cli("https://127.0.0.1:9/", "--cert", cert, "--key", key, "--timeout", "2")
    assert done.returncode == 2
    assert "the target is unreachable" in done.stderr
    assert "connection failed" in done.stderr
    assert "grade" not in done.stdout.replace("no grade", "")


def test_cli_with_nothing_to_probe_exits_2(pki_files: dict[str, Path], tmp_path: Path) -> None:
    (tmp_path / "paths.txt").write_text("POST /api/login/\n")
    cert, key = str(pki_files["client"]), str(pki_files["client_key"])
    done = run_cli(
        "https://127.0.0.1:9/", "--cert", cert, "--key", key, "--paths", str(tmp_path / "paths.txt")
    )
    assert done.returncode == 2
    assert "nothing was probed" in done.stderr
