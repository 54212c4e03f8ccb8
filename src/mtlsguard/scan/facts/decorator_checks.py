"""What a project decorator (or decorator factory) checks, read from its nested definitions.

Two shapes of hand-written decorators that :mod:`.role_guards` and :mod:`.auth_guards` only see
as "checks the user":

* a factory returning ``user_passes_test(pred)`` where ``pred`` is a lambda or a function
  defined inside the factory (``def group_required(*names): def in_groups(u): ...; return
  user_passes_test(in_groups)``): ``user_passes_test`` hands the predicate nothing but the
  user, so a predicate whose every admitting answer requires more than the account state
  (``is_authenticated``, ``is_active``) is a role over every object: :func:`predicate_role`
  (read by the logic of the answer, :mod:`.predicates`); one certainly true for an anonymous
  user authenticates nobody: :func:`predicate_admits_anonymous`;
* a wrapper that refuses unless a check handed the user *and* a URL keyword says yes
  (``if user_can_read(request.user, kwargs["noteid"]): return view(...) else: raise
  PermissionDenied``), the callee named as a permission check (not ``RATE.allow(...)``): an
  object check of what that URL key names: :func:`checked_url_keys`; handed every keyword
  (``_user_has_permission(request.user, request, rules, **kwargs)``), of what each names.

Both are syntax only; a predicate or wrapper of any other shape answers ``""``/``()``
(unknown stays unknown). What the scan cannot read this way it can still ask of a decorator or
a base class's hook: whether it refuses *anybody* (:func:`refuses_anywhere`): a project's own
code that may say no, which MG101 and MG104 name and weigh as a gate the scan could not follow.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator

from mtlsguard.scan import walking
from mtlsguard.scan.facts.guards import denies, guard_blocks
from mtlsguard.scan.facts.owner_guards import requester
from mtlsguard.scan.facts.predicates import admits_anonymous, role_of
from mtlsguard.scan.facts.syntax import FunctionNode, is_request, key_access, own_nodes

_CHECK_NAME = re.compile(
    r"^(?:can|user_can|may)_|perm|access|owner|member|view|edit|read|write|authori[sz]"
)
"""Callees (their own name, ``check`` of ``RATE.check``) named as a permission check
(``user_can_read_resource``, ``has_object_permission``, ``check_access``, ``is_owner``);
``check``, ``has_quota`` or ``allowed`` name no permission (a rate limiter, a quota)."""

__all__ = [
    "EVERY_URL_KEY",
    "checked_url_keys",
    "predicate_admits_anonymous",
    "predicate_role",
    "rebound_params",
    "refuses_anywhere",
]


def predicate_role(func: FunctionNode) -> str:
    """The role of the ``user_passes_test(pred)`` that ``func`` returns, or ``""``.

    ``"superuser"``/``"staff"`` when every answer of the predicate that admits someone requires
    such a flag, ``"permission"`` when it requires the user's groups or permissions or the
    answer of a helper handed the user (a role over no object: who holds it is data); ``""``
    for an account-state test, a constant, a negated flag, an ``or`` with an operand asking
    nothing, or no such return (:func:`~mtlsguard.scan.facts.predicates.role_of`).
    """
    for args, body in _predicates(func):
        role = role_of(args, body)
        if role:
            return role
    return ""


def predicate_admits_anonymous(func: FunctionNode) -> bool:
    """The ``user_passes_test(pred)`` that ``func`` returns lets anonymous users through.

    ``pred`` certainly answers true for ``AnonymousUser`` (``u.is_anonymous or ...``, ``not
    u.is_superuser``, ``True``): the decorator authenticates nobody.
    """
    return any(admits_anonymous(args, body) for args, body in _predicates(func))


def _predicates(func: FunctionNode) -> Iterator[tuple[ast.arguments, list[ast.stmt]]]:
    """``(parameters, body)`` of each predicate a ``return user_passes_test(pred)`` tests.

    ``pred`` is a lambda or a function defined inside ``func``.
    """
    nested = {
        n.name: n
        for n in own_nodes(func, nested=True)
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    for node in own_nodes(func):
        if not isinstance(node, ast.Return) or node.value is None:
            continue
        for call in walking.walk(node.value):
            pred = _tested(call)
            if isinstance(pred, ast.Name) and pred.id in nested:
                yield nested[pred.id].args, nested[pred.id].body
            elif isinstance(pred, ast.Lambda):
                yield pred.args, [ast.Return(pred.body)]


def _tested(node: object) -> ast.expr | None:
    """``pred`` of ``user_passes_test(pred, ...)`` (Django's public decorator), else None."""
    if not (isinstance(node, ast.Call) and node.args):
        return None
    callee = node.func
    name = callee.attr if isinstance(callee, ast.Attribute) else getattr(callee, "id", "")
    return node.args[0] if name == "user_passes_test" else None


def _callee(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _is_name(node: object, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _hands_kwargs(call: ast.Call, kwargs: str) -> bool:
    """``check(..., **kwargs)``: the call is handed every URL keyword the wrapper received."""
    return any(kw.arg is None and _is_name(kw.value, kwargs) for kw in call.keywords)


def checked_url_keys(func: FunctionNode) -> tuple[str, ...]:
    """URL keys a wrapper defined in ``func`` checks against the user before the view runs.

    The wrapper takes the view's ``**kwargs``; a refusing guard (:func:`guard_blocks`) asks a
    call given the user (``request.user`` of its first parameter) and ``kwargs["key"]``
    (directly or through a local assigned from it).
    """
    found: list[str] = []
    for node in own_nodes(func, nested=True):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        kwargs = node.args.kwarg.arg if node.args.kwarg is not None else ""
        params = [a.arg for a in node.args.posonlyargs + node.args.args]
        if not kwargs or not params:
            continue
        request = params[1] if params[0] == "self" and len(params) > 1 else params[0]
        aliases = _kwarg_aliases(node, kwargs)
        read = {_kwarg_key(n, kwargs) for n in walking.walk(node)} - {""}
        for key in sorted(read):
            names = frozenset(n for n, k in aliases.items() if k == key)
            if guard_blocks(node.body, _asks(request, kwargs, key, names)):
                found.append(key)
        handed = {
            _callee(call)
            for call in walking.walk(node)
            if isinstance(call, ast.Call) and _hands_kwargs(call, kwargs)
        }
        for callee in sorted(handed):
            if guard_blocks(node.body, _asks(request, kwargs, EVERY_URL_KEY + callee, frozenset())):
                found.append(EVERY_URL_KEY + callee)
    return tuple(found)


EVERY_URL_KEY = "**"
"""The prefix of what :func:`checked_url_keys` answers for a check handed every URL keyword,
followed by the check's name: getgov's ``if not _user_has_permission(request.user, request,
rules, **kwargs): raise PermissionDenied`` gives ``"**_user_has_permission"``. Which keywords
that check reads is for the caller to find out (its code names them)."""


def _kwarg_key(node: object, kwargs: str) -> str:
    """``K`` for ``kwargs["K"]`` or ``kwargs.get("K")``, else ``""``."""
    found = key_access(node)
    return found[1] if found is not None and _is_name(found[0], kwargs) else ""


def _kwarg_aliases(func: ast.FunctionDef | ast.AsyncFunctionDef, kwargs: str) -> dict[str, str]:
    """Locals assigned from one ``kwargs["K"]`` (``noteid = kwargs.get("noteid")``) -> ``K``."""
    found: dict[str, str] = {}
    for node in walking.walk(func):
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
            continue
        target = node.targets[0]
        named = {_kwarg_key(n, kwargs) for n in walking.walk(node.value)} - {""}
        if isinstance(target, ast.Name) and len(named) == 1:
            found[target.id] = named.pop()
    return found


def _asks(request: str, kwargs: str, key: str, names: frozenset[str]) -> Callable[[ast.expr], bool]:
    """A test that calls a check given the user and the URL key ``key``.

    The callee must be named as a permission check (:data:`_CHECK_NAME`): a rate limiter or an
    audit call handed the same two values decides nothing about the object.
    """

    def user(node: ast.expr) -> bool:
        own = isinstance(node, ast.Attribute) and node.attr == "user"
        return (own and _is_name(getattr(node, "value", None), request)) or requester(node)

    def keyed(node: ast.expr) -> bool:
        if isinstance(node, ast.Name) and node.id in names:
            return True
        return _kwarg_key(node, kwargs) == key

    def test(expr: ast.expr) -> bool:
        for node in walking.walk(expr):
            if isinstance(node, ast.Call):
                given = [*node.args, *(kw.value for kw in node.keywords)]
                if not _CHECK_NAME.search(_callee(node).lower()):
                    continue  # RATE.allow(request.user, pk), log(user, pk): no permission asked
                if key.startswith(EVERY_URL_KEY):
                    keys = _callee(node) == key[len(EVERY_URL_KEY) :] and _hands_kwargs(
                        node, kwargs
                    )
                else:
                    keys = any(keyed(arg) for arg in given)
                if keys and any(user(arg) for arg in given):
                    return True
        return False

    return test


def rebound_params(func: FunctionNode) -> tuple[tuple[str, int, int], ...]:
    """Where a parameter no longer holds what the caller passed: ``(name, first, last)`` lines.

    ``resourceid = request.GET.get("resourceids")`` inside ``if self.action == ...:`` rebinds
    the URL's ``resourceid`` from that line to the end of the ``if`` body: a lookup there is
    keyed by the query string, not by the URL key a decorator checked; the ``else`` branch
    still holds the URL value. A value computed from the parameter itself is no rebinding.
    """
    args = func.args
    params = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
    found: list[tuple[str, int, int]] = []
    for node in (func, *own_nodes(func)):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if not isinstance(block, list) or not block or not isinstance(block[0], ast.stmt):
                continue
            last = getattr(block[-1], "end_lineno", None) or block[-1].lineno
            for stmt in block:
                for name in _assigned(stmt):
                    if name in params:
                        found.append((name, stmt.lineno, last))
    return tuple(found)


def _assigned(stmt: ast.stmt) -> list[str]:
    """Names ``stmt`` binds to a value not derived from them.

    ``locale = get_object_or_404(Locale, code=locale)`` still stands for the URL's locale
    (the object it names), so it is no rebinding.
    """
    if isinstance(stmt, ast.Assign):
        targets, value = stmt.targets, stmt.value
    elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        targets, value = [stmt.target], stmt.value
    else:
        return []
    used = {n.id for n in walking.walk(value) if isinstance(n, ast.Name)}
    bound = (n.id for t in targets for n in walking.walk(t) if isinstance(n, ast.Name))
    return [name for name in bound if name not in used]


def refuses_anywhere(func: FunctionNode) -> bool:
    """A statement of ``func`` or of a function nested in it refuses a caller.

    A ``raise``, or a ``return`` of a 403, a 401 or a redirect (:func:`.guards.denies`), under a
    test of who calls: the user, the session, a value the request carries (``request.GET``,
    ``request.data``), a local computed from the request (``user = get_user(request)``), or a
    check handed the request (``can_read_foiproject(obj, self.request)``); or unconditional.
    Not a refusal tested only on the request's shape (``if request.method != "POST"``), on the
    settings or a record (``if obj.is_deleted: raise Http404``), nor a re-raise in an
    ``except`` block: those refuse a kind of request or a record, never a caller.
    """
    return _refuses(func.body, _request_locals(func), guarded=False, conditional=False)


def _request_locals(func: FunctionNode) -> frozenset[str]:
    """Locals assigned from something the request carries (``voter = get_voter(request)``)."""
    found: set[str] = set()
    for node in walking.walk(func):
        if isinstance(node, ast.Assign) and _mentions_caller(node.value, frozenset()):
            found.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return frozenset(found)


def _refuses(
    body: list[ast.stmt], callers: frozenset[str], *, guarded: bool, conditional: bool
) -> bool:
    for stmt in body:
        if isinstance(stmt, ast.If):
            inner = guarded or _mentions_caller(stmt.test, callers)
            if any(
                _refuses(block, callers, guarded=inner, conditional=True)
                for block in (stmt.body, stmt.orelse)
            ):
                return True
            continue
        if isinstance(stmt, ast.Raise) and stmt.exc is None:
            continue  # a re-raise hands on someone else's error
        if denies(stmt) and (guarded or not conditional):
            return True
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            if _refuses(stmt.body, callers, guarded=False, conditional=False):
                return True
            continue
        for field in ("body", "orelse", "finalbody"):
            block = getattr(stmt, field, None)
            if not (isinstance(block, list) and block and isinstance(block[0], ast.stmt)):
                continue
            if _refuses(block, callers, guarded=guarded, conditional=conditional):
                return True
        for handler in getattr(stmt, "handlers", ()):
            if _refuses(handler.body, callers, guarded=guarded, conditional=True):
                return True
    return False


_CALLER_ATTRS = frozenset(
    {"user", "session", "COOKIES", "auth", "GET", "POST", "data", "query_params"}
)
"""What a request carries about who sends it (not how: its method, its headers)."""


def _mentions_caller(node: ast.expr, callers: frozenset[str]) -> bool:
    """``node`` reads who calls: the user, the session, a request value, or a check given it."""
    for n in walking.walk(node):
        if isinstance(n, ast.Attribute) and n.attr in _CALLER_ATTRS:
            return True
        if isinstance(n, ast.Name) and (n.id in callers or "user" in n.id.lower()):
            return True
        if isinstance(n, ast.Call) and any(is_request(a) for a in n.args):
            return True  # can_read_foiproject(obj, self.request), get_user(request)
    return False
