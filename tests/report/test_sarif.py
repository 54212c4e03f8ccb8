from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator, FormatChecker

from mtlsguard.findings.assessment import Assessment
from mtlsguard.findings.model import ScanResult, Severity
from mtlsguard.report.sarif import SECURITY_SEVERITY, SarifFormat
from tests.report.code_scanning import assert_uploadable, code_scanning_problems
from tests.report.sample import BILLING, HEADER_TRUST, INFO, PROBE, RULES, SUPPRESSED, sample_result

SCHEMA_PATH = Path(__file__).parent.parent / "assets" / "sarif-schema-2.1.0.json"
SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"


@pytest.fixture(scope="module")
def validator() -> Draft4Validator:
    raw = SCHEMA_PATH.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == SCHEMA_SHA256, "the official schema was modified"
    schema = json.loads(raw)
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema, format_checker=FormatChecker())


def render(result: ScanResult, **kwargs: Any) -> dict[str, Any]:
    text = SarifFormat().render(Assessment(result=result, rules=RULES, **kwargs))
    assert text.endswith("\n")
    return json.loads(text)


def assert_valid(validator: Draft4Validator, log: dict[str, Any]) -> None:
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert errors == [], "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


@pytest.mark.parametrize(
    "result",
    [
        sample_result(),
        sample_result(findings=(), errors=(), routes=()),
        sample_result(findings=(PROBE,)),
        sample_result(root="relative/root"),
    ],
    ids=["full", "empty", "dynamic", "relative-root"],
)
def test_logs_validate_against_the_official_schema(
    validator: Draft4Validator, result: ScanResult
) -> None:
    assert_valid(validator, render(result, suppressed=SUPPRESSED, baselined=2))
    assert_uploadable(render(result, suppressed=SUPPRESSED, baselined=2))


def test_the_validator_is_not_vacuous(validator: Draft4Validator) -> None:
    log = render(sample_result())
    for mutate in (
        lambda d: d["runs"][0]["results"][0].__setitem__("level", "critical"),
        lambda d: d.__setitem__("version", "2.0.0"),
        lambda d: d["runs"][0]["tool"]["driver"].pop("name"),
        lambda d: d["runs"][0]["results"][0].__setitem__("unknownProperty", 1),
        lambda d: d["runs"][0]["results"][0]["locations"][0]["physicalLocation"][
            "region"
        ].__setitem__("startLine", 0),
    ):
        broken = copy.deepcopy(log)
        mutate(broken)
        assert not validator.is_valid(broken)


def test_one_rule_descriptor_per_rule_id_with_cwe_tags_and_security_severity() -> None:
    log = render(sample_result())
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids))
    # every known rule, plus one built from the third-party finding MG999
    assert set(ids) == {"MG101", "MG201", "MG301", "MG401", "MG999"}
    by_id = {r["id"]: r for r in rules}
    mg101 = by_id["MG101"]
    assert "CWE-306" in mg101["properties"]["tags"]
    assert "external/cwe/cwe-306" in mg101["properties"]["tags"]
    assert mg101["properties"]["security-severity"] == "8.0"
    assert mg101["defaultConfiguration"]["level"] == "error"
    assert mg101["shortDescription"]["text"] == "View reachable with a client certificate only"
    assert mg101["fullDescription"]["text"] == "View reachable with a client certificate only."
    assert "```python" in mg101["help"]["markdown"]
    assert by_id["MG301"]["properties"]["security-severity"] == "9.5"
    assert by_id["MG999"]["properties"]["tags"][1] == "CWE-309"
    for result in log["runs"][0]["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_security_severity_scores_fall_in_githubs_bands() -> None:
    bands = {
        Severity.CRITICAL: (9.0, 10.0),
        Severity.HIGH: (7.0, 8.9),
        Severity.MEDIUM: (4.0, 6.9),
        Severity.LOW: (0.1, 3.9),
        Severity.INFO: (0.1, 3.9),  # before: 0.0, outside GitHub's range
    }
    for severity, (low, high) in bands.items():
        assert low <= float(SECURITY_SEVERITY[severity]) <= high


def test_levels_follow_the_design_mapping() -> None:
    log = render(sample_result())
    levels = {r["ruleId"]: r["level"] for r in log["runs"][0]["results"]}
    assert levels == {"MG301": "error", "MG101": "error", "MG201": "warning", "MG999": "note"}


def test_result_locations_are_relative_with_a_base_and_name_the_view() -> None:
    log = render(sample_result())
    run = log["runs"][0]
    assert run["originalUriBaseIds"]["SRCROOT"]["uri"] == "file:///srv/project/"
    results = {r["ruleId"]: r for r in run["results"]}
    billing = results["MG101"]
    physical = billing["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": "billing/views.py", "uriBaseId": "SRCROOT"}
    assert physical["region"]["startLine"] == BILLING.location.line  # type: ignore[union-attr]
    logical = billing["locations"][0]["logicalLocations"][0]
    assert logical["fullyQualifiedName"] == "billing.views.BillingView"
    assert logical["kind"] == "type"
    assert billing["properties"]["route"] == "api/billing/<int:pk>/"
    assert billing["properties"]["methods"] == ["GET", "POST"]
    assert BILLING.remediation in billing["message"]["text"]
    assert billing["partialFingerprints"]["mtlsguardFingerprint/v1"] == BILLING.fingerprint
    header = results["MG301"]["locations"][0]["logicalLocations"][0]
    assert header == {
        "fullyQualifiedName": HEADER_TRUST.view,
        "name": "cert_login",
        "kind": "function",
    }
    # settings finding: no route property, no logical location
    assert "route" not in results["MG201"]["properties"]
    assert "logicalLocations" not in results["MG201"]["locations"][0]
    # a path with a space and non-ASCII characters is percent-encoded, still relative
    odd = results["MG999"]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert odd == "dir%20with%20space/%C3%BCn%C3%AF.py"
    assert INFO.location is not None


def test_dynamic_findings_carry_web_request_and_response() -> None:
    log = render(sample_result(findings=(PROBE,)))
    (result,) = log["runs"][0]["results"]
    assert result["webRequest"]["method"] == "GET"
    assert result["webResponse"]["statusCode"] == 200
    # Before: no physical location, and code scanning rejected the whole upload. Now a stable
    # artifact named after the route, relative to the root (the probed target).
    physical = result["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": "api/accounts/", "uriBaseId": "SRCROOT"}
    assert physical["region"] == {"startLine": 1}
    assert result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == PROBE.view


def test_suppressed_findings_are_kept_with_their_justification() -> None:
    log = render(sample_result(), suppressed=SUPPRESSED)
    suppressed = [r for r in log["runs"][0]["results"] if "suppressions" in r]
    assert len(suppressed) == 1
    assert suppressed[0]["suppressions"] == [
        {"kind": "inSource", "justification": "public liveness probe"}
    ]
    assert all("suppressions" not in r for r in log["runs"][0]["results"][:4])


def test_scan_errors_become_tool_notifications() -> None:
    log = render(sample_result())
    invocation = log["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is True
    (note,) = invocation["toolExecutionNotifications"]
    assert "broken/views.py" in note["message"]["text"]
    assert note["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] == "SRCROOT"


def test_every_logical_location_has_a_kind() -> None:
    """DESIGN.md: each result names the view with kind ``function`` or ``type``, probe
    results too (regression: the probe's findings lost their kind and methods)."""
    from mtlsguard.findings.registry import get_rule
    from mtlsguard.probe.rules import load, probe_finding

    load()
    findings = (
        probe_finding(
            get_rule("MG402"),
            route="/billing/",
            view="bank.views.BillingView",
            evidence="e",
            remediation="r",
        ),
        probe_finding(
            get_rule("MG404"),
            route="/a/{pk}/",
            view="bank.views.account",
            evidence="e",
            remediation="r",
        ),
    )
    document = json.loads(
        SarifFormat().render(Assessment(ScanResult(root="https://app/", findings=findings)))
    )
    results = document["runs"][0]["results"]
    kinds = [loc["kind"] for r in results for loc in r["locations"][0]["logicalLocations"]]
    assert sorted(kinds) == ["function", "type"]
    assert all(r["properties"]["methods"] == ["GET"] for r in results)


def test_the_code_scanning_checker_is_not_vacuous() -> None:
    log = render(sample_result())
    assert code_scanning_problems(log) == []
    for mutate, problem in (
        (lambda d: d["runs"][0]["results"][0].pop("locations"), "no location"),
        (
            lambda d: d["runs"][0]["tool"]["driver"]["rules"][0]["properties"].__setitem__(
                "security-severity", "0.0"
            ),
            "outside 0.1-10.0",
        ),
        (lambda d: d["runs"][0]["results"][0].pop("partialFingerprints"), "partialFingerprints"),
        (lambda d: d["runs"][0]["results"][0].__setitem__("ruleIndex", 99), "ruleIndex"),
    ):
        broken = copy.deepcopy(log)
        mutate(broken)
        assert any(problem in p for p in code_scanning_problems(broken)), problem


def test_rules_have_name_help_uri_precision_and_every_cwe() -> None:
    log = render(sample_result())
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["informationUri"].startswith("https://")
    by_id = {r["id"]: r for r in driver["rules"]}
    for rule in RULES:
        descriptor = by_id[rule.rule_id]
        assert descriptor["name"] == rule.name
        assert descriptor["name"].isidentifier()
        assert descriptor.get("helpUri") == rule.help_uri  # the sample's rules: third-party
        assert descriptor["properties"]["precision"] in {"very-high", "high", "medium", "low"}
        for cwe in (rule.cwe, *rule.cwes):
            number = cwe.removeprefix("CWE-")
            assert f"external/cwe/cwe-{number}" in descriptor["properties"]["tags"]


def test_a_finding_raised_to_critical_shows_as_critical() -> None:
    """Before: a merged finding raised to critical kept its rule's 8.0 (GitHub: High)."""
    raised = replace(BILLING, severity=Severity.CRITICAL)
    log = render(sample_result(findings=(raised,)))
    run = log["runs"][0]
    (descriptor,) = [r for r in run["tool"]["driver"]["rules"] if r["id"] == raised.rule_id]
    assert descriptor["properties"]["security-severity"] == SECURITY_SEVERITY[Severity.CRITICAL]
    assert descriptor["defaultConfiguration"]["level"] == "error"
    assert run["results"][0]["properties"]["security-severity"] == "9.5"


def test_probe_findings_sit_at_their_views_when_the_routes_know_them() -> None:
    located = replace(PROBE, route="api/billing/<int:pk>/")
    log = render(sample_result(findings=(located,)))
    physical = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "billing/views.py"
    assert physical["region"]["startLine"] == 12


def test_fingerprints_do_not_move_with_lines() -> None:
    moved = replace(BILLING, location=replace(BILLING.location, line=BILLING.location.line + 40))
    before = render(sample_result(findings=(BILLING,)))["runs"][0]["results"][0]
    after = render(sample_result(findings=(moved,)))["runs"][0]["results"][0]
    assert before["partialFingerprints"] == after["partialFingerprints"]
    region = after["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] == BILLING.location.line + 40


def test_builtin_rules_link_their_docs_page() -> None:
    from mtlsguard.app.rules import builtin_rules

    rules = builtin_rules()
    log = json.loads(SarifFormat().render(Assessment(result=sample_result(), rules=rules)))
    by_id = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    docs = Path(__file__).resolve().parents[2] / "docs" / "rules"
    for rule in rules:
        assert by_id[rule.rule_id]["helpUri"].endswith(f"/rules/{rule.rule_id}/")
        assert (docs / f"{rule.rule_id}.md").is_file()
    assert_uploadable(log)


def test_messages_are_sentences_and_regex_routes_read_as_paths() -> None:
    """Before: "... HTTP_X_SSL_CLIENT_VERIFY check Fix: ..." and ``Route: ^api/...$``."""
    regex = replace(
        BILLING,
        route="^api/v1/organizers/(?P<organizer>[^/]+)/$",
        evidence="only an inline check",
        remediation="Require a user",
    )
    (result,) = render(sample_result(findings=(regex,)))["runs"][0]["results"]
    text = result["message"]["text"]
    assert "Evidence: only an inline check. Fix: Require a user." in text
    assert "Route: /api/v1/organizers/<organizer>/ (GET, POST)." in text
    assert result["properties"]["route"] == regex.route  # the data keeps the pattern
