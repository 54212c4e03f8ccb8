"""The sign-in probes against purpose-built servers: cases the example projects cannot show.

A JSON sign-in API on plain http (stdlib server, real sockets) whose behaviour each test picks:
it adopts a session id the client made up, locks the account with 403 after three wrong
passwords, slows down with every failure, or locks silently. Plus the opt-in: without
``credential_probes`` the client refuses every POST, with it only the sign-in URLs get one.
"""

from __future__ import annotations

import asyncio
import email.utils
import http.server
import json
import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mtlsguard.findings.registry import EVERY_RULE, RuleSelection
from mtlsguard.probe.client import ProbeClient, UnsafeMethodError
from mtlsguard.probe.config import Identity, LoginSettings, ProbeConfig
from mtlsguard.probe.phases.signin.session import parse_set_cookie, session_cookie_name
from mtlsguard.probe.runner import ProbeResult, run_probe

PASSWORD = "the-real-one"


class SignInServer(http.server.ThreadingHTTPServer):
    """``POST /login`` (JSON), ``POST /logout``, ``GET /me``; ``mode`` picks the behaviour."""

    daemon_threads = True

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.sessions: dict[str, str] = {}  # id -> user ("" before sign-in)
        self.failures = 0
        self.methods: list[tuple[str, str]] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _sid(self) -> str | None:
                for part in self.headers.get("Cookie", "").split(";"):
                    name, _, value = part.strip().partition("=")
                    if name == "SID":
                        return value
                return None

            def _send(self, status: int, data: object, cookie: str | None = None) -> None:
                body = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                if cookie is not None:
                    self.send_header("Set-Cookie", cookie)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                server.methods.append(("GET", self.path))
                sid = self._sid()
                if self.path == "/me" and sid and server.sessions.get(sid):
                    self._send(200, {"user": server.sessions[sid]})
                elif self.path == "/me":
                    self._send(401, {"detail": "sign in"})
                else:
                    self._send(405, {"detail": "POST only"})

            def do_POST(self) -> None:
                server.methods.append(("POST", self.path))
                length = int(self.headers.get("Content-Length", "0"))
                data = json.loads(self.rfile.read(length) or b"{}")
                sid = self._sid()
                if self.path == "/logout":
                    server.sessions.pop(sid or "", None)
                    self._send(204, {})
                    return
                right = data.get("password") == PASSWORD and data.get("username") == "alice"
                locked = server.failures >= 3
                if server.mode == "lockout" and locked:
                    self._send(403, {"detail": "Account locked: too many attempts"})
                    return
                if server.mode == "slow" and not right:
                    time.sleep(0.8 * server.failures)
                if not right or (server.mode == "silent" and locked):
                    server.failures += 1 if not right else 0
                    self._send(401, {"detail": "wrong username or password"})
                    return
                # "adopt" keeps a session id the client brought, like a permissive store;
                # "-quiet": without setting the cookie again; "ignore" signs in a new id and
                # forgets to send it when the client already had one
                brought = sid
                if not server.mode.startswith("adopt") or not sid:
                    sid = secrets.token_hex(16)
                server.sessions[sid] = "alice"
                quiet = brought and server.mode in {"adopt-quiet", "ignore"}
                cookie = None if quiet else f"SID={sid}; Path=/; SameSite=None"
                self._send(200, {"user": "alice"}, cookie)

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"


@pytest.fixture
def serve() -> Iterator[Any]:
    running: list[SignInServer] = []

    def start(mode: str) -> SignInServer:
        server = SignInServer(mode)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        running.append(server)
        return server

    yield start
    for server in running:
        server.shutdown()
        server.server_close()


def probe(
    server: SignInServer,
    pki_files: dict[str, Path],
    selection: RuleSelection = EVERY_RULE,
    **login: Any,
) -> ProbeResult:
    options = {"logout_url": "/logout", "session_url": "/me", "bruteforce_attempts": 6, **login}
    settings = LoginSettings("/login", "alice", PASSWORD, **options)
    config = ProbeConfig(
        base_url=server.url,
        identity=Identity("A", pki_files["client"], pki_files["client_key"]),
        credential_probes=True,
        login=settings,
        timeout=10.0,
        selection=selection,
    )
    return run_probe(config, [])


def evidence(result: ProbeResult) -> dict[str, str]:
    return {f.rule_id: f.evidence for f in result.findings}


def test_a_made_up_session_id_adopted_at_sign_in_is_fixation(
    serve: Any, pki_files: dict[str, Path]
) -> None:
    result = probe(serve("adopt"), pki_files)
    found = evidence(result)
    assert "chosen by the probe" in found["MG406"]
    # plain http: no Secure expected; the rest of the cookie is weak
    assert "no HttpOnly" in found["MG407"]
    assert "SameSite=None" in found["MG407"]
    assert "no Secure" not in found["MG407"]
    assert "sign-out" not in found["MG407"]  # /logout ends the session on the server
    assert "MG405" in found  # no throttle at all


def test_an_id_kept_without_a_new_cookie_needs_the_session_url_to_confirm(
    serve: Any, pki_files: dict[str, Path]
) -> None:
    adopted = probe(serve("adopt-quiet"), pki_files)
    assert "/me answers it as signed in (200)" in evidence(adopted)["MG406"]
    ignored = probe(serve("ignore"), pki_files)
    assert "MG406" not in evidence(ignored)
    assert any("MG406 not confirmed" in n for n in ignored.notes), ignored.notes
    unconfirmed = probe(serve("adopt-quiet"), pki_files, session_url=None)
    mg406 = next(f for f in unconfirmed.findings if f.rule_id == "MG406")
    assert mg406.confidence.label == "medium"


def test_a_server_that_rotates_has_no_fixation(serve: Any, pki_files: dict[str, Path]) -> None:
    server = serve("plain")
    result = probe(server, pki_files)
    assert "MG406" not in evidence(result)
    # POSTs went to the sign-in and sign-out URLs only
    assert {path for method, path in server.methods if method == "POST"} == {"/login", "/logout"}


def test_only_the_selected_sign_in_probes_run(serve: Any, pki_files: dict[str, Path]) -> None:
    # MG405 alone: six wrong passwords and the real one; no fixation, cookie or sign-out check
    server = serve("adopt")
    result = probe(server, pki_files, RuleSelection(select=frozenset({"MG405"})))
    assert set(evidence(result)) == {"MG405"}
    assert [m for m in server.methods if m[0] == "POST"] == [("POST", "/login")] * 7
    assert {path for _, path in server.methods} == {"/login"}  # GET: the sign-in page
    assert result.phases == ("sign-in",)
    # without MG405 no wrong password is sent, and the rest still runs
    server = serve("adopt")
    result = probe(server, pki_files, RuleSelection(ignore=frozenset({"MG405"})))
    assert set(evidence(result)) == {"MG406", "MG407"}
    assert server.failures == 0
    assert ("POST", "/logout") in server.methods
    # MG407 alone signs in through the fixation flow but leaves its check out
    server = serve("adopt")
    result = probe(server, pki_files, RuleSelection(select=frozenset({"MG407"})))
    assert set(evidence(result)) == {"MG407"}
    assert server.failures == 0
    categories = {c.category.value: c.score for c in result.score.categories}
    assert categories["Rate limiting"] is None
    assert categories["Session"] is not None


def test_a_lockout_is_not_a_finding_and_the_run_says_the_account_is_locked(
    serve: Any, pki_files: dict[str, Path]
) -> None:
    server = serve("lockout")
    result = probe(server, pki_files)
    assert "MG405" not in evidence(result)
    note = next(n for n in result.notes if n.startswith("sign-in throttled"))
    assert "after 4 wrong password(s)" in note  # 3 answered 401, the 4th refused
    assert "403 where the first wrong password got 401" in note
    assert "refused as well" in note
    rate = next(c for c in result.score.categories if c.category.value == "Rate limiting")
    assert rate.score == 100


def test_a_growing_delay_counts_as_throttling(serve: Any, pki_files: dict[str, Path]) -> None:
    result = probe(serve("slow"), pki_files)
    assert "MG405" not in evidence(result)
    assert any("answer slowed" in n for n in result.notes), result.notes


def test_a_silent_lockout_is_reported_as_a_note(serve: Any, pki_files: dict[str, Path]) -> None:
    result = probe(serve("silent"), pki_files)
    assert "MG405" not in evidence(result)
    assert any("silent lockout" in n for n in result.notes), result.notes


def test_a_wrong_password_in_the_settings_tests_nothing(
    serve: Any, pki_files: dict[str, Path]
) -> None:
    server = serve("plain")
    settings = LoginSettings("/login", "alice", "not-it", bruteforce_attempts=2)
    config = ProbeConfig(
        base_url=server.url,
        identity=Identity("A", pki_files["client"], pki_files["client_key"]),
        credential_probes=True,
        login=settings,
    )
    result = run_probe(config, [])
    assert not {"MG406", "MG407"} & set(evidence(result))
    assert any("did not succeed" in n for n in result.notes)
    # not a "silent lockout": the real password never worked in this run
    assert any(n.startswith("MG405 not decided") for n in result.notes), result.notes
    assert not any("silent lockout" in n for n in result.notes)
    rate = next(c for c in result.score.categories if c.category.value == "Rate limiting")
    assert rate.score is None
    assert "not-it" not in repr(settings)


def test_posts_need_the_opt_in_and_go_to_the_sign_in_urls_only(
    serve: Any, pki_files: dict[str, Path]
) -> None:
    server = serve("plain")
    login = LoginSettings("/login", "alice", PASSWORD, logout_url="/logout")
    identity = Identity("A", pki_files["client"], pki_files["client_key"])

    async def post(config: ProbeConfig, path: str) -> int | None:
        async with ProbeClient(config) as client:
            got = await client.send(identity, "POST", path, {}, b"{}")
            return got.status

    without = ProbeConfig(base_url=server.url, identity=identity, login=login)
    with pytest.raises(UnsafeMethodError):
        asyncio.run(post(without, "/login"))
    opted_in = ProbeConfig(
        base_url=server.url, identity=identity, login=login, credential_probes=True
    )
    assert asyncio.run(post(opted_in, "/login")) == 401
    assert asyncio.run(post(opted_in, "/logout")) == 204
    with pytest.raises(UnsafeMethodError):
        asyncio.run(post(opted_in, "/items/1/delete"))
    assert server.methods == [("POST", "/login"), ("POST", "/logout")]


def test_set_cookie_parsing() -> None:
    later = email.utils.formatdate(time.time() + 7200, usegmt=True)
    cookie = parse_set_cookie(f'sessionid="abc"; expires={later}; HttpOnly; Path=/; SameSite=Lax')
    assert cookie is not None
    assert (cookie.name, cookie.value) == ("sessionid", "abc")
    lifetime = cookie.lifetime()
    assert lifetime is not None
    assert 7100 < lifetime <= 7200
    assert "httponly" in cookie.attributes
    assert not cookie.deleted
    gone = parse_set_cookie('sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0')
    assert gone is not None
    assert gone.deleted
    assert parse_set_cookie("no-equals-sign") is None
    assert session_cookie_name({"csrftoken": "x", "sessionid": "y"}, None) == "sessionid"
    assert session_cookie_name({"csrftoken": "x", "auth": "y"}, None) == "auth"
    assert session_cookie_name({"csrftoken": "x"}, None) is None
    assert session_cookie_name({"a": "1", "b": "2"}, "b") == "b"


def _options(*argv: str) -> Any:
    import argparse

    from mtlsguard.cli.signin_options import add_login_arguments

    parser = argparse.ArgumentParser()
    parser.add_argument("--credential-probes", action="store_true")
    add_login_arguments(parser)
    return vars(parser.parse_args(list(argv)))


def _fail(message: str) -> Any:
    raise ValueError(message)


def test_login_options_read_the_password_without_showing_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from mtlsguard.cli.signin_options import login_settings

    base = "https://app.example:8443/"
    as_json = tmp_path / "creds.json"
    as_json.write_text('{"username": "alice", "password": "s3cret"}')
    as_line = tmp_path / "creds.txt"
    as_line.write_text("bob:pa:ss\n")
    monkeypatch.setenv("MG_PW", "from-env")
    on = ("--credential-probes", "--login-url", "/login/")

    settings = login_settings(_options(*on, "--credentials-file", str(as_json)), base, _fail)
    assert settings is not None
    assert (settings.username, settings.password) == ("alice", "s3cret")
    settings = login_settings(_options(*on, "--credentials-file", str(as_line)), base, _fail)
    assert settings is not None
    assert (settings.username, settings.password) == ("bob", "pa:ss")
    args = _options(*on, "--username", "carol", "--password-env", "MG_PW")
    settings = login_settings(args, base, _fail)
    assert settings is not None
    assert settings.password == "from-env"
    assert settings.max_session_age == 12 * 3600
    args = _options(*on, "--username", "carol", "--password", "typed")
    assert login_settings(args, base, _fail) is not None
    assert "prefer --password-env" in capsys.readouterr().err

    for argv, message in [
        (("--login-url", "/login/", "--username", "a", "--password", "p"), "--credential-probes"),
        ((*on, "--username", "a", "--password-env", "MG_UNSET"), "not set"),
        ((*on, "--password-env", "MG_PW"), "--username"),
        ((*on, "--username", "a"), "needs a password"),
        (("--username", "a"), "needs --login-url"),
        (
            ("--credential-probes", "--login-url", "https://elsewhere.example/login/"),
            "must be on the probed site",
        ),
    ]:
        with pytest.raises(ValueError, match=message) as raised:
            login_settings(_options(*argv), base, _fail)
        assert "from-env" not in str(raised.value)
    assert login_settings(_options(), base, _fail) is None


def test_the_csrf_form_token_is_redacted_from_evidence() -> None:
    from mtlsguard.probe.redact import redact_body

    page = '<form><input type="hidden" name="csrfmiddlewaretoken" value="Zx9secret"></form>'
    shown = redact_body(page)
    assert "Zx9secret" not in shown
    assert 'name="csrfmiddlewaretoken" value="[redacted]"' in shown


@pytest.fixture
def django_site(tmp_path: Path) -> Iterator[str]:
    """tests/probe/django_login_site.py: Django's own LoginView and LogoutView."""
    import subprocess
    import sys

    process = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).with_name("django_login_site.py")),
            str(tmp_path / "db.sqlite3"),
            PASSWORD,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), "the Django site did not start"
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_djangos_own_login_form(django_site: str, pki_files: dict[str, Path]) -> None:
    settings = LoginSettings(
        "/accounts/login/",
        "alice",
        PASSWORD,
        logout_url="/accounts/logout/",
        session_url="/accounts/profile/",
        bruteforce_attempts=4,
    )
    config = ProbeConfig(
        base_url=django_site,
        identity=Identity("A", pki_files["client"], pki_files["client_key"]),
        credential_probes=True,
        login=settings,
    )
    result = run_probe(config, [])
    # login() rotates the key, the cookie is HttpOnly/Lax/8 h, LogoutView flushes the session;
    # nothing limits wrong passwords
    assert set(evidence(result)) == {"MG405"}, (result.findings, result.notes)
    assert "4 wrong passwords for 'alice'" in evidence(result)["MG405"]
    assert [n for n in result.notes if "sign-out" in n or "sign-in" in n] == [], result.notes
    assert result.errors == ()
    session = next(c for c in result.score.categories if c.category.value == "Session")
    assert session.score == 100
