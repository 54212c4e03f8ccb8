"""A fetched object asked about the user by a method of its own model (set A pattern T).

``book_list = get_object_or_404(List, id=list_id)`` then ``book_list.raise_not_deletable(
request.user)``: a model method given the requesting user that raises ``PermissionDenied``/
``Http404`` unless the user may act on it is the object-level check. Also one level through a
form built on the object: ``form = ListForm(request.POST, instance=book_list)`` then
``form.save(request)``, whose ``save()`` calls ``self.instance.raise_not_editable(
request.user)``. Three facts, joined by :mod:`mtlsguard.scan.analysis.object_methods`:

- :func:`object_method_calls` (the view): calls on a fetched object, or on a form given it as
  ``instance=``, handed the requesting user (or the request);
- :func:`user_check_params` (the model method): parameters an ``if`` tests before it raises a
  refusal or returns early in a body that raises one;
- :func:`instance_checks` (the form method): ``self.instance.<method>(<param>.user)`` calls.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator

from mtlsguard.scan.facts.refusals import REFUSAL_ERRORS
from mtlsguard.scan.facts.syntax import FunctionNode, own_nodes

__all__ = ["instance_checks", "object_method_calls", "super_delegates", "user_check_params"]

ObjectMethodCall = tuple[int, str, str, tuple[int, ...]]
"""``(lookup line, form class or "", method, positions of the user/request arguments)``."""


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements that run unconditionally (through ``with`` and ``try`` bodies)."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, ast.With | ast.AsyncWith | ast.Try):
            yield from _statements(stmt.body)


def _user_or_request(arg: ast.expr) -> bool:
    """``request``, ``request.user``, ``self.request.user``."""
    text = ast.unparse(arg)
    return text in ("request", "self.request") or text.endswith("request.user")


def _call_of(stmt: ast.stmt) -> ast.Call | None:
    value = stmt.value if isinstance(stmt, ast.Expr | ast.Assign | ast.Return) else None
    return value if isinstance(value, ast.Call) else None


def object_method_calls(
    func: FunctionNode, lookup_lines: set[int], callee: Callable[[ast.Call], str]
) -> tuple[ObjectMethodCall, ...]:
    """Methods called on a fetched object (or a form on it) with the requesting user."""
    fetched: dict[str, int] = {}
    forms: dict[str, tuple[int, str]] = {}
    found: list[ObjectMethodCall] = []
    for stmt in _statements(func.body):
        call = _call_of(stmt)
        if call is None:
            continue
        lines = {n.lineno for n in ast.walk(call) if isinstance(n, ast.Call)} & lookup_lines
        target = stmt.targets[0] if isinstance(stmt, ast.Assign) else None
        if isinstance(target, ast.Name) and lines:
            fetched[target.id] = min(lines)
            continue
        instance = next((k.value for k in call.keywords if k.arg == "instance"), None)
        if isinstance(target, ast.Name) and isinstance(instance, ast.Name):
            if instance.id in fetched and "." in callee(call).lstrip("."):
                forms[target.id] = (fetched[instance.id], callee(call))
            continue
        func_node = call.func
        if not (isinstance(func_node, ast.Attribute) and isinstance(func_node.value, ast.Name)):
            continue
        positions = tuple(i for i, a in enumerate(call.args) if _user_or_request(a))
        name = func_node.value.id
        if positions and name in fetched:
            found.append((fetched[name], "", func_node.attr, positions))
        elif positions and name in forms:
            line, form = forms[name]
            found.append((line, form, func_node.attr, positions))
    return tuple(dict.fromkeys(found))


def _params(func: FunctionNode) -> list[str]:
    params = [a.arg for a in [*func.args.posonlyargs, *func.args.args]]
    return params[1:] if params and params[0] in ("self", "cls") else params


def _refusal(node: ast.AST) -> bool:
    if not (isinstance(node, ast.Raise) and node.exc is not None):
        return False
    exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
    return (exc.attr if isinstance(exc, ast.Attribute) else getattr(exc, "id", "")) in (
        REFUSAL_ERRORS
    )


def user_check_params(func: FunctionNode) -> tuple[int, ...]:
    """Positions of parameters tested by an ``if`` that refuses or lets the caller through.

    ``if self.user == viewer: return`` then ``raise PermissionDenied()``; ``if viewer in
    self.user.blocks.all(): raise Http404()``. Only in a body that raises a refusal.
    """
    params = _params(func)
    nodes = list(own_nodes(func))
    if not params or not any(_refusal(n) for n in nodes):
        return ()
    tested: set[str] = set()
    for node in nodes:
        if not isinstance(node, ast.If):
            continue
        branch = [*node.body, *node.orelse]
        if any(_refusal(s) or isinstance(s, ast.Return) for s in branch):
            tested.update(n.id for n in ast.walk(node.test) if isinstance(n, ast.Name))
    return tuple(i for i, name in enumerate(params) if name in tested)


def instance_checks(func: FunctionNode) -> tuple[tuple[str, int, int], ...]:
    """``(method, parameter, argument)`` positions of ``self.instance.<method>(<param>.user)``."""
    params = _params(func)
    found: list[tuple[str, int, int]] = []
    for stmt in _statements(func.body):
        call = _call_of(stmt)
        target = call.func if call is not None else None
        owner = target.value if isinstance(target, ast.Attribute) else None
        if not (
            call is not None
            and isinstance(target, ast.Attribute)
            and isinstance(owner, ast.Attribute)
            and owner.attr == "instance"  # the text below ends in it: unparse only then
            and ast.unparse(owner) == "self.instance"
        ):
            continue
        for index, arg in enumerate(call.args):
            base = arg.value if isinstance(arg, ast.Attribute) and arg.attr == "user" else arg
            if isinstance(base, ast.Name) and base.id in params:
                found.append((target.attr, params.index(base.id), index))
    return tuple(found)


def super_delegates(func: FunctionNode) -> tuple[int, ...]:
    """Positions of parameters handed on, at the same place, to ``super().<same method>()``.

    ``def raise_not_deletable(self, viewer): super().raise_not_deletable(viewer)``: the
    override keeps its base's check of ``viewer``.
    """
    params = _params(func)
    found: list[int] = []
    for node in own_nodes(func) if params else ():
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == func.name
            and isinstance(node.func.value, ast.Call)
            and getattr(node.func.value.func, "id", "") == "super"
        ):
            continue
        for index, arg in enumerate(node.args):
            if isinstance(arg, ast.Name) and index < len(params) and params[index] == arg.id:
                found.append(index)
    return tuple(dict.fromkeys(found))
