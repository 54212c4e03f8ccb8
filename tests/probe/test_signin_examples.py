"""The sign-in probes (MG405-MG407) against both example projects over real mTLS.

vulnerable: a hand-written sign-in form (Django CSRF) that keeps the pre-login session
(MG406), no throttle (MG405), a 30-day cookie without Secure and a sign-out that only deletes
the cookie in the browser (MG407). hardened: a DRF JSON sign-in with Django's ``login()``,
``logout()``, secure cookies and a 5/min ``ScopedRateThrottle`` -- no finding, and the run
says the real sign-in is throttled after its wrong passwords.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mtlsguard.probe.config import LoginSettings
from mtlsguard.probe.discovery import load_routes_json
from mtlsguard.probe.runner import ProbeResult, run_probe
from tests.example_apps import Project, RunningServer, start
from tests.factories import identity_args, probe_config
from tests.factories import render_probe as render

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery staple 42"


def _with_password(project: Project) -> Project:
    done = project.manage("seed_demo", env={"MTLSGUARD_DEMO_PASSWORD": PASSWORD})
    assert done.returncode == 0, done.stderr
    return project


@pytest.fixture(scope="module")
def vulnerable_signin(vulnerable: Project, pki_files: dict[str, Path]) -> Iterator[RunningServer]:
    """examples/vulnerable with passwords, under the embedded mTLS dev server."""
    yield from start(_with_password(vulnerable), pki_files)


@pytest.fixture(scope="module")
def hardened_signin(hardened: Project, pki_files: dict[str, Path]) -> Iterator[RunningServer]:
    """examples/hardened with passwords, under the embedded mTLS dev server."""
    yield from start(_with_password(hardened), pki_files)


ROUTES = """{"schema": "mtlsguard-routes", "version": 1, "routes": [
 {"pattern": "accounts/login/", "view": "bank.auth_views.login_view", "methods": ["GET", "POST"]},
 {"pattern": "api/login/", "view": "bank.auth_views.LoginView", "methods": ["POST"]},
 {"pattern": "accounts/profile/", "view": "bank.auth_views.profile", "methods": ["GET"]}
]}"""


def signin_probe(port: int, pki_files: dict[str, Path], login: LoginSettings) -> ProbeResult:
    config = probe_config(port, pki_files, credential_probes=True, login=login)
    return run_probe(config, load_routes_json(ROUTES).endpoints)


def rules(result: ProbeResult) -> dict[str, str]:
    return {
        f.rule_id: f.evidence for f in result.findings if f.rule_id in {"MG405", "MG406", "MG407"}
    }


def test_vulnerable_signin(vulnerable_signin: RunningServer, pki_files: dict[str, Path]) -> None:
    login = LoginSettings(
        "/accounts/login/",
        "alice",
        PASSWORD,
        logout_url="/accounts/logout/",
        session_url="/accounts/profile/",
    )
    config = probe_config(vulnerable_signin.port, pki_files, credential_probes=True, login=login)
    result = run_probe(config, load_routes_json(ROUTES).endpoints)
    found = rules(result)
    assert set(found) == {"MG405", "MG406", "MG407"}, (result.findings, result.notes)
    assert "12 wrong passwords for 'alice'" in found["MG405"]
    assert "'sessionid', issued before sign-in" in found["MG406"]
    assert "lives 30 days" in found["MG407"]
    assert "no Secure" in found["MG407"]
    assert "sign-out does not end the session on the server" in found["MG407"]
    assert "HttpOnly" not in found["MG407"]  # Django's default is HttpOnly
    by_rule = {f.rule_id: f for f in result.findings}
    assert by_rule["MG406"].route == "/accounts/login/"
    assert by_rule["MG406"].view == "bank.auth_views.login_view"
    categories = {c.category.value: c for c in result.score.categories}
    assert categories["Rate limiting"].score == 75
    assert categories["Session"].score is not None
    assert categories["Session"].score < 70
    for fmt in ("text", "json", "sarif", "html"):
        report = render(result, fmt)
        assert PASSWORD not in report
        assert "mtlsguard-wrong-" not in report
    # the wrong-password page is in the evidence, its CSRF form token is not
    assert by_rule["MG405"].web_response is not None
    page = str(by_rule["MG405"].web_response["body"])
    assert 'name="csrfmiddlewaretoken" value="[redacted]"' in page
    sarif = json.loads(render(result, "sarif"))
    fixation = next(r for r in sarif["runs"][0]["results"] if r["ruleId"] == "MG406")
    assert fixation["webRequest"]["method"] == "POST"
    assert fixation["webRequest"]["headers"]["Cookie"] == "[redacted]"
    assert result.errors == ()


def test_hardened_signin(hardened_signin: RunningServer, pki_files: dict[str, Path]) -> None:
    login = LoginSettings(
        "/api/login/",
        "alice",
        PASSWORD,
        logout_url="/api/logout/",
        session_url="/api/profile/",
    )
    result = signin_probe(hardened_signin.port, pki_files, login)
    assert rules(result) == {}, (result.findings, result.notes)
    categories = {c.category.value: c for c in result.score.categories}
    assert categories["Rate limiting"].score == 100
    assert categories["Session"].score == 100
    throttled = [n for n in result.notes if n.startswith("sign-in throttled")]
    assert throttled, result.notes
    assert "429" in throttled[0]
    assert "refused as well" in throttled[0]  # the real password waits for the window too
    assert "Retry-After" in throttled[0]
    assert not [n for n in result.notes if "not checked" in n or "did not succeed" in n]


def test_cli_signin_options(vulnerable_signin: RunningServer, pki_files: dict[str, Path]) -> None:
    base = [
        sys.executable,
        "-m",
        "mtlsguard",
        "probe",
        f"https://127.0.0.1:{vulnerable_signin.port}/",
        *identity_args(pki_files, peer=False),
    ]
    signin = [
        "--login-url",
        "/accounts/login/",
        "--username",
        "alice",
        "--password-env",
        "MG_TEST_PASSWORD",
        "--bruteforce-attempts",
        "3",
        "--format",
        "json",
    ]
    env = {**os.environ, "MG_TEST_PASSWORD": PASSWORD}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*base, *args], capture_output=True, text=True, timeout=120, env=env, check=False
        )

    # the sign-in POSTs are an explicit opt-in
    refused = run(*signin)
    assert refused.returncode == 2
    assert "--credential-probes" in refused.stderr
    done = run(*signin, "--credential-probes", "--fail-on", "high")
    assert done.returncode == 1, done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    document = json.loads(done.stdout)
    assert {f["rule_id"] for f in document["findings"]} >= {"MG405", "MG406", "MG407"}
    mg405 = next(f for f in document["findings"] if f["rule_id"] == "MG405")
    assert mg405["evidence"].startswith("3 wrong passwords")
    too_many = run(*signin, "--credential-probes", "--bruteforce-attempts", "51")
    assert too_many.returncode == 2
    unset = run(*signin[:-6], "--password-env", "MG_UNSET_VARIABLE", "--credential-probes")
    assert unset.returncode == 2
    assert "not set" in unset.stderr
