"""The evaluator's signal that a value is not static, importable without the evaluator.

The URLconf walker catches it around every factory it runs; the evaluator itself
(:mod:`mtlsguard.scan.static.evaluation` and its ``eval_*`` modules) loads only when a URLconf
has a factory or a loop to run.
"""

from __future__ import annotations

__all__ = ["NotStatic"]


class NotStatic(Exception):
    """The value depends on something the evaluator does not know (or its budget ran out)."""
