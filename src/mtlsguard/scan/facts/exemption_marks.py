"""Per-view exemptions from a login middleware kept in a registry or a marker attribute.

A project middleware can refuse anonymous callers everywhere except on views that a decorator
registered (EvaP's ``RequireLoginMiddleware``)::

    VIEWS_WITHOUT_LOGIN_REQUIRED = WeakSet()

    def no_login_required(view):
        VIEWS_WITHOUT_LOGIN_REQUIRED.add(view)
        return view

    class RequireLoginMiddleware:
        def process_view(self, request, view_func, view_args, view_kwargs):
            if request.user.is_authenticated:
                return None
            if view_func in VIEWS_WITHOUT_LOGIN_REQUIRED:
                return None
            return redirect_to_login(request.get_full_path())

or the attribute form (``view.login_exempt = True`` in the decorator,
``getattr(view_func, "login_exempt", False)`` in the middleware). A mark is named by the last
identifier of the registry (``VIEWS_WITHOUT_LOGIN_REQUIRED``) or by ``.`` and the attribute
(``.login_exempt``), so the decorator and the middleware agree whichever module each sits in.
"""

from __future__ import annotations

import ast

from mtlsguard.scan import walking
from mtlsguard.scan.body_records import ExemptionMarks
from mtlsguard.scan.facts.syntax import FunctionNode

__all__ = ["exemption_marks"]

_RECORDING_METHODS = frozenset({"add", "append", "update", "extend", "setdefault"})
_ATTRIBUTE_READERS = frozenset({"getattr", "hasattr"})


def exemption_marks(func: FunctionNode) -> ExemptionMarks:
    """What ``func`` records about its first argument, and the marks its tests look for."""
    return ExemptionMarks(records=_recorded(func), tests=_tested(func))


def _first_param(func: FunctionNode) -> str | None:
    params = [*func.args.posonlyargs, *func.args.args]
    return params[0].arg if params else None


def _recorded(func: FunctionNode) -> str:
    """The mark of a decorator that records its argument and returns it unchanged."""
    param = _first_param(func)
    last = func.body[-1] if func.body else None
    if (
        param is None
        or not isinstance(last, ast.Return)
        or not (isinstance(last.value, ast.Name) and last.value.id == param)
    ):
        return ""
    for stmt in func.body[:-1]:
        mark = _records(stmt, param)
        if mark:
            return mark
    return ""


def _records(stmt: ast.stmt, param: str) -> str:
    """``REGISTRY.add(view)``, ``view.attr = value`` or ``setattr(view, "attr", value)``."""
    if isinstance(stmt, ast.Assign | ast.AnnAssign):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        for target in targets:
            if isinstance(target, ast.Attribute) and _is_name(target.value, param):
                return "." + target.attr
        return ""
    if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
        return ""
    call = stmt.value
    func = call.func
    if (
        isinstance(func, ast.Attribute)
        and func.attr in _RECORDING_METHODS
        and any(_is_name(arg, param) for arg in call.args)
    ):
        return _last_identifier(func.value)
    if _is_name(func, "setattr") and len(call.args) >= 2 and _is_name(call.args[0], param):
        name = call.args[1]
        if isinstance(name, ast.Constant) and isinstance(name.value, str):
            return "." + name.value
    return ""


def _tested(func: FunctionNode) -> tuple[str, ...]:
    """Registries tested by membership and attributes read by name (``getattr(v, "x", ...)``)."""
    found: list[str] = []
    for node in walking.walk(func):
        if isinstance(node, ast.Compare):
            for op, right in zip(node.ops, node.comparators, strict=True):
                if isinstance(op, ast.In | ast.NotIn):
                    mark = _last_identifier(right)
                    if mark:
                        found.append(mark)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in _ATTRIBUTE_READERS
            and len(node.args) >= 2
        ):
            name = node.args[1]
            if isinstance(name, ast.Constant) and isinstance(name.value, str):
                found.append("." + name.value)
    return tuple(dict.fromkeys(found))


def _last_identifier(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _is_name(node: ast.expr, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name
