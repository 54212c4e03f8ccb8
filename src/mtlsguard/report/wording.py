"""Small wording helpers every format shares: counts of things, and routes people can read.

A ``re_path()`` route is a regex (pretix: ``^api/v1/organizers/(?P<organizer>[^/]+)/$``);
reports show it as the path it matches, ``/api/v1/organizers/<organizer>/``, the way Django's
``path()`` routes read. The JSON report keeps the pattern as written.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["plural", "readable_route", "sentence"]

#: A named group, whose body may hold one level of parentheses or a character class.
_NAMED_GROUP: Final = re.compile(r"\(\?P<(?P<name>\w+)>(?:\[[^\]]*\]|\([^()]*\)|[^()\[\]])*\)")
_ESCAPED: Final = re.compile(r"\\([./\-_~:])")


def plural(count: int, noun: str) -> str:
    """``1 finding``, ``2 findings``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def sentence(text: str) -> str:
    """``text`` ending in a full stop (unless it ends in other punctuation already)."""
    stripped = text.rstrip()
    return stripped if not stripped or stripped[-1] in ".!?:;" else stripped + "."


def readable_route(pattern: str) -> str:
    """The route as a path: ``/`` first, a regex's anchors, escapes and named groups undone."""
    text = pattern
    if text.startswith("^") or text.endswith("$") or "(?P<" in text:
        text = _NAMED_GROUP.sub(lambda m: f"<{m.group('name')}>", text)
        text = text.removeprefix("^").removesuffix("$").removesuffix(r"\Z")
        text = _ESCAPED.sub(r"\1", text)
    return "/" + text.lstrip("/")
