"""A second sign-in step: the view refuses unless the session holds the user a first step stored.

A two-factor page or OTP check runs before ``login()``, so the caller is still anonymous; what
it checks instead is a session key the password step set (``request.session["user"] =
username`` after ``authenticate()``)::

    username = request.session.get("user")
    if username:
        ...
    else:
        return HttpResponseRedirect("/login/")

The session lives on the server: an anonymous caller cannot put a user there without passing the
first step. Only keys naming a user (``user``, ``user_id``, ``pre_2fa_user``...) count — a cart
or a language in the session says nothing about who the caller is. The check may sit in the
anonymous branch (``if not request.user.is_authenticated:``), which is where it matters.
"""

from __future__ import annotations

import ast

from mtlsguard.scan import walking
from mtlsguard.scan.facts.syntax import FunctionNode

__all__ = ["pre_login_session"]


def _session_key(node: ast.expr) -> str | None:
    """``request.session.get("user")`` / ``request.session["user"]`` -> ``"user"``."""
    target: ast.expr | None = None
    key: ast.expr | None = None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr == "get" and node.args:
            target, key = node.func.value, node.args[0]
    elif isinstance(node, ast.Subscript):
        target, key = node.value, node.slice
    if not (isinstance(target, ast.Attribute) and target.attr == "session"):
        return None
    if isinstance(key, ast.Constant) and isinstance(key.value, str):
        return key.value
    return None


def _names_user(key: str) -> bool:
    return "user" in key.lower()


def pre_login_session(func: FunctionNode, *, calls_login: bool) -> str:
    """The session key naming a user that the body's refusing check requires, or ``""``.

    Only for a step of the sign-in itself: one that completes it (``calls_login``: ``login()``
    after the second factor) or that sends signed-in callers away (``if
    request.user.is_authenticated: return redirect("/")``). A view that goes on for a signed-in
    caller and acts on a user the body names is not a sign-in step, whatever it checks of an
    anonymous one.
    """
    if not (calls_login or _sends_signed_in_away(func)):
        return ""
    aliases: dict[str, str] = {}
    for node in walking.walk(func):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            key = _session_key(node.value)
            target = node.targets[0]
            if key is not None and _names_user(key) and isinstance(target, ast.Name):
                aliases[target.id] = key
    bodies = [func.body] + [
        node.body
        for node in walking.walk(func)
        if isinstance(node, ast.If) and _anonymous_branch(node.test)
    ]
    for body in bodies:
        for stmt in body:
            if not isinstance(stmt, ast.If):
                continue
            key = _tested_key(stmt.test, aliases)
            if key is None:
                continue
            negative = isinstance(stmt.test, ast.UnaryOp) and isinstance(stmt.test.op, ast.Not)
            if _ends(stmt.body if negative else stmt.orelse):
                return key
    return ""


def _tested_key(test: ast.expr, aliases: dict[str, str]) -> str | None:
    """The user-naming session key ``test`` is about (``username``, ``not username``)."""
    inner = test.operand if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) else test
    if isinstance(inner, ast.Name):
        return aliases.get(inner.id)
    key = _session_key(inner)
    return key if key is not None and _names_user(key) else None


def _ends(body: list[ast.stmt]) -> bool:
    """The branch answers the request itself: a ``return`` of something, or a ``raise``.

    A second sign-in step answers a caller without the session's user with a redirect to the
    login page or an error body (``Response({"status": 1, "msg": ...})``), never the page.
    """
    return any(
        isinstance(stmt, ast.Raise) or (isinstance(stmt, ast.Return) and stmt.value is not None)
        for stmt in body
    )


def _sends_signed_in_away(func: FunctionNode) -> bool:
    """``if request.user.is_authenticated: return ...`` among the body's first statements."""
    for stmt in func.body:
        if (
            isinstance(stmt, ast.If)
            and isinstance(stmt.test, ast.Attribute)
            and stmt.test.attr == "is_authenticated"
            and _ends(stmt.body)
        ):
            return True
    return False


def _anonymous_branch(test: ast.expr) -> bool:
    """``not request.user.is_authenticated`` / ``request.user.is_anonymous``."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = test.operand
        return isinstance(inner, ast.Attribute) and inner.attr == "is_authenticated"
    return isinstance(test, ast.Attribute) and test.attr == "is_anonymous"
