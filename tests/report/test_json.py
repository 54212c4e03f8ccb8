from __future__ import annotations

import json
from typing import Any

from mtlsguard import __version__
from mtlsguard.findings.assessment import Assessment
from mtlsguard.findings.model import Severity
from mtlsguard.report.json_report import JSON_SCHEMA_VERSION, JsonFormat
from tests.report.sample import BILLING, PROBE, RULES, SUPPRESSED, sample_result


def render(**kwargs: Any) -> dict[str, Any]:
    result = kwargs.pop("result", sample_result())
    return json.loads(JsonFormat().render(Assessment(result=result, rules=RULES, **kwargs)))


def test_top_level_schema_is_versioned_and_stable() -> None:
    doc = render(fail_on=Severity.HIGH, baselined=3, suppressed=SUPPRESSED)
    assert list(doc) == [
        "schema",
        "version",
        "tool",
        "root",
        "fail_on",
        "summary",
        "findings",
        "suppressed",
        "routes",
        "errors",
    ]
    assert doc["schema"] == "mtlsguard-scan"
    assert doc["version"] == JSON_SCHEMA_VERSION == 1
    assert doc["tool"] == {"name": "mtlsguard", "version": __version__}
    assert doc["fail_on"] == "high"
    assert doc["summary"] == {
        "files_scanned": 17,
        "lines_scanned": 1234,
        "findings": 4,
        "by_severity": {"critical": 1, "high": 1, "medium": 1, "low": 0, "info": 1},
        "routes": 3,
        "errors": 1,
        "suppressed": 1,
        "baselined": 3,
    }


def test_findings_are_ordered_most_severe_first_with_every_field() -> None:
    doc = render()
    assert [f["rule_id"] for f in doc["findings"]] == ["MG301", "MG101", "MG201", "MG999"]
    billing = doc["findings"][1]
    assert billing == {
        "rule_id": "MG101",
        "title": BILLING.title,
        "cwe": "CWE-306",
        "cwes": ["CWE-287"],
        "severity": "high",
        "confidence": "high",
        "location": {"path": "billing/views.py", "line": 12, "column": 1},
        "route": "api/billing/<int:pk>/",
        "view": "billing.views.BillingView",
        "view_kind": "type",
        "methods": ["GET", "POST"],
        "evidence": BILLING.evidence,
        "remediation": BILLING.remediation,
        "fingerprint": "MG101:billing.views.BillingView:api/billing/<int:pk>/",
    }


def test_dynamic_findings_keep_web_exchange_and_null_location() -> None:
    doc = render(result=sample_result(findings=(PROBE,)))
    (probe,) = doc["findings"]
    assert probe["location"] is None
    assert probe["web_request"]["target"] == "/api/accounts/"
    assert probe["web_response"]["statusCode"] == 200


def test_routes_errors_and_suppressions_are_listed() -> None:
    doc = render(suppressed=SUPPRESSED)
    assert doc["routes"][0]["protections"][0] == {
        "method": "GET",
        "authenticated": False,
        "decided_by": "class",
        "detail": "AllowAny",
    }
    assert doc["routes"][2]["location"] is None
    assert doc["errors"] == [{"path": "broken/views.py", "message": "syntax error at line 3"}]
    assert doc["suppressed"][0]["reason"] == "public liveness probe"
    assert doc["suppressed"][0]["finding"]["view"] == "core.views.health"


def test_non_ascii_survives() -> None:
    text = JsonFormat().render(Assessment(result=sample_result()))
    assert "dir with space/ünï.py" in text


def test_every_report_validates_against_the_shipped_json_schema() -> None:
    import jsonschema

    from mtlsguard.report.json_report import json_schema

    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for doc in (
        render(fail_on=Severity.HIGH, baselined=3, suppressed=SUPPRESSED),
        render(result=sample_result(findings=(PROBE,))),
        render(result=sample_result(findings=(), errors=(), routes=())),
    ):
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]
        assert errors == [], errors
    # the schema is not vacuous
    broken = render()
    broken["findings"][0]["severity"] = "urgent"
    del broken["summary"]["files_scanned"]
    assert len(list(validator.iter_errors(broken))) == 2
