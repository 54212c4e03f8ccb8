"""Checks of a secret the caller presents: an invitation token, a signed digest, a setting.

``if not constant_time_compare(invite.token, request.GET["token"]): return
HttpResponseForbidden()``, ``if request.headers.get("X-Metrics-Key") != settings.METRICS_KEY:
return HttpResponseForbidden()``, ``if channel.make_token() == token: ...`` (a digest keyed with
``SECRET_KEY``): whoever passes holds the secret, which authenticates the request for the one
thing it opens as a password would.
"""

from __future__ import annotations

import ast

from mtlsguard.scan import walking
from mtlsguard.scan.facts.guards import exits, guard_blocks
from mtlsguard.scan.facts.syntax import FunctionNode
from mtlsguard.scan.knowledge import SECRET_CHECKS, SECRET_FIELDS, settings_secret

__all__ = ["secret_guard", "secret_test"]


def _secret_operand(node: ast.expr) -> bool:
    """A stored secret: ``invite.token``, ``channel.make_token()``, ``settings.METRICS_KEY``."""
    if isinstance(node, ast.Call) and not node.args and not node.keywords:
        node = node.func
    if not isinstance(node, ast.Attribute):
        return False
    if isinstance(node.value, ast.Name) and node.value.id == "settings":
        return settings_secret(node.attr)
    return any(w in node.attr.lower() for w in SECRET_FIELDS)


def _secret_compare(node: ast.Compare) -> bool:
    """``invite.token != token``: the object's secret against one the caller must present."""
    operands = [node.left, *node.comparators]
    secrets = [o for o in operands if _secret_operand(o)]
    return bool(secrets) and any(
        o not in secrets and not isinstance(o, ast.Constant) for o in operands
    )


def secret_test(test: ast.expr) -> bool:
    """The test compares a secret the caller presents (``invite.token != token``)."""
    for node in walking.walk(test):
        if isinstance(node, ast.Compare) and _secret_compare(node):
            return True
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name.endswith(SECRET_CHECKS):
                return True
    return False


def secret_guard(func: FunctionNode) -> bool:
    """A check of a secret the caller presents that refuses: a capability (invitation link).

    ``if not constant_time_compare(invite.token, request.GET["token"]): return
    HttpResponseForbidden()``: whoever passes holds the link's secret, which authenticates the
    request for that one object as a password would.
    """
    if guard_blocks(func.body, secret_test, either=True):
        return True
    # ``if channel.make_token() == token: <the work>; return ...`` and then only the answer
    # for a wrong token: nothing runs unless the secret matched.
    body = func.body
    return (
        len(body) >= 2
        and isinstance(body[-1], ast.Return)
        and isinstance(body[-2], ast.If)
        and not body[-2].orelse
        and secret_test(body[-2].test)
        and exits(body[-2].body)
        and all(_reads_only(stmt) for stmt in body[:-2])
    )


_WRITES = frozenset({"save", "delete", "update", "create", "get_or_create", "send"})


def _reads_only(stmt: ast.stmt) -> bool:
    """An assignment whose calls change nothing (``channel = get_object_or_404(...)``)."""
    if not isinstance(stmt, ast.Assign | ast.AnnAssign | ast.Pass) and not (
        isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
    ):
        return False
    return not any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _WRITES
        for n in walking.walk(stmt)
    )
