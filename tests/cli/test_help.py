"""Snapshots of ``mtlsguard scan --help`` and ``mtlsguard rules`` in a terminal 100 columns wide.

``MTLSGUARD_UPDATE_GOLDEN=1`` rewrites them; review the diff before committing it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from mtlsguard.cli.main import EXIT_OK, main

HELP = Path(__file__).resolve().parents[1] / "assets" / "help"
SNAPSHOT_PYTHON = (3, 11)
"""The Python whose argparse wrote the ``--help`` snapshots."""


def output(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 2
    out, err = capsys.readouterr()
    assert code == EXIT_OK, err
    return out


@pytest.mark.parametrize(
    ("name", "args"),
    [("scan-help.txt", ("scan", "--help")), ("rules.txt", ("rules",))],
)
def test_help_reads_well_at_100_columns(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, name: str, args: tuple[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    text = output(capsys, *args)
    assert max(len(line) for line in text.splitlines()) <= 100
    path = HELP / name
    if os.environ.get("MTLSGUARD_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    if name.endswith("-help.txt") and sys.version_info[:2] != SNAPSHOT_PYTHON:
        pytest.skip("argparse words its help differently on other Pythons (widths checked)")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs; see the diff"


def test_scan_help_has_groups_and_examples(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    text = output(capsys, "scan", "--help")
    headings = [line for line in text.splitlines() if line and not line.startswith(" ")]
    for group in ("static analysis:", "output:", "CI and exit code:", "examples:"):
        assert group in headings
    assert any(h.startswith("probe (with --probe URL") for h in headings)
    # the static options come before the ~35 probe options
    assert text.index("--select") < text.index("--cert")


def test_rules_explains_one_rule_as_the_docs_do(capsys: pytest.CaptureFixture[str]) -> None:
    page = output(capsys, "rules", "mg101")
    docs = Path(__file__).resolve().parents[2] / "docs" / "rules" / "MG101.md"
    assert docs.read_text(encoding="utf-8").endswith(page)
    with pytest.raises(SystemExit) as exited:
        main(["rules", "MG999"])
    assert exited.value.code == 2
    assert "no rule matches MG999" in capsys.readouterr().err
