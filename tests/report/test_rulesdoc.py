from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mtlsguard.app.rules import builtin_rules
from mtlsguard.findings.model import Severity
from mtlsguard.probe.rules import probe_rules
from mtlsguard.report.markdown import docstring_to_markdown
from mtlsguard.report.rulesdoc import check_docs, render_rule_docs, write_docs
from mtlsguard.scan.rules import static_rules
from tests.report.sample import Rule

DOCS = Path(__file__).resolve().parents[2] / "docs" / "rules"


def test_docs_rules_is_up_to_date_with_the_rule_docstrings() -> None:
    problems = check_docs(DOCS, builtin_rules())
    assert problems == [], (
        "docs/rules/ is stale; run: python -m mtlsguard.cli.rulesdoc docs/rules\n"
        + "\n".join(problems)
    )


def test_every_rule_has_a_page_and_an_index_row() -> None:
    pages = render_rule_docs(builtin_rules())
    ids = {rule.rule_id for rule in static_rules()} | {"MG001", "MG002", "MG003"}
    ids |= {rule.rule_id for rule in probe_rules()}  # MG4xx: mtlsguard probe
    assert set(pages) == {f"{rule_id}.md" for rule_id in ids} | {"README.md"}
    for rule in static_rules():
        page = pages[f"{rule.rule_id}.md"]
        assert page.splitlines()[2] == f"# {rule.rule_id}: {rule.title}"
        assert f"definitions/{rule.cwe.removeprefix('CWE-')}.html" in page
        assert f"| [{rule.rule_id}]({rule.rule_id}.md) |" in pages["README.md"]


def test_write_then_check_round_trip_and_stale_detection(tmp_path: Path) -> None:
    rules = [
        Rule("MG901", "First | piped", "CWE-306", Severity.HIGH, "First.\n\nVulnerable::\n\n  x\n"),
        Rule("MG902", "Second", "", Severity.INFO, "Second."),
    ]
    written = write_docs(tmp_path, rules)
    assert sorted(p.name for p in written) == ["MG901.md", "MG902.md", "README.md"]
    assert check_docs(tmp_path, rules) == []
    assert write_docs(tmp_path, rules) == []  # idempotent
    assert "First \\| piped" in (tmp_path / "README.md").read_text()

    (tmp_path / "MG901.md").write_text("edited by hand\n")
    (tmp_path / "MG999.md").write_text("a removed rule\n")
    assert check_docs(tmp_path, rules[1:]) == [
        "README.md: out of date",
        "MG901.md: no such rule",
        "MG999.md: no such rule",
    ]
    write_docs(tmp_path, rules[1:])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["MG902.md", "README.md"]


def test_literal_blocks_become_fenced_code() -> None:
    text = docstring_to_markdown(
        "Title.\n\n**Vulnerable**::\n\n    def v(request):\n\n        return 1\n\nAfter.\n"
    )
    assert text == (
        "Title.\n\n**Vulnerable**:\n\n```python\ndef v(request):\n\n    return 1\n```\n\nAfter.\n"
    )


def test_check_command_exit_codes(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "mtlsguard.cli.rulesdoc"]
    stale = subprocess.run([*command, "--check", str(tmp_path)], capture_output=True, text=True)
    assert stale.returncode == 1
    assert "regenerate with" in stale.stderr
    assert subprocess.run([*command, str(tmp_path)], capture_output=True).returncode == 0
    fresh = subprocess.run([*command, "--check", str(tmp_path)], capture_output=True)
    assert fresh.returncode == 0


def test_the_documented_configuration_example_is_valid() -> None:
    import tomllib

    from mtlsguard.app.config import parse_config

    index = (DOCS / "README.md").read_text()
    snippet = index.split("```toml\n", 1)[1].split("```", 1)[0]
    config = parse_config(tomllib.loads(snippet)["tool"]["mtlsguard"])
    assert config.fail_on is Severity.MEDIUM
    assert config.disabled_rules == {"MG205"}
    assert config.is_excluded("legacy/views.py")
