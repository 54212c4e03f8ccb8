"""Objects a view only names: the write belongs to the caller's own relation.

``to_block = get_object_or_404(User, id=user_id)`` followed by
``UserBlocks.objects.create(user_subject=request.user, user_object=to_block)``, or
``request.user.blocked_books.add(edition.parent_work)``, or
``Follow.objects.get(user_subject=target, user_object=request.user).reject()``: the caller
picks another user or a catalogue entry by id, but what is created or deleted is the caller's
own block/follow/bookmark row. Naming an object to act on one's own relation is not an IDOR.

:func:`caller_relation_lines` returns the lookup lines whose fetched object is used ONLY:

- as an argument of a call on the caller (``request.user.<relation>.add(obj)``);
- as an argument or keyword of a call that is also given the caller (``request.user`` or an
  attribute of it: ``Model.objects.create(owner=request.user, target=obj)``,
  ``helper(request.user, obj)``, ``task.delay(request.user.id, obj.id)``);
- in a comparison (``if obj == request.user``) or a ``redirect``/``reverse`` argument.

Any other use keeps the lookup reported: a method call on the object or on one of its
attributes (``obj.save()``, ``obj.delete()``, ``obj.members.add(...)``), an assignment to its
fields, handing it alone to a helper, returning or serialising it.
"""

from __future__ import annotations

import ast
from collections.abc import Collection

from mtlsguard.scan import walking
from mtlsguard.scan.facts.syntax import FunctionNode

__all__ = ["caller_relation_lines"]

_EDITORS = ("Form", "FormSet", "Serializer")
"""Callee name endings of forms and serializers: given the object, they change it."""
_PRESENTERS = frozenset({"redirect", "reverse", "reverse_lazy", "HttpResponseRedirect"})


def caller_relation_lines(func: FunctionNode, lines: Collection[int]) -> tuple[int, ...]:
    """Lookup lines (of ``lines``) whose object is used only to name a relation of the caller."""
    names: dict[str, int] = {}
    for node in walking.walk(func):
        if not (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            continue
        line = next(
            (
                sub.lineno
                for sub in walking.walk(node.value)
                if isinstance(sub, ast.Call) and sub.lineno in lines
            ),
            None,
        )
        if line is not None:
            target = node.targets[0].id
            names[target] = -1 if target in names else line  # assigned twice: give up
    if not names:
        return ()
    parents = walking.parent_map(func)
    kept: list[int] = []
    for name, line in names.items():
        uses = [
            n
            for n in walking.walk(func)
            if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)
        ]
        if line > 0 and uses and all(_named_only(use, parents) for use in uses):
            kept.append(line)
    return tuple(sorted(kept))


def _named_only(use: ast.Name, parents: dict[ast.AST, ast.AST]) -> bool:
    """Whether this use of the fetched object only names it (see the module docstring)."""
    expr: ast.expr = use
    parent = parents.get(expr)
    while isinstance(parent, ast.Attribute):
        if not isinstance(parent.ctx, ast.Load):
            return False  # obj.field = value
        expr = parent
        parent = parents.get(expr)
    if isinstance(parent, ast.Call):
        if parent.func is expr or _name(parent.func).endswith(_EDITORS):
            return False  # obj.save(), obj.members.add(...), ObjForm(request.POST, obj)
        return (
            _caller(parent.func)
            or _name(parent.func) in _PRESENTERS
            or any(_caller(arg) for arg in parent.args)
            or any(_caller(kw.value) for kw in parent.keywords)
        )
    if isinstance(parent, ast.keyword):
        call = parents.get(parent)
        if parent.arg == "instance" or not isinstance(call, ast.Call):
            return False  # Form(request.POST, instance=obj, user=request.user) edits obj
        return not _name(call.func).endswith(_EDITORS) and (
            any(_caller(kw.value) for kw in call.keywords if kw is not parent)
            or any(_caller(arg) for arg in call.args)
        )
    return isinstance(parent, ast.Compare)


def _caller(node: ast.expr) -> bool:
    """``request.user`` / ``self.request.user`` or an attribute chain starting there."""
    while isinstance(node, ast.Attribute):
        if node.attr == "user" and _request(node.value):
            return True
        node = node.value
    return False


def _request(node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return node.id == "request"
    return (
        isinstance(node, ast.Attribute) and node.attr == "request" and _name(node.value) == "self"
    )


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""
