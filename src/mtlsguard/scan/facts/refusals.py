"""Refusals by raising: ``raise PermissionDenied`` in a permission class or an ACL helper.

Django and DRF turn ``PermissionDenied``, ``NotAuthenticated``, ``AuthenticationFailed`` and
``Http404`` raised anywhere in a view (or in a permission's ``has_permission``) into a refusal,
so a body that raises one of them says no as surely as ``return False``:

- :func:`raises_refusal`: the body raises one of them somewhere (``has_permission`` is then not
  "always ``True``");
- :func:`unsafe_only_refusal`: ``if request.user.is_anonymous and request.method not in
  SAFE_METHODS: raise PermissionDenied`` refuses only writes (read access for anybody);
- :func:`refusing_params`: which parameters a helper tests before raising
  (``def allow_use_notifications(user): if user.is_anonymous: raise PermissionDenied``);
- :func:`predicate_gates`: project predicates given the request whose falsy answer refuses
  (``if not is_mlist_authorized(request, mlist): raise PermissionDenied``);
- :func:`gate_calls`: the calls a view makes as bare statements of its body, whose result is
  dropped, with the positions of the arguments that carry the requesting user
  (``allow_use_notifications(request.user)``, ``allow_browse_users_list(request.user_acl)``):
  such a call matters only by raising, before anything after it runs.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from mtlsguard.scan import walking
from mtlsguard.scan.facts.public_filter import private_unless_public
from mtlsguard.scan.facts.syntax import FunctionNode, mentions_user_data, own_nodes

__all__ = [
    "REFUSAL_ERRORS",
    "gate_calls",
    "predicate_gates",
    "raises_refusal",
    "refusal_raise",
    "refusing_params",
    "request_calls",
    "unsafe_only_refusal",
]

_CALL_STATEMENTS = (ast.Expr, ast.Assign)
"""Checked with ``isinstance`` in a hot loop (a tuple: no union built per call)."""

REFUSAL_ERRORS = frozenset(
    {
        "PermissionDenied",
        "NotAuthenticated",
        "NotAuthorized",
        "AuthenticationFailed",
        "Http404",
        "NotFound",
    }
)
"""Exceptions Django and DRF answer with 401/403/404 (DRF's ``NotFound`` as Django's
``Http404``: WebODM's ``check_project_perms()`` hides what the caller may not see)."""


def refusal_raise(stmt: ast.stmt) -> bool:
    """``raise PermissionDenied(...)`` / ``raise exceptions.NotAuthenticated``."""
    if not isinstance(stmt, ast.Raise) or stmt.exc is None:
        return False
    exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
    name = exc.attr if isinstance(exc, ast.Attribute) else getattr(exc, "id", "")
    return name in REFUSAL_ERRORS


def raises_refusal(func: FunctionNode) -> bool:
    """The body raises a refusal somewhere (not in a nested function)."""
    return any(isinstance(n, ast.Raise) and refusal_raise(n) for n in own_nodes(func))


def _refusing_ifs(body: list[ast.stmt]) -> list[ast.If]:
    """The ``if`` statements of ``body`` (through ``try``/``with``) raising a refusal."""
    found: list[ast.If] = []
    for stmt in body:
        if isinstance(stmt, ast.Try | ast.With):
            found.extend(_refusing_ifs(stmt.body))
        elif isinstance(stmt, ast.If):
            if any(refusal_raise(s) for s in stmt.body + stmt.orelse):
                found.append(stmt)
            found.extend(_refusing_ifs(stmt.body + stmt.orelse))
    return found


def _unsafe_method_test(test: ast.expr) -> bool:
    """``request.method not in SAFE_METHODS`` (or ``not in ("GET", "HEAD", ...)``)."""
    return (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.NotIn)
        and isinstance(test.left, ast.Attribute)
        and test.left.attr == "method"
        and "SAFE_METHODS" in ast.unparse(test.comparators[0])
    )


def unsafe_only_refusal(func: FunctionNode, user_test: Callable[[ast.expr], bool]) -> bool:
    """``if <user test> and request.method not in SAFE_METHODS: raise ...``: reads pass."""
    for stmt in _refusing_ifs(func.body):
        test = stmt.test
        if not (isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And)):
            continue
        if any(_unsafe_method_test(v) for v in test.values) and any(
            user_test(v) for v in test.values
        ):
            return True
    return False


def _params(func: FunctionNode) -> list[str]:
    params = [a.arg for a in [*func.args.posonlyargs, *func.args.args]]
    return params[1:] if params and params[0] in ("self", "cls") else params


def refusing_params(func: FunctionNode) -> tuple[int, ...]:
    """Positions (``self`` not counted) of parameters an ``if`` tests before raising a refusal."""
    params = _params(func)
    if not params:
        return ()
    tested: set[str] = set()
    # ``category_acl = user_acl["categories"].get(...)``: a local read from a parameter stands
    # for that parameter in the tests that follow.
    # (in any branch, through other such locals: ``can_see = user_acl["id"] in target.ids``)
    alias: dict[str, set[str]] = {}
    for node in own_nodes(func):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                read = {n.id for n in walking.walk(node.value) if isinstance(n, ast.Name)}
                came = {p for n in read for p in alias.get(n, set()) | ({n} & set(params))}
                alias.setdefault(target.id, set()).update(came)
    for stmt in _refusing_ifs(func.body):
        for node in walking.walk(stmt.test):
            if isinstance(node, ast.Name):
                tested.add(node.id)
                tested.update(alias.get(node.id, ()))
    return tuple(i for i, name in enumerate(params) if name in tested)


def _user_argument(arg: ast.expr) -> bool:
    """``request.user``, ``self.request.user``, ``request.user_acl``: the requesting user."""
    if isinstance(arg, ast.Attribute) and arg.attr == "user":
        return ast.unparse(arg.value).split(".")[-1] == "request"
    return mentions_user_data(arg) and isinstance(arg, ast.Attribute)


def gate_calls(
    func: FunctionNode, callee: Callable[[ast.Call], str]
) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """Bare-statement calls of the body handed the requesting user, and where it sits.

    Only statements of the body itself (not under an ``if`` or a loop, which may skip them),
    so the call runs before anything that follows it. An assignment of the call's result
    counts too (``is_owner, user = check_access(request.user, username)``): the helper
    raises before anything is assigned.
    """
    found: list[tuple[str, tuple[int, ...]]] = []
    for stmt in func.body:
        if not (isinstance(stmt, _CALL_STATEMENTS) and isinstance(stmt.value, ast.Call)):
            continue
        call = stmt.value
        positions = tuple(i for i, a in enumerate(call.args) if _user_argument(a))
        name = callee(call)
        if positions and name:
            found.append((name, positions))
    return tuple(found)


def _given_request(call: ast.Call) -> bool:
    """``request`` or ``self.request`` among the positional arguments."""
    return any(
        (isinstance(a, ast.Name) and a.id == "request")
        or (isinstance(a, ast.Attribute) and a.attr == "request")
        for a in call.args
    )


def request_calls(func: FunctionNode, callee: Callable[[ast.Call], str]) -> tuple[str, ...]:
    """Calls given the request, made unconditionally by the body before it goes on.

    ``thread = self.get_thread(request, pk).unwrap()``, ``model = ForumThread(request, pk)``,
    ``return self.thread(request, pk, slug)``: statements of the body itself (an expression,
    an assignment or a ``return``) before the first ``if request.method ...`` a branch of which
    returns (what that method is answered never reaches the calls after it); a method chained
    on the result counts as the inner call.
    So do calls a record's public flag alone spares (``if not (task.public or
    task.project.public): check_project_perms(request, task.project)``): what they do not
    check, its owner published.
    Such a call may refuse by raising (a "view model" checking the user's ACL on what it
    loads), which :mod:`mtlsguard.scan.analysis.helper_gates` decides.
    """
    found: list[str] = []
    for stmt in _unless_public(func.body):
        if (
            isinstance(stmt, ast.If)
            and "method" in ast.unparse(stmt.test)
            and any(isinstance(n, ast.Return) for b in (stmt.body, stmt.orelse) for n in b)
        ):
            break  # ``if request.method == "POST": ... return``: later calls gate the rest only
        value = stmt.value if isinstance(stmt, ast.Expr | ast.Assign | ast.Return) else None
        while (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Attribute)
            and isinstance(value.func.value, ast.Call)
        ):
            value = value.func.value
        if isinstance(value, ast.Call) and _given_request(value):
            name = callee(value)
            if name:
                found.append(name)
    return tuple(dict.fromkeys(found))


def _unless_public(body: list[ast.stmt]) -> list[ast.stmt]:
    """``body``, with the statements of each ``if <record is private>:`` (no ``else``) in it."""
    found: list[ast.stmt] = []
    for stmt in body:
        found.append(stmt)
        if isinstance(stmt, ast.If) and not stmt.orelse and private_unless_public(stmt.test):
            found.extend(stmt.body)
    return found


def _predicate(test: ast.expr, callee: Callable[[ast.Call], str]) -> str:
    """``name`` for ``not name(request, ...)`` (also ``self.request``), else ``""``."""
    if not (isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)):
        return ""
    call = test.operand
    if isinstance(call, ast.Call) and _given_request(call):
        return callee(call)
    return ""


def predicate_gates(func: FunctionNode, callee: Callable[[ast.Call], str]) -> tuple[str, ...]:
    """Predicates given the request whose falsy answer makes the body refuse.

    ``if not is_mlist_authorized(request, mlist): raise PermissionDenied`` (or ``return
    render(..., status=403)``) as a statement of the body, or of a branch whose other side
    ends the request (``if fqdn is None: return HttpResponse(status=500) else: ...``): every
    way on passes the predicate. Whether it is about the user is the predicate's business
    (:mod:`mtlsguard.scan.analysis.helper_gates`).
    """
    found: list[str] = []

    def visit(body: list[ast.stmt]) -> None:
        for stmt in body:
            if isinstance(stmt, ast.Try | ast.With):
                visit(stmt.body)
            elif isinstance(stmt, ast.If):
                name = _predicate(stmt.test, callee)
                if name and _ends(stmt.body):
                    found.append(name)
                elif _ends(stmt.body):
                    visit(stmt.orelse)
                elif stmt.orelse and _ends(stmt.orelse):
                    visit(stmt.body)

    visit(func.body)
    return tuple(dict.fromkeys(found))


def _ends(body: list[ast.stmt]) -> bool:
    """The branch ends in a ``raise`` or a ``return`` (of anything: it does not go on)."""
    return bool(body) and isinstance(body[-1], ast.Raise | ast.Return)
