"""The one rule registry: metadata, selection before running, options, plugins."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mtlsguard.findings.model import Severity
from mtlsguard.findings.registry import (
    RegistryError,
    RuleKind,
    RuleOption,
    RuleSelection,
    all_rules,
    get_rule,
    register,
    rule,
)
from mtlsguard.probe.rules import Category, category_of, probe_rules
from mtlsguard.scan.engine import analyze, run_rules
from mtlsguard.scan.rules import static_rules
from mtlsguard.scan.static.frontend import build_static_project
from tests.scan.projects import write_project


def test_every_rule_has_metadata_and_documentation() -> None:
    static, probes = static_rules(), probe_rules()
    assert static
    assert probes
    rules = all_rules()
    ids = [r.rule_id for r in rules]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert {r.rule_id for r in static} | {r.rule_id for r in probes} | {
        "MG001",
        "MG002",
        "MG003",
    } == set(ids)
    for meta in rules:
        expected = {RuleKind.TOOL: "MG0", RuleKind.STATIC: "MG", RuleKind.PROBE: "MG4"}[meta.kind]
        assert meta.rule_id.startswith(expected)
        assert meta.title
        # The docstring is the rule's documentation: what, why (CWE), vulnerable example, fix.
        assert meta.rule_id in meta.doc.splitlines()[0]
        for section in ("**What.**", "**Why.**", "**Fix"):
            assert section in meta.doc, (meta.rule_id, section)
        if meta.kind is RuleKind.STATIC:
            assert "**Vulnerable**" in meta.doc
        assert isinstance(meta.severity, Severity)
        if meta.kind is not RuleKind.TOOL:
            assert meta.cwe.startswith("CWE-")
            assert meta.cwe in meta.doc
        assert (meta.check is not None) == (meta.kind is RuleKind.STATIC)
        assert (meta.category is not None) == (meta.kind is RuleKind.PROBE)


def test_get_rule_and_unknown_rule() -> None:
    static_rules()
    assert get_rule("MG102").cwes == ("CWE-287", "CWE-308")
    assert category_of("MG404") is Category.BOLA
    with pytest.raises(KeyError):
        get_rule("MG999")


@pytest.mark.parametrize(
    ("rule_id", "kind"),
    [("MG401", RuleKind.STATIC), ("B101", RuleKind.STATIC), ("MG101", RuleKind.PROBE)],
)
def test_builtin_ids_stay_in_their_range(rule_id: str, kind: RuleKind) -> None:
    with pytest.raises(RegistryError, match="must look like"):
        register(
            "mtlsguard.tests", rule_id, title="x", cwe="CWE-1", severity=Severity.LOW, kind=kind
        )


def test_plugin_ids_may_not_take_the_mg_prefix() -> None:
    with pytest.raises(RegistryError, match="other than MG"):
        register(
            "acme", "MG777", title="x", cwe="CWE-1", severity=Severity.LOW, kind=RuleKind.STATIC
        )


def test_a_rule_module_needs_a_docstring() -> None:
    def check(ctx: object, meta: object) -> list[object]:
        return []

    check.__module__ = "tests.findings.no_such_module"
    with pytest.raises(RegistryError, match="needs a docstring"):
        rule("ACME100", title="x", cwe="CWE-1", severity=Severity.LOW)(check)


def test_finding_carries_rule_defaults() -> None:
    static_rules()
    finding = get_rule("MG102").finding(evidence="e", remediation="r")
    assert finding.rule_id == "MG102"
    assert finding.severity is Severity.CRITICAL
    assert finding.cwes == ("CWE-287", "CWE-308")


def test_selection_by_id_and_prefix_ignore_wins() -> None:
    selection = RuleSelection(select=frozenset({"MG1", "MG202"}), ignore=frozenset({"MG10"}))
    chosen = [r.rule_id for r in selection.apply(static_rules())]
    assert chosen == ["MG202"]
    assert RuleSelection().allows("MG101")
    assert RuleSelection(select=frozenset({"MG4", "MG9"})).unknown(["MG401"]) == ["MG9"]


def test_options_replace_the_defaults_and_are_validated() -> None:
    static_rules()
    mg202 = get_rule("MG202")
    assert mg202.option("max-age-seconds", int) == 86_400
    longer = RuleSelection(options={"MG202": {"max-age-seconds": 7 * 86_400}}).apply([mg202])
    assert longer[0].option("max-age-seconds", int) == 7 * 86_400
    with pytest.raises(RegistryError, match="no option 'max-age'"):
        RuleSelection(options={"MG202": {"max-age": 1}}).apply([mg202])
    with pytest.raises(RegistryError, match="must be int"):
        RuleSelection(options={"MG202": {"max-age-seconds": "a week"}}).apply([mg202])
    # Options of a rule that is not selected are still checked: a typo must not wait.
    with pytest.raises(RegistryError):
        RuleSelection(ignore=frozenset({"MG202"}), options={"MG202": {"x": 1}}).apply([mg202])
    mg205 = get_rule("MG205")
    custom = mg205.configured({"mfa-apps": ["acme_otp"]})
    assert custom.option("mfa-apps", tuple) == ("acme_otp",)


def test_option_declarations_are_checked() -> None:
    def check(ctx: object, meta: object) -> list[object]:
        return []

    check.__module__ = __name__
    with pytest.raises(RegistryError, match="kebab-case"):
        rule(
            "ACME101",
            title="x",
            cwe="CWE-1",
            severity=Severity.LOW,
            options=(RuleOption("Max", 1, "d"),),
        )(check)


def test_an_option_changes_what_a_rule_reports(tmp_path: Path) -> None:
    root = write_project(
        tmp_path,
        {"proj/urls.py": "urlpatterns = []\n"},
        settings_extra="SESSION_COOKIE_AGE = 3 * 86400\n",
    )
    context = analyze(build_static_project(root).model)
    mg202 = [r for r in static_rules() if r.rule_id == "MG202"]
    assert [f.rule_id for f in run_rules(context, mg202)] == ["MG202"]
    week = RuleSelection(options={"MG202": {"max-age-seconds": 7 * 86400}}).apply(mg202)
    assert run_rules(context, week) == ()


def test_a_plugin_registers_through_the_entry_point_group(tmp_path: Path) -> None:
    """A real distribution on sys.path with an ``mtlsguard.rules`` entry point (no mocks)."""
    package = tmp_path / "acme_rules"
    package.mkdir()
    (package / "__init__.py").write_text(
        textwrap.dedent(
            '''
            """ACME101 — Views named ``secret_*`` (CWE-200).

            **Vulnerable**:: def secret_keys(request): ...

            **Fix**: rename it.
            """
            from mtlsguard.findings.model import Severity
            from mtlsguard.findings.registry import rule

            @rule("ACME101", title="secret view", cwe="CWE-200", severity=Severity.LOW)
            def check(ctx, meta):
                for route in ctx.routes:
                    if (route.view or "").rsplit(".", 1)[-1].startswith("secret_"):
                        yield meta.finding(evidence=route.view, remediation="rename it")
            '''
        )
    )
    info = tmp_path / "acme_rules-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-rules\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[mtlsguard.rules]\nacme = acme_rules\n")
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        from mtlsguard.scan.rules import static_rules
        print(",".join(r.rule_id for r in static_rules()))
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    ids = out.stdout.strip().split(",")
    assert "ACME101" in ids
    assert "MG101" in ids


def test_a_broken_plugin_is_a_clear_error(tmp_path: Path) -> None:
    info = tmp_path / "broken-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[mtlsguard.rules]\nbroken = no_such_module_here\n")
    script = (
        f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n"
        "from mtlsguard.findings.registry import all_rules, RegistryError\n"
        "try:\n    all_rules()\nexcept RegistryError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert "the rule plugin 'broken' (no_such_module_here) failed to load" in out.stdout


def test_plugins_are_looked_up_only_where_a_distribution_declares_the_group(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No entry_points.txt on sys.path names the group: importlib.metadata need not be asked.
    from mtlsguard.findings.plugin_index import group_may_have_entries

    other = tmp_path / "other-1.0.dist-info"
    other.mkdir()
    (other / "entry_points.txt").write_text("[console_scripts]\nother = other:main\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path)])
    assert not group_may_have_entries("mtlsguard.rules")
    (other / "entry_points.txt").write_text("[mtlsguard.rules]\nacme = acme_rules\n")
    assert group_may_have_entries("mtlsguard.rules")
    # A zip archive on sys.path is importlib.metadata's to read.
    (tmp_path / "bundle.zip").write_bytes(b"PK")
    monkeypatch.setattr(sys, "path", [str(tmp_path / "bundle.zip")])
    assert group_may_have_entries("mtlsguard.rules")
