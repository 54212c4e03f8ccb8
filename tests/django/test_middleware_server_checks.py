"""``mtlsguard.W101``: the app server lets any client choose the peer address (issue 14, item 7)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mtlsguard.django.checks_server import check_peer_rewriting, peer_rewriting_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("argv", "environ", "expected"),
    [
        (["uvicorn", "app:app"], {}, []),
        (["uvicorn", "--forwarded-allow-ips", "*", "app:app"], {}, ["--forwarded-allow-ips='*'"]),
        (["uvicorn", "--forwarded-allow-ips=10.0.0.1,*"], {}, ["--forwarded-allow-ips='*'"]),
        (["uvicorn", "--forwarded-allow-ips", "127.0.0.1"], {}, []),
        (
            ["gunicorn", "--proxy-protocol", "--proxy-allow-from", "*"],
            {},
            ["--proxy-allow-from='*'"],
        ),
        (["gunicorn"], {"FORWARDED_ALLOW_IPS": "*"}, ["FORWARDED_ALLOW_IPS='*'"]),
        (["gunicorn"], {"FORWARDED_ALLOW_IPS": "127.0.0.1"}, []),
    ],
)
def test_settings_that_let_anyone_choose_the_peer(
    argv: list[str], environ: dict[str, str], expected: list[str]
) -> None:
    assert peer_rewriting_settings(argv, environ) == expected


def test_check_is_registered_and_warns(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core import checks

    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")
    messages = [
        m for m in checks.run_checks(tags=[checks.Tags.security]) if m.id == "mtlsguard.W101"
    ]
    assert len(messages) == 1
    assert "no-proxy-headers" in (messages[0].hint or "")
    monkeypatch.delenv("FORWARDED_ALLOW_IPS")
    assert check_peer_rewriting() == []


def test_manage_py_check_reports_it_for_a_real_process(tmp_path: Path) -> None:
    script = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); import tests.django.conftest; "
        "from django.core.management import call_command; "
        "call_command('check', '--tag', 'security')"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "--forwarded-allow-ips", "*"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "mtlsguard.W101" in done.stdout + done.stderr
