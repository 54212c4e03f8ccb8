from __future__ import annotations

import pytest

from mtlsguard.findings.model import Severity
from mtlsguard.scan.rules import all_rules, get_rule, rule


def test_every_rule_has_metadata_and_documentation() -> None:
    rules = all_rules()
    assert rules, "no rules registered"
    ids = [r.rule_id for r in rules]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    for meta in rules:
        assert meta.rule_id[:3] in {"MG1", "MG2", "MG3"}
        assert meta.cwe.startswith("CWE-")
        assert meta.title
        assert meta.doc
        # The docstring is the rule's documentation: what, why (CWE), vulnerable example, fix.
        assert meta.rule_id in meta.doc.splitlines()[0]
        assert meta.cwe in meta.doc
        assert "**Vulnerable**" in meta.doc
        assert "**Fix**" in meta.doc
        assert isinstance(meta.severity, Severity)


def test_get_rule_and_unknown_rule() -> None:
    assert get_rule("MG102").cwes == ("CWE-287", "CWE-308")
    with pytest.raises(KeyError):
        get_rule("MG999")


def test_rule_decorator_rejects_bad_ids() -> None:
    with pytest.raises(ValueError, match="MG1xx"):
        rule("MG401", title="probe", cwe="CWE-1", severity=Severity.LOW)
    with pytest.raises(ValueError, match="MG1xx"):
        rule("B101", title="x", cwe="CWE-1", severity=Severity.LOW)


def test_finding_carries_rule_defaults() -> None:
    meta = get_rule("MG102")
    finding = meta.finding(location=None, evidence="e", remediation="r")
    assert finding.rule_id == "MG102"
    assert finding.severity is Severity.CRITICAL
    assert finding.cwes == ("CWE-287", "CWE-308")
