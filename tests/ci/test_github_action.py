"""The Action's step: inputs, and SARIF that code scanning matches (the step itself:
tests/packaging)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mtlsguard.cli.github_action import ActionInputs, InputError, code_scanning_anchor
from mtlsguard.findings.assessment import Assessment
from mtlsguard.findings.model import Location, ScanError, ScanResult
from mtlsguard.report.sarif import SarifFormat
from tests.factories import finding


def _sarif(root: Path, **options: Any) -> dict[str, Any]:
    result = ScanResult(
        root=str(root),
        findings=(
            finding("MG101", location=Location("bank/views.py", 7), route="billing/"),
            finding(
                "MG402",
                location=None,
                route="billing/",
                web_request={"method": "GET", "target": "https://app/billing/"},
            ),
        ),
        errors=(ScanError("bank/broken.py", "syntax error"),),
        files_scanned=2,
    )
    document: dict[str, Any] = json.loads(SarifFormat(**options).render(Assessment(result)))
    return document


def _uris(document: dict[str, Any]) -> list[str | None]:
    """The URIs of MG101 (located), MG402 (a probe's, no location) and the scan error."""
    run = document["runs"][0]
    notification = run["invocations"][0]["toolExecutionNotifications"][0]
    by_rule = {result["ruleId"]: result for result in run["results"]}
    uris = [
        (by_rule[rule].get("locations") or [{}])[0]
        .get("physicalLocation", {})
        .get("artifactLocation", {})
        .get("uri")
        for rule in ("MG101", "MG402")
    ]
    return [*uris, notification["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]]


def test_paths_relative_to_the_scanned_root_by_default(tmp_path: Path) -> None:
    document = _sarif(tmp_path / "backend")
    # before: the probe's MG402 had no physical location (None) and code scanning refused it
    assert _uris(document) == ["bank/views.py", "billing/", "bank/broken.py"]
    base = document["runs"][0]["originalUriBaseIds"]["SRCROOT"]["uri"]
    assert base == (tmp_path / "backend").as_uri() + "/"


def test_paths_relative_to_the_repository_for_code_scanning(tmp_path: Path) -> None:
    (tmp_path / "backend").mkdir()
    document = _sarif(tmp_path / "backend", repository=tmp_path, anchor="backend/manage.py")
    assert _uris(document) == [
        "backend/bank/views.py",
        "backend/manage.py",
        "backend/bank/broken.py",
    ]
    run = document["runs"][0]
    assert run["originalUriBaseIds"]["SRCROOT"]["uri"] == tmp_path.as_uri() + "/"
    (probe,) = [result for result in run["results"] if result["ruleId"] == "MG402"]
    assert probe["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}
    assert probe["webRequest"]["target"] == "https://app/billing/"


def test_a_project_at_the_repository_root_keeps_its_paths(tmp_path: Path) -> None:
    assert _uris(_sarif(tmp_path, repository=tmp_path))[::2] == ["bank/views.py", "bank/broken.py"]


def test_a_project_outside_the_repository_keeps_its_own_root(tmp_path: Path) -> None:
    (tmp_path / "repo").mkdir()
    document = _sarif(tmp_path / "other", repository=tmp_path / "repo")
    assert _uris(document)[::2] == ["bank/views.py", "bank/broken.py"]
    base = document["runs"][0]["originalUriBaseIds"]["SRCROOT"]["uri"]
    assert base == (tmp_path / "other").as_uri() + "/"


def test_inputs_defaults_and_probe_arguments() -> None:
    inputs = ActionInputs.from_environ(
        {
            "INPUT_PROBE_URL": "https://app/",
            "INPUT_CERT": "a.pem",
            "INPUT_KEY": "a.key",
            "INPUT_PEER_CERT": "b.pem",
            "INPUT_PROBE_ARGS": "--routes 'my routes.json'",
            "INPUT_SCAN_ARGS": "--baseline base.json",
            "INPUT_FAIL_ON": "Medium",
        }
    )
    assert inputs.path == "."
    assert inputs.scan is True
    assert inputs.fail_on == "medium"
    assert inputs.probe_args == (
        "--cert", "a.pem", "--key", "a.key", "--peer-cert", "b.pem", "--routes", "my routes.json",
    )  # fmt: skip
    assert inputs.scan_args == ("--baseline", "base.json")
    assert inputs.threshold_args() == ["--fail-on", "medium"]
    assert str(inputs.sarif_file) == "mtlsguard.sarif"


def test_fail_on_none_and_empty() -> None:
    assert ActionInputs.from_environ({"INPUT_FAIL_ON": "none"}).threshold_args() == [
        "--fail-on",
        "critical",
    ]
    assert ActionInputs.from_environ({}).threshold_args() == []


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"INPUT_FAIL_ON": "urgent"}, "input fail-on: 'urgent'"),
        ({"INPUT_SCAN": "no"}, "nothing to do"),
        ({"INPUT_SCAN": "perhaps"}, "input scan: 'perhaps' is not true or false"),
        ({"INPUT_PROBE_URL": "https://app/"}, "needs cert and key"),
        ({"INPUT_SCAN_ARGS": "--baseline 'unclosed"}, "input scan-args/probe-args"),
    ],
)
def test_invalid_inputs(env: dict[str, str], message: str) -> None:
    with pytest.raises(InputError, match=message):
        ActionInputs.from_environ(env)


def test_anchor_is_the_projects_manage_py_else_the_workflow_file(tmp_path: Path) -> None:
    env = {
        "GITHUB_REPOSITORY": "acme/api",
        "GITHUB_WORKFLOW_REF": "acme/api/.github/workflows/security.yml@refs/heads/main",
    }
    (tmp_path / "backend").mkdir()
    assert code_scanning_anchor(tmp_path / "backend", tmp_path, env) == (
        ".github/workflows/security.yml"
    )
    (tmp_path / "backend" / "manage.py").write_text("", encoding="utf-8")
    assert code_scanning_anchor(tmp_path / "backend", tmp_path, env) == "backend/manage.py"
    assert code_scanning_anchor(tmp_path / "elsewhere", tmp_path, {}) is None


def test_a_probes_results_are_anchored_to_a_file_of_the_repository(tmp_path: Path) -> None:
    """The probe's root is its target URL; the anchor must still resolve in the repository
    (regression: it resolved against the URL, https://app/backend/manage.py)."""
    result = ScanResult(root="https://app/", findings=(finding("MG402", location=None),))
    sarif = SarifFormat(repository=tmp_path, anchor="backend/manage.py").render(Assessment(result))
    run = json.loads(sarif)["runs"][0]
    assert run["originalUriBaseIds"]["SRCROOT"]["uri"] == tmp_path.as_uri() + "/"
    artifact = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": "backend/manage.py", "uriBaseId": "SRCROOT"}


def test_outside_the_repository_the_anchor_is_relative_to_it(tmp_path: Path) -> None:
    (tmp_path / "repo").mkdir()
    result = ScanResult(root=str(tmp_path / "other"), findings=(finding("MG402", location=None),))
    sarif = SarifFormat(repository=tmp_path / "repo", anchor="w.yml").render(Assessment(result))
    artifact = json.loads(sarif)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert artifact["artifactLocation"] == {"uri": "w.yml"}


def test_the_actions_sarif_uploads_as_is(tmp_path: Path) -> None:
    """Every variant the Action writes passes the schema and code scanning's upload rules."""
    from tests.report.code_scanning import assert_uploadable

    (tmp_path / "backend").mkdir()
    (tmp_path / "repo").mkdir()
    for document in (
        _sarif(tmp_path / "backend"),
        _sarif(tmp_path / "backend", repository=tmp_path, anchor="backend/manage.py"),
        _sarif(tmp_path / "backend", repository=tmp_path),
        _sarif(tmp_path / "other", repository=tmp_path / "repo"),
    ):
        assert_uploadable(document)
