"""Check a SARIF log the way GitHub code scanning reads an upload, from GitHub's documentation.

"SARIF support for code scanning" (docs.github.com, code-security/code-scanning/
integrating-with-code-scanning/sarif-support-for-code-scanning) lists what an upload needs and
its limits; this module turns each documented rule into a check, so a test can validate every
SARIF the tool writes both against the OASIS 2.1.0 schema and against these rules:

- ``version`` 2.1.0 and a ``$schema``; at most 20 runs; a run's ``tool.driver.name``.
- At most 25,000 results and 25,000 rules per run, 1,000 locations per result and 20 tags per
  rule (the documented limits).
- A result has ``ruleId``, ``message.text`` and at least one location whose
  ``physicalLocation.artifactLocation.uri`` names a file (relative, or a ``file:`` URI; a
  result without one makes code scanning reject the upload); ``region.startLine`` >= 1.
- ``partialFingerprints`` on every result (without them an API upload duplicates alerts).
- A rule's ``properties.security-severity`` is a number from 0.1 to 10.0 (critical above 9.0,
  high 7.0-8.9, medium 4.0-6.9, low 0.1-3.9), and here it must agree with the rule's level:
  ``error`` high or critical, ``warning`` medium, ``note`` low.
- ``helpUri`` is an absolute URI; ``help`` has ``text``; ``ruleIndex`` points at its rule.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "assets" / "sarif-schema-2.1.0.json"

MAX_RUNS = 20
MAX_RESULTS = 25_000
MAX_RULES = 25_000
MAX_LOCATIONS = 1_000
MAX_TAGS = 20
_LEVEL_BANDS = {"error": (7.0, 10.0), "warning": (4.0, 6.9), "note": (0.1, 3.9)}


def _rule_problems(where: str, rule: dict[str, Any]) -> list[str]:
    problems = []
    properties = rule.get("properties", {})
    if len(properties.get("tags", [])) > MAX_TAGS:
        problems.append(f"{where}: more than {MAX_TAGS} tags")
    score = properties.get("security-severity")
    if score is None:
        problems.append(f"{where}: no properties.security-severity")
    else:
        try:
            value = float(score)
        except (TypeError, ValueError):
            return [*problems, f"{where}: security-severity {score!r} is not a number"]
        if not 0.1 <= value <= 10.0:
            problems.append(f"{where}: security-severity {score} outside 0.1-10.0")
        level = rule.get("defaultConfiguration", {}).get("level", "warning")
        low, high = _LEVEL_BANDS.get(level, (0.0, 10.0))
        if not low <= value <= high:
            problems.append(f"{where}: security-severity {score} disagrees with level {level}")
    help_uri = rule.get("helpUri")
    if help_uri is not None and not urlsplit(help_uri).scheme:
        problems.append(f"{where}: helpUri {help_uri!r} is not absolute")
    if "help" in rule and not rule["help"].get("text"):
        problems.append(f"{where}: help without text")
    return problems


def _location_problems(where: str, locations: list[dict[str, Any]]) -> list[str]:
    if not locations:
        return [f"{where}: no location (code scanning rejects the upload)"]
    if len(locations) > MAX_LOCATIONS:
        return [f"{where}: more than {MAX_LOCATIONS} locations"]
    physical = locations[0].get("physicalLocation")
    if physical is None:
        return [f"{where}: the first location has no physicalLocation"]
    uri = physical.get("artifactLocation", {}).get("uri", "")
    problems = []
    if not uri:
        problems.append(f"{where}: artifactLocation without a uri")
    elif urlsplit(uri).scheme not in {"", "file"}:
        problems.append(f"{where}: uri {uri!r} is not a file of the repository")
    region = physical.get("region")
    if region is not None and region.get("startLine", 1) < 1:
        problems.append(f"{where}: startLine below 1")
    return problems


def _result_problems(where: str, result: dict[str, Any], rules: list[dict[str, Any]]) -> list[str]:
    problems = []
    rule_id = result.get("ruleId") or result.get("rule", {}).get("id")
    if not rule_id:
        problems.append(f"{where}: no ruleId")
    if not result.get("message", {}).get("text"):
        problems.append(f"{where}: no message.text")
    if not result.get("partialFingerprints"):
        problems.append(f"{where}: no partialFingerprints")
    index = result.get("ruleIndex")
    if index is not None and (index >= len(rules) or rules[index].get("id") != rule_id):
        problems.append(f"{where}: ruleIndex {index} does not point at rule {rule_id}")
    return problems + _location_problems(where, result.get("locations", []))


def code_scanning_problems(log: dict[str, Any]) -> list[str]:
    """Every documented code-scanning upload rule that ``log`` breaks (empty: it uploads)."""
    problems = []
    if log.get("version") != "2.1.0":
        problems.append(f"version {log.get('version')!r} is not 2.1.0")
    if "$schema" not in log:
        problems.append("no $schema")
    runs = log.get("runs", [])
    if len(runs) > MAX_RUNS:
        problems.append(f"more than {MAX_RUNS} runs")
    for number, run in enumerate(runs):
        driver = run.get("tool", {}).get("driver", {})
        if not driver.get("name"):
            problems.append(f"run {number}: tool.driver.name missing")
        rules = driver.get("rules", [])
        results = run.get("results", [])
        if len(rules) > MAX_RULES or len(results) > MAX_RESULTS:
            problems.append(f"run {number}: too many rules or results")
        for rule in rules:
            problems += _rule_problems(f"run {number} rule {rule.get('id')}", rule)
        for position, result in enumerate(results):
            where = f"run {number} result {position} ({result.get('ruleId')})"
            problems += _result_problems(where, result, rules)
    return problems


def assert_uploadable(log: dict[str, Any] | str | Path) -> dict[str, Any]:
    """Assert ``log`` (a document, its text or its file) is valid SARIF 2.1.0 that code
    scanning accepts as is; return the document."""
    if isinstance(log, Path):
        log = log.read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(log) if isinstance(log, str) else log
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]
    assert errors == [], "\n".join(errors)
    problems = code_scanning_problems(document)
    assert problems == [], "\n".join(problems)
    return document
