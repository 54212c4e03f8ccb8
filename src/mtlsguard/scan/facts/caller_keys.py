"""Relations a body fetches one record by, with the caller (``manager=request.user``).

``get_object_or_404(Portfolio, pk=pk, manager=request.user)``.

A relation named like a role (``manager``, ``lead``, ``assigned_to``) or an endorsement
(``authors``, ``contributors``) usually says who works on or likes a shared record, not who may
read it, and listing "my tickets" by it (``filter(assigned_to=request.user)``) says nothing
more. A project that fetches ONE record by a key and by that relation to the caller uses the
relation as the record's access check. :func:`caller_keys` names the (model, relation) pairs a
body fetches that way (``"key"``; any other query naming the caller is a ``"list"``):

* ``get_object_or_404(Model, ...)`` or ``Model.objects...get(...)`` with another keyword whose
  value is not a constant, or ``.filter(...)`` with a key keyword (``pk``, ``id``, ``slug``,
  ``uuid``, ``*_id``...);
* and a keyword whose value is ``request.user`` (``self.request.user``, a plain alias
  ``user = request.user``) or its ``pk``/``id``;
* its model is the first argument of ``get_object_or_404`` or the root name of the call chain
  (``Portfolio.objects.get``); the relation is the keyword's first part, without ``_id``.

Creating a record for the caller (``create(manager=request.user)``) is no such fetch.
"""

from __future__ import annotations

import ast

from mtlsguard.scan.facts.syntax import FunctionNode, is_request_user, own_nodes

__all__ = ["caller_keys"]

_SHORTCUT = "get_object_or_404"
_KEYS = frozenset({"pk", "id"})
_RECORD_KEYS = frozenset({"pk", "id", "slug", "uuid", "uid", "key", "code", "number"})
_KEY_SUFFIXES = ("_id", "_pk", "_slug", "_uuid")


def _root(node: ast.expr) -> str:
    while isinstance(node, ast.Attribute | ast.Call):
        node = node.value if isinstance(node, ast.Attribute) else node.func
    return node.id if isinstance(node, ast.Name) else ""


def _model(call: ast.Call) -> str:
    """The model a single-record fetch reads, or ``""`` (a list, a write, another call)."""
    func = call.func
    if isinstance(func, ast.Name) and func.id == _SHORTCUT:
        return _root(call.args[0]) if call.args else ""
    if isinstance(func, ast.Attribute) and func.attr in ("get", "filter"):
        return _root(func)
    return ""


def _keyed(call: ast.Call, keyword: ast.keyword) -> bool:
    """``keyword`` (another one than the caller's) picks one record."""
    if keyword.arg is None or isinstance(keyword.value, ast.Constant):
        return False
    if isinstance(call.func, ast.Attribute) and call.func.attr == "filter":
        first = keyword.arg.split("__", 1)[0]
        return first in _RECORD_KEYS or first.endswith(_KEY_SUFFIXES)
    return True


def caller_keys(func: FunctionNode) -> tuple[tuple[str, str, str], ...]:
    """(model short name, relation, ``"key"``/``"list"``) ``func`` queries with the caller.

    ``"key"``: a fetch of one record by a key and the relation; ``"list"``: any other query
    (``filter(lead=request.user)``, "my teams").
    """
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

    found: list[tuple[str, str, str]] = []
    for node in nodes:
        if not isinstance(node, ast.Call) or not node.keywords:
            continue
        mine = [k for k in node.keywords if k.arg is not None and caller(k.value)]
        model = _model(node) if mine else ""
        if not model:
            continue
        keyed = any(_keyed(node, k) for k in node.keywords if k not in mine)
        for keyword in mine:
            relation = str(keyword.arg).split("__", 1)[0].removesuffix("_id")
            if relation:
                found.append((model, relation, "key" if keyed else "list"))
    return tuple(dict.fromkeys(found))
