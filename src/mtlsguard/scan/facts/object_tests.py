"""A predicate of a view that answers about the object the view serves, given the user.

Django's ``UserPassesTestMixin`` (and a project's own ``AccessMixin`` doing the same in
``dispatch()``) refuses unless ``test_func()`` says yes; a ``test_func`` may ask the object
``get_object()`` gives about the requesting user::

    def test_func(self):
        return self.get_object().project.user_can_edit(self.request.user)

    def test_func(self):
        obj = self.get_object()
        return obj.operator.id == self.request.user.id or is_manager(self.request.user)

Each answer is recorded as what it asks of the object: ``"project.user_can_edit"`` (a method reached
through the object's attributes, handed the user: whether it decides anything is the model's
business), :data:`USER_ASKED` (the user, or a check handed the user, asked about the object:
``user.has_study_perms(perm, self.get_object())``; also through a local) or ``"=="`` (a comparison
of the object's own value with the user). Every ``return`` must be such a test (or ``False``); an
``or`` may add tests of the user alone (a role that sees every object), any other alternative
(``True``, ``obj.is_public``) lets callers through without the object check, and then nothing is
recorded.
"""

from __future__ import annotations

import ast

from mtlsguard.scan.facts.owner_guards import requester, user_aliases
from mtlsguard.scan.facts.syntax import FunctionNode, mentions_user, own_nodes

__all__ = ["OWNER_COMPARISON", "USER_ASKED", "object_tests"]

OWNER_COMPARISON = "=="
"""What :func:`object_tests` records for ``obj.owner == request.user``."""
USER_ASKED = "user(obj)"
"""What :func:`object_tests` records for ``user.has_study_perms(perm, obj)`` or
``can_edit(request.user, obj)``: the user (or a check given it) asked about the object."""
_MATCH = (ast.Eq, ast.Is, ast.In)


def object_tests(func: FunctionNode) -> tuple[str, ...]:
    """What every answer of ``func`` asks of ``self.get_object()`` about the user (or ``()``)."""
    objects = _object_locals(func)
    users = user_aliases(func)
    tested: dict[str, tuple[str, ...]] = {}
    for node in own_nodes(func):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            answer = _tests(node.value, objects, users, tested)
            if isinstance(target, ast.Name) and answer:
                tested[target.id] = tuple(answer)
    found: list[str] = []
    returns = [node for node in own_nodes(func) if isinstance(node, ast.Return)]
    for node in returns:
        value = node.value
        if isinstance(value, ast.Constant) and value.value is False:
            continue
        tests = _tests(value, objects, users, tested) if value is not None else None
        if not tests:
            return ()
        found.extend(tests)
    return tuple(dict.fromkeys(found))


def _object_locals(func: FunctionNode) -> frozenset[str]:
    """Locals assigned ``self.get_object()`` (``obj = self.get_object()``, annotated or not)."""
    found: set[str] = set()
    for node in own_nodes(func):
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        if _path(value) == ["self", "get_object"]:
            found.update(t.id for t in targets if isinstance(t, ast.Name))
    return frozenset(found)


def _path(node: ast.expr) -> list[str]:
    """``self.get_object().project.user_can_edit`` -> its names, outermost last.

    ``[]`` when the chain does not end in a name, or calls anything but ``get_object()`` on
    the way (the answer of another method is not the object).
    """
    parts: list[str] = []
    while True:
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Call) and not node.args and not node.keywords:
            if not (isinstance(node.func, ast.Attribute) and node.func.attr == "get_object"):
                return []
            node = node.func
        elif isinstance(node, ast.Name):
            parts.append(node.id)
            return parts[::-1]
        else:
            return []


def _on_object(node: ast.expr, objects: frozenset[str]) -> list[str] | None:
    """The attribute names after the object, if ``node`` is reached from it; else None."""
    path = _path(node)
    if path[:2] == ["self", "get_object"]:
        return path[2:]
    if path[:1] and path[0] in objects:
        return path[1:]
    return None


def _is_user(node: ast.expr, users: frozenset[str]) -> bool:
    return requester(node, users)


def _tests(
    node: ast.expr,
    objects: frozenset[str],
    users: frozenset[str],
    tested: dict[str, tuple[str, ...]],
) -> list[str] | None:
    """What ``node`` asks of the object about the user; None when it is no such test.

    ``tested``: locals assigned such a test (``has_perms = user.has_study_perms(perm, obj)``).
    """
    if isinstance(node, ast.BoolOp):
        parts = [_tests(value, objects, users, tested) for value in node.values]
        found = [t for part in parts if part for t in part]
        if not found:
            return None
        if isinstance(node.op, ast.And):
            return found
        # ``or``: each alternative must check the object, or the user alone (a role).
        alone = all(
            part or (mentions_user(value) or _mentions(value, users))
            for part, value in zip(parts, node.values, strict=True)
        )
        return found if alone else None
    if isinstance(node, ast.Compare):
        if len(node.ops) != 1 or not isinstance(node.ops[0], _MATCH):
            return None
        left, right = node.left, node.comparators[0]
        for mine, theirs in ((left, right), (right, left)):
            if _is_user(mine, users) and _on_object(theirs, objects):
                return [OWNER_COMPARISON]
        return None
    if isinstance(node, ast.Call):
        reached = _on_object(node.func, objects)
        given = [*node.args, *(kw.value for kw in node.keywords)]
        if reached and any(_is_user(arg, users) for arg in given):
            return [".".join(reached)]
        if any(_on_object(arg, objects) == [] for arg in given) and (
            (isinstance(node.func, ast.Attribute) and _is_user(node.func.value, users))
            or any(_is_user(arg, users) for arg in given)
        ):
            # user.has_study_perms(perm, study), can_edit(request.user, study)
            return [USER_ASKED]
    if isinstance(node, ast.Name) and node.id in tested:
        return list(tested[node.id])
    return None


def _mentions(node: ast.expr, users: frozenset[str]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in users for n in ast.walk(node))
