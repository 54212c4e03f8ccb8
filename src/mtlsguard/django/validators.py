"""Validators for the ``MTLSGUARD`` dict.

Each returns the clean value or raises ``ImproperlyConfigured`` naming the key and the fix.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

__all__ = [
    "boolean",
    "choice",
    "fail",
    "header_name",
    "integer",
    "merge",
    "regex",
    "strings",
]


def fail(key: str, problem: str, fix: str) -> ImproperlyConfigured:
    """The error for ``MTLSGUARD[key]``: what is wrong and how to fix it."""
    return ImproperlyConfigured(f"MTLSGUARD[{key}] {problem}. {fix}")


def merge(user: Mapping[str, Any], defaults: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """``user`` over ``defaults``, recursively for nested dicts; unknown keys are errors."""
    unknown = sorted(set(user) - set(defaults))
    if unknown:
        raise fail(
            prefix or "...",
            f"has unknown key(s) {unknown}",
            f"Valid keys are {sorted(defaults)}; check the spelling (see docs/django.md).",
        )
    merged: dict[str, Any] = {}
    for key, default in defaults.items():
        value = user.get(key, default)
        name = f"{prefix}{key!r}" if not prefix else f"{prefix}][{key!r}"
        if isinstance(default, dict) and key in user:
            if not isinstance(value, Mapping):
                raise fail(name, f"must be a dict, not {type(value).__name__}", "Use a dict.")
            if key != "HEADERS":
                value = merge(value, default, name)
        merged[key] = value
    return merged


def boolean(value: Any, key: str) -> bool:
    """A real ``bool``."""
    if not isinstance(value, bool):
        raise fail(key, f"must be True or False, not {value!r}", "Use a boolean.")
    return value


def integer(value: Any, key: str, minimum: int) -> int:
    """An ``int`` (not a ``bool``) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise fail(key, f"must be an integer >= {minimum}, not {value!r}", "Fix the number.")
    return value


def strings(value: Any, key: str) -> tuple[str, ...]:
    """One string/path or a list of them, as a tuple of strings."""
    if isinstance(value, str | Path):
        value = [value]
    if not isinstance(value, Sequence | set | frozenset) or not all(
        isinstance(v, str | Path) for v in value
    ):
        raise fail(key, f"must be a list of strings, not {value!r}", "Use a list of strings.")
    return tuple(str(v) for v in value)


def header_name(value: Any, key: str) -> str | None:
    """An HTTP header name, or ``None``."""
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9-]+", value):
        raise fail(key, f"is {value!r}", "Use a header name like 'X-Request-ID', or None.")
    return value


def choice(value: Any, key: str, choices: tuple[Any, ...]) -> Any:
    """One of ``choices``."""
    if value not in choices:
        raise fail(key, f"is {value!r}", f"Use one of {list(choices)}.")
    return value


def regex(value: Any, key: str) -> re.Pattern[str] | None:
    """A compiled pattern with a capturing group, or ``None``."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise fail(key, f"must be a regular expression string, not {value!r}", "Use a string.")
    try:
        pattern = re.compile(value)
    except re.error as exc:
        raise fail(key, f"is not a valid regular expression ({exc})", "Fix the pattern.") from exc
    if pattern.groups < 1:
        raise fail(key, "has no capturing group", "Put the username in group 1, e.g. CN=(.*?),")
    return pattern
