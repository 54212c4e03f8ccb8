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

from mtlsguard.scan.capability_facts import CapabilityFacts, KeyLookup
from mtlsguard.scan.facts.guards import denies, guard_blocks
from mtlsguard.scan.facts.syntax import FunctionNode, mentions_user, own_nodes, through_objects
from mtlsguard.scan.project_model import Expr, Ref

__all__ = ["capability_facts", "signed_guard"]

_SECRET_WORDS = frozenset({"token", "secret", "key", "nonce", "passphrase", "signature"})
"""Words of a field name that hold a secret (``initialization_token``, ``api_key``)."""
_REQUEST_INPUT = frozenset(
    {"data", "GET", "POST", "query_params", "body", "headers", "META", "COOKIES"}
)
_VALIDATED = frozenset({"validated_data", "cleaned_data"})
"""Request input after a serializer or form checked its shape."""
_NOT_PARAMS = frozenset({"self", "cls", "request", "format"})
_UNSIGN = frozenset({"unsign", "unsign_object"})
_SIGNATURE_ERRORS = frozenset({"BadSignature", "SignatureExpired"})
_LOOKUPS = frozenset({"get", "get_object_or_404", "aget", "aget_object_or_404"})


def capability_facts(
    func: FunctionNode,
    callee: Callable[[ast.Call], str],
    resolve: Callable[[ast.expr], Expr],
    *,
    called: list[str],
    hints: set[str],
    queryset_method: bool,
) -> CapabilityFacts:
    """The :class:`CapabilityFacts` of ``func`` (``called``: resolved names the walk met)."""
    shorts = {name.rsplit(".", 1)[-1] for name in called}
    return CapabilityFacts(
        guard_calls=_guard_calls(func, callee),
        key_lookups=tuple(_key_lookups(func, resolve)) if shorts & _LOOKUPS else (),
        user_calls=_user_calls(func, callee) if queryset_method and "user" in hints else (),
        reads_user_state="auth" in hints,
    )


def _guard_calls(func: FunctionNode, callee: Callable[[ast.Call], str]) -> tuple[str, ...]:
    """Names of calls in the test of an ``if`` (at the top of the body) that refuses."""
    names: dict[int, str] = {}

    def callee_of(call: ast.Call) -> str:
        """``callee(call)``, resolved once per call node."""
        key = id(call)
        if key not in names:
            names[key] = callee(call)
        return names[key]

    tested: dict[str, None] = {}
    for stmt in _top_statements(func.body):
        if isinstance(stmt, ast.If):
            for node in ast.walk(stmt.test):
                if isinstance(node, ast.Call) and (name := callee_of(node)):
                    tested.setdefault(name)
    if not tested:
        return ()

    def calls(name: str) -> Callable[[ast.expr], bool]:
        return lambda test: any(
            isinstance(n, ast.Call) and callee_of(n) == name for n in ast.walk(test)
        )

    return tuple(name for name in tested if guard_blocks(func.body, calls(name)))


def _top_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements that run on every call: the body's, inside ``try``/``with`` included."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, ast.Try | ast.With | ast.AsyncWith):
            yield from _top_statements(stmt.body)


def _key_lookups(func: FunctionNode, resolve: Callable[[ast.expr], Expr]) -> Iterator[KeyLookup]:
    args = func.args
    params = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs} - _NOT_PARAMS
    inputs = set(params)
    for stmt, refused in _gating_statements(func.body):
        if isinstance(stmt, ast.Assign) and _caller_value(stmt.value, inputs):
            inputs.update(t.id for t in stmt.targets if isinstance(t, ast.Name))
        if not refused or isinstance(
            stmt, ast.If | ast.For | ast.While | ast.Try | ast.With | ast.AsyncWith
        ):
            continue
        for node in ast.walk(stmt):
            if isinstance(node, ast.Call):
                found = _key_lookup(node, inputs, resolve)
                if found is not None:
                    yield found


def _gating_statements(body: list[ast.stmt]) -> Iterator[tuple[ast.stmt, bool]]:
    """Top-level statements, with whether a failed lookup in them ends the request.

    In a ``try`` only when every handler raises or returns (``except DoesNotExist: raise
    ValidationError(...)``), not when one carries on (``except DoesNotExist: device = None``).
    """
    for stmt in body:
        yield stmt, True
        if isinstance(stmt, ast.Try):
            refuses = all(any(denies(s) for s in h.body) for h in stmt.handlers)
            for sub in stmt.body:
                yield sub, refuses
        elif isinstance(stmt, ast.With | ast.AsyncWith):
            yield from _gating_statements(stmt.body)


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
        if "__" in field or not _SECRET_WORDS.intersection(field.lower().split("_")):
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
    for node in ast.walk(value):
        if isinstance(node, ast.Name) and node.id in inputs:
            return True
        if isinstance(node, ast.Attribute) and (
            node.attr in _VALIDATED
            or (node.attr in _REQUEST_INPUT and _is_request(node.value))
            or (node.attr == "kwargs" and _is_self(node.value))
        ):
            return True
    return False


def _is_request(node: ast.expr) -> bool:
    return (isinstance(node, ast.Name) and node.id == "request") or (
        isinstance(node, ast.Attribute) and node.attr == "request"
    )


def _is_self(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == "self"


def _user_calls(func: FunctionNode, callee: Callable[[ast.Call], str]) -> tuple[str, ...]:
    """Calls given ``request.user`` (``self.request.user``) as an argument."""
    found: dict[str, None] = {}
    for node in own_nodes(func):
        if isinstance(node, ast.Call) and any(
            _request_user(arg) for arg in [*node.args, *(kw.value for kw in node.keywords)]
        ):
            name = callee(node)
            if name:
                found.setdefault(name)
    return tuple(found)


def _request_user(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "user" and _is_request(node.value)


def signed_guard(func: FunctionNode, called: list[str]) -> bool:
    """A value unsigned in a ``try`` whose ``except BadSignature`` refuses: a signed URL.

    ``try: pk = TimestampSigner().unsign(token, max_age=3600) except (BadSignature,
    SignatureExpired): raise Http404``: only a link the server signed gets through.
    """
    if not any(
        name.rsplit(".", 1)[-1] in _UNSIGN or name == "django.core.signing.loads" for name in called
    ):
        return False
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
            if catches and any(denies(s) for s in handler.body):
                return True
    return False
