"""Whether a middleware's path condition (:mod:`~mtlsguard.scan.facts.path_gate`) refuses a route.

The route's pattern stands for the request paths it serves: ``/`` + the pattern, with each
converter (``<int:pk>``) any value it accepts. A test of the path is decided when every such
path answers it the same way as far as a sample can tell: exact values (``in``) by matching
each literal against the route; prefixes, suffixes and regular expressions on a sample path
(converters filled in). A regex route (``re_path``) or a value the settings do not give
literally leaves the test undecided, and three-valued logic carries that to the answer.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

from mtlsguard.scan.body_records import PathCond, PathTest
from mtlsguard.scan.project_model import Const, Expr, Seq, SettingsModel
from mtlsguard.scan.static.folding import static_string
from mtlsguard.scan.static.url_entries import DYNAMIC

__all__ = ["refuses_route"]

_CONVERTER = re.compile(r"<(?:(\w+):)?\w+>")
_SAMPLES = {"int": "1", "path": "a/b", "uuid": "00000000-0000-0000-0000-000000000000"}
_REGEX_CHARS = re.compile(r"[\\()\[\]*+?{}|.^$]")
_ANCHOR = re.compile(r"(?<![\[\\])\^|(?<!\\)\$")
_MOUNTS = ("", "mount/")
_parser: Any = importlib.import_module("re._parser")
"""The standard library's regex parser (``sre_parse``), to generate a path a route accepts."""


def _route_forms(pattern: str, strip: str | None) -> tuple[str, re.Pattern[str] | None] | None:
    """A sample path of the route and a regex of all its paths (None for a regex route).

    A ``re_path`` route is sampled by generating a string its regex accepts; None when that
    fails.
    """
    text = "/" + _ANCHOR.sub("", pattern)
    if strip is not None:
        text = text.lstrip(strip)
    if _REGEX_CHARS.search(_CONVERTER.sub("", text)):
        sample = _regex_sample(text)
        return (sample, None) if sample is not None else None
    sample = _CONVERTER.sub(lambda m: _SAMPLES.get(m.group(1) or "str", "x"), text)
    return sample, _converter_regex(text)


def _converter_regex(text: str) -> re.Pattern[str]:
    parts: list[str] = []
    last = 0
    for m in _CONVERTER.finditer(text):
        parts.append(re.escape(text[last : m.start()]))
        parts.append(".+" if m.group(1) == "path" else "[^/]+")
        last = m.end()
    parts.append(re.escape(text[last:]))
    return re.compile("".join(parts))


def _regex_sample(text: str) -> str | None:
    """A path the route regex ``text`` accepts (checked), or None."""
    try:
        parsed = _parser.parse(text)
        sample = _generate(list(parsed))
    except (re.error, ValueError, TypeError, IndexError, RecursionError):
        return None
    try:
        return sample if sample is not None and re.fullmatch(text, sample) else None
    except re.error:
        return None


def _generate(items: list[tuple[Any, Any]]) -> str | None:
    out: list[str] = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, _high, sub = arg
            piece = _generate(list(sub))
            if piece is None:
                return None
            out.append(piece * max(low, 1))
        elif name == "SUBPATTERN":
            piece = _generate(list(arg[-1]))
            if piece is None:
                return None
            out.append(piece)
        elif name == "BRANCH":
            piece = _generate(list(arg[1][0]))
            if piece is None:
                return None
            out.append(piece)
        elif name == "IN":
            out.append(_char_in(list(arg)))
        elif name == "ANY":
            out.append("x")
        elif name != "AT":
            return None
    return "".join(out)


def _char_in(items: list[tuple[Any, Any]]) -> str:
    """A character of a class (checked by the caller's full match)."""
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            return chr(arg)
        if name == "RANGE":
            return chr(arg[0])
        if name == "CATEGORY":
            return "1" if "DIGIT" in str(arg) else "x"
    return "x"


def _literals(test: PathTest, settings: SettingsModel | None) -> tuple[str, ...] | None:
    """Every string the test compares with; None when a setting is not known literally.

    A list an ``if`` may only add to (:attr:`SettingValue.additive`) gives every item that may
    be there; a string setting read from the environment takes its default, as shipped.
    """
    values = list(test.values)
    for name in test.settings:
        found = settings.get(name) if settings is not None else None
        if found is None or (found.conditional and not found.additive):
            return None
        items = _strings(found.value)
        if items is None:
            return None
        values.extend(items)
    for name, strip in test.strings:
        found = settings.get(name) if settings is not None else None
        text = static_string(found.value) if found is not None else None
        if text is None:
            return None
        values.append(text.lstrip(strip) if strip is not None else text)
    return tuple(values)


def _strings(expr: Expr) -> tuple[str, ...] | None:
    items = expr.items if isinstance(expr, Seq) else (expr,)
    out = tuple(i.value for i in items if isinstance(i, Const) and isinstance(i.value, str))
    return out if len(out) == len(items) else None


def _test(test: PathTest, pattern: str, settings: SettingsModel | None) -> bool | None:
    values = _literals(test, settings)
    forms = _route_forms(pattern, test.lstrip)
    if values is None or forms is None:
        return None
    sample, whole = forms
    if test.op == "in":
        return any(whole.fullmatch(v) for v in values) if whole is not None else None
    return _sample_test(test.op, values, sample)


def _sample_test(op: str, values: tuple[str, ...], sample: str) -> bool | None:
    if op == "startswith":
        return any(sample.startswith(v) for v in values)
    if op == "endswith":
        return any(sample.endswith(v) for v in values)
    try:
        return any(getattr(re, op)(v, sample) is not None for v in values)
    except re.error:
        return None


def refuses_route(cond: PathCond, pattern: str, settings: SettingsModel | None) -> bool | None:
    """Whether the middleware refuses anonymous requests to ``pattern``'s paths (None: unsure).

    A prefix the scan could not compute (``<dynamic>``: a URL prefix read from the database or
    the environment) is tried empty and as a mount point: the route is behind the wall only if
    every try refuses, open if one lets the anonymous caller through (the exempt regexes are
    usually written for the same prefix, so the empty one is the shipped configuration).
    """
    if DYNAMIC not in pattern:
        return _refuses(cond, pattern, settings)
    answers = [_refuses(cond, pattern.replace(DYNAMIC, mount), settings) for mount in _MOUNTS]
    if False in answers:
        return False
    return None if None in answers else True


def _refuses(cond: PathCond, pattern: str, settings: SettingsModel | None) -> bool | None:
    if cond.kind == "const":
        return cond.value
    if cond.kind == "test" and cond.test is not None:
        return _test(cond.test, pattern, settings)
    if cond.kind == "not":
        inner = _refuses(cond.parts[0], pattern, settings)
        return None if inner is None else not inner
    if cond.kind in ("and", "or"):
        answers = [_refuses(p, pattern, settings) for p in cond.parts]
        decisive = cond.kind == "or"
        if decisive in answers:
            return decisive
        return None if None in answers else not decisive
    return None
