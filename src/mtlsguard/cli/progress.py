"""Progress bars on the terminal while a large tree is scanned or a probe runs (``rich``).

The engine reports ``progress(done, total)`` in steps (parse, then one step per rule). How
large a tree is shows only in how long it takes, so the bar appears only once a scan has run
for :data:`SHOW_AFTER_SECONDS`: a small project never sees a bar flash by, a large one sees
"parsing" and then the rules advance. Nothing is drawn unless enabled (a TTY, no
``--no-progress``); the bar is transient and leaves nothing behind on the terminal.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import IO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

__all__ = ["SHOW_AFTER_SECONDS", "ProbeProgress", "TerminalProgress"]

SHOW_AFTER_SECONDS = 0.5
"""Scans that finish sooner never show a bar."""


class TerminalProgress:
    """Context manager and engine progress callback.

    ``with TerminalProgress(sys.stderr, enabled=sys.stderr.isatty()) as progress:
    scan_project(root, progress=progress)``
    """

    def __init__(
        self,
        stream: IO[str],
        *,
        enabled: bool,
        show_after: float = SHOW_AFTER_SECONDS,
        force_terminal: bool | None = None,
    ) -> None:
        self.enabled = enabled
        self.show_after = show_after
        self._console = Console(file=stream, force_terminal=force_terminal, highlight=False)
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._done = 0
        self._total: int | None = None
        self._finished = False

    @property
    def shown(self) -> bool:
        """Whether the bar has been drawn."""
        return self._progress is not None

    def __enter__(self) -> TerminalProgress:
        if self.enabled:
            self._timer = threading.Timer(self.show_after, self._show)
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            self._finished = True
            if self._progress is not None:
                self._progress.stop()

    def _description(self) -> str:
        return "parsing the project" if self._done == 0 else "running rules"

    def _show(self) -> None:
        with self._lock:
            if self._finished or self._progress is not None:
                return
            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("mtlsguard: {task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=self._console,
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task(
                self._description(), total=self._total, completed=self._done
            )

    def __call__(self, done: int, total: int) -> None:
        """The engine's callback: ``done`` of ``total`` steps are complete."""
        with self._lock:
            self._done, self._total = done, total
            if self._progress is not None and self._task is not None:
                self._progress.update(
                    self._task, completed=done, total=total, description=self._description()
                )


class ProbeProgress:
    """A transient bar over the concrete paths a probe requests (only when enabled)."""

    def __init__(self, stream: IO[str], *, enabled: bool) -> None:
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        if enabled:
            self._progress = Progress(
                TextColumn("mtlsguard probe"),
                BarColumn(),
                MofNCompleteColumn(),
                console=Console(file=stream),
                transient=True,
            )

    def __enter__(self) -> ProbeProgress:
        if self._progress is not None:
            self._progress.start()
            self._task = self._progress.add_task("probe", total=None)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def __call__(self, done: int, total: int) -> None:
        """The probe's callback: ``done`` of ``total`` concrete paths are complete."""
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=done, total=total)
