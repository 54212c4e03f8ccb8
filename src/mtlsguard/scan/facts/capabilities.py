"""Secret checks a body makes, and how it hands ``request.user`` on (:class:`CapabilityFacts`).

Three questions, each asked only when the walk saw a sign the answer may be yes:

- which calls guard the body (``if not verify_signature(sig, ...): raise PermissionDenied``):
  whether such a helper compares an HMAC is the project's business, answered by
  :mod:`mtlsguard.scan.analysis.secrets`;
- which records the body cannot go on without, fetched by a secret-named field whose value the
  caller sent (``Device.objects.get(initialization_token=serializer.validated_data["token"])``);
- which calls of a queryset method are given ``request.user`` (a user-aware queryset).

A ``try`` whose body unsigns a value (``signing.loads``, ``TimestampSigner().unsign``) and whose
``except BadSignature`` refuses is a signed URL by itself: :func:`signed_guard`.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator

from mtlsguard.scan import walking
from mtlsguard.scan.capability_facts import CapabilityFacts, KeyLookup
from mtlsguard.scan.facts.bearer_gates import required_credentials, resolved_credentials
from mtlsguard.scan.facts.credential_refusals import leading_self_calls, refuses_without_credential
from mtlsguard.scan.facts.credentials import credential_guard
from mtlsguard.scan.facts.guards import denies, guard_blocks
from mtlsguard.scan.facts.request_principals import (
    credential_calls,
    header_sign_in,
    principal_writes,
    request_refusals,
)
from mtlsguard.scan.facts.secret_checks import secret_answer
from mtlsguard.scan.facts.syntax import (
    FunctionNode,
    is_request,
    is_request_user,
    keyed_owner,
    keyed_read,
    mentions_user,
    own_nodes,
    returned_wrappers,
    through_objects,
)
from mtlsguard.scan.project_model import Expr, Ref

__all__ = ["capability_facts", "signed_guard"]

_ALWAYS_RUN_BLOCKS = (ast.Try, ast.With, ast.AsyncWith)
"""Checked with ``isinstance`` in a hot loop (a tuple: no union built per call)."""

_SECRET_WORDS = frozenset({"token", "secret", "key", "nonce", "passphrase", "signature"})
"""Words of a field name that hold a secret (``initialization_token``, ``api_key``)."""
_REQUEST_INPUT = frozenset(
    {"data", "GET", "POST", "query_params", "body", "headers", "META", "COOKIES"}
)
_VALIDATED = frozenset({"validated_data", "cleaned_data"})
"""Request input after a serializer or form checked its shape."""
_NOT_PARAMS = frozenset({"self", "cls", "request", "format"})
_SIGNATURE_ERRORS = frozenset({"BadSignature", "SignatureExpired"})
_LOOKUPS = frozenset({"get", "get_object_or_404", "aget", "aget_object_or_404"})


def capability_facts(
    func: FunctionNode,
    resolve: Callable[[ast.expr], Expr],
    *,
    shorts: frozenset[str],
    hints: frozenset[str],
) -> CapabilityFacts:
    """The :class:`CapabilityFacts` of ``func``.

    ``shorts``: last parts of the resolved names the walk met (``get`` for
    ``Device.objects.get``); ``hints``: the walk's hints. Reads nothing but ``func`` and
    ``resolve``, so it may run any time after the walk, as late as the first question.
    """

    def callee(call: ast.Call) -> str:
        """:meth:`FunctionWalk.callee <mtlsguard.scan.facts.walk.FunctionWalk.callee>`."""
        value = resolve(call.func)
        if isinstance(value, Ref):
            return value.name
        if isinstance(call.func, ast.Attribute):
            return "." + call.func.attr
        return ""

    return CapabilityFacts(
        guard_calls=_guard_calls(func, callee),
        key_lookups=tuple(_key_lookups(func, resolve)) if shorts & _LOOKUPS else (),
        # A credential lookup goes through a model manager: no manager read, no lookup.
        credential_guard="manager" in hints and credential_guard(func),
        reads_user_state="auth" in hints,
        later={
            "user_calls": lambda: _user_calls(func, callee) if "user" in hints else (),
            "lockout": lambda: _lockout(func),
            "authenticate_keywords": lambda: (
                _authenticate_keywords(func, callee) if shorts & _AUTHENTICATE else ()
            ),
            "secret_answer": lambda: "secret" in hints and secret_answer(func),
            "principal_writes": lambda: principal_writes(func),
            "credential_calls": lambda: credential_calls(func),
            "header_sign_in": lambda: header_sign_in(func),
            "request_refusals": lambda: request_refusals(func),
            "view_kwargs": lambda: _view_kwargs(func),
            "view_attributes": lambda: _view_attributes(func) if len(func.args.args) >= 3 else (),
            "user_param_calls": lambda: _user_param_calls(func, callee),
            "refuses_without_credential": lambda: refuses_without_credential(func),
            "credential_helpers": lambda: (
                leading_self_calls(func) if func.name == "authenticate" else ()
            ),
            "required_credentials": lambda: (
                required_credentials(func) if func.name == "dispatch" else ()
            ),
            "resolved_credentials": lambda: (
                resolved_credentials(func) if func.name == "dispatch" and "manager" in hints else ()
            ),
        },
    )


def _user_param_calls(func: FunctionNode, callee: Callable[[ast.Call], str]) -> tuple[str, ...]:
    """Calls handed a parameter named like a user (``visible_for(user)``, ``f(viewer=viewer)``)."""
    users = {
        a.arg
        for a in [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]
        if "user" in a.arg or "viewer" in a.arg
    }
    if not users:
        return ()
    found: dict[str, None] = {}
    for node in own_nodes(func):
        if isinstance(node, ast.Call) and any(
            isinstance(arg, ast.Name) and arg.id in users
            for arg in [*node.args, *(kw.value for kw in node.keywords)]
        ):
            name = callee(node)
            if name:
                found.setdefault(name)
    return tuple(found)


def _property(func: FunctionNode) -> bool:
    """``@property def workspace_slug(self)``: an attribute computed from the object."""
    return len(func.args.args) == 1 and any(
        isinstance(d, ast.Name) and d.id in ("property", "cached_property")
        for d in func.decorator_list
    )


def _view_attributes(func: FunctionNode) -> tuple[str, ...]:
    """``workspace_slug`` for ``view.workspace_slug`` in ``has_permission(self, request, view)``."""
    view = func.args.args[2].arg
    found = (
        node.attr
        for node in own_nodes(func)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == view
        and node.attr != "kwargs"
    )
    return tuple(dict.fromkeys(found))


def _view_kwargs(func: FunctionNode) -> tuple[str, ...]:
    """Constant keys read from ``view.kwargs`` (``[...]`` or ``.get(...)``), ``view`` a param.

    In a property or ``get_queryset(self)``, ``self`` is the view (``self.kwargs.get("slug")``).
    """
    if len(func.args.args) < 3 and not _property(func) and func.name != "get_queryset":
        return ()  # neither a permission check handed a view nor a method of the view
    params = {a.arg for a in func.args.args[1:]} or {"self"}
    found = (
        key
        for node in own_nodes(func)
        if (key := keyed_read(node, "kwargs")) and keyed_owner(node) in params
    )
    return tuple(dict.fromkeys(found))


_AUTHENTICATE = frozenset({"authenticate", "aauthenticate"})
_COUNTER_WORDS = ("fail", "attempt")


def _authenticate_keywords(
    func: FunctionNode, callee: Callable[[ast.Call], str]
) -> tuple[tuple[str, ...], ...]:
    found: list[tuple[str, ...]] = []
    for node in own_nodes(func):
        if not isinstance(node, ast.Call) or callee(node).rsplit(".", 1)[-1] not in _AUTHENTICATE:
            continue
        names = tuple(kw.arg for kw in node.keywords if kw.arg is not None)
        if len(names) == len(node.keywords) and len(node.args) <= 1:
            found.append(names)
    return tuple(found)


def _lockout(func: FunctionNode) -> bool:
    """``if user.failed_login_count >= lock_count: return {...}``: a lockout after failures."""
    for node in own_nodes(func):
        if not (isinstance(node, ast.If) and isinstance(node.test, ast.Compare)):
            continue
        test = node.test
        if not any(isinstance(op, ast.Gt | ast.GtE | ast.Lt | ast.LtE) for op in test.ops):
            continue
        names = [
            n.attr if isinstance(n, ast.Attribute) else n.id
            for n in (test.left, *test.comparators)
            if isinstance(n, ast.Attribute | ast.Name)
        ]
        if any(w in name.lower() for name in names for w in _COUNTER_WORDS) and any(
            isinstance(sub, ast.Return | ast.Raise) for sub in walking.walk(node)
        ):
            return True
    return False


def _guard_calls(func: FunctionNode, callee: Callable[[ast.Call], str]) -> tuple[str, ...]:
    """Names of calls in the test of an ``if`` (at the top of the body) that refuses.

    A decorator's are those of the wrapper it returns (:func:`.syntax.returned_wrappers`).
    """
    names: dict[int, str] = {}

    def callee_of(call: ast.Call) -> str:
        """``callee(call)``, resolved once per call node."""
        key = id(call)
        if key not in names:
            names[key] = callee(call)
        return names[key]

    wrapped = tuple(n for inner in returned_wrappers(func) for n in _guard_calls(inner, callee))
    tested: dict[str, None] = {}
    for stmt in _top_statements(func.body):
        if isinstance(stmt, ast.If):
            for node in walking.walk(stmt.test):
                if isinstance(node, ast.Call) and (name := callee_of(node)):
                    tested.setdefault(name)
    if not tested:
        return wrapped

    called: dict[int, frozenset[str]] = {}

    def called_in(test: ast.expr) -> frozenset[str]:
        """What the calls of ``test`` call (each test walked once, not once per name)."""
        key = id(test)
        if key not in called:
            called[key] = frozenset(
                callee_of(n) for n in walking.walk(test) if isinstance(n, ast.Call)
            )
        return called[key]

    def calls(name: str) -> Callable[[ast.expr], bool]:
        return lambda test: name in called_in(test)

    own = tuple(name for name in tested if guard_blocks(func.body, calls(name)))
    return tuple(dict.fromkeys(own + wrapped)) if wrapped else own


def _top_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements that run on every call: the body's, inside ``try``/``with`` included."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, _ALWAYS_RUN_BLOCKS):
            yield from _top_statements(stmt.body)


def _key_lookups(func: FunctionNode, resolve: Callable[[ast.expr], Expr]) -> Iterator[KeyLookup]:
    args = func.args
    params = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs} - _NOT_PARAMS
    inputs = set(params)
    for stmt, refused in _gating_statements(func.body, inputs):
        if isinstance(stmt, ast.Assign) and _caller_value(stmt.value, inputs):
            inputs.update(t.id for t in stmt.targets if isinstance(t, ast.Name))
        if not refused or isinstance(
            stmt, ast.If | ast.For | ast.While | ast.Try | ast.With | ast.AsyncWith
        ):
            continue
        for node in walking.walk(stmt):
            if isinstance(node, ast.Call):
                found = _key_lookup(node, inputs, resolve)
                if found is not None:
                    yield found


def _gating_statements(body: list[ast.stmt], inputs: set[str]) -> Iterator[tuple[ast.stmt, bool]]:
    """Top-level statements, with whether a failed lookup in them ends the request.

    In a ``try`` only when every handler raises or returns (``except DoesNotExist: raise
    ValidationError(...)``), not when one carries on (``except DoesNotExist: device = None``),
    unless it carries on only through another secret-keyed lookup that refuses (``except
    Check.DoesNotExist: try: project = Project.objects.get(ping_key=key) except
    Project.DoesNotExist: return HttpResponseNotFound()``, then a new check of that project).
    """
    for stmt in body:
        yield stmt, True
        if isinstance(stmt, ast.Try):
            # A handler that answers anything ends the request without the record.
            refuses = all(
                _ends(h.body) or any(denies(s) or _secret_fallback(s, inputs) for s in h.body)
                for h in stmt.handlers
            )
            for sub in stmt.body:
                yield sub, refuses
            for handler in stmt.handlers:
                for fallback in handler.body:
                    if _secret_fallback(fallback, inputs):
                        yield from _gating_statements([fallback], inputs)
        elif isinstance(stmt, ast.With | ast.AsyncWith):
            yield from _gating_statements(stmt.body, inputs)


def _secret_fallback(stmt: ast.stmt, inputs: set[str]) -> bool:
    """A ``try`` fetching by a secret-named field the caller gave, every handler refusing."""
    if not isinstance(stmt, ast.Try) or not all(
        any(denies(s) for s in h.body) for h in stmt.handlers
    ):
        return False
    return any(
        isinstance(node, ast.Call)
        and any(
            kw.arg
            and _SECRET_WORDS.intersection(kw.arg.split("__")[-1].lower().split("_"))
            and _caller_value(kw.value, inputs)
            for kw in node.keywords
        )
        for sub in stmt.body
        for node in walking.walk(sub)
    )


def _key_lookup(
    call: ast.Call, inputs: set[str], resolve: Callable[[ast.expr], Expr]
) -> KeyLookup | None:
    func = call.func
    if isinstance(func, ast.Name) and func.id.endswith("get_object_or_404") and call.args:
        source: ast.expr = call.args[0]
    elif isinstance(func, ast.Attribute) and func.attr in ("get", "aget") and through_objects(func):
        source = func.value
    else:
        return None
    for kw in call.keywords:
        field = (kw.arg or "").removesuffix("__exact")
        # project__ping_key: a secret of a related record (followed by the analysis)
        if not field or not _SECRET_WORDS.intersection(field.split("__")[-1].lower().split("_")):
            continue
        if _caller_value(kw.value, inputs):
            model = resolve(_model(source))
            return KeyLookup(call.lineno, model.name if isinstance(model, Ref) else None, field)
    return None


def _model(source: ast.expr) -> ast.expr:
    """``Device`` from ``Device.objects.select_related(...)``."""
    node = source
    while isinstance(node, ast.Attribute | ast.Call):
        if isinstance(node, ast.Attribute) and node.attr == "objects":
            return node.value
        node = node.func if isinstance(node, ast.Call) else node.value
    return node


def _caller_value(value: ast.expr, inputs: set[str]) -> bool:
    """The caller chose ``value``: request input, a form's cleaned data, a URL parameter."""
    if mentions_user(value):
        return False
    for node in walking.walk(value):
        if isinstance(node, ast.Name) and node.id in inputs:
            return True
        if isinstance(node, ast.Attribute) and (
            node.attr in _VALIDATED
            or (node.attr in _REQUEST_INPUT and is_request(node.value))
            or (node.attr == "kwargs" and _is_self(node.value))
        ):
            return True
    return False


def _is_self(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == "self"


def _user_calls(func: FunctionNode, callee: Callable[[ast.Call], str]) -> tuple[str, ...]:
    """Calls given ``request.user`` (``self.request.user``) as an argument."""
    found: dict[str, None] = {}
    for node in own_nodes(func):
        if isinstance(node, ast.Call) and any(
            is_request_user(arg) for arg in [*node.args, *(kw.value for kw in node.keywords)]
        ):
            name = callee(node)
            if name:
                found.setdefault(name)
    return tuple(found)


def _ends(body: list[ast.stmt]) -> bool:
    """The handler ends the request: its last statement returns something or raises."""
    last = body[-1] if body else None
    return isinstance(last, ast.Raise) or (isinstance(last, ast.Return) and last.value is not None)


def signed_guard(func: FunctionNode) -> bool:
    """A value unsigned in a ``try`` whose ``except BadSignature`` refuses: a signed URL.

    ``try: pk = TimestampSigner().unsign(token, max_age=3600) except (BadSignature,
    SignatureExpired): raise Http404``: only a link the server signed gets through. The
    unsign may sit in a project helper (``unsign_bounce_id(...)``), and the handler may answer
    anything (``return render(request, "bad_link.html")``): it ends the request without the
    unsigned value.
    """
    for stmt in _top_statements(func.body):
        if not isinstance(stmt, ast.Try):
            continue
        for handler in stmt.handlers:
            kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
            catches = any(
                (isinstance(k, ast.Name) and k.id in _SIGNATURE_ERRORS)
                or (isinstance(k, ast.Attribute) and k.attr in _SIGNATURE_ERRORS)
                for k in kinds
            )
            if catches and _ends(handler.body):
                return True
    return False
