"""Routes a URLconf declares only under ``if settings.DEBUG:`` (development-only routes).

Weblate serves ``MEDIA_ROOT`` with ``django.views.static.serve`` inside ``if settings.DEBUG:``;
Django's own ``static()`` helper does the same. Such a route exists only while the settings say
DEBUG, which Django's deployment checklist forbids in production: the rules still see it, and
say so (:attr:`~mtlsguard.scan.project_model.RouteModel.debug_only`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import replace

from mtlsguard.scan.project_model import RouteModel
from mtlsguard.scan.static.modules import ModuleFiles

__all__ = ["debug_only_since", "mark_debug_only"]


def mark_debug_only(
    routes: list[RouteModel], trees: Iterable[ModuleFiles | None]
) -> list[RouteModel]:
    """``routes`` with :attr:`RouteModel.debug_only` set where declared under a DEBUG test."""
    modules = {
        module.relpath: module.tree
        for tree in trees
        if tree is not None
        for module in tree.modules.values()
        if module is not None
    }
    ranges: dict[str, list[tuple[int, int]]] = {}
    marked: list[RouteModel] = []
    for route in routes:
        at = route.declared_at
        tree = modules.get(at.path) if at is not None else None
        if at is None or tree is None or route.debug_only:
            marked.append(route)
            continue
        if at.path not in ranges:
            ranges[at.path] = list(_debug_blocks(tree.body))
        if any(first <= at.line <= last for first, last in ranges[at.path]):
            route = replace(route, debug_only=True)
        marked.append(route)
    return marked


def debug_only_since(routes: list[RouteModel], start: int, test: ast.expr) -> None:
    """Mark ``routes[start:]`` debug-only when the body of an ``if test:`` added them.

    ``if settings.DEBUG: urlpatterns += debug_urls.urlpatterns`` (or ``include(...)``): routes
    declared in another module, development-only because of where they are added (those
    declared inside such a block are marked by :func:`mark_debug_only` from their line).
    """
    if not _debug_test(test):
        return
    for index in range(start, len(routes)):
        routes[index] = replace(routes[index], debug_only=True)


def _debug_blocks(body: list[ast.stmt]) -> Iterator[tuple[int, int]]:
    """Line ranges of module-level ``if`` bodies taken only when DEBUG is on."""
    for stmt in body:
        if isinstance(stmt, ast.If):
            if _debug_test(stmt.test) and stmt.body:
                yield stmt.body[0].lineno, stmt.body[-1].end_lineno or stmt.body[-1].lineno
            else:
                yield from _debug_blocks(stmt.body)
            yield from _debug_blocks(stmt.orelse)
        elif isinstance(stmt, ast.Try):
            yield from _debug_blocks(stmt.body)


def _debug_test(test: ast.expr) -> bool:
    """``settings.DEBUG``, ``DEBUG`` or ``settings.DEBUG and ...`` (never ``not DEBUG``)."""
    if isinstance(test, ast.Attribute | ast.Name):
        return (test.attr if isinstance(test, ast.Attribute) else test.id) == "DEBUG"
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return any(_debug_test(value) for value in test.values)
    return False
