r"""The set of request paths a route serves, as much as can be proven about it.

A route with no variable part (``path("login/")``, ``re_path(r"^login/$")``) serves one path:
any test of the path is decided on it. A route with a variable part (``<path:name>``,
``(?P<name>[\\w-]+)``) serves every path the attacker can spell with it, so a test is decided
only when it provably answers every such path the same way: from the literal text before the
first variable part (:attr:`RouteShape.prefix`), after the last one (:attr:`RouteShape.suffix`),
or, for a regex route, by the exempt regex being the route's own regex. Anything else (a flag
such as ``re.IGNORECASE``, an unanchored search, a suffix test on an open end) is undecided.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

__all__ = ["RouteShape", "decide", "full_path", "route_shape"]

_parser: Any = importlib.import_module("re._parser")
"""The standard library's regex parser (``sre_parse``)."""

_CONVERTER = re.compile(r"<(?:(\w+):)?\w+>")
_REGEX_CONVERTER = re.compile(r"(?<!\?P)<(?:\w+:)?\w+>")
_REGEX_CHARS = re.compile(r"[\\()\[\]*+?{}|.^$]")
_ANCHOR = re.compile(r"(?<![\[\\])\^|(?<!\\)\$")
_CONVERTERS: dict[str | None, str] = {
    None: "[^/]+",
    "str": "[^/]+",
    "int": "[0-9]+",
    "slug": "[-a-zA-Z0-9_]+",
    "uuid": "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    "path": ".+",
}
"""Django's converters' regexes (``django.urls.converters``)."""
_NO_SLASH_REGEX = {name: "[^/]+" for name in _CONVERTERS if name != "path"} | {"path": ".+"}
_URI_SAFE = re.compile(r"[A-Za-z0-9/:@&+$,\-_.!~*'()]*")
"""What ``escape_uri_path()`` leaves as is (``get_full_path()`` encodes the rest)."""
_CASELESS = re.IGNORECASE | re.LOCALE
_BROADER = re.UNICODE | re.VERBOSE | re.DOTALL | re.MULTILINE
"""Flags of an exempt regex under which it accepts at least what the route's own regex does."""


@dataclass(frozen=True, slots=True)
class RouteShape:
    """What every path of a route has in common (after the middleware's ``lstrip``)."""

    prefix: str
    """Literal start of every path (the whole path when :attr:`exact`)."""
    suffix: str
    """Literal end of every path (``""``: unknown)."""
    exact: bool
    """The route serves this one path."""
    whole: re.Pattern[str] | None = None
    """A regex every path of a ``path()`` route fully matches (a superset)."""
    shape: tuple[Any, ...] | None = None
    """A regex route's parsed regex (group numbers dropped), to compare with an exempt regex."""
    closed: bool = True
    """The route's regex must match the whole path (``$``, or a ``path()`` route)."""


def _ends_closed(pattern: str) -> bool:
    """A ``path()`` route (no anchor at all) or a regex ending with ``$``."""
    if not _ANCHOR.search(pattern):
        return True
    return pattern.endswith("$") and not pattern.endswith("\\$")


@lru_cache(maxsize=4096)
def route_shape(pattern: str, strip: str | None) -> RouteShape | None:
    """The shape of ``pattern``'s paths, ``lstrip(strip)`` applied; None when unknowable."""
    text = "/" + _ANCHOR.sub("", pattern)
    closed = _ends_closed(pattern)
    if _REGEX_CHARS.search(_CONVERTER.sub("", text)):
        return _regex_route(_REGEX_CONVERTER.sub("(?s:.+)", text), closed, strip)
    found = list(_CONVERTER.finditer(text))
    if not found:
        literal = text if strip is None else text.lstrip(strip)
        if closed:
            return RouteShape(literal, literal, True)
        return RouteShape(literal, "", False)
    prefix = text[: found[0].start()]
    suffix = text[found[-1].end() :] if closed else ""
    stripped = text if strip is None else text.lstrip(strip)
    whole = re.compile(_converter_regex(stripped, closed, _NO_SLASH_REGEX))
    shaped = _regex_route(_converter_regex(text, True, _CONVERTERS), closed, strip)
    if strip is not None:
        prefix = prefix.lstrip(strip)
        if not prefix:  # the stripping may go on into the variable part
            suffix = ""
    shape = shaped.shape if shaped is not None and prefix else None
    return RouteShape(prefix, suffix, False, whole=whole, shape=shape, closed=closed)


def full_path(route: RouteShape) -> RouteShape:
    """The shape of ``get_full_path()``: the encoded path, then a query string the caller picks.

    Only the start of the path stays known: up to its first character ``escape_uri_path()``
    would percent-encode.
    """
    prefix = route.prefix[: _URI_SAFE.match(route.prefix).end()]  # type: ignore[union-attr]
    return RouteShape(prefix, "", False)


def _converter_regex(text: str, closed: bool, regexes: dict[str | None, str]) -> str:
    """The regex of a ``path()`` route: ``regexes`` per converter (a custom one: anything)."""
    parts: list[str] = []
    last = 0
    for m in _CONVERTER.finditer(text):
        parts.append(re.escape(text[last : m.start()]))
        parts.append(regexes.get(m.group(1), "(?s:.+)"))
        last = m.end()
    parts.append(re.escape(text[last:]))
    if not closed:
        parts.append("(?s:.*)")
    return "".join(parts)


def _regex_route(text: str, closed: bool, strip: str | None) -> RouteShape | None:
    parsed = _parse(text)
    if parsed is None or parsed[0] & ~re.UNICODE:
        return None  # ``(?i)`` and other flags: the literal text says too little
    ops = list(parsed[1])
    literal = _leading_literal(ops)
    if strip is not None:
        kept = literal.lstrip(strip)
        if not kept and len(literal) < len(ops):
            return RouteShape("", "", False, closed=closed)
        ops = ops[len(literal) - len(kept) :]
        literal = kept
    if len(literal) == len(ops) and closed:
        return RouteShape(literal, literal, True)
    suffix = _leading_literal(ops[::-1])[::-1] if closed else ""
    return RouteShape(literal, suffix, False, shape=_normal(ops), closed=closed)


@lru_cache(maxsize=4096)
def _parse(text: str) -> tuple[int, tuple[tuple[Any, Any], ...]] | None:
    try:
        parsed = _parser.parse(text)
        return int(parsed.state.flags), tuple(parsed)
    except (re.error, ValueError, TypeError, IndexError, RecursionError, OverflowError):
        return None


def _leading_literal(ops: list[tuple[Any, Any]]) -> str:
    out: list[str] = []
    for op, arg in ops:
        if str(op) != "LITERAL":
            break
        out.append(chr(arg))
    return "".join(out)


def _normal(value: Any) -> Any:
    """A parsed regex as plain tuples, group numbers dropped (None: group references)."""
    if isinstance(value, list | tuple) or hasattr(value, "data"):
        items = value.data if hasattr(value, "data") else value
        out = []
        for item in items:
            if isinstance(item, tuple) and len(item) == 2 and hasattr(item[0], "name"):
                op, arg = item
                name = str(op)
                if name.startswith("GROUPREF"):
                    return None
                if name == "SUBPATTERN":
                    arg = (None, *arg[1:])
                out.append((name, _normal(arg)))
            else:
                out.append(_normal(item))
        return tuple(out)
    return value


def _exempt(value: str) -> tuple[int, bool, str, list[tuple[Any, Any]], bool] | None:
    """An exempt regex: flags, anchored at the start, literal prefix, body, anchored at end."""
    parsed = _parse(value)
    if parsed is None:
        return None
    flags, ops = parsed[0], list(parsed[1])
    anchored = bool(ops) and str(ops[0][1]) in ("AT_BEGINNING", "AT_BEGINNING_STRING")
    if anchored:
        ops = ops[1:]
    ends = bool(ops) and str(ops[-1][1]) in ("AT_END", "AT_END_STRING")
    if ends:
        ops = ops[:-1]
    return flags, anchored, _leading_literal(ops), ops, ends


def _disjoint(route: tuple[Any, ...], exempt: tuple[Any, ...], closed: bool) -> bool:
    """No path of the route starts with a match of the exempt regex (both parsed, aligned).

    Walks both from the start while they provably stand at the same position of the path:
    equal literals, or the same repeated character class followed on both sides by a literal
    outside that class (the repeat must stop right before it). Two different literals there,
    or a literal the other side's class cannot start with, make them disjoint.
    """
    for index, (mine, theirs) in enumerate(zip(route, exempt, strict=False)):
        if mine == theirs and mine[0] == "LITERAL":
            continue
        if mine[0] == "LITERAL" and theirs[0] == "LITERAL":
            return True
        ours, other = _single(mine), _single(theirs)
        if mine[0] == "LITERAL" and other is not None and other[0] >= 1:
            return _member(other[1], chr(mine[1])) is False
        if theirs[0] == "LITERAL" and ours is not None and ours[0] >= 1:
            return _member(ours[1], chr(theirs[1])) is False
        after = route[index + 1 : index + 2] + exempt[index + 1 : index + 2]
        if mine != theirs or ours is None:
            return False
        if closed and len(after) == 1 and index + 1 == len(route):
            # The route ends with the repeat; the exempt regex wants a literal after it.
            return after[0][0] == "LITERAL" and _member(ours[1], chr(after[0][1])) is False
        if len(after) != 2:
            return False
        if not all(op[0] == "LITERAL" and _member(ours[1], chr(op[1])) is False for op in after):
            return False
    if len(route) < len(exempt) and closed:
        ours = _single(exempt[len(route)])
        return exempt[len(route)][0] == "LITERAL" or (ours is not None and ours[0] >= 1)
    return False


def _single(op: tuple[str, Any]) -> tuple[int, tuple[str, Any]] | None:
    """A (repeated) one-character matcher: its minimum count and the matcher."""
    name, arg = op
    if name in ("LITERAL", "NOT_LITERAL", "ANY", "IN"):
        return 1, op
    if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and len(arg[2]) == 1:
        inner = _single(arg[2][0])
        return (arg[0], inner[1]) if inner is not None and inner[0] == 1 else None
    if name == "SUBPATTERN" and not arg[1] and not arg[2] and len(arg[3]) == 1:
        return _single(arg[3][0])
    return None


def _member(op: tuple[str, Any], char: str) -> bool | None:
    """Whether the one-character matcher accepts ``char`` (None: unsure)."""
    name, arg = op
    if not char.isascii():
        return None
    if name == "LITERAL":
        return chr(arg) == char
    if name == "NOT_LITERAL":
        return chr(arg) != char
    if name == "ANY":
        return True if char != "\n" else None
    if name != "IN":
        return None
    negate, hit = False, False
    for item, value in arg:
        if item == "NEGATE":
            negate = True
            continue
        found = _in_item(item, value, char)
        if found is None:
            return None
        hit = hit or found
    return hit != negate


def _in_item(item: str, value: Any, char: str) -> bool | None:
    if item == "LITERAL":
        return chr(value) == char
    if item == "RANGE":
        return bool(value[0] <= ord(char) <= value[1])
    if item != "CATEGORY":
        return None
    kind = str(value).removeprefix("CATEGORY_")
    negated = kind.startswith("NOT_")
    test = _CATEGORIES.get(kind.removeprefix("NOT_"))
    return None if test is None else test(char) != negated


_CATEGORIES = {
    "DIGIT": str.isdigit,
    "WORD": lambda c: c.isalnum() or c == "_",
    "SPACE": str.isspace,
}


def _differ(first: str, second: str) -> bool:
    """Neither is a prefix of the other: no string starts with both."""
    return not (first.startswith(second) or second.startswith(first))


def _regex(op: str, value: str, route: RouteShape) -> bool | None:
    """Whether ``re.<op>(value, path)`` finds a match on every path (True) or none (False)."""
    found = _exempt(value)
    if found is None:
        return None
    flags, anchored, literal, body, ends = found
    if flags & _CASELESS:
        return None
    rest = len(body) > len(literal)
    if op == "search" and not anchored:
        if not rest and not ends and (literal in route.prefix or literal in route.suffix):
            return True
        return True if _same(route, flags, body, ends) else None
    if op == "search" and flags & re.MULTILINE:
        return None
    if _differ(literal, route.prefix):
        return False
    exempt = _normal(body)
    if (
        route.shape is not None
        and exempt is not None
        and _disjoint(route.shape, exempt, route.closed)
    ):
        return False
    if op != "fullmatch" and not rest and not ends and route.prefix.startswith(literal):
        return True
    return True if _same(route, flags, body, ends or op == "fullmatch") else None


def _same(route: RouteShape, flags: int, body: list[tuple[Any, Any]], ends: bool) -> bool:
    """The exempt regex is the route's own: it matches every path the route serves."""
    if route.shape is None or flags & ~_BROADER or (ends and not route.closed):
        return False
    shape = _normal(body)
    return shape is not None and shape == route.shape


def decide(op: str, value: str, route: RouteShape) -> bool | None:
    """Whether the test ``op`` with ``value`` holds for every path (True), none (False)."""
    if route.exact:
        return _on_path(op, value, route.prefix)
    if op == "in":
        if route.whole is not None and not route.whole.fullmatch(value):
            return False
        return None
    if op == "startswith":
        if route.prefix.startswith(value):
            return True
        literal = tuple(("LITERAL", ord(c)) for c in value)
        if route.shape is not None and _disjoint(route.shape, literal, route.closed):
            return False
        return False if _differ(value, route.prefix) else None
    if op == "endswith":
        if route.suffix and route.suffix.endswith(value):
            return True
        differs = not (route.suffix.endswith(value) or value.endswith(route.suffix))
        return False if differs else None
    return _regex(op, value, route)


def _on_path(op: str, value: str, path: str) -> bool | None:
    if op == "in":
        return path == value
    if op == "startswith":
        return path.startswith(value)
    if op == "endswith":
        return path.endswith(value)
    parsed = _parse(value)
    if parsed is None or _backtracks(parsed[1], under=False):
        return None  # ``^(a+)+b`` may take exponential time on a hostile route's path
    try:
        return getattr(re, op)(value, path) is not None
    except (re.error, RecursionError, OverflowError):
        return None


_REPEATS = frozenset({"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"})


def _backtracks(items: Any, under: bool) -> bool:
    """A repeat or an alternation inside a repeat (``(a+)+``, ``(a|ab)*``): maybe exponential.

    Anything the walk does not know (a look-around, a conditional group) counts as one.
    """
    for op, arg in items:
        name = str(op)
        if name in _REPEATS:
            if under or _backtracks(arg[2], under=arg[1] > 1):
                return True
        elif name == "BRANCH":
            if under or any(_backtracks(alt, under) for alt in arg[1]):
                return True
        elif name == "SUBPATTERN":
            if _backtracks(arg[3], under):
                return True
        elif name == "ATOMIC_GROUP":
            if _backtracks(arg, under):
                return True
        elif name not in _FLAT:
            return True
    return False


_FLAT = frozenset({"LITERAL", "NOT_LITERAL", "ANY", "IN", "AT", "CATEGORY"})
"""Parsed regex items that match one character or a position (no backtracking of their own)."""
