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
from mtlsguard.scan.facts.syntax import FunctionNode, own_nodes

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
        )
        for n in walking.walk(test)
    )


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
    return ""


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
