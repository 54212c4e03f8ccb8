"""Owner checks: a comparison of a server-side value with the requesting user that refuses.

``if request.user != workout.user: return HttpResponseForbidden()``, ``if owner_object and
owner_object.user != self.request.user: return HttpResponseForbidden()``, ``if
contract.member.userprofile.gym_id != request.user.userprofile.gym_id: raise PermissionDenied``
(a tenant key read the same way on both sides), ``is_owner = request.user == workout.user`` then
``if not is_owner and not owner.userprofile.ro_access: return HttpResponseForbidden()`` (an
opt-in to sharing): the failing side of the comparison refuses. The anonymous user equals no
owner, so such a check also refuses anonymous callers: it is a login gate as well as an object
check.

Not owner checks: a comparison with what the caller sends (``request.GET["user"]``,
``self.kwargs["user_pk"]``: the caller chooses it), a comparison whose failing branch does
not refuse, and one made after the body already returned the data.
"""

from __future__ import annotations

import ast

from mtlsguard.scan.facts.guards import REQUEST_INPUT, denies, exits
from mtlsguard.scan.facts.syntax import FunctionNode, own_nodes

__all__ = [
    "owner_checked_names",
    "owner_guard",
    "owner_locals",
    "requester",
    "server_side",
    "user_aliases",
]

_MISMATCH = (ast.NotEq, ast.IsNot, ast.NotIn)
_MATCH = (ast.Eq, ast.Is, ast.In)
_CALLER_INPUT = frozenset({"kwargs", "args"})


def _root(node: ast.expr) -> list[str]:
    """The dotted names of an attribute/subscript/call chain, outermost last."""
    parts: list[str] = []
    while True:
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Subscript):
            node = node.value
        elif isinstance(node, ast.Call):
            if node.func.__class__ is ast.Name and node.args:
                node = node.args[0]  # int(self.kwargs["pk"]), str(obj.user_id)
                continue
            node = node.func
        elif isinstance(node, ast.Name):
            parts.append(node.id)
            return parts[::-1]
        else:
            return []


def requester(node: ast.expr, aliases: frozenset[str] = frozenset()) -> bool:
    """``request.user`` (also ``self.request.user``, ``request.user.userprofile.gym_id``)."""
    path = _root(node)
    if path[:1] and path[0] in aliases:
        return True
    for start in (("request", "user"), ("self", "request", "user")):
        if tuple(path[: len(start)]) == start:
            return True
    return False


def server_side(node: ast.expr, aliases: frozenset[str] = frozenset()) -> bool:
    """A value the caller does not choose: a local/attribute of a fetched object, not input.

    ``workout.user``, ``self.get_object().user``; not a constant, not the user, not
    ``request.GET[...]``/``request.data``/``self.kwargs[...]``/``kwargs[...]``.
    """
    path = _root(node)
    if not path or requester(node, aliases):
        return False
    if path[0] == "request" or path[:2] == ["self", "request"]:
        return False
    if path[0] in _CALLER_INPUT or path[:2] in (["self", "kwargs"], ["self", "args"]):
        return False
    return not any(p in REQUEST_INPUT and p not in ("path", "method") for p in path[1:2])


def _comparison(test: ast.expr, ops: tuple[type[ast.cmpop], ...], aliases: frozenset[str]) -> bool:
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ops)):
        return False
    left, right = test.left, test.comparators[0]
    return (requester(left, aliases) and server_side(right, aliases)) or (
        requester(right, aliases) and server_side(left, aliases)
    )


def owner_locals(func: FunctionNode) -> frozenset[str]:
    """Locals holding an owner comparison: ``is_owner = request.user == workout.user``."""
    aliases = user_aliases(func)
    return frozenset(
        target.id
        for node in own_nodes(func)
        if isinstance(node, ast.Assign) and _comparison(node.value, _MATCH, aliases)
        for target in node.targets
        if isinstance(target, ast.Name)
    )


def user_aliases(func: FunctionNode) -> frozenset[str]:
    """Locals holding the requesting user (``current = request.user``; ``user: User = ...``)."""
    found: set[str] = set()
    for node in own_nodes(func):
        if isinstance(node, ast.Assign):
            value, targets = node.value, node.targets
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            value, targets = node.value, [node.target]
        else:
            continue
        if requester(value) and _root(value)[-1] == "user":
            found.update(t.id for t in targets if isinstance(t, ast.Name))
    return frozenset(found)


def _mismatch(
    test: ast.expr,
    owners: frozenset[str],
    aliases: frozenset[str],
    *,
    opt_in: bool,
    present: bool = True,
) -> bool:
    """True exactly when the caller is not the owner (possibly and a further condition).

    With ``opt_in`` a further condition that is not the object's mere presence (``not
    owner.userprofile.ro_access``, ``not template.is_public``: the owner opted in to sharing)
    is accepted too. Without ``present`` a check skipped when there is no object
    (``owner_object and owner_object.user != request.user``) is not: with no object nobody
    is refused (a create view).
    """
    if _comparison(test, _MISMATCH, aliases):
        return True
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = test.operand
        return _comparison(inner, _MATCH, aliases) or (
            isinstance(inner, ast.Name) and inner.id in owners
        )
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        # ``owner_object and owner_object.user != request.user``: no object, nothing to check.
        hits = [v for v in test.values if _mismatch(v, owners, aliases, opt_in=False)]
        rest = [v for v in test.values if v not in hits]
        if not hits or any(_reads_input(v) for v in rest):
            return False
        compared = {ast.unparse(n) for h in hits for n in ast.walk(h)}
        presence = [v for v in rest if ast.unparse(v) in compared]
        if presence and not present:
            return False
        return opt_in or len(presence) == len(rest)
    return False


def _reads_input(node: ast.expr) -> bool:
    """``request.method == "POST"`` & co: a condition on what the caller sends."""
    return any(
        isinstance(n, ast.Attribute) and n.attr in REQUEST_INPUT and _root(n)[:1] == ["request"]
        for n in ast.walk(node)
    )


def _statements(body: list[ast.stmt]) -> list[ast.stmt]:
    """``body``'s statements in order, entering ``try``/``with`` blocks."""
    found: list[ast.stmt] = []
    for stmt in body:
        if isinstance(stmt, ast.Try | ast.With):
            found.extend(_statements(stmt.body))
        else:
            found.append(stmt)
    return found


_WRITES = frozenset({"save", "delete", "create", "update", "bulk_create", "get_or_create"})


def _opt_in(func: FunctionNode) -> bool:
    """An opt-in to sharing lets others read: not when the view acts (writes, or redirects).

    A view that changes data, or whose last answer is a redirect (the answer to an action:
    ``_log_meals(plan); return HttpResponseRedirect(...)``), is not a read the owner shared.
    """
    last = func.body[-1] if func.body else None
    if isinstance(last, ast.Return) and last.value is not None and _redirect(last.value):
        return False
    return not any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _WRITES
        for n in own_nodes(func)
    )


def owner_checked_names(func: FunctionNode) -> set[str]:
    """Locals whose owner a refusing ``if`` compares with the caller (and what they came from).

    ``user = schedule.user``, ``is_owner = request.user == user``, ``if not is_owner and not
    user.userprofile.ro_access: return HttpResponseForbidden()``: ``user`` and ``schedule``
    are checked; so is ``owner_object = self.get_object().get_owner_object()`` (as
    ``self.get_object``) when ``owner_object.user != self.request.user`` refuses.
    """
    owners = owner_locals(func)
    aliases = user_aliases(func)
    opt_in = _opt_in(func)
    nodes = list(own_nodes(func))
    sources: dict[str, set[str]] = {}
    for node in nodes:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = _chain_root(node.targets[0])
            value = node.value
            if isinstance(value, ast.Compare) and target in owners:
                # is_owner = request.user == self.owner_user: the owner side is checked
                found = {_chain_root(o) for o in (value.left, *value.comparators)}
            else:
                found = {_chain_root(value)}
            if target:
                sources.setdefault(target, set()).update(found - {""})
    checked: set[str] = set()
    for node in nodes:
        if (
            isinstance(node, ast.If)
            and _mismatch(node.test, owners, aliases, opt_in=opt_in)
            and exits(node.body)
        ):
            checked.update(_chain_root(n) for n in ast.walk(node.test) if isinstance(n, ast.expr))
    checked.discard("")
    checked -= aliases | {"request", "self"}
    todo = list(checked)
    while todo:
        for source in sources.get(todo.pop(), ()):
            if source not in checked:
                checked.add(source)
                todo.append(source)
    return checked - aliases


def owner_guard(func: FunctionNode, *, present: bool = False) -> bool:
    """The body refuses unless the caller is the owner, before it returns anything else.

    With ``present`` also a check made only when there is an object (``if owner_object and
    owner_object.user != request.user``): a login gate only for views that always have one.
    """
    owners = owner_locals(func)
    aliases = user_aliases(func)
    opt_in = _opt_in(func)
    for stmt in _statements(func.body):
        if (
            isinstance(stmt, ast.If)
            and _mismatch(stmt.test, owners, aliases, opt_in=opt_in, present=present)
            and exits(stmt.body)
        ):
            return True
        if any(not denies(n) for n in _returns(stmt)):
            return False  # the data may be returned before the check
    return False


_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")
"""Fields that hold statements (or handlers and match cases, which hold statements)."""


def _returns(stmt: ast.stmt) -> list[ast.Return]:
    """The ``return`` statements in ``stmt``, nested definitions included.

    The ones :func:`ast.walk` finds: statements only sit in statement blocks, so expressions
    are not entered.
    """
    found: list[ast.Return] = []
    stack: list[ast.AST] = [stmt]
    while stack:
        node = stack.pop()
        if type(node) is ast.Return:
            found.append(node)
            continue
        for name in _BLOCKS:
            block = getattr(node, name, None)
            if type(block) is list:
                stack.extend(block)
    return found


def _redirect(value: ast.expr) -> bool:
    """``HttpResponseRedirect(...)``/``redirect(...)``: the answer to an action."""
    func = value.func if isinstance(value, ast.Call) else None
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return "redirect" in name.lower()


def _chain_root(value: ast.expr) -> str:
    """``schedule`` for ``schedule.user``; ``self.get_object`` for ``self.get_object().owner()``.

    Only attribute reads and method calls: ``get_object_or_404(Workout, pk=other)`` is a new
    object, not a part of ``Workout``.
    """
    node = value
    methods: list[str] = []
    while isinstance(node, ast.Attribute | ast.Call):
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Attribute):
                return ""
            methods.append(node.func.attr)
            node = node.func.value
        else:
            node = node.value
    if not isinstance(node, ast.Name) or node.id == "request":
        return ""
    if node.id == "self":
        if "get_object" in methods:
            return "self.get_object"
        first = _first_attribute(value)
        return f"self.{first}" if first not in ("", "request", "kwargs", "args") else ""
    return node.id


def _first_attribute(value: ast.expr) -> str:
    """``owner_user`` for ``self.owner_user.userprofile``."""
    node = value
    while isinstance(node, ast.Attribute | ast.Call):
        inner = node.func if isinstance(node, ast.Call) else node.value
        if isinstance(node, ast.Attribute) and isinstance(inner, ast.Name):
            return node.attr
        node = inner
    return ""
