"""What a DRF ``authenticate()`` does when the caller sent no credential.

DRF tries each authentication class in turn: one that returns ``None`` lets the request go on as
anonymous, one that raises ends it before the view runs
(:mod:`mtlsguard.scan.analysis.authenticators`). These facts say whether a body raises when the
credential it reads is missing, and which of its class's methods ``authenticate()`` calls for
every request (a helper that raises refuses for it).
"""

from __future__ import annotations

import ast

from mtlsguard.scan import walking
from mtlsguard.scan.facts.request_principals import CREDENTIAL_SOURCES
from mtlsguard.scan.facts.syntax import FunctionNode

__all__ = ["leading_self_calls", "refuses_without_credential"]

_REQUEST_INPUTS = CREDENTIAL_SOURCES | {"data"}


_CREDENTIAL_WORDS = (
    "token",
    "auth",
    "key",
    "secret",
    "signature",
    "session",
    "cookie",
    "credential",
    "password",
    "jwt",
    "bearer",
    "hawk",
)
"""What a header's name (or the constant holding it) says when it carries a credential."""


def _reads_request_input(test: ast.expr) -> bool:
    """``request.META.get(TOKEN_HEADER)``: a test of whether a credential header was sent.

    No default (``get(H, "guest")`` is always true), and a name that reads like a credential
    (a ``User-Agent`` every client sends is none).
    """
    if not (
        isinstance(test, ast.Call)
        and isinstance(test.func, ast.Attribute)
        and test.func.attr == "get"
        and isinstance(test.func.value, ast.Attribute)
        and test.func.value.attr in _REQUEST_INPUTS
        and len(test.args) == 1
        and not test.keywords
    ):
        return False
    key = test.args[0]
    name = (
        key.value
        if isinstance(key, ast.Constant) and isinstance(key.value, str)
        else key.id
        if isinstance(key, ast.Name)
        else key.attr
        if isinstance(key, ast.Attribute)
        else ""
    ).lower()
    return any(word in name for word in _CREDENTIAL_WORDS)


def _returns(stmt: ast.stmt) -> bool:
    """``stmt`` may return (``if request.method == "GET": return None``)."""
    return any(isinstance(node, ast.Return) for node in walking.walk(stmt))


def leading_self_calls(func: FunctionNode) -> tuple[str, ...]:
    """Methods of its class ``func`` calls in top-level statements before any ``return``.

    ``exporter_user_token, user_id = self.get_header_data(request)`` as a statement of the body,
    not under an ``if``: it runs for every request, so a helper that raises on a missing
    credential refuses every request without one.
    """
    found: list[str] = []
    for stmt in func.body:
        if _returns(stmt):
            break  # a caller this statement lets through never reaches the calls after it
        if not isinstance(stmt, ast.Assign | ast.Expr) or not isinstance(stmt.value, ast.Call):
            continue
        target = stmt.value.func
        if (
            isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id == "self"
        ):
            found.append(target.attr)
    return tuple(found)


def refuses_without_credential(func: FunctionNode) -> bool:
    """``value = request.headers.get(...)`` then ``if not value: raise ...``.

    Or ``if request.META.get(...): ... else: raise ...`` (lite-api's ``get_header_data()``).
    Nothing may return before: ``if request.method in SAFE_METHODS: return None`` there lets an
    anonymous request through.
    """
    read: set[str] = set()
    for stmt in func.body:
        if isinstance(stmt, ast.If):
            raises = bool(stmt.orelse) and isinstance(stmt.orelse[-1], ast.Raise)
            if raises and _reads_request_input(stmt.test):
                return True
            test = stmt.test
            negated = isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)
            target = test.operand if isinstance(test, ast.UnaryOp) else test
            if negated and isinstance(target, ast.Name) and target.id in read:
                return bool(stmt.body) and isinstance(stmt.body[-1], ast.Raise)
        if _returns(stmt):
            return False
        if isinstance(stmt, ast.Assign) and any(
            (isinstance(n, ast.Attribute) and n.attr in _REQUEST_INPUTS)
            # DRF's rest_framework.authentication.get_authorization_header(request)
            or (isinstance(n, ast.Name) and n.id == "get_authorization_header")
            for n in walking.walk(stmt.value)
        ):
            read.update(t.id for t in stmt.targets if isinstance(t, ast.Name))
    return False
