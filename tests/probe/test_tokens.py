"""MG408: tampered JWTs against a real server that verifies them and one that does not."""

from __future__ import annotations

import base64
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest

from mtlsguard.probe.config import Identity, ProbeConfig
from mtlsguard.probe.discovery import load_path_list
from mtlsguard.probe.phases.tokens import find_jwt, tampered_tokens
from mtlsguard.probe.runner import run_probe

KEY = "server-side-secret-of-at-least-32-bytes!"
TOKEN = jwt.encode({"sub": "alice"}, KEY, algorithm="HS256")


def _claims(token: str, verify: bool) -> dict[str, Any] | None:
    try:
        if verify:
            return jwt.decode(token, KEY, algorithms=["HS256"])
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except Exception:
        return None


class TokenServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, verify: bool) -> None:
        self.verify = verify
        self.tokens: list[str] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                auth = self.headers.get("Authorization", "")
                token = auth.removeprefix("Bearer ").strip()
                server.tokens.append(token)
                claims = _claims(token, server.verify) if token else None
                status, data = (
                    (200, {"user": claims.get("sub"), "balance": "10.00"})
                    if (claims)
                    else (401, {"detail": "token required"})
                )
                body = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"


@pytest.fixture(params=[False, True], ids=["naive", "verifying"])
def server(request: pytest.FixtureRequest) -> Iterator[TokenServer]:
    running = TokenServer(verify=request.param)
    thread = threading.Thread(target=running.serve_forever, daemon=True)
    thread.start()
    yield running
    running.shutdown()
    running.server_close()


def test_tampered_tokens_against_a_real_server(
    server: TokenServer, pki_files: dict[str, Path]
) -> None:
    config = ProbeConfig(
        base_url=server.url,
        identity=Identity(
            "A", pki_files["client"], pki_files["client_key"], f"Authorization: Bearer {TOKEN}"
        ),
        credential_probes=True,
        timeout=5.0,
    )
    result = run_probe(config, load_path_list("/me\n").endpoints)
    variants = {t.token for t in tampered_tokens(TOKEN)}
    assert variants <= set(server.tokens)  # every variant was really sent
    session = next(c for c in result.score.categories if c.category.value == "Session")
    if server.verify:
        assert result.findings == ()
        assert session.score == 100
    else:
        assert [f.rule_id for f in result.findings] == ["MG408"]
        evidence = result.findings[0].evidence
        for how in ("alg none", "alg None", "signature stripped", "claim changed"):
            assert how in evidence
        assert result.findings[0].web_request is not None
        assert TOKEN not in json.dumps(result.findings[0].web_request)
        assert session.grade == "D"


def test_without_the_opt_in_no_token_is_tampered(pki_files: dict[str, Path]) -> None:
    running = TokenServer(verify=False)
    thread = threading.Thread(target=running.serve_forever, daemon=True)
    thread.start()
    try:
        config = ProbeConfig(
            base_url=running.url,
            identity=Identity("A", None, None, f"Authorization: Bearer {TOKEN}"),
        )
        result = run_probe(config, load_path_list("/me\n").endpoints)
    finally:
        running.shutdown()
        running.server_close()
    assert set(running.tokens) <= {"", TOKEN}
    assert result.findings == ()


def test_token_variants() -> None:
    assert find_jwt(f"Bearer {TOKEN}") == TOKEN
    assert find_jwt("Token abc") is None
    variants = {t.how: t.token for t in tampered_tokens(TOKEN)}
    head = json.loads(base64.urlsafe_b64decode(variants["alg none"].split(".")[0] + "=="))
    assert head["alg"] == "none"
    assert variants["signature stripped"].endswith(".")
    assert variants["claim changed, signature kept"].split(".")[2] == TOKEN.split(".")[2]
    assert tampered_tokens("eyJhbGc.not.valid") == []
