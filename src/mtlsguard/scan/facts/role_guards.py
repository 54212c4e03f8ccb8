"""Role guards: a refusal unless the user is a superuser, staff, or holds a global permission.

``if not request.user.is_superuser: raise PermissionDenied`` in a view or a decorator's wrapper
makes the role ``"superuser"`` (so does a project's own administrator check, an active staff
session); Django's ``is_staff`` flag ``"staff"``; a permission asked about no object
(``has_perm("management.use")``) ``"permission"``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable

from mtlsguard.scan import walking
from mtlsguard.scan.facts.guards import guard_blocks, is_negative
from mtlsguard.scan.facts.syntax import FunctionNode, is_request, is_request_user, own_nodes

__all__ = ["admin_role", "role_branch_lines", "role_guard"]

_STAFF_WORDS = ("staff", "superuser", "is_admin")
_CODENAME = re.compile(r"\w+\.\w+")
"""A permission's name, ``app_label.codename``."""


def _staff_test(test: ast.expr) -> bool:
    """``user.is_staff``, ``user.is_superuser``, ``user.has_active_staff_session(...)``."""
    return any(
        isinstance(n, ast.Attribute) and any(w in n.attr for w in _STAFF_WORDS)
        for n in walking.walk(test)
    )


def _global_permission_test(test: ast.expr) -> bool:
    """``user.has_perm("management.use")``: a permission asked about no object.

    So is a project helper named for permissions given the user and a permission's name only
    (``has_perm(request.user, "newsletters.view_newsletter")``).
    """
    return any(
        isinstance(n, ast.Call)
        and (
            (
                isinstance(n.func, ast.Attribute)
                and n.func.attr in ("has_perm", "has_perms")
                and len(n.args) + len(n.keywords) == 1
            )
            or _permission_helper(n)
            or _group_membership(n)
        )
        for n in walking.walk(test)
    )


def _group_membership(call: ast.Call) -> bool:
    """A role over no object: the user's Django groups.

    ``request.user.groups.filter(name="editors").exists()``, or a helper named for groups given
    the user and a group (ynr's ``user_in_group(request.user, self.required_group_name)``).
    """
    func = call.func
    if isinstance(func, ast.Name):
        return (
            "group" in func.id.lower()
            and len(call.args) == 2
            and any(_names_user(arg) for arg in call.args)
        )
    node: ast.expr = func
    while isinstance(node, ast.Attribute | ast.Call):
        if isinstance(node, ast.Attribute) and node.attr == "groups" and _names_user(node.value):
            return True
        node = node.value if isinstance(node, ast.Attribute) else node.func
    return False


def _names_user(node: ast.expr) -> bool:
    """``request.user``, ``self.request.user`` or a name ``user`` (not another record's user)."""
    return is_request_user(node) or (isinstance(node, ast.Name) and node.id == "user")


def _permission_helper(call: ast.Call) -> bool:
    """``has_perm(user, "app.codename")``: a function named for permissions, no object given."""
    name = call.func.id if isinstance(call.func, ast.Name) else ""
    if "perm" not in name or len(call.args) != 2 or call.keywords:
        return False
    perm = call.args[1]
    return (
        isinstance(perm, ast.Constant)
        and isinstance(perm.value, str)
        and _CODENAME.fullmatch(perm.value) is not None
    )


def role_branch_lines(func: FunctionNode) -> set[int]:
    """Lines of calls made only when a staff or global-permission test passed.

    ``if request.user.has_active_staff_session(...): get_object_or_404(Model, pk=pk)``: that
    unscoped lookup is the staff branch (pretix's ``EditStaffSession.get_object``).
    """
    lines: set[int] = set()
    for node in own_nodes(func):
        if not isinstance(node, ast.If):
            continue
        test = node.test
        if is_negative(test) or not (_staff_test(test) or _global_permission_test(test)):
            continue
        for stmt in node.body:
            lines.update(n.lineno for n in walking.walk(stmt) if isinstance(n, ast.Call))
    return lines


def role_guard(func: FunctionNode, *, nested: bool) -> str:
    """Which role a refusing guard in ``func`` (or a nested wrapper) requires, if any."""
    bodies = [func.body]
    if nested:
        bodies.extend(
            n.body
            for n in own_nodes(func, nested=True)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        )
    for test, role in ((_staff_test, "staff"), (_global_permission_test, "permission")):
        if any(guard_blocks(body, test) for body in bodies):
            if role == "staff":
                return admin_role(a for body in bodies for a in _role_attrs(body))
            return role
    if func.name == "has_permission" and _answers_global_permission(func):
        return "permission"
    return ""


def _answers_global_permission(func: FunctionNode) -> bool:
    """A permission class's ``has_permission`` answering with a global permission.

    LibreTime's ``IsSystemTokenOrUser``: ``return request.user.has_perm(perm)`` (``perm`` named
    after the view's model and the HTTP method), as DRF's ``DjangoModelPermissions`` does. Every
    other ``return`` says ``False``, checks a service key (a call given the request,
    ``check_authorization_header(request)``), or says ``True`` under a test of something other
    than what is asked (``if perm == "view_apiroot"``); ``if request.method in SAFE_METHODS:
    return True`` lets every reader through, ``if view.action == "list": return True`` every
    lister, and ``return True`` at the end everybody.
    """
    answers: list[ast.expr | None] = []
    for stmt in func.body:
        if isinstance(stmt, ast.Return) and _yes(stmt.value):
            return False  # says yes to everybody
        for node in walking.walk(stmt):
            if (
                isinstance(node, ast.If)
                and _method_test(node.test)
                and any(isinstance(n, ast.Return) and _yes(n.value) for n in walking.walk(node))
            ):
                return False  # reads (or some methods) open to anybody
            if isinstance(node, ast.Return):
                answers.append(node.value)
    if not any(a is not None and _global_permission_test(a) for a in answers):
        return False
    return all(
        a is not None
        and (
            (isinstance(a, ast.Call) and _global_permission_test(a))
            or isinstance(a, ast.Constant)
            or (isinstance(a, ast.Call) and any(is_request(arg) for arg in a.args))
        )
        for a in answers
    )


def _yes(value: ast.expr | None) -> bool:
    return isinstance(value, ast.Constant) and value.value is True


def _method_test(test: ast.expr) -> bool:
    """A test of what is asked (``request.method in SAFE_METHODS``, ``view.action == "list"``)."""
    return any(
        (isinstance(n, ast.Attribute) and n.attr in ("method", "action", "SAFE_METHODS"))
        or (isinstance(n, ast.Name) and n.id == "SAFE_METHODS")
        for n in walking.walk(test)
    )


def _role_attrs(body: list[ast.stmt]) -> list[str]:
    """Attributes read by the tests of the refusing role guards (not of ifs inside them)."""
    guards = [
        n
        for stmt in body
        for n in walking.walk(stmt)
        if isinstance(n, ast.If) and guard_blocks([n], _staff_test)
    ]
    return [n.attr for g in guards for n in walking.walk(g.test) if isinstance(n, ast.Attribute)]


def admin_role(attrs: Iterable[str]) -> str:
    """``"staff"`` when Django's ``is_staff`` flag lets a user through, else ``"superuser"``.

    ``is_staff`` only admits a user to the admin site, where the model and object permissions
    still decide; a superuser holds every permission (``has_perm()`` is true for any object),
    and so, as far as the scan can tell, does whoever passes a project's own administrator
    check (``is_admin``, an active staff session): nothing is hidden from them. ``""`` when no
    attribute names a role.
    """
    roles = [a for a in attrs if any(w in a for w in _STAFF_WORDS)]
    if not roles:
        return ""
    return "staff" if "is_staff" in roles else "superuser"
