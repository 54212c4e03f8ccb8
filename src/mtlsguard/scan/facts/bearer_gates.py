"""A credential a view keeps on ``self``, required and resolved by its ``dispatch()``.

API base views often read the bearer credential once (``setup()``: ``self.token =
get_bearer_token(request)``) and check it in ``dispatch()``, sometimes in two classes of the
MRO, one requiring it and one resolving it::

    class TokenRequiredMixin:
        def dispatch(self, request, *args, **kwargs):
            if self.token:
                return super().dispatch(request, *args, **kwargs)
            return JsonResponse({"error": "no credential"}, status=400)

    class ApiView(View):
        def dispatch(self, request, *args, **kwargs):
            if self.token:
                try:
                    self.key = ApiKey.objects.get_valid(self.token)
                except ApiKey.DoesNotExist:
                    return JsonResponse({"error": "invalid credential"}, status=401)
            return super().dispatch(request, *args, **kwargs)

Two facts per body, about attributes of ``self`` named like a credential (``token``,
``api_key``, ``authorization``...): those it *requires* (no value, no way on: a ``return`` of
anything but ``super().dispatch(...)``, or a ``raise``), and those it *resolves* (a model
manager is asked for the record of a value derived from the attribute, and the failure ends the
request: ``except DoesNotExist: return ...``, or ``if record is None: return ...``). Whether
the attribute comes from the request, and whether the two meet on the way to the handler, is
:mod:`mtlsguard.scan.analysis.bearer`'s question.
"""

from __future__ import annotations

import ast

from mtlsguard.scan import walking
from mtlsguard.scan.facts.guards import exits
from mtlsguard.scan.facts.syntax import FunctionNode, own_nodes, through_objects

__all__ = ["credential_attribute", "required_credentials", "resolved_credentials"]

_CREDENTIAL_WORDS = frozenset({"token", "secret", "key", "apikey", "authorization", "bearer"})


def credential_attribute(name: str) -> bool:
    """``encoded_token``, ``api_key``, ``authorization``: a name of a credential."""
    return bool(_CREDENTIAL_WORDS.intersection(name.lower().replace("-", "_").split("_")))


def _self_attribute(node: ast.expr) -> str:
    """``X`` for ``self.X`` named like a credential, else ``""``."""
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
        and credential_attribute(node.attr)
    ):
        return node.attr
    return ""


def _presence(test: ast.expr) -> tuple[str, bool] | None:
    """(attribute, True) for ``self.X``/``self.X is not None``; False for ``not self.X``."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _presence(test.operand)
        return None if inner is None else (inner[0], not inner[1])
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        right = test.comparators[0]
        if isinstance(right, ast.Constant) and right.value is None:
            name = _self_attribute(test.left)
            if name:
                return name, isinstance(test.ops[0], ast.IsNot)
        return None
    name = _self_attribute(test)
    return (name, True) if name else None


def _hands_on(body: list[ast.stmt]) -> bool:
    """The branch ends in ``return super().dispatch(...)`` (the way on)."""
    last = body[-1] if body else None
    return (
        isinstance(last, ast.Return)
        and isinstance(last.value, ast.Call)
        and isinstance(last.value.func, ast.Attribute)
        and isinstance(last.value.func.value, ast.Call)
        and isinstance(last.value.func.value.func, ast.Name)
        and last.value.func.value.func.id == "super"
    )


def required_credentials(func: FunctionNode) -> tuple[str, ...]:
    """Credential attributes of ``self`` without which the body does not go on.

    ``if not self.token: return JsonResponse(..., status=401)``, or ``if self.token: return
    super().dispatch(...)`` followed by a refusal.
    """
    found: list[str] = []
    body = func.body
    for index, stmt in enumerate(body):
        if not isinstance(stmt, ast.If):
            continue
        presence = _presence(stmt.test)
        if presence is None:
            continue
        name, present = presence
        if not present and exits(stmt.body) and not _hands_on(stmt.body):
            found.append(name)
        elif present and _hands_on(stmt.body):
            rest = stmt.orelse or body[index + 1 :]
            if rest and exits(rest) and not _hands_on(rest):
                found.append(name)
    return tuple(dict.fromkeys(found))


def resolved_credentials(func: FunctionNode) -> tuple[str, ...]:
    """Credential attributes of ``self`` the body resolves to a record, refusing on failure."""
    derived: dict[str, str] = {}  # local -> the attribute it was computed from
    for node in own_nodes(func):
        if isinstance(node, ast.Assign):
            source = _source(node.value, derived)
            if source:
                derived.update({t.id: source for t in node.targets if isinstance(t, ast.Name)})
    found: list[str] = []
    for node in own_nodes(func):
        if isinstance(node, ast.Try):
            ends = any(h.body and exits(h.body) and not _hands_on(h.body) for h in node.handlers)
            if ends:
                found.extend(_lookups(node.body, derived))
        elif isinstance(node, ast.If) and exits(node.body) and not _hands_on(node.body):
            for name in _absent(node.test):
                found.extend(_looked_up(func, name, derived))
    return tuple(dict.fromkeys(found))


def _source(value: ast.expr, derived: dict[str, str]) -> str:
    """The credential attribute ``value`` is computed from (``self.token``, a local of it)."""
    for node in walking.walk(value):
        name = _self_attribute(node) if isinstance(node, ast.Attribute) else ""
        if name:
            return name
        if isinstance(node, ast.Name) and node.id in derived:
            return derived[node.id]
    return ""


def _lookups(body: list[ast.stmt], derived: dict[str, str]) -> list[str]:
    """Attributes behind a manager call given a value derived from them, in ``body``."""
    found: list[str] = []
    for stmt in body:
        for node in walking.walk(stmt):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and through_objects(node.func)
            ):
                continue
            for arg in [*node.args, *(kw.value for kw in node.keywords)]:
                source = _source(arg, derived)
                if source:
                    found.append(source)
    return found


def _absent(test: ast.expr) -> list[str]:
    """Locals a test refuses on when they hold nothing (``not record``, ``record is None``)."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return [test.operand.id] if isinstance(test.operand, ast.Name) else []
    if (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.Is)
        and isinstance(test.left, ast.Name)
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value is None
    ):
        return [test.left.id]
    return []


def _looked_up(func: FunctionNode, name: str, derived: dict[str, str]) -> list[str]:
    """Attributes behind ``name = Model.objects...(<derived value>)`` in ``func``."""
    found: list[str] = []
    for node in own_nodes(func):
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
            and _through_objects_call(node.value)
        ):
            found.extend(_lookups([ast.Expr(node.value)], derived))
    return found


def _through_objects_call(value: ast.expr) -> bool:
    """``Model.objects.filter(...).first()`` and the like: a manager is asked."""
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and through_objects(n.func)
        for n in walking.walk(value)
    )
