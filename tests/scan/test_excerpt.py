from __future__ import annotations

import os
from pathlib import Path

import pytest

import mtlsguard.scan.excerpt as excerpt_module
from mtlsguard.findings.model import Confidence, Finding, Location, Severity
from mtlsguard.scan.excerpt import MAX_LINE_CHARS, MAX_LINES_AFTER, read_excerpts

VIEWS = '''"""Views."""
from django.contrib.auth.decorators import login_required


# reached with a certificate only
@api_view(["GET"])
def billing(request):
    return Response(
        {"a": 1}
    )


class AccountList(ListAPIView):
    permission_classes = (AllowAny,)

    def get_queryset(self):
        return Account.objects.all()


REST_FRAMEWORK = {
    "DEFAULT_PERMISSION_CLASSES": [],
}
'''


def finding(path: str, line: int) -> Finding:
    return Finding(
        rule_id="MG101",
        title="t",
        cwe="CWE-306",
        severity=Severity.HIGH,
        confidence=Confidence.HIGH,
        location=Location(path, line),
    )


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "views.py").write_text(VIEWS)
    return tmp_path


def test_function_with_its_decorators_and_comment(root: Path) -> None:
    (excerpt,) = read_excerpts(root, [finding("app/views.py", 7)])
    assert (excerpt.path, excerpt.focus, excerpt.start, excerpt.cut) == (
        "app/views.py",
        7,
        5,
        False,
    )
    assert excerpt.lines == (
        "# reached with a certificate only",
        '@api_view(["GET"])',
        "def billing(request):",
        "    return Response(",
        '        {"a": 1}',
        "    )",
    )


def test_class_block_ends_before_the_next_definition(root: Path) -> None:
    (excerpt,) = read_excerpts(root, [finding("app/views.py", 13)])
    assert excerpt.start == 13
    assert excerpt.lines[0] == "class AccountList(ListAPIView):"
    assert excerpt.lines[-1] == "        return Account.objects.all()"


def test_setting_includes_its_closing_bracket(root: Path) -> None:
    (excerpt,) = read_excerpts(root, [finding("app/views.py", 20)])
    assert excerpt.lines == (
        "REST_FRAMEWORK = {",
        '    "DEFAULT_PERMISSION_CLASSES": [],',
        "}",
    )


def test_long_blocks_are_cut(root: Path) -> None:
    body = "".join(f"    x{i} = {i}\n" for i in range(MAX_LINES_AFTER + 10))
    (root / "long.py").write_text("def f():\n" + body)
    (excerpt,) = read_excerpts(root, [finding("long.py", 1)])
    assert len(excerpt.lines) == MAX_LINES_AFTER + 1
    assert excerpt.cut


def test_hidden_characters_are_shown_and_long_lines_cut(root: Path) -> None:
    trojan = "access = 'user\u202e \u2066# admin\u2069 \u2066'\x1b[2J\x00\r"
    (root / "odd.py").write_text(trojan + "\n" + "y = '" + "a" * 500 + "'\n")
    first, second = read_excerpts(root, [finding("odd.py", 1), finding("odd.py", 2)])
    assert first.lines == ("access = 'user\\u202e \\u2066# admin\\u2069 \\u2066'\\x1b[2J\\x00",)
    assert len(second.lines[0]) == MAX_LINE_CHARS
    assert second.lines[0].endswith("…")


def test_undecodable_bytes_are_replaced(root: Path) -> None:
    (root / "latin.py").write_bytes(b"name = 'caf\xe9'\n")
    (excerpt,) = read_excerpts(root, [finding("latin.py", 1)])
    assert excerpt.lines == ("name = 'caf\ufffd'",)


def test_nothing_outside_the_root_or_unsafe_is_read(
    root: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside") / "secret.py"
    outside.write_text("SECRET = 'x'\n")
    (root / "link.py").symlink_to(outside)
    os.mkfifo(root / "pipe.py")
    findings = [
        finding("../" + outside.parent.name + "/secret.py", 1),
        finding(str(outside), 1),
        finding("link.py", 1),
        finding("pipe.py", 1),  # would block if opened
        finding("missing.py", 1),
        finding("app", 1),
        finding("app/views.py", 0),
        finding("app/views.py", 999),
        finding("app/views.py\x00.txt", 1),
    ]
    assert read_excerpts(root, findings) == ()
    assert read_excerpts(root / "nope", [finding("app/views.py", 7)]) == ()


def test_large_files_are_skipped(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(excerpt_module, "MAX_FILE_BYTES", 64)
    (root / "big.py").write_text("x = 1\n" * 20)
    assert read_excerpts(root, [finding("big.py", 1)]) == ()


def test_one_excerpt_per_line_and_bounded_count(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(excerpt_module, "MAX_EXCERPTS", 2)
    findings = [finding("app/views.py", line) for line in (7, 7, 13, 20)]
    assert [e.focus for e in read_excerpts(root, findings)] == [7, 13]


def test_dynamic_findings_have_none(root: Path) -> None:
    dynamic = Finding("MG402", "t", "CWE-306", Severity.HIGH, Confidence.HIGH, None)
    assert read_excerpts(root, [dynamic]) == ()
