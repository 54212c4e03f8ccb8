"""Where an object a view fetched goes next, and what that says about its owner check.

Re-reads the body like :mod:`.ownership`, only for functions that made an unscoped lookup (or,
for :func:`checked_params`, that refer to the user). Three shapes a lookup alone cannot show:

- a reset or invitation token checked against the object (``if not
  default_token_generator.check_token(user, token): return self.invalid()``): Django's
  ``PasswordResetTokenGenerator.check_token(user, token)`` (a documented public API) binds the
  object to whoever holds the mailed token;
- the object handed to a method of the view (``return self.resolve(request, uri, task)``),
  which checks it: :func:`object_handoffs` here, the callee's :func:`checked_params`, joined by
  the rule through the view's MRO;
- a record used only as a filter value of a second lookup that is scoped (``user =
  get_object_or_404(User, pk=user_pk)`` then ``get_object_or_404(OrganizationMember,
  user=user, organization=org)`` with ``org`` checked against ``request.user``).
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from mtlsguard.scan import walking
from mtlsguard.scan.facts.guards import denies
from mtlsguard.scan.facts.ownership import checked_objects
from mtlsguard.scan.facts.syntax import FunctionNode, mentions_user, mentions_user_data, own_nodes
from mtlsguard.scan.knowledge import SECRET_CHECKS

__all__ = ["checked_params", "filter_only", "object_handoffs", "token_checked"]


def _targets(nodes: list[ast.AST], lookup_lines: set[int]) -> dict[str, int]:
    """Locals assigned from a lookup, with its line (``task = Task.objects.get(pk=pk)``)."""
    found: dict[str, int] = {}
    for node in nodes:
        if not isinstance(node, ast.Assign):
            continue
        lines = {n.lineno for n in walking.walk(node.value) if isinstance(n, ast.Call)}
        hit = lines & lookup_lines
        if hit:
            found.update((t.id, min(hit)) for t in node.targets if isinstance(t, ast.Name))
    return found


def _secret_check_of(test: ast.expr) -> set[str]:
    """Names given to a token check in ``test`` (``check_token(user, token)`` gives both)."""
    names: set[str] = set()
    for node in walking.walk(test):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name.endswith(SECRET_CHECKS):
            names.update(a.id for a in node.args if isinstance(a, ast.Name))
    return names


def _exits(body: list[ast.stmt]) -> bool:
    return any(isinstance(s, ast.Raise | ast.Return) or denies(s) for s in body)


def token_checked(func: FunctionNode, lookup_lines: set[int]) -> set[int]:
    """Lookups whose object is checked with the caller's token, the request ending otherwise.

    ``if not default_token_generator.check_token(user, request.GET["token"]): return
    self.invalid("invalid")``: any early ``return`` or ``raise`` of the failing branch ends the
    request before the object is used, whatever the helper returns.
    """
    nodes = list(own_nodes(func))
    targets = _targets(nodes, lookup_lines)
    if not targets:
        return set()
    found: set[int] = set()
    for node in nodes:
        if not isinstance(node, ast.If):
            continue
        test = node.test
        negated = isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)
        names = _secret_check_of(test) & targets.keys()
        if not names:
            continue
        if (negated and _exits(node.body)) or (not negated and _exits(node.orelse)):
            found.update(targets[n] for n in names)
    return found


def object_handoffs(
    func: FunctionNode,
    lookup_lines: set[int],
    callee: Callable[[ast.Call], str] | None = None,
) -> tuple[tuple[int, str, int], ...]:
    """``(lookup line, method, position)`` for fetched objects passed to ``self.method(...)``.

    With ``callee``, calls of project functions given the requesting user as well are recorded
    too, under their resolved dotted name (``allow_see_thread(request.user_acl, thread)``).
    """
    nodes = list(own_nodes(func))
    targets = _targets(nodes, lookup_lines)
    if not targets:
        return ()
    found: list[tuple[int, str, int]] = []
    for node in nodes:
        if not isinstance(node, ast.Call):
            continue
        if (
            isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "self"
        ):
            name = node.func.attr
        elif callee is not None and any(
            mentions_user(a) or mentions_user_data(a) for a in node.args
        ):
            name = callee(node)
            if "." not in name.lstrip("."):
                continue
        else:
            continue
        for index, arg in enumerate(node.args):
            if isinstance(arg, ast.Name) and arg.id in targets:
                found.append((targets[arg.id], name, index))
    return tuple(dict.fromkeys(found))


def checked_params(func: FunctionNode) -> tuple[int, ...]:
    """Positions (``self`` not counted) of the parameters checked against the user, refusing."""
    params = [a.arg for a in [*func.args.posonlyargs, *func.args.args]]
    if params and params[0] in ("self", "cls"):
        params = params[1:]
    if not params:
        return ()
    checked = checked_objects(func)
    return tuple(i for i, name in enumerate(params) if name in checked)


def filter_only(func: FunctionNode, open_lines: set[int]) -> set[int]:
    """Open lookups whose object only ever filters a scoped lookup (never served itself).

    ``user = get_object_or_404(User, pk=user_pk)`` used only in ``get_object_or_404(
    OrganizationMember, user=user, organization=org)``, where another keyword of that call
    names the requesting user or a local checked against it (``if org !=
    request.user.active_organization: raise PermissionDenied``).
    """
    nodes = list(own_nodes(func))
    targets = _targets(nodes, open_lines)
    if not targets:
        return set()
    checked = checked_objects(func, nodes) - targets.keys()
    uses: dict[str, list[bool]] = {name: [] for name in targets}
    inside: set[int] = set()
    for node in nodes:
        if not isinstance(node, ast.Call):
            continue
        values = [kw.value for kw in node.keywords]
        keyed = [v for v in values if isinstance(v, ast.Name) and v.id in uses]
        if not keyed:
            continue
        scoped = any(
            mentions_user(v) or (isinstance(v, ast.Name) and v.id in checked) for v in values
        )
        for value in keyed:
            assert isinstance(value, ast.Name)
            uses[value.id].append(scoped)
            inside.add(id(value))
    for node in nodes:
        if (
            isinstance(node, ast.Name)
            and node.id in uses
            and isinstance(node.ctx, ast.Load)
            and id(node) not in inside
        ):
            uses[node.id].append(False)
    return {targets[name] for name, seen in uses.items() if seen and all(seen)}
