"""The one error of the run layer: the run could not do its work (exit code 2)."""

from __future__ import annotations

__all__ = ["RunError"]


class RunError(Exception):
    """A run could not do its work; the message says why and, where it can, how to fix it.

    A missing project, an unreadable configuration or baseline, a tree where nothing could be
    scanned, a target that never answered: the command line prints the message and exits 2,
    never a clean result for work that was not done.
    """
