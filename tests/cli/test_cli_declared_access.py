"""``[tool.mtlsguard] guards`` and ``public`` through ``mtlsguard scan`` and ``routes``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mtlsguard.cli.main import EXIT_FINDINGS, EXIT_OK
from tests.cli.test_cli_scan import run
from tests.scan.projects import write_project
from tests.scan.test_declared_access import DRF, FILES

DECLARED = """\
[tool.mtlsguard]
guards = ["acl.decorators.election_admin", "acl.mixins.MemberRequiredMixin"]
public = ["app.views.homepage"]
"""


# The homepage fetches a user's note by a key the caller chooses: an open route MG101 reports
# high (strong evidence) until it is declared public. A homepage that only listed notes would
# be low with low confidence (weak evidence), below the default fail-on threshold.
_LISTED = """\
def homepage(request):
    return JsonResponse({"notes": [n.text for n in Note.objects.all()[:3]]})
"""
_KEYED = """\
def homepage(request):
    return JsonResponse({"note": Note.objects.get(pk=request.GET["note"]).text})
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    assert _LISTED in FILES["app/views.py"]
    files = {**FILES, "app/views.py": FILES["app/views.py"].replace(_LISTED, _KEYED)}
    root = write_project(tmp_path / "site", files, settings_extra=DRF)
    (root / ".git").mkdir()
    return root


def _findings(out: str) -> dict[str, tuple[str, str]]:
    return {
        f"{f['rule_id']} {f.get('view') or ''}".strip(): (f["severity"], f["evidence"])
        for f in json.loads(out)["findings"]
    }


def test_declarations_in_pyproject_change_the_scan_and_say_so(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "scan", project, "-f", "json")
    assert code == EXIT_FINDINGS
    before = _findings(out)
    assert before["MG101 app.views.homepage"][0] == "high"  # the open keyed fetch fails it
    severity, evidence = before["MG101 app.views.close"]
    assert severity == "low"  # its decorator lives in a package the scan cannot read
    assert "not credited as a gate: acl.decorators.election_admin" in evidence
    (project / "pyproject.toml").write_text(DECLARED, encoding="utf-8")
    code, out, _ = run(capsys, "scan", project, "-f", "json")
    after = _findings(out)
    assert "MG101 app.views.close" not in after
    assert "MG101 app.views.NoteView" not in after
    severity, evidence = after["MG101 app.views.homepage"]
    assert severity == "info"
    assert evidence.startswith(f"declared public ('app.views.homepage' in {project}/pyproject.toml")
    assert code == EXIT_FINDINGS  # NoteView's object lookup (MG104) is still reported
    assert after.keys() & {"MG103 app.views.NoteView", "MG104 app.views.NoteView"}
    # the route inventory shows what decided each route
    code, out, _ = run(capsys, "routes", project, "-f", "json")
    routes = {r["pattern"]: r for r in json.loads(out)["routes"]}
    (close,) = routes["close/<int:pk>/"]["protections"]
    assert close["authenticated"] is True
    assert "declared guard 'acl.decorators.election_admin'" in close["detail"]


def test_a_declaration_matching_nothing_is_reported_not_ignored(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.mtlsguard]\nguards = ["acl.decorators.election_admn"]\n'
        'disable = ["MG101", "MG103", "MG104", "MG106", "MG201"]\n',
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "scan", project, "-f", "json")
    (unused,) = json.loads(out)["findings"]
    assert unused["rule_id"] == "MG003"
    assert unused["severity"] == "low"
    assert unused["location"]["path"] == "pyproject.toml"
    assert code == EXIT_OK  # low, below the default threshold: a typo fails safe
    code, _, _ = run(capsys, "scan", project, "--fail-on", "low")
    assert code == EXIT_FINDINGS


def test_unused_declarations_follow_the_selection_and_the_baseline_per_entry(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = project / "pyproject.toml"
    config.write_text('[tool.mtlsguard]\nguards = ["acl.old_name"]\n', encoding="utf-8")
    _, out, _ = run(capsys, "scan", project, "-f", "json", "--ignore", "MG003")
    assert "MG003" not in {f["rule_id"] for f in json.loads(out)["findings"]}
    baseline = tmp_path / "baseline.json"
    run(capsys, "scan", project, "--write-baseline", baseline)
    # a later typo is a new finding, not hidden by the baselined one
    config.write_text(
        '[tool.mtlsguard]\nguards = [\n  "acl.old_name",\n  "acl.decorators.election_admn",\n]\n',
        encoding="utf-8",
    )
    _, out, _ = run(capsys, "scan", project, "-f", "json", "--baseline", baseline)
    (typo,) = [f for f in json.loads(out)["findings"] if f["rule_id"] == "MG003"]
    assert typo["view"] == "guards acl.decorators.election_admn"
    assert (typo["location"]["path"], typo["location"]["line"]) == ("pyproject.toml", 4)
