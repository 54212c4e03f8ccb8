"""Whether a middleware's path condition (:mod:`~mtlsguard.scan.facts.path_gate`) refuses a route.

The route's pattern stands for the request paths it serves: ``/`` + the pattern, with each
converter (``<int:pk>``) or regex group any value the attacker spells
(:mod:`~mtlsguard.scan.analysis.route_paths`). A test of the path is decided only when it
answers every such path the same way; a value the settings do not give literally, or a test the
route's literal text cannot settle, leaves it undecided, and three-valued logic carries that to
the answer.
"""

from __future__ import annotations

from mtlsguard.scan.analysis.route_paths import decide, full_path, route_shape
from mtlsguard.scan.body_records import PathCond, PathTest
from mtlsguard.scan.project_model import Const, Expr, Seq, SettingsModel
from mtlsguard.scan.static.folding import static_string
from mtlsguard.scan.static.url_entries import DYNAMIC

__all__ = ["refuses_route"]

_MOUNTS = ("", "mount/")


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
        if test.listed and not isinstance(found.value, Seq):
            return None  # ``path in settings.OPEN`` with a string: a substring test
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
    """Whether the test holds on every path of the route (True), on none (False)."""
    values = _literals(test, settings)
    route = route_shape(pattern, test.lstrip)
    if values is None or route is None or (test.full and test.op != "startswith"):
        return None
    if test.full:
        route = full_path(route)
    answers = [decide(test.op, value, route) for value in values]
    if True in answers:
        return True
    return None if None in answers else False


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
