"""docs/certs.md documents every source, its default header names and every reason."""

from __future__ import annotations

from pathlib import Path

from mtlsguard.certs import REASONS, SOURCES

DOC = Path(__file__).resolve().parents[2] / "docs" / "certs.md"


def test_every_source_and_default_name_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name, source in SOURCES.items():
        row = next((line for line in text.splitlines() if line.startswith(f"| `{name}` |")), None)
        assert row is not None, f"source {name} missing from docs/certs.md"
        for role, header in source.default_names.items():
            assert f"`{role}` {header}" in row, f"{name}: role {role} ({header}) undocumented"


def test_every_reason_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for reason in REASONS:
        assert f"`{reason}`" in text, f"reason {reason} missing from docs/certs.md"
