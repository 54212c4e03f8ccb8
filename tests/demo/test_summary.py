"""The demo's side-by-side summary: its columns."""

from __future__ import annotations

from mtlsguard.demo.summary import _row


def test_a_wide_cell_never_runs_into_the_next() -> None:
    """Before: ``1 critical, 2 high, 2 medium, 1 lownone`` (the vulnerable side's counts ran
    into the hardened side's ``none``)."""
    wide = "1 critical, 2 high, 2 medium, 1 low"
    line = _row("Static scan", wide, "none")
    assert f"{wide}  none" in line
    assert "lownone" not in line
    # short cells still line up in their columns
    short = _row("Probe over mTLS", "2 high", "none")
    assert short.index("none") == 2 + 30 + 34  # indent, label column, first cell column
