"""Inline suppressions: ``# mtlsguard: ignore[MG101] -- reason`` next to a finding.

A suppression applies to the finding's own line and, for a view, to every line of its
decorators and ``def``/``class`` header; for any other statement, to every line of that
statement. A reason after ``--`` is required: a suppression without one does not suppress and
is itself reported (rule :data:`SUPPRESSION_WITHOUT_REASON`). Given the rule ids that exist and
those that ran, a comment that suppresses nothing or names no rule is reported too (rule
:data:`UNUSED_SUPPRESSION`, like Ruff's ``RUF100``).
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from mtlsguard.findings.assessment import Suppression
from mtlsguard.findings.model import Confidence, Finding, Location, ScanResult
from mtlsguard.scan import walking
from mtlsguard.scan.rules.mg001_suppression_without_reason import RULE as SUPPRESSION_WITHOUT_REASON
from mtlsguard.scan.rules.mg002_unused_suppression import RULE as UNUSED_SUPPRESSION
from mtlsguard.scan.static.parsing import parse_python

__all__ = [
    "SUPPRESSION_WITHOUT_REASON",
    "UNUSED_SUPPRESSION",
    "RuleIds",
    "Suppression",
    "SuppressionComment",
    "SuppressionOutcome",
    "apply_suppressions",
    "parse_suppression_comments",
]

_COMMENT = re.compile(
    r"#\s*mtlsguard:\s*ignore\[(?P<ids>[^\]]*)\](?P<rest>.*)$",
)
_REASON = re.compile(r"^\s*--\s*(?P<reason>.*?)\s*$")


@dataclass(frozen=True, slots=True)
class RuleIds:
    """The rule ids that exist and those that ran, to judge suppressions that match nothing."""

    known: frozenset[str]
    """Every registered rule id (a comment naming another is a typo)."""
    ran: frozenset[str]
    """The rules that ran (a comment for a rule that did not run is left alone)."""
    checked: frozenset[str] = frozenset()
    """Files to check beyond those with findings (the views' files), relative to the root."""


@dataclass(frozen=True, slots=True)
class SuppressionComment:
    """One ``# mtlsguard: ignore[...]`` comment found in a source file."""

    line: int
    """1-based line of the comment."""
    rule_ids: frozenset[str]
    """Rule ids it names (upper-case)."""
    reason: str
    """The text after ``--``; empty when missing, which makes the comment ineffective."""


@dataclass(frozen=True, slots=True)
class SuppressionOutcome:
    """The result with suppressed findings removed, and what was suppressed."""

    result: ScanResult
    """Findings that remain (including MG001 for reason-less suppressions)."""
    suppressed: tuple[Suppression, ...] = ()
    """Findings that an inline comment with a reason suppressed."""


def parse_suppression_comments(source: str) -> list[SuppressionComment]:
    """Return every suppression comment in ``source``.

    Only real comments count (``tokenize``), not text inside strings. Source that does not
    tokenize falls back to a line-by-line search so a suppression still works in a file that
    the scanner could partly read.
    """
    comments: list[tuple[int, str]] = []
    if "mtlsguard:" not in source:
        return []  # every suppression comment contains it: skip tokenizing (most files)
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                comments.append((token.start[0], token.string))
    except (tokenize.TokenError, SyntaxError):
        comments = [
            (number, line[line.index("#") :])
            for number, line in enumerate(source.splitlines(), start=1)
            if "#" in line
        ]
    found = []
    for line, text in comments:
        match = _COMMENT.search(text)
        if match is None:
            continue
        ids = frozenset(
            part.strip().upper() for part in match.group("ids").split(",") if part.strip()
        )
        if not ids:
            continue  # a misspelt id is kept: it suppresses nothing, and MG002 reports it
        reason_match = _REASON.match(match.group("rest"))
        reason = reason_match.group("reason") if reason_match else ""
        found.append(SuppressionComment(line=line, rule_ids=ids, reason=reason))
    return found


def _anchor_groups(source: str) -> dict[int, frozenset[int]]:
    """Map each line to the lines a suppression for a finding on it may sit on."""
    try:
        tree = parse_python(source)
    except (SyntaxError, ValueError):
        return {}
    groups: dict[int, frozenset[int]] = {}
    for node in walking.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            first = min([d.lineno for d in node.decorator_list] + [node.lineno])
            header_end = max(node.lineno, node.body[0].lineno - 1) if node.body else node.lineno
            lines = frozenset(range(first, header_end + 1))
        elif isinstance(node, ast.stmt) and not hasattr(node, "body"):
            lines = frozenset(range(node.lineno, (node.end_lineno or node.lineno) + 1))
        else:
            continue
        for line in lines:
            # The innermost statement wins: ast.walk visits outer nodes first.
            groups[line] = lines
    return groups


def _reasonless_finding(path: str, comment: SuppressionComment, target: Finding) -> Finding:
    rule = SUPPRESSION_WITHOUT_REASON
    return Finding(
        rule_id=rule.rule_id,
        title=rule.title,
        cwe=rule.cwe,
        severity=rule.severity,
        confidence=Confidence.HIGH,
        location=Location(path=path, line=comment.line),
        route=target.route,
        view=target.view,
        view_kind=target.view_kind,
        evidence=f"ignore[{', '.join(sorted(comment.rule_ids))}] without '-- reason'",
        remediation=(
            f"Add the reason after '--': # mtlsguard: ignore[{target.rule_id}] -- why this "
            "finding does not apply; until then the finding is reported."
        ),
    )


def _read_source(root: Path, relative: str) -> str | None:
    try:
        path = (root / relative).resolve()
        path.relative_to(root.resolve())
        return path.read_text(encoding="utf-8")
    except (OSError, ValueError, UnicodeDecodeError):
        return None


def apply_suppressions(
    result: ScanResult,
    root: Path,
    *,
    read_source: Callable[[Path, str], str | None] = _read_source,
    rule_ids: RuleIds | None = None,
) -> SuppressionOutcome:
    """Remove findings suppressed by an inline comment with a reason.

    Only files that have findings (and ``rule_ids.checked``) are read. A comment naming the
    finding's rule but giving no reason leaves the finding in place and adds one
    :data:`SUPPRESSION_WITHOUT_REASON` finding at the comment (once per comment). With
    ``rule_ids``, each id of a comment that names no rule, or a rule that ran and matched no
    finding there, adds an :data:`UNUSED_SUPPRESSION` finding. Files that cannot be read
    suppress nothing.
    """
    by_path: dict[str, list[Finding]] = {}
    for finding in result.findings:
        if finding.location is not None:
            by_path.setdefault(finding.location.path, []).append(finding)
    for path in sorted(rule_ids.checked) if rule_ids is not None else ():
        by_path.setdefault(path, [])
    files: dict[str, tuple[Mapping[int, list[SuppressionComment]], dict[int, frozenset[int]]]]
    files = {}
    for path in by_path:
        source = read_source(root, path)
        if source is None:
            continue
        comments = parse_suppression_comments(source)
        if not comments:
            continue
        per_line: dict[int, list[SuppressionComment]] = {}
        for comment in comments:
            per_line.setdefault(comment.line, []).append(comment)
        files[path] = (per_line, _anchor_groups(source))

    kept: list[Finding] = []
    suppressed: list[Suppression] = []
    reasonless: dict[tuple[str, int], Finding] = {}
    used: set[tuple[str, int, str]] = set()
    for finding in result.findings:
        location = finding.location
        if location is None or location.path not in files:
            kept.append(finding)
            continue
        comments_at, groups = files[location.path]
        candidates = _matching(comments_at, groups.get(location.line, {location.line}), finding)
        used.update((location.path, c.line, finding.rule_id.upper()) for c in candidates)
        with_reason = [c for c in candidates if c.reason]
        if with_reason:
            suppressed.append(Suppression(finding, with_reason[0].reason, with_reason[0].line))
            continue
        kept.append(finding)
        for comment in candidates:
            key = (location.path, comment.line)
            reasonless.setdefault(key, _reasonless_finding(location.path, comment, finding))
    kept.extend(reasonless.values())
    if rule_ids is not None:
        for path, (comments_at, _) in files.items():
            kept.extend(_unused(path, comments_at, used, rule_ids))
    return SuppressionOutcome(replace(result, findings=tuple(kept)), tuple(suppressed))


def _unused(
    path: str,
    per_line: Mapping[int, list[SuppressionComment]],
    used: set[tuple[str, int, str]],
    rule_ids: RuleIds,
) -> list[Finding]:
    """An :data:`UNUSED_SUPPRESSION` finding per id that names no rule or matched nothing."""
    rule = UNUSED_SUPPRESSION
    found = []
    for line, comments in sorted(per_line.items()):
        for comment in comments:
            for rule_id in sorted(comment.rule_ids):
                if rule_id not in rule_ids.known:
                    evidence = f"ignore[{rule_id}]: no rule has the id {rule_id}"
                elif rule_id in rule_ids.ran and (path, line, rule_id) not in used:
                    evidence = f"ignore[{rule_id}]: {rule_id} reported nothing here"
                else:
                    continue
                found.append(
                    rule.finding(
                        evidence=evidence,
                        remediation="Delete the suppression, or correct its rule id "
                        "(`mtlsguard rules` lists them).",
                        location=Location(path=path, line=line),
                    )
                )
    return found


def _matching(
    per_line: Mapping[int, list[SuppressionComment]], lines: Iterable[int], finding: Finding
) -> list[SuppressionComment]:
    return [
        comment
        for line in sorted(lines)
        for comment in per_line.get(line, ())
        if finding.rule_id.upper() in comment.rule_ids
    ]
