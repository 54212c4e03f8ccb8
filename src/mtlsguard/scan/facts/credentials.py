"""A credential the caller sends, resolved to a record, and a refusal when none matches.

An API-key decorator (or the prologue of a view) authenticates the request as a login would:

    api_key = request.headers["X-Api-Key"]            # or a JSON field, or a URL part
    project = Project.objects.for_api_key(api_key)    # .get(api_key=...), .filter(...).first()
    if project is None:
        return error("wrong api key", 401)
    request.project = project

Three things together: a value the caller chose (request input or a URL parameter), a lookup
through a model manager given that value, and a refusal (``return``/``raise``) when the lookup
found nothing (``if x is None``/``if not x``, or an ``except DoesNotExist`` that ends the
request). The value must be *named* like a secret somewhere on its way — the header
(``X-Api-Key``), the variable (``api_key``), the manager method (``for_api_key``) or the field
(``token=``) — so that ``Thing.objects.filter(pk=request.GET["id"]).first()`` followed by a
404 stays an object lookup, not a login. In a decorator the check sits in the nested wrapper.
"""

from __future__ import annotations

import ast

from mtlsguard.scan.facts.guards import guard_blocks
from mtlsguard.scan.facts.syntax import (
    MANAGERS,
    FunctionNode,
    mentions_user,
    own_nodes,
    strings,
    subtree,
    through_objects,
)

__all__ = ["credential_guard"]

_SECRET_WORDS = frozenset(
    {"token", "secret", "key", "apikey", "nonce", "passphrase", "signature", "authorization"}
)
_REQUEST_INPUT = frozenset(
    {"data", "GET", "POST", "query_params", "body", "headers", "META", "COOKIES", "json"}
)
_NOT_PARAMS = frozenset({"self", "cls", "request", "format", "args", "kwargs", "kwds"})


def _secret_named(text: str) -> bool:
    """``X-Api-Key``, ``HTTP_AUTHORIZATION``, ``for_api_key``, ``api_key``."""
    words = text.lower().replace("-", "_").split("_")
    return bool(_SECRET_WORDS.intersection(words))


def credential_guard(func: FunctionNode) -> bool:
    """``func`` (or a function nested in it) refuses unless a sent credential finds a record."""
    # ``func`` and the defs nested in its body (the cached walk; the order does not matter).
    nested = (node for node in own_nodes(func, nested=True) if isinstance(node, FunctionNode))
    return _guards(func) or any(_guards(node) for node in nested)


def _functions_params(func: FunctionNode) -> set[str]:
    args = func.args
    return {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs} - _NOT_PARAMS


def _guards(func: FunctionNode) -> bool:
    assigns = _assignments(func)
    if not any(
        isinstance(n, ast.Attribute) and n.attr in MANAGERS
        for a in assigns
        for n in subtree(a.value)
    ):
        return False
    sent, secret = _sent_names(func, assigns)
    if not sent:
        return False
    found: set[str] = set()
    for assign in assigns:
        lookup = _credential_lookup(assign.value, sent, secret)
        if lookup:
            found.update(t.id for t in assign.targets if isinstance(t, ast.Name))
    if found and guard_blocks(func.body, lambda test: _names_in(test) & found != set()):
        return True
    return _refusing_try(func.body, sent, secret)


def _assignments(func: FunctionNode) -> list[ast.Assign]:
    """Assignments of ``func``'s own body (not of a function nested in it).

    From the cached walk of the body, in source order; every use of them is a question about
    the whole set (a fixpoint, a union, "is there one"), not about their order.
    """
    return [node for node in own_nodes(func) if isinstance(node, ast.Assign)]


def _sent_names(func: FunctionNode, assigns: list[ast.Assign]) -> tuple[set[str], set[str]]:
    """Names holding a value the caller chose, and those of them read from the request.

    URL parameters are chosen by the caller too, but a URL names objects more often than it
    carries a key: only a manager method named like a secret (``for_api_key``) counts them.
    The result is the least fixpoint: it does not depend on the order of ``assigns``.
    """
    sent = _functions_params(func)
    secret: set[str] = set()
    # What an assignment's value says does not change from one round to the next: each is
    # read once (by id: whether a string of it is named like a secret, whether it reads input).
    candidates = [a for a in assigns if not mentions_user(a.value)]
    shapes: dict[int, tuple[bool, bool]] = {}
    changed = True
    while changed:
        changed = False
        for assign in candidates:
            if not _caller_value(assign.value, sent):
                continue
            for target in assign.targets:
                if not isinstance(target, ast.Name) or target.id in secret:
                    continue
                shape = shapes.get(id(assign))
                if shape is None:
                    shape = shapes[id(assign)] = (
                        any(_secret_named(s) for s in strings(assign.value)),
                        any(_request_input(n) for n in subtree(assign.value)),
                    )
                named = _secret_named(target.id) or shape[0]
                direct = shape[1]
                if (named and direct) or _names_in(assign.value) & secret:
                    secret.add(target.id)
                    changed = True
                if target.id not in sent:
                    sent.add(target.id)
                    changed = True
    return sent, secret


def _caller_value(value: ast.expr, sent: set[str]) -> bool:
    for node in subtree(value):
        if isinstance(node, ast.Name) and node.id in sent:
            return True
        if _request_input(node):
            return True
    return False


def _request_input(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr in _REQUEST_INPUT
        and isinstance(node.value, ast.Name)
        and node.value.id == "request"
    )


def _names_in(node: ast.AST) -> set[str]:
    return {n.id for n in subtree(node) if isinstance(n, ast.Name)}


def _credential_lookup(value: ast.expr, sent: set[str], secret: set[str]) -> bool:
    """A manager lookup given a sent value, named like a secret on the way."""
    for node in subtree(value):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and through_objects(node.func)
        ):
            continue
        given = [*node.args, *(kw.value for kw in node.keywords)]
        if not any(_names_in(arg) & sent for arg in given):
            continue
        if _secret_named(node.func.attr) or any(_names_in(arg) & secret for arg in given):
            return True
        for kw in node.keywords:
            if (
                kw.arg
                and _secret_named(kw.arg.split("__")[-1])
                and any(_request_input(n) for n in subtree(kw.value))
            ):
                return True
    return False


def _refusing_try(body: list[ast.stmt], sent: set[str], secret: set[str]) -> bool:
    """``try: x = M.objects.get(api_key=key) except M.DoesNotExist: return 401``."""
    for stmt in body:
        if not isinstance(stmt, ast.Try) or not stmt.handlers:
            continue
        ends = all(h.body and isinstance(h.body[-1], ast.Raise | ast.Return) for h in stmt.handlers)
        if ends and any(
            isinstance(sub, ast.Assign) and _credential_lookup(sub.value, sent, secret)
            for sub in stmt.body
        ):
            return True
    return False
