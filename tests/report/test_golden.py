"""Golden files: every format renders the whole assessment of the vulnerable example.

Three runs of ``examples/vulnerable`` -- the static scan, the probe of it under the embedded
mTLS server (alice as A, bob as B) and both merged per route (``scan --probe``) -- each
rendered as text, JSON, SARIF and HTML, and compared with ``tests/assets/golden/``. What only
the machine or the moment decides is normalized first (the checkout's path, the server's port
and software, times, the throwaway PKI's fingerprints); everything else -- findings, grade,
category scores, notes, traffic counts, the parts of merged findings -- must match.
``MTLSGUARD_UPDATE_GOLDEN=1`` rewrites the files; review the diff before committing it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from mtlsguard import __version__
from mtlsguard.app.combined import run_combined
from mtlsguard.app.probe import ProbeRun, RouteSource, RouteSourceKind, run_probe_command
from mtlsguard.app.static import StaticRun, run_static
from mtlsguard.findings.assessment import Assessment, MergedParts
from mtlsguard.findings.model import Finding, Severity
from tests.example_apps import EXAMPLES, RunningServer
from tests.factories import probe_config, render
from tests.report.code_scanning import assert_uploadable

pytestmark = pytest.mark.integration

GOLDEN = Path(__file__).resolve().parents[1] / "assets" / "golden"
SUFFIX = {"text": "txt", "json": "json", "sarif": "sarif", "html": "html"}
ROUTES = """{"schema": "mtlsguard-routes", "version": 1, "routes": [
 {"pattern": "billing/", "view": "bank.views.BillingView", "methods": ["GET"]},
 {"pattern": "api/accounts/", "view": "bank.views.AccountList", "methods": ["GET"]},
 {"pattern": "api/accounts/<int:pk>/", "view": "bank.views.AccountDetail", "methods": ["GET"]}
]}"""


def normalize(text: str, port: int | None) -> str:
    """Replace what the machine and the moment decide."""
    root = str(EXAMPLES / "vulnerable")
    text = text.replace(Path(root).as_uri(), "file:///EXAMPLES/vulnerable")
    text = text.replace(root, "/EXAMPLES/vulnerable")
    if port is not None:
        text = text.replace(f"127.0.0.1:{port}", "127.0.0.1:PORT")
    text = text.replace(__version__, "VERSION")
    text = re.sub(r"\b\d+\.\d+s\b", "X.Xs", text)  # elapsed seconds in text and HTML
    text = re.sub(r'("elapsed_seconds": )[\d.]+', r"\g<1>0.0", text)
    text = re.sub(r"CPython/[\d.]+", "CPython/X", text)
    text = re.sub(r'("[Dd]ate": )"[^"]*"', r'\1"DATE"', text)
    return re.sub(r"\b[0-9a-f]{64}\b", "SHA256", text)


_REFUSAL = re.compile(r"no response \((?:TLS failure|connection failed): [^()]*\)")


def _steady(finding: Finding) -> Finding:
    # Under TLS 1.3 a certificate-less client is refused by an alert or, racing it, a reset.
    return replace(finding, evidence=_REFUSAL.sub("no response (refused)", finding.evidence))


def steady(assessment: Assessment) -> Assessment:
    """``assessment`` without the detail of a race the server decides (alert or reset)."""
    merged = {
        key: MergedParts(tuple(map(_steady, p.static)), tuple(map(_steady, p.dynamic)))
        for key, p in assessment.merged.items()
    }
    findings = tuple(map(_steady, assessment.result.findings))
    return replace(assessment, result=replace(assessment.result, findings=findings), merged=merged)


def check(name: str, fmt: str, assessment: Assessment, port: int | None) -> None:
    path = GOLDEN / f"{name}.{SUFFIX[fmt]}"
    text = normalize(render(steady(assessment), fmt), port)
    if os.environ.get("MTLSGUARD_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"{path} missing: run with MTLSGUARD_UPDATE_GOLDEN=1"
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"{path.name} differs; MTLSGUARD_UPDATE_GOLDEN=1 shows the change"


@pytest.fixture(scope="module")
def assessments(
    vulnerable_server: RunningServer,
    pki_files: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Assessment]:
    port = vulnerable_server.port
    routes = tmp_path_factory.mktemp("golden") / "routes.json"
    routes.write_text(ROUTES, encoding="utf-8")
    static = StaticRun(EXAMPLES / "vulnerable", excerpts=True)
    probe = ProbeRun(
        probe_config(port, pki_files), RouteSource(RouteSourceKind.ROUTES, str(routes))
    )
    combined = run_combined(static, probe_config(port, pki_files), fail_under="B")
    return {
        "static": run_static(static).assessment,
        "probe": run_probe_command(probe).assessment,
        "combined": combined.static.assessment,
    }


RUNS = ("static", "probe", "combined")


@pytest.mark.parametrize("fmt", sorted(SUFFIX))
@pytest.mark.parametrize("run", RUNS)
def test_every_format_renders_the_whole_assessment(
    assessments: dict[str, Assessment],
    vulnerable_server: RunningServer,
    run: str,
    fmt: str,
) -> None:
    check(f"vulnerable-{run}", fmt, assessments[run], vulnerable_server.port)


@pytest.mark.parametrize(
    ("run", "fmt", "shown"),
    [
        # the grade, its categories and the notes, wherever a probe ran
        ("probe", "text", lambda a: f"Probe score: {a.grade.score}/100, grade {a.grade.grade}"),
        ("probe", "json", lambda a: f'"grade": "{a.grade.grade}"'),
        ("probe", "sarif", lambda a: f'"grade": "{a.grade.grade}"'),
        ("probe", "html", lambda a: f"Probe grade {a.grade.grade}"),
        ("combined", "text", lambda a: "probe saw"),
        ("combined", "json", lambda a: '"dynamic": ['),
        ("combined", "sarif", lambda a: '"relatedLocations"'),
        ("combined", "html", lambda a: "Probe saw"),
        ("combined", "text", lambda a: f"note: {a.notes[0]}"),
    ],
)
def test_grade_notes_and_merged_parts_are_in_the_format_itself(
    assessments: dict[str, Assessment], run: str, fmt: str, shown: Callable[[Assessment], str]
) -> None:
    assessment = assessments[run]
    assert assessment.grade is not None
    assert shown(assessment) in render(assessment, fmt)


def test_the_static_assessment_fails_at_high() -> None:
    outcome = run_static(StaticRun(EXAMPLES / "vulnerable"))
    assert outcome.assessment.fail_on is Severity.HIGH
    assert outcome.failing


@pytest.mark.parametrize("run", RUNS)
def test_every_sarif_uploads_to_code_scanning_as_is(
    assessments: dict[str, Assessment], run: str
) -> None:
    """Before: the probe's results had no physical location and GitHub rejected the upload."""
    document = assert_uploadable(render(assessments[run], "sarif"))
    locations = [r["locations"][0]["physicalLocation"] for r in document["runs"][0]["results"]]
    assert all(loc["artifactLocation"]["uri"] for loc in locations)
    if run == "combined":
        # the probe's MG404 on a route the static scan knows sits at the view's class
        (bola,) = [r for r in document["runs"][0]["results"] if r["ruleId"] == "MG404"]
        assert bola["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
            "bank/views.py"
        )


@pytest.mark.parametrize("run", RUNS)
def test_every_json_report_matches_the_shipped_schema(
    assessments: dict[str, Assessment], run: str
) -> None:
    import json

    import jsonschema

    from mtlsguard.report.json_report import json_schema

    document = json.loads(render(assessments[run], "json"))
    jsonschema.Draft202012Validator(json_schema()).validate(document)
