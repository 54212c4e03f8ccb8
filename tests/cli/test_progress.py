from __future__ import annotations

import io
import time

from mtlsguard.cli.progress import TerminalProgress


def test_bar_is_drawn_on_a_terminal_once_the_scan_is_slow() -> None:
    stream = io.StringIO()
    with TerminalProgress(stream, enabled=True, show_after=0.0, force_terminal=True) as progress:
        deadline = time.monotonic() + 5
        while not progress.shown and time.monotonic() < deadline:
            time.sleep(0.01)
        assert progress.shown
        progress(1, 4)
        progress(4, 4)
    output = stream.getvalue()
    assert "mtlsguard:" in output
    assert "4/4" in output or "1/4" in output


def test_fast_scans_and_disabled_bars_draw_nothing() -> None:
    for enabled, delay in ((True, 60.0), (False, 0.0)):
        stream = io.StringIO()
        with TerminalProgress(stream, enabled=enabled, show_after=delay, force_terminal=True) as p:
            p(1, 3)
            time.sleep(0.05)
            p(3, 3)
        assert not p.shown
        assert stream.getvalue() == ""
