"""Whether a middleware's path condition (:mod:`~mtlsguard.scan.facts.path_gate`) refuses a route.

The route's pattern stands for the request paths it serves: ``/`` + the pattern, with each
converter (``<int:pk>``) any value it accepts. A test of the path is decided when every such
path answers it the same way as far as a sample can tell: exact values (``in``) by matching
each literal against the route; prefixes, suffixes and regular expressions on a sample path
(converters filled in). A regex route (``re_path``) or a value the settings do not give
literally leaves the test undecided, and three-valued logic carries that to the answer.
"""

from __future__ import annotations

import re

from mtlsguard.scan.body_records import PathCond, PathTest
from mtlsguard.scan.project_model import Const, Expr, Seq, SettingsModel

__all__ = ["refuses_route"]

_CONVERTER = re.compile(r"<(?:(\w+):)?\w+>")
_SAMPLES = {"int": "1", "path": "a/b", "uuid": "00000000-0000-0000-0000-000000000000"}
_REGEX_CHARS = re.compile(r"[\\()\[\]*+?{}|.^$]")


def _route_forms(pattern: str, strip: str | None) -> tuple[str, re.Pattern[str]] | None:
    """A sample path of the route and a regex of all its paths; None for a regex route."""
    text = "/" + pattern.replace("^", "").replace("$", "")
    if strip is not None:
        text = text.lstrip(strip)
    bare = _CONVERTER.sub("", text)
    if _REGEX_CHARS.search(bare):
        return None
    sample = _CONVERTER.sub(lambda m: _SAMPLES.get(m.group(1) or "str", "x"), text)
    parts: list[str] = []
    last = 0
    for m in _CONVERTER.finditer(text):
        parts.append(re.escape(text[last : m.start()]))
        parts.append(".+" if m.group(1) == "path" else "[^/]+")
        last = m.end()
    parts.append(re.escape(text[last:]))
    return sample, re.compile("".join(parts))


def _literals(test: PathTest, settings: SettingsModel | None) -> tuple[str, ...] | None:
    if not test.setting:
        return test.values
    found = settings.get(test.setting) if settings is not None else None
    if found is None or found.conditional:
        return None
    return _strings(found.value)


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
        return any(whole.fullmatch(v) for v in values)
    if test.op == "startswith":
        return any(sample.startswith(v) for v in values)
    if test.op == "endswith":
        return any(sample.endswith(v) for v in values)
    try:
        return any(getattr(re, test.op)(v, sample) is not None for v in values)
    except re.error:
        return None


def refuses_route(cond: PathCond, pattern: str, settings: SettingsModel | None) -> bool | None:
    """Whether the middleware refuses anonymous requests to ``pattern``'s paths (None: unsure)."""
    if cond.kind == "const":
        return cond.value
    if cond.kind == "test" and cond.test is not None:
        return _test(cond.test, pattern, settings)
    if cond.kind == "not":
        inner = refuses_route(cond.parts[0], pattern, settings)
        return None if inner is None else not inner
    if cond.kind in ("and", "or"):
        answers = [refuses_route(p, pattern, settings) for p in cond.parts]
        decisive = cond.kind == "or"
        if decisive in answers:
            return decisive
        return None if None in answers else not decisive
    return None
