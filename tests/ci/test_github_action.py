"""mtlsguard.ci.github_action: inputs and SARIF paths (the step itself: tests/packaging)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mtlsguard.ci.github_action import (
    ActionInputs,
    InputError,
    anchor_unlocated,
    code_scanning_anchor,
    rebase_sarif,
)


def sarif(uri: str) -> dict[str, Any]:
    def location() -> dict[str, Any]:
        return {"physicalLocation": {"artifactLocation": {"uri": uri, "uriBaseId": "SRCROOT"}}}

    return {
        "runs": [
            {
                "originalUriBaseIds": {"SRCROOT": {"uri": "file:///elsewhere/"}},
                "results": [{"ruleId": "MG101", "locations": [location()]}],
                "invocations": [{"toolExecutionNotifications": [{"locations": [location()]}]}],
            }
        ]
    }


def uris(document: dict[str, Any]) -> list[str]:
    run = document["runs"][0]
    notification = run["invocations"][0]["toolExecutionNotifications"][0]
    return [
        item["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for item in (run["results"][0], notification)
    ]


def test_rebase_prefixes_the_project_directory(tmp_path: Path) -> None:
    (tmp_path / "backend").mkdir()
    document = sarif("bank/views.py")
    rebase_sarif(document, tmp_path / "backend", tmp_path)
    assert uris(document) == ["backend/bank/views.py"] * 2
    assert document["runs"][0]["originalUriBaseIds"]["SRCROOT"]["uri"] == tmp_path.as_uri() + "/"


def test_rebase_of_the_repository_root_keeps_paths(tmp_path: Path) -> None:
    document = sarif("bank/views.py")
    rebase_sarif(document, tmp_path, tmp_path)
    assert uris(document) == ["bank/views.py"] * 2


def test_rebase_leaves_a_project_outside_the_repository_alone(tmp_path: Path) -> None:
    (tmp_path / "repo").mkdir()
    (tmp_path / "other").mkdir()
    document = sarif("bank/views.py")
    rebase_sarif(document, tmp_path / "other", tmp_path / "repo")
    assert document == sarif("bank/views.py")


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


def test_results_without_a_file_location_get_the_anchor() -> None:
    located = {"ruleId": "MG101", "locations": sarif("a.py")["runs"][0]["results"][0]["locations"]}
    logical = {"ruleId": "MG404", "locations": [{"logicalLocations": [{"name": "AccountDetail"}]}]}
    bare = {"ruleId": "MG402", "webRequest": {"target": "https://app/billing/"}}
    document = {"runs": [{"results": [located, logical, bare]}]}
    assert anchor_unlocated(document, "backend/manage.py") == 2
    physical = {"artifactLocation": {"uri": "backend/manage.py"}, "region": {"startLine": 1}}
    assert bare["locations"] == [{"physicalLocation": physical}]
    assert logical["locations"] == [
        {"logicalLocations": [{"name": "AccountDetail"}], "physicalLocation": physical}
    ]
    assert located["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "a.py"
