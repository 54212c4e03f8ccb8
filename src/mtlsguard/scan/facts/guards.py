"""Guards: whether the body refuses a request unless a user, role or certificate check passes.

These re-read the body, so they run only when the walk saw a hint (a ``request.user``
attribute, ``is_staff``, a certificate key) — see :func:`mtlsguard.scan.facts.analyze_function`.
A guard is an ``if`` whose failing branch returns or raises (a refusal); in a decorator, the
guard may sit in the nested wrapper function.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from mtlsguard.scan import walking
from mtlsguard.scan.facts.collectors import AUTH_ATTRS
from mtlsguard.scan.facts.syntax import (
    FunctionNode,
    compared_strings,
    mentions_attr,
    mentions_user,
    mentions_user_data,
    own_nodes,
    strings,
)
from mtlsguard.scan.knowledge import SAFE_METHODS, is_cert_key

__all__ = [
    "REQUEST_INPUT",
    "cert_guard",
    "delegated_guard",
    "denies",
    "exits",
    "guard_blocks",
    "is_negative",
    "request_context",
    "safe_methods_shortcut",
    "self_method_guards",
    "user_test",
]

_GUARD_BLOCKS = (ast.Try, ast.With, ast.For, ast.AsyncFor)
"""Checked with ``isinstance`` in a hot loop (a tuple: no union built per call)."""

_NEGATIVE_ATTRS = frozenset({"is_anonymous"})
REQUEST_INPUT = frozenset(
    {
        "GET",
        "POST",
        "data",
        "query_params",
        "method",
        "META",
        "headers",
        "FILES",
        "COOKIES",
        "body",
        "path",
        "path_info",
        "content_type",
        "resolver_match",
    }
)


def request_context(func: FunctionNode) -> bool:
    """``self.request.organizer`` & co: request attributes set server-side (tenancy)."""
    for node in walking.walk(func):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "request"
            and node.attr not in REQUEST_INPUT
        ):
            return True
    return False


def is_negative(test: ast.expr) -> bool:
    """``not x.is_authenticated``, ``x.is_anonymous``, ``x.is_authenticated is False``."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return not is_negative(test.operand)
    if isinstance(test, ast.Compare) and len(test.comparators) == 1:
        right = test.comparators[0]
        if isinstance(right, ast.Constant) and right.value in (False, None):
            return not is_negative(test.left)
    if isinstance(test, ast.BoolOp):
        return any(
            is_negative(v)
            for v in test.values
            if mentions_attr(v, AUTH_ATTRS) or mentions_user_data(v)
        )
    return mentions_attr(test, _NEGATIVE_ATTRS)


_DENY_WORDS = (
    "redirect",
    "forbidden",
    "401",
    "403",
    "404",
    "notfound",
    "unauthorized",
    "permissiondenied",
    "permission_denied",
    "no_permission",
    "login",
    "denied",
    "not_authenticated",
)
_DENY_CALLS = frozenset({"permission_denied", "handle_no_permission", "redirect_to_login"})
"""Methods that raise a refusal when called as a statement (DRF's ``self.permission_denied``,
Django's ``self.handle_no_permission()``)."""
_PASS_THROUGH = frozenset({"get_response", "process_request", "process_view", "dispatch"})
"""Calls whose result returned from a middleware or ``dispatch`` lets the request through."""


def _exits(body: list[ast.stmt]) -> bool:
    """The branch ends the request: raises, or returns something that is not the way on.

    ``return self.get_response(request)`` in a middleware, ``return None`` in
    ``process_view`` and ``return super().dispatch(...)`` hand the request on: not refusals.
    A refusal under a test of the URL (``if not any(m.match(path) for m in EXEMPT_URLS):
    return redirect(login)``) refuses every path but the exempt ones.
    """
    for stmt in body:
        if isinstance(stmt, ast.Raise) or _denying_call(stmt):
            return True
        if isinstance(stmt, ast.Return) and not _passes_through(stmt):
            return True
        # ``if is_ajax: return JsonResponse(...) else: return render(request, "error.html")``:
        # both ways refuse (a decorator answering AJAX and page requests differently).
        if isinstance(stmt, ast.If) and stmt.orelse and _exits(stmt.body) and _exits(stmt.orelse):
            return True
        if isinstance(stmt, ast.If) and _exemption_test(stmt.test) and _exits(stmt.body):
            return True
    return False


def _hands_on(body: list[ast.stmt]) -> bool:
    """The branch ends by handing the request on (``return None`` in ``process_view``)."""
    last = body[-1] if body else None
    return isinstance(last, ast.Return) and _passes_through(last)


def _exemption_test(test: ast.expr) -> bool:
    """A test of the request's URL against exempt paths (``path``, ``EXEMPT_URLS``)."""
    for node in walking.walk(test):
        name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", "")
        if name in ("path", "path_info") or "exempt" in name.lower():
            return True
    return False


def _passes_through(stmt: ast.Return) -> bool:
    value = stmt.value
    if value is None or (isinstance(value, ast.Constant) and value.value is None):
        return True
    if isinstance(value, ast.Call):
        func = value.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        return name in _PASS_THROUGH
    return False


def _denying_call(stmt: ast.stmt) -> bool:
    """``self.permission_denied(request)`` as a statement (it raises)."""
    if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
        return False
    func = stmt.value.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name in _DENY_CALLS


def denies(stmt: ast.stmt) -> bool:
    """A ``raise``, a refusing call, or a ``return`` of something that looks like a refusal."""
    if isinstance(stmt, ast.Raise) or _denying_call(stmt):
        return True
    if isinstance(stmt, ast.Return) and stmt.value is not None:
        text = ast.unparse(stmt.value).lower()
        return any(w in text for w in _DENY_WORDS)
    return False


def guard_blocks(
    body: list[ast.stmt], test_ok: Callable[[ast.expr], bool], *, either: bool = False
) -> bool:
    """An ``if`` among ``body``'s statements whose failing branch returns or raises.

    With ``either`` the polarity of the test is unknown (``header != "SUCCESS"``), so a refusal
    in any branch, or right after the ``if``, counts.
    """
    for index, stmt in enumerate(body):
        # A refusal inside ``try``/``with``, or inside a loop over what is required
        # (``for perm in self.get_required_permission(): if not user.has_perms([perm]): ...``).
        if isinstance(stmt, _GUARD_BLOCKS):
            if guard_blocks(stmt.body, test_ok, either=either):
                return True
            continue
        if not either and _checking_call(stmt, test_ok):
            return True
        if isinstance(stmt, ast.If) and not test_ok(stmt.test):
            # ``if settings.FEATURE_X: check_a() else: check_b()``: a refusal whichever way the
            # configuration goes (each branch guards, the test itself is not about the user).
            if stmt.orelse and all(
                guard_blocks(branch, test_ok, either=either) for branch in (stmt.body, stmt.orelse)
            ):
                return True
            continue
        if not isinstance(stmt, ast.If):
            continue
        if either:
            after = body[index + 1] if index + 1 < len(body) else None
            if any(denies(s) for s in stmt.body + stmt.orelse) or (
                after is not None and denies(after)
            ):
                return True
            continue
        if is_negative(stmt.test):
            if _exits(stmt.body):
                return True
        elif (stmt.orelse and any(denies(s) for s in stmt.orelse)) or (
            not stmt.orelse
            and index + 1 < len(body)
            # the refusal right after, or at the end when the allowed branch returns early
            # (nautobot's MediaView: ``if user.is_authenticated: return serve(...)``, a
            # branding-files exception, then ``return self.handle_no_permission()``; a
            # middleware's ``if user.is_authenticated: return None`` ... ``return
            # redirect_to_login(...)``, whose exemptions in between are per view)
            and (
                denies(body[index + 1])
                or ((_exits(stmt.body) or _hands_on(stmt.body)) and denies(body[-1]))
            )
        ):
            return True
    return False


def exits(body: list[ast.stmt]) -> bool:
    """The branch ends the request (returns something that is not the way on, or raises)."""
    return _exits(body)


_CHECKING_SUFFIXES = ("_or_403", "_or_404", "_or_raise", "_or_deny")


def _checking_call(stmt: ast.stmt, test_ok: Callable[[ast.expr], bool]) -> bool:
    """``user_has_permission_or_403(request.user, obj, perm)`` as a statement: it raises.

    A call named for its refusal (``..._or_403``, ``..._or_raise``) is a guard when ``test_ok``
    accepts it (it is given the user, or tests the role it names).
    """
    if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
        return False
    func = stmt.value.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name.endswith(_CHECKING_SUFFIXES) and test_ok(stmt.value)


def _self_call(test: ast.expr, results: dict[str, str] | None = None) -> str | None:
    """``name`` for a test ``self.name(...)`` or ``not self.name(...)``.

    ``self.name()(...)`` (``self.get_test_func()()``: the function a method returns, called)
    is ``"name()"``; a local in ``results`` (``passed = self.test_func()``, then ``if not
    passed``) is the call it holds.
    """
    inner = test.operand if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) else test
    if isinstance(inner, ast.Name) and results:
        return results.get(inner.id)
    if not isinstance(inner, ast.Call):
        return None
    suffix = ""
    func = inner.func
    if isinstance(func, ast.Call) and not func.args and not func.keywords:
        func, suffix = func.func, "()"
    if (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id == "self"
    ):
        return func.attr + suffix
    return None


def _call_results(func: FunctionNode) -> dict[str, str]:
    """Locals holding the answer of a method of ``self`` (``passed = self.get_test_func()()``)."""
    found: dict[str, str] = {}
    for node in own_nodes(func):
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)):
            continue
        name = _self_call(node.value)
        if name is None:
            continue
        for target in node.targets:
            if isinstance(target, ast.Name):
                found[target.id] = name
    return found


def self_method_guards(func: FunctionNode) -> tuple[str, ...]:
    """Methods of ``self`` whose failing answer makes the body refuse.

    ``if not self.has_permission(): return self.handle_no_permission()``: whether that is a
    user check is the method's business (:func:`mtlsguard.scan.analysis.dispatch`). Also
    through a local holding the answer, and for the function a method returns (Django's
    ``UserPassesTestMixin.dispatch``: ``if not self.get_test_func()(): return
    self.handle_no_permission()``, recorded as ``"get_test_func()"``).
    """
    results = _call_results(func)
    names = {
        name
        for node in own_nodes(func)
        if isinstance(node, ast.If) and (name := _self_call(node.test, results)) is not None
    }
    return tuple(sorted(n for n in names if guard_blocks(func.body, _calls_method(n, results))))


def _calls_method(name: str, results: dict[str, str]) -> Callable[[ast.expr], bool]:
    return lambda test: _self_call(test, results) == name


def user_test(test: ast.expr) -> bool:
    """A test about the user: ``is_authenticated`` & co, or any use of ``request.user``.

    ``if not Membership.objects.filter(user=request.user, ...).exists(): raise ...`` refuses
    anonymous callers too (no membership has the anonymous user), so it is a login gate.
    """
    return mentions_attr(test, AUTH_ATTRS) or mentions_user(test) or mentions_user_data(test)


def cert_guard(
    func: FunctionNode, constant: Callable[[str], str | None], *, auth_guard: bool
) -> bool:
    """A certificate-header check that refuses the request (taint through locals).

    ``constant`` gives module-level string constants by name (``CERT_HEADER``).
    """

    def keys_in(node: ast.AST) -> bool:
        return any(is_cert_key(s) for s in strings(node)) or any(
            isinstance(sub, ast.Name)
            and (value := constant(sub.id)) is not None
            and is_cert_key(value)
            for sub in walking.walk(node)
        )

    tainted: set[str] = set()
    for node in own_nodes(func, nested=True):
        if (
            isinstance(node, ast.Assign | ast.AnnAssign)
            and node.value is not None
            and keys_in(node.value)
        ):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            tainted.update(t.id for t in targets if isinstance(t, ast.Name))

    def cert_test(test: ast.expr) -> bool:
        if keys_in(test):
            return True
        return any(isinstance(n, ast.Name) and n.id in tainted for n in walking.walk(test))

    if guard_blocks(func.body, cert_test, either=True):
        return True
    if auth_guard:
        return False
    # Decorator shape: the check lives in a nested wrapper function.
    return any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and guard_blocks(node.body, cert_test, either=True)
        for node in own_nodes(func, nested=True)
    )


def safe_methods_shortcut(func: FunctionNode) -> bool:
    """``if request.method in SAFE_METHODS: return True`` (read access for anybody).

    ``OPTIONS`` alone (JumpServer's ``raw_action in ["metadata", "OPTIONS"]``) opens no record.
    """
    for node in own_nodes(func):
        if not isinstance(node, ast.If):
            continue
        compared = compared_strings(node.test)
        metadata_only = bool(compared) and compared <= {"OPTIONS", "metadata"}
        named = set(strings(node.test)) & SAFE_METHODS and not metadata_only
        if "SAFE_METHODS" in ast.unparse(node.test) or named:
            for stmt in node.body:
                if (
                    isinstance(stmt, ast.Return)
                    and isinstance(stmt.value, ast.Constant)
                    and stmt.value.value is True
                ):
                    return True
    return False


_REFUSAL_ERRORS = frozenset({"PermissionDenied", "NotAuthenticated", "NotAuthorized"})


def _catches_refusal(handler: ast.ExceptHandler) -> bool:
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(
        (isinstance(k, ast.Name) and k.id in _REFUSAL_ERRORS)
        or (isinstance(k, ast.Attribute) and k.attr in _REFUSAL_ERRORS)
        for k in kinds
    )


def _given_request(call: ast.Call) -> bool:
    return any(
        (isinstance(a, ast.Name) and a.id == "request")
        or (isinstance(a, ast.Attribute) and a.attr == "request")
        for a in call.args
    )


def delegated_guard(func: FunctionNode) -> bool:
    """A helper given the request decides, and its ``PermissionDenied`` becomes a refusal.

    ``try: ticket = get_ticket_with_authorisation(request, ticket_id) except PermissionDenied:
    return redirect_to_login(...)``: the helper checks the user (or a secret key) and raises.
    """
    for node in _unconditional_tries(func.body):
        if not any(
            _catches_refusal(h) and _exits(h.body) for h in node.handlers if h.type is not None
        ):
            continue
        if any(
            isinstance(call, ast.Call) and _given_request(call)
            for stmt in node.body
            for call in walking.walk(stmt)
        ):
            return True
    return False


def _unconditional_tries(body: list[ast.stmt]) -> list[ast.Try]:
    """The ``try`` blocks every call runs: in ``body`` or in a ``try``/``with`` in it.

    Not one under an ``if``: Tecken's token middleware authenticates (and refuses) only callers
    that send an ``Auth-Token`` header (``if key: try: self.authenticate(request, key) except
    PermissionDenied: raise``); one that sends none passes.
    """
    found: list[ast.Try] = []
    for stmt in body:
        if isinstance(stmt, ast.Try):
            found.append(stmt)
            found.extend(_unconditional_tries(stmt.body))
            found.extend(_unconditional_tries(stmt.finalbody))
        elif isinstance(stmt, ast.With | ast.AsyncWith):
            found.extend(_unconditional_tries(stmt.body))
    return found
