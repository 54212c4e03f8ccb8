"""Request attributes a middleware sets for signed-in callers only, and gates that require one.

A project middleware may resolve what the signed-in caller belongs to and attach it to the
request (OpenCVE's ``OrganizationMiddleware``)::

    def process_view(self, request, view_func, view_args, view_kwargs):
        request.current_organization = None
        if not request.user.is_authenticated:
            return
        ...
        request.current_organization = organization

A mixin that refuses without it (``if not request.current_organization: return
redirect("list_organizations")``) then refuses every anonymous caller: a login gate, whatever
the attribute is called. :func:`principal_writes` finds the attributes such a hook sets only
after it let anonymous callers go (or from ``request.user`` itself);
:func:`request_refusals` finds the request attributes a body refuses without. The analysis
layer joins the two through the project's ``MIDDLEWARE``.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator

from mtlsguard.scan import walking
from mtlsguard.scan.facts.guards import denies, guard_blocks
from mtlsguard.scan.facts.syntax import (
    FunctionNode,
    is_request,
    is_request_user,
    returned_wrappers,
)
from mtlsguard.scan.knowledge import SECRET_FIELDS

__all__ = [
    "CREDENTIAL_SOURCES",
    "MIDDLEWARE_HOOKS",
    "credential_calls",
    "header_sign_in",
    "principal_writes",
    "request_refusals",
]

MIDDLEWARE_HOOKS = frozenset({"__call__", "process_request", "process_view"})
"""The middleware methods that run before the view."""
_NOT_PRINCIPALS = frozenset({"user", "session", "auth", "method", "path", "path_info", "urlconf"})
CREDENTIAL_SOURCES = frozenset({"headers", "META", "COOKIES", "GET", "query_params"})
"""Where a caller may present a credential, or leave it out."""


def _request_attribute(node: ast.AST) -> str:
    """``request.X`` or ``self.request.X`` -> ``"X"`` (``""`` otherwise)."""
    return node.attr if isinstance(node, ast.Attribute) and is_request(node.value) else ""


def _mentions_request_user(node: ast.AST) -> bool:
    return any(isinstance(n, ast.expr) and is_request_user(n) for n in walking.walk(node))


def _anonymous_exit(stmt: ast.stmt) -> bool:
    """``if not request.user.is_authenticated: return`` (or any user test that ends the hook)."""
    return (
        isinstance(stmt, ast.If)
        and _mentions_request_user(stmt.test)
        and bool(stmt.body)
        and isinstance(stmt.body[-1], ast.Return | ast.Raise)
    )


def _falsy(value: ast.expr) -> bool:
    """``None``, ``False``, ``[]``, ``{}``: the default an anonymous caller keeps."""
    if isinstance(value, ast.Constant):
        return not value.value
    if isinstance(value, ast.List | ast.Tuple | ast.Set):
        return not value.elts
    return isinstance(value, ast.Dict) and not value.keys


def principal_writes(func: FunctionNode) -> tuple[str, ...]:
    """Request attributes ``func`` (a middleware hook) sets for a signed-in caller only.

    Set at the top level after a user test that ended the hook (anonymous callers left with
    the falsy default), or to a value computed from ``request.user`` itself (``request.member =
    Member.objects.filter(user=request.user).first()``). A falsy constant is a default, not a
    principal.
    """
    if func.name not in MIDDLEWARE_HOOKS:
        return ()
    found: dict[str, None] = {}
    after_exit = False
    for stmt in func.body:
        if _anonymous_exit(stmt):
            after_exit = True
            continue
        if not isinstance(stmt, ast.Assign) or _falsy(stmt.value):
            continue
        for target in stmt.targets:
            name = _request_attribute(target)
            principal = name and name not in _NOT_PRINCIPALS and not name.startswith("_")
            if principal and (after_exit or _mentions_request_user(stmt.value)):
                found.setdefault(name)
    return tuple(found)


def _tested(body: list[ast.stmt]) -> Iterator[str]:
    for stmt in body:
        if isinstance(stmt, ast.If):
            for node in walking.walk(stmt.test):
                name = _request_attribute(node)
                if name and name not in _NOT_PRINCIPALS:
                    yield name


def request_refusals(func: FunctionNode) -> tuple[str, ...]:
    """Request attributes without which ``func`` (or the wrapper a decorator returns) refuses.

    ``if not request.current_organization: return redirect(...)`` -> ``current_organization``.
    """
    found: dict[str, None] = {}
    for body in (func.body, *(w.body for w in returned_wrappers(func))):
        for name in dict.fromkeys(_tested(body)):
            if guard_blocks(body, _tests(name)):
                found.setdefault(name)
    return tuple(found)


def _tests(name: str) -> Callable[[ast.expr], bool]:
    """A test reading ``request.<name>``."""

    def reads(test: ast.expr) -> bool:
        return any(_request_attribute(node) == name for node in walking.walk(test))

    return reads


def credential_calls(func: FunctionNode) -> tuple[str, ...]:
    """Methods a middleware hook calls only when the caller presents a credential.

    Tecken's ``APITokenAuthenticationMiddleware``: ``key = request.headers.get("Auth-Token")``
    then ``if key: self.authenticate(request, key)`` (which raises ``PermissionDenied`` for a
    bad token); a caller that sends no header is never refused, so the refusal in
    ``authenticate`` makes no login wall. Only an ``if`` with no ``else`` counts (``if key:
    ... else: return HttpResponse(status=401)`` refuses the caller without one).
    """
    if func.name not in MIDDLEWARE_HOOKS:
        return ()
    sent = {
        target.id
        for stmt in func.body
        if isinstance(stmt, ast.Assign) and _presented(stmt.value)
        for target in stmt.targets
        if isinstance(target, ast.Name)
    }
    found: dict[str, None] = {}
    for node in walking.walk(func):
        if not isinstance(node, ast.If) or node.orelse or not _credential_test(node.test, sent):
            continue
        for stmt in node.body:
            for call in walking.walk(stmt):
                if (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and isinstance(call.func.value, ast.Name)
                    and call.func.value.id == "self"
                ):
                    found.setdefault(call.func.attr)
    return tuple(found)


def _presented(value: ast.expr) -> bool:
    """``request.headers.get("Auth-Token")``, ``request.META["HTTP_X_KEY"]``: a sent value."""
    return any(
        isinstance(node, ast.Attribute)
        and node.attr in CREDENTIAL_SOURCES
        and is_request(node.value)
        for node in walking.walk(value)
    )


def _credential_test(test: ast.expr, sent: set[str]) -> bool:
    """``if key:`` / ``if key is not None:`` / ``if "Auth-Token" in request.headers:``."""
    if isinstance(test, ast.Name):
        return test.id in sent
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        left, right = test.left, test.comparators[0]
        if isinstance(test.ops[0], ast.IsNot) and isinstance(right, ast.Constant):
            return isinstance(left, ast.Name) and left.id in sent
        if isinstance(test.ops[0], ast.In):
            return _presented(right)
    return _presented(test) and not isinstance(test, ast.UnaryOp)


def header_sign_in(func: FunctionNode) -> tuple[str, bool]:
    """A middleware hook that refuses a request without a header and signs the caller in from it.

    Mozilla Experimenter's ``OpenIDCAuthMiddleware``: ``email = request.META.get(settings.
    OPENIDC_EMAIL_HEADER, ...)``, ``if email is None: return HttpResponse(status=401)``, then
    ``request.user = User.objects.get(username=email)``: a login wall whose identity the proxy
    in front asserts. Returns the header as written (``""`` if the hook is no such wall) and
    whether the header names the user: anything but a stored secret looked up with ``.get()``
    by its value (``Token.objects.get(key=token)``) is a value any client that reaches the app
    without the proxy may send (a user id, an e-mail, any value at all), which MG301 reports.
    A sign-in whose failed lookup is swallowed (``except ...: pass``) signs nobody in: no wall.
    """
    if func.name not in MIDDLEWARE_HOOKS:
        return "", False
    sent: dict[str, ast.expr] = {}
    refused = ""
    for stmt in func.body:
        if isinstance(stmt, ast.Assign) and _presented(stmt.value):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    sent[target.id] = stmt.value
        elif isinstance(stmt, ast.If) and not refused:
            missing = _missing(stmt.test, sent)
            if missing and stmt.body and denies(stmt.body[-1]):
                refused = missing
        elif refused and _signs_in(stmt):
            if _swallowed(stmt):
                return "", False
            value = sent[refused]
            header = value.args[0] if isinstance(value, ast.Call) and value.args else value
            return ast.unparse(header), not _secret_lookup(func, refused)
    return "", False


def _secret_lookup(func: FunctionNode, name: str) -> bool:
    """``Token.objects.get(key=name)`` (or ``get_object_or_404``): ``name`` is checked."""
    return any(
        isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Attribute) and node.func.attr == "get")
            or (isinstance(node.func, ast.Name) and node.func.id == "get_object_or_404")
        )
        and any(
            _secret_keyword(kw.arg) and isinstance(kw.value, ast.Name) and kw.value.id == name
            for kw in node.keywords
        )
        for node in walking.walk(func)
    )


def _secret_keyword(arg: str | None) -> bool:
    """``key=``, ``api_key=``, ``token__exact=``: a field holding a stored secret."""
    field = (arg or "").removesuffix("__exact")
    return field in SECRET_FIELDS or field == "key" or field.endswith(("_key", "_token"))


def _swallowed(stmt: ast.stmt) -> bool:
    """A ``try`` one of whose handlers neither returns nor raises (the request goes on)."""
    return isinstance(stmt, ast.Try) and any(
        not handler.body or not isinstance(handler.body[-1], ast.Return | ast.Raise)
        for handler in stmt.handlers
    )


def _missing(test: ast.expr, sent: dict[str, ast.expr]) -> str:
    """``not value`` / ``value is None`` over a sent value that may be missing: its name.

    A default that is never missing (``request.META.get("HTTP_X_EMAIL", "")`` tested with
    ``is None``, ``.get("HTTP_X_EMAIL", "anonymous")`` with ``not``) refuses nobody: ``""``.
    """
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        name = test.operand.id if isinstance(test.operand, ast.Name) else ""
        default = _default(sent[name]) if name in sent else None
        truthy = isinstance(default, ast.Constant) and bool(default.value)
        return name if name in sent and not truthy else ""
    if (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.Is)
        and isinstance(test.left, ast.Name)
        and test.left.id in sent
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value is None
    ):
        default = _default(sent[test.left.id])
        never = isinstance(default, ast.Constant) and default.value is not None
        return "" if never else test.left.id
    return ""


def _default(value: ast.expr) -> ast.expr | None:
    """The default of ``request.META.get(name, default)`` (None when there is none)."""
    if isinstance(value, ast.Call) and len(value.args) > 1:
        return value.args[1]
    return None


def _signs_in(stmt: ast.stmt) -> bool:
    """``request.user = ...`` (at the top level, or inside a ``try``)."""
    return any(
        isinstance(node, ast.Assign) and any(_request_attribute(t) == "user" for t in node.targets)
        for node in walking.walk(stmt)
    )
