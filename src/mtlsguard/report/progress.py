"""A progress bar on the terminal while a large tree is scanned (``rich.progress``).

The engine calls the object with its progress; nothing is drawn unless the stream is a TTY and
the tree is large enough for a bar to help (a bar that flashes for 50 ms is noise).
"""

from __future__ import annotations

from types import TracebackType
from typing import IO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

__all__ = ["MIN_FILES_FOR_BAR", "TerminalProgress"]

MIN_FILES_FOR_BAR = 200
"""Trees with fewer files than this get no bar."""


class TerminalProgress:
    """Context manager and progress callback: ``with TerminalProgress(sys.stderr) as p: ...``."""

    def __init__(self, stream: IO[str], *, enabled: bool, min_files: int = MIN_FILES_FOR_BAR):
        self.enabled = enabled
        self.min_files = min_files
        self._console = Console(file=stream, stderr=True, highlight=False)
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self.calls = 0

    def __enter__(self) -> TerminalProgress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def __call__(self, done: int, total: int, path: str = "") -> None:
        """Record that ``done`` of ``total`` files are processed; ``path`` is the current one."""
        self.calls += 1
        if not self.enabled or total < self.min_files:
            return
        if self._progress is None:
            self._progress = Progress(
                TextColumn("scanning"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.description}"),
                console=self._console,
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("", total=total)
        assert self._task is not None
        self._progress.update(self._task, completed=done, total=total, description=path[-60:])
