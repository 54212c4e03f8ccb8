"""Relations a body compares with the caller: ``Portfolio.objects.filter(manager=request.user)``.

A relation named like a role (``manager``, ``lead``, ``assigned_to``) or an endorsement
(``authors``, ``contributors``) usually says who works on or likes a shared record, not who may
read it. A project that itself lists or fetches a model by that relation to the caller uses it
as the record's owner. :func:`caller_keys` names the (model, relation) pairs a body queries that
way:

* a call with a keyword whose value is ``request.user`` (``self.request.user``, a plain alias
  ``user = request.user``) or its ``pk``/``id``: ``manager=request.user``,
  ``authors__in=[request.user]`` is not followed, ``manager_id=request.user.id`` is;
* its model is the root name of the call chain (``Portfolio.objects.filter``) or the first
  argument of ``get_object_or_404``/``get_list_or_404``; the relation is the keyword's first
  part, without an ``_id`` suffix.
"""

from __future__ import annotations

import ast

from mtlsguard.scan.facts.syntax import FunctionNode, is_request_user, own_nodes

__all__ = ["caller_keys"]

_SHORTCUTS = frozenset({"get_object_or_404", "get_list_or_404"})
_KEYS = frozenset({"pk", "id"})


def _root(node: ast.expr) -> str:
    while isinstance(node, ast.Attribute | ast.Call):
        node = node.value if isinstance(node, ast.Attribute) else node.func
    return node.id if isinstance(node, ast.Name) else ""


def _model(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name) and func.id in _SHORTCUTS:
        return _root(call.args[0]) if call.args else ""
    return _root(func) if isinstance(func, ast.Attribute) else ""


def caller_keys(func: FunctionNode) -> tuple[tuple[str, str], ...]:
    """(model short name, relation) pairs ``func`` queries with the caller as the value."""
    nodes = list(own_nodes(func))
    aliases = {
        t.id
        for n in nodes
        if isinstance(n, ast.Assign) and is_request_user(n.value)
        for t in n.targets
        if isinstance(t, ast.Name)
    }

    def caller(value: ast.expr) -> bool:
        if isinstance(value, ast.Attribute) and value.attr in _KEYS:
            value = value.value
        return is_request_user(value) or (isinstance(value, ast.Name) and value.id in aliases)

    found: list[tuple[str, str]] = []
    for node in nodes:
        if not isinstance(node, ast.Call):
            continue
        model = ""
        for keyword in node.keywords:
            if keyword.arg is None or not caller(keyword.value):
                continue
            model = model or _model(node)
            relation = keyword.arg.split("__", 1)[0].removesuffix("_id")
            if model and relation:
                found.append((model, relation))
    return tuple(dict.fromkeys(found))
