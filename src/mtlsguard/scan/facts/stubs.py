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
"""

from __future__ import annotations

import ast

from mtlsguard.scan.facts.syntax import FunctionNode

__all__ = ["not_allowed_stub"]

_NOT_ALLOWED_RESPONSES = frozenset({"HttpResponseNotAllowed"})
_NOT_ALLOWED_ERRORS = frozenset({"MethodNotAllowed"})
_STATUS_NAMES = ("HTTP_405_METHOD_NOT_ALLOWED", "METHOD_NOT_ALLOWED")


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
