"""The static scanner finds the seed's two holes in the vulnerable example (the demo's start)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.example_apps import EXAMPLES


def test_scanner_reports_the_vulnerable_example() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mtlsguard",
            "scan",
            str(EXAMPLES / "vulnerable"),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr  # findings at or above the threshold
    findings = {(f["rule_id"], f["view"]) for f in json.loads(done.stdout)["findings"]}
    assert ("MG102", "bank.views.BillingView") in findings  # certificate header as the only gate
    assert ("MG101", "bank.views.AccountDetail") in findings  # AllowAny behind mTLS
    assert ("MG101", "bank.views.AccountList") in findings
