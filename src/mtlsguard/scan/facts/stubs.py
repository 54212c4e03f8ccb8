"""Handlers that serve nothing: the whole body answers "405 Method Not Allowed".

A base view often defines ``get()``/``post()`` only to refuse them until a subclass overrides
one (``def get(self, request): return HttpResponse(status=405)``). Such a handler serves no
data and changes nothing, so a route whose other method is protected is not "open" through it.
Recognised bodies (a docstring and ``pass`` aside, one statement):

- ``return <any response>(..., status=405)`` (also ``status=HTTPStatus.METHOD_NOT_ALLOWED`` or
  DRF's ``status.HTTP_405_METHOD_NOT_ALLOWED``);
- ``return HttpResponseNotAllowed(...)`` (Django);
- ``return self.http_method_not_allowed(...)`` (Django's ``View``);
- ``raise MethodNotAllowed(...)`` (DRF's exception, answered with 405).

:func:`serves_nothing` is wider: a handler whose *first* statement (a docstring aside) answers
unconditionally with a server error or "not implemented" (``return HttpResponse("Not
implemented yet.", status=500)``, ``HttpResponseServerError(...)``, ``status=501``) or raises
``NotImplementedError``/``Http404``: whatever code follows never runs, so the view serves and
changes nothing (a placeholder left routed).
"""

from __future__ import annotations

import ast
import copy

from mtlsguard.scan.facts.syntax import FunctionNode

__all__ = ["not_allowed_stub", "serves_nothing"]

_NOT_ALLOWED_RESPONSES = frozenset({"HttpResponseNotAllowed"})
_NOT_ALLOWED_ERRORS = frozenset({"MethodNotAllowed"})
_STATUS_NAMES = ("HTTP_405_METHOD_NOT_ALLOWED", "METHOD_NOT_ALLOWED")
_SERVER_ERROR_RESPONSES = frozenset({"HttpResponseServerError"})
_NOTHING_ERRORS = frozenset({"NotImplementedError", "Http404"})
_SERVER_ERROR_NAMES = ("INTERNAL_SERVER_ERROR", "NOT_IMPLEMENTED")


def not_allowed_stub(func: FunctionNode) -> bool:
    """True if the body's only statement answers 405 (see the module docstring)."""
    body = [stmt for stmt in func.body if not _filler(stmt)]
    if len(body) != 1:
        return False
    stmt = body[0]
    if isinstance(stmt, ast.Raise):
        raised = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
        return raised is not None and _name(raised) in _NOT_ALLOWED_ERRORS
    if not (isinstance(stmt, ast.Return) and isinstance(stmt.value, ast.Call)):
        return False
    call = stmt.value
    callee = call.func
    if _name(callee) in _NOT_ALLOWED_RESPONSES:
        return True
    if (
        isinstance(callee, ast.Attribute)
        and callee.attr == "http_method_not_allowed"
        and isinstance(callee.value, ast.Name)
        and callee.value.id == "self"
    ):
        return True
    return any(kw.arg == "status" and _is_405(kw.value) for kw in call.keywords)


def _filler(stmt: ast.stmt) -> bool:
    """A docstring or ``pass``."""
    if isinstance(stmt, ast.Pass):
        return True
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _is_405(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return node.value == 405 and not isinstance(node.value, bool)
    return _name(node) in _STATUS_NAMES


def serves_nothing(func: FunctionNode) -> bool:
    """True if the first statement answers 5xx or raises "not implemented"/404 unconditionally.

    See the module docstring; a 405 stub (:func:`not_allowed_stub`) counts too.
    """
    body = [stmt for stmt in func.body if not _filler(stmt)]
    if not body:
        return False
    stmt = body[0]
    first = copy.copy(func)
    first.body = [stmt]
    if not_allowed_stub(first):
        return True
    if isinstance(stmt, ast.Raise):
        raised = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
        return raised is not None and _name(raised) in _NOTHING_ERRORS
    if not (isinstance(stmt, ast.Return) and isinstance(stmt.value, ast.Call)):
        return False
    call = stmt.value
    if _name(call.func) in _SERVER_ERROR_RESPONSES:
        return True
    return any(kw.arg == "status" and _is_5xx(kw.value) for kw in call.keywords)


def _is_5xx(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        value = node.value
        return isinstance(value, int) and not isinstance(value, bool) and 500 <= value <= 599
    name = _name(node)
    return name.startswith("HTTP_5") or name in _SERVER_ERROR_NAMES
