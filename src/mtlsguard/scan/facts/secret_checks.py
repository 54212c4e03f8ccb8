"""Checks of a secret the caller presents: an invitation token, a signed digest, a setting.

``if not constant_time_compare(invite.token, request.GET["token"]): return
HttpResponseForbidden()``, ``if request.headers.get("X-Metrics-Key") != settings.METRICS_KEY:
return HttpResponseForbidden()``, ``if channel.make_token() == token: ...`` (a digest keyed with
``SECRET_KEY``): whoever passes holds the secret, which authenticates the request for the one
thing it opens as a password would.
"""

from __future__ import annotations

import ast
import functools

from mtlsguard.scan import walking
from mtlsguard.scan.facts.guards import exits, guard_blocks
from mtlsguard.scan.facts.syntax import FunctionNode
from mtlsguard.scan.knowledge import SECRET_CHECKS, SECRET_FIELDS, settings_secret

__all__ = ["secret_answer", "secret_guard", "secret_test"]


_NO_LOCALS: frozenset[str] = frozenset()


_DIGESTS = frozenset(
    {"new", "digest", "hexdigest", "HMAC", "encode", "sha1", "sha256", "sha512", "b64encode"}
)
"""Calls that turn a secret into what the caller must match: ``hmac.new(key, ...).hexdigest()``,
``settings.KEY.encode()``; not ``settings.KEY_MAP.get(...)`` (``None`` for an unknown key) or
``int(settings.TOKEN_MAX_AGE)``."""


def _secret_value(node: ast.expr) -> bool:
    """``settings.HOOK_KEY`` itself, or a digest built from it."""
    if isinstance(node, ast.Attribute):
        return (
            isinstance(node.value, ast.Name)
            and node.value.id == "settings"
            and settings_secret(node.attr)
        )
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if name not in _DIGESTS:
        return False
    parts = [*node.args, *(k.value for k in node.keywords)]
    if isinstance(func, ast.Attribute):
        parts.append(func.value)
    return any(_secret_value(part) for part in parts)


def secret_locals(func: FunctionNode) -> frozenset[str]:
    """Locals holding a secret setting or a digest of it (``expected = hmac.new(...)``).

    ``expected = hmac.new(settings.KEY.encode(), msg, sha256).hexdigest()``: comparing the
    caller's value with one (``return signature == expected``) checks the shared secret as
    comparing with the setting itself would: a signed webhook.
    """
    names = {
        target.id
        for stmt in walking.walk(func)
        if isinstance(stmt, ast.Assign) and _secret_value(stmt.value)
        for target in stmt.targets
        if isinstance(target, ast.Name)
    }
    return frozenset(names) if names else _NO_LOCALS


def _secret_operand(node: ast.expr, local: frozenset[str] = _NO_LOCALS) -> bool:
    """A stored secret: ``invite.token``, ``channel.make_token()``, ``settings.METRICS_KEY``.

    Or a local in ``local``, computed from a secret setting (:func:`secret_locals`).
    """
    if isinstance(node, ast.Name):
        return node.id in local
    if isinstance(node, ast.Call) and not node.args and not node.keywords:
        node = node.func
    if not isinstance(node, ast.Attribute):
        return False
    if isinstance(node.value, ast.Name) and node.value.id == "settings":
        return settings_secret(node.attr)
    return any(w in node.attr.lower() for w in SECRET_FIELDS)


_EQUALITY = (ast.Eq, ast.NotEq, ast.Is, ast.IsNot, ast.In, ast.NotIn)


def _secret_compare(node: ast.Compare, local: frozenset[str] = _NO_LOCALS) -> bool:
    """``invite.token != token``: the object's secret against one the caller must present.

    Only equality says the caller holds the secret: ``age < settings.TOKEN_MAX_AGE`` does not.
    """
    if not all(isinstance(op, _EQUALITY) for op in node.ops):
        return False
    operands = [node.left, *node.comparators]
    secrets = [o for o in operands if _secret_operand(o, local)]
    return bool(secrets) and any(
        o not in secrets and not isinstance(o, ast.Constant) for o in operands
    )


def secret_test(test: ast.expr, local: frozenset[str] = _NO_LOCALS) -> bool:
    """The test compares a secret the caller presents (``invite.token != token``).

    ``local``: the function's locals computed from a secret setting (:func:`secret_locals`).
    """
    for node in walking.walk(test):
        if isinstance(node, ast.Compare) and _secret_compare(node, local):
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
    local = secret_locals(func)
    if guard_blocks(func.body, functools.partial(secret_test, local=local), either=True):
        return True
    # ``if channel.make_token() == token: <the work>; return ...`` and then only the answer
    # for a wrong token: nothing runs unless the secret matched.
    body = func.body
    return (
        len(body) >= 2
        and isinstance(body[-1], ast.Return)
        and isinstance(body[-2], ast.If)
        and not body[-2].orelse
        and secret_test(body[-2].test, local)
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


def secret_answer(func: FunctionNode) -> bool:
    """A predicate that says yes only when a secret the caller presents matched.

    ``return hmac.compare_digest(sent, settings.HOOK_KEY)``; ``if sent is None: return False``,
    ``if sent == settings.HOOK_SECRET: return True``, ``return False``; ``if sent !=
    settings.HOOK_SECRET: return False``, ``return True``. Every answer that is not a constant
    false one is a secret comparison itself or comes after one passed (:func:`secret_test`, with
    its polarity read from ``==``/``!=``/``not``), and there is such an answer.
    """
    answers: list[bool] = []
    local = secret_locals(func)
    return _answers(func.body, passed=False, answers=answers, local=local) and any(answers)


def _answers(
    body: list[ast.stmt], *, passed: bool, answers: list[bool], local: frozenset[str]
) -> bool:
    """False if a yes of ``body`` can come without a secret matching; yeses go to ``answers``."""
    for stmt in body:
        if isinstance(stmt, ast.Return):
            value = stmt.value
            if value is None or (isinstance(value, ast.Constant) and not value.value):
                continue
            if not (passed or secret_test(value, local)):
                return False
            answers.append(True)
        elif isinstance(stmt, ast.If):
            polarity = _polarity(stmt.test, local) if secret_test(stmt.test, local) else None
            if not (
                _answers(stmt.body, passed=passed or polarity is True, answers=answers, local=local)
                and _answers(
                    stmt.orelse, passed=passed or polarity is False, answers=answers, local=local
                )
            ):
                return False
            if polarity is False and exits(stmt.body):
                passed = True  # ``if sent != secret: return False``: what follows matched
        elif isinstance(stmt, ast.Try | ast.With | ast.For | ast.While):
            inner = [*stmt.body, *getattr(stmt, "orelse", []), *getattr(stmt, "finalbody", [])]
            for handler in getattr(stmt, "handlers", []):
                inner.extend(handler.body)
            if not _answers(inner, passed=passed, answers=answers, local=local):
                return False
    return True


def _polarity(test: ast.expr, local: frozenset[str]) -> bool | None:
    """True when the test holds only if the secret matched; False when only if it did not."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _polarity(test.operand, local)
        return None if inner is None else not inner
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and _secret_compare(test, local):
        return isinstance(test.ops[0], ast.Eq | ast.Is | ast.In)
    if isinstance(test, ast.Call):
        return True if secret_test(test, local) else None
    if isinstance(test, ast.BoolOp):
        parts = [_polarity(v, local) for v in test.values if secret_test(v, local)]
        wanted = isinstance(test.op, ast.And)
        # ``a and secret == x`` holds only if it matched; ``a or secret != x`` only if it did not.
        return wanted if wanted in parts else None
    return None
