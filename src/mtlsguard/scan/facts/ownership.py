"""Whether an object a view fetched is checked against the user before it is used.

Re-reads the body, like :mod:`.guards`, only for functions that made a lookup. Flow-insensitive
on purpose: a local counts as checked when an ``if`` that refuses names it together with the
user, when every assignment of it involves the user, or when it is later narrowed to the
user's objects.
"""

from __future__ import annotations

import ast

from mtlsguard.scan import walking
from mtlsguard.scan.facts.guards import denies
from mtlsguard.scan.facts.owner_guards import owner_checked_names, requester, server_side
from mtlsguard.scan.facts.secret_checks import secret_test
from mtlsguard.scan.facts.syntax import (
    FunctionNode,
    keyed_owner,
    keyed_read,
    mentions_user,
    own_nodes,
    strings,
)

__all__ = ["checked_attributes", "checked_objects", "ownership_checked"]


def ownership_checked(func: FunctionNode, lookup_lines: set[int]) -> set[int]:
    """Lines of ``lookup_lines`` whose fetched object is checked against the user, refusing.

    ``doc = Document.objects.get(pk=pk)`` then ``if not has_perms(request.user, "view", doc):
    return HttpResponseForbidden()`` (or ``if doc.owner != request.user: raise
    PermissionDenied``, ``if request.user not in team.members.all(): raise Http404``): the
    object assigned from the lookup is named in a test about the user that refuses on one
    side. A lookup that names such a checked object (``Note.objects.get(id=..., document=doc)``)
    is scoped by it too. Aliases of the user (``current = request.user``) count as the user.
    A permission tester built from the object and the user (``perms =
    page.permissions_for_user(request.user)``, then ``if not perms.can_edit(): raise
    PermissionDenied``) checks the object it was built from. An attribute of the view
    (``self.object``) holding the object counts like a local.
    """
    nodes = list(own_nodes(func))
    found = _form_validated(nodes, _user_aliases(nodes))
    checked = checked_objects(func, nodes)
    if not checked:
        return found & lookup_lines
    for node in nodes:
        if isinstance(node, ast.Assign) and any(
            (isinstance(t, ast.Name) and t.id in checked) or _self_attributes(t) & checked
            for t in node.targets
        ):
            found.update(n.lineno for n in walking.walk(node.value) if isinstance(n, ast.Call))
        elif isinstance(node, ast.Call) and node.lineno in lookup_lines:
            values = [*node.args, *(kw.value for kw in node.keywords)]
            if any(isinstance(v, ast.Name) and v.id in checked for v in values):
                found.add(node.lineno)
    return found & lookup_lines


def checked_objects(func: FunctionNode, nodes: list[ast.AST] | None = None) -> set[str]:
    """Names of ``func``'s locals and parameters checked against the user, refusing otherwise.

    See :func:`ownership_checked`; a parameter counts too (``def resolve(self, request, obj)``
    then ``if not obj.has_permission(request.user): return Response(status=403)``).
    """
    cached: frozenset[str] | None = func.__dict__.get(_CHECKED)
    if cached is None:
        # Asked up to four times per function (ownership, handlers, parameters, filters).
        if nodes is None:
            nodes = list(own_nodes(func))
        cached = frozenset(_checked_names(func, nodes, _user_aliases(nodes)))
        setattr(func, _CHECKED, cached)
    return set(cached)


_CHECKED = "_mtlsguard_checked_objects"


def checked_attributes(func: FunctionNode) -> tuple[str, ...]:
    """Attributes of the view (``self.object``) a refusing check tests with the user.

    ``if not self.object.permissions_for_user(request.user).can_edit(): raise
    PermissionDenied`` in ``dispatch()``: the object ``setup()`` kept there is checked.
    """
    names = checked_objects(func)
    return tuple(sorted(n for n in names if n.startswith("self.") and n != "self.request"))


def _checked_names(func: FunctionNode, nodes: list[ast.AST], aliases: set[str]) -> set[str]:
    """Locals (and ``self.<attr>``) checked against the user by a test that refuses."""
    testers = _testers(nodes, aliases)
    checked: set[str] = set()
    bodies = [func.body]
    for n in nodes:
        if isinstance(n, ast.If | ast.For | ast.With | ast.Try):
            bodies.append(n.body)
            if isinstance(n, ast.If) and n.orelse:
                bodies.append(n.orelse)
    following = _following(func.body)
    for body in bodies:
        for index, stmt in enumerate(body):
            if not isinstance(stmt, ast.If):
                continue
            tested = {n.id for n in walking.walk(stmt.test) if isinstance(n, ast.Name)}
            via = set().union(
                *(testers[t] for t in (tested - _validated(stmt.test)) & testers.keys())
            )
            if not via and not _ownership_test(stmt.test, aliases):
                continue
            # After a block: only when the if itself hands on (``if ok: return super()...``)
            exits = bool(stmt.body) and isinstance(stmt.body[-1], ast.Return | ast.Raise)
            after = _next_effect(body, index + 1)
            after = following.get(id(body)) if after is None and exits else after
            if any(denies(s) for s in stmt.body + stmt.orelse) or (
                after is not None and denies(after)
            ):
                checked.update(via)
                checked.update(
                    n.id
                    for n in walking.walk(stmt.test)
                    if isinstance(n, ast.Name) and n.id not in aliases and n.id != "request"
                )
                checked.update(_self_attributes(stmt.test))
    checked |= owner_checked_names(func)
    checked |= _asserted(nodes, aliases)
    checked |= _refined(nodes, aliases, checked)
    checked |= _fetched_with_user(nodes, aliases)
    return checked


def _next_effect(body: list[ast.stmt], start: int) -> ast.stmt | None:
    """The first statement from ``start`` on that does more than name a literal or log.

    EvalAI's ``get_submission_by_pk`` ends ``if owner or host: ...`` with ``response_data =
    {"error": "Sorry, you are not authorized..."}`` and then ``return Response(response_data,
    status=HTTP_401_UNAUTHORIZED)``: the refusal is the statement after the message.
    """
    for stmt in body[start:]:
        if isinstance(stmt, ast.Assign | ast.AnnAssign) and not any(
            isinstance(n, ast.Call) for n in walking.walk(stmt)
        ):
            continue  # response_data = {"error": "..."}
        call = stmt.value if isinstance(stmt, ast.Expr) else None
        if isinstance(call, ast.Call) and _logs(call):
            continue  # logger.warning("denied %s", user)
        return stmt
    return None


def _logs(call: ast.Call) -> bool:
    func = call.func
    while isinstance(func, ast.Attribute):
        owner = func.value
        if isinstance(owner, ast.Name) and owner.id in ("logger", "log", "logging", "LOGGER"):
            return True
        func = owner
    return False


def _following(body: list[ast.stmt]) -> dict[int, ast.stmt]:
    """The statement run after the last one of each ``with``/``try`` body nested in ``body``.

    zds-site's ``PostEdit.dispatch``: ``with transaction.atomic(): ... if is_author or
    has_perm: return super().dispatch(...)`` then ``raise PermissionDenied`` after the block.
    """
    found: dict[int, ast.stmt] = {}
    for index, stmt in enumerate(body):
        if isinstance(stmt, ast.With) or (
            isinstance(stmt, ast.Try) and not stmt.orelse and not stmt.finalbody
        ):
            if index + 1 < len(body):
                found[id(stmt.body)] = body[index + 1]
            found.update(_following(stmt.body))
    return found


def _self_attributes(node: ast.expr) -> set[str]:
    """``self.object`` (as that text) for each attribute of the view read in ``node``.

    ``self.object = get_object_or_404(...)`` then ``if not policy.user_has_permission_for_
    instance(request.user, "change", self.object): raise PermissionDenied``: the attribute
    holds the fetched object like a local would.
    """
    return {
        f"self.{n.attr}"
        for n in walking.walk(node)
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "self"
    }


def _validated(test: ast.expr) -> set[str]:
    """Forms the test validates (``form.is_valid()``): a check of the data, not of an object.

    ``form = CopyForm(request.POST, user=request.user, page=page)`` then ``if form.is_valid():
    ... return redirect(...)``: the form validates what the caller submitted; whether it also
    checks the page it was handed is the form's business, not seen here.
    """
    return {
        n.func.value.id
        for n in walking.walk(test)
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr == "is_valid"
        and isinstance(n.func.value, ast.Name)
    }


def _form_validated(nodes: list[ast.AST], aliases: set[str]) -> set[int]:
    """Lookups by a field of the body that a form given the user validates and replaces.

    ``parent = Page.objects.get(id=request.POST["new_parent_page"])`` (a pre-fill) and later
    ``parent = form.cleaned_data["new_parent_page"]`` from ``form = CopyForm(request.POST,
    user=request.user)``: what the view acts on is the value the form validated for that user.
    """
    forms = {
        target.id
        for node in nodes
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Call)
        and any(
            _refers_to_user(a, aliases)
            for a in [*node.value.args, *(k.value for k in node.value.keywords)]
        )
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    if not forms:
        return set()
    replaced: dict[str, set[str]] = {}
    for node in nodes:
        if not isinstance(node, ast.Assign):
            continue
        field = _cleaned_field(node.value, forms)
        if field:
            for target in node.targets:
                if isinstance(target, ast.Name):
                    replaced.setdefault(target.id, set()).add(field)
    lines: set[int] = set()
    for node in nodes:
        if not isinstance(node, ast.Assign) or _cleaned_field(node.value, forms):
            continue
        fields = set().union(
            *(replaced.get(t.id, set()) for t in node.targets if isinstance(t, ast.Name))
        )
        if fields & set(strings(node.value)):
            lines.update(n.lineno for n in walking.walk(node.value) if isinstance(n, ast.Call))
    return lines


def _cleaned_field(value: ast.expr, forms: set[str]) -> str:
    """``F`` for ``form.cleaned_data["F"]`` / ``form.cleaned_data.get("F")`` of a known form."""
    field = keyed_read(value, "cleaned_data")
    return field if field and keyed_owner(value) in forms else ""


def _testers(nodes: list[ast.AST], aliases: set[str]) -> dict[str, set[str]]:
    """Locals holding a permission tester of an object for the user, with that object's name.

    ``perms = page.permissions_for_user(request.user)`` (Wagtail),
    ``perms = get_perms(request.user, obj)``: a call given the user and a local object.
    """
    testers: dict[str, set[str]] = {}
    for node in nodes:
        if not isinstance(node, ast.Assign):
            continue
        objects = _tested_objects(node.value, aliases)
        for target in node.targets:
            if isinstance(target, ast.Name) and objects:
                testers[target.id] = objects
    return testers


def _tested_objects(value: ast.expr, aliases: set[str]) -> set[str]:
    """What a test of the user assigned to a local asks about (empty if it is no such test).

    A call given the user (its callee and arguments), or a comparison with the user (its other
    sides: ``is_author = self.object.author == request.user``, zds-site's ``PostEdit``).
    """
    if isinstance(value, ast.Compare):
        sides = [value.left, *value.comparators]
        parts = [side for side in sides if not _refers_to_user(side, aliases)]
        found = set().union(*(_self_attributes(part) for part in parts))
    elif isinstance(value, ast.Call):
        sides = [*value.args, *(kw.value for kw in value.keywords)]
        parts, found = [value.func, *sides], set()
    else:
        return set()
    if not any(_refers_to_user(side, aliases) for side in sides):
        return set()
    found |= {
        n.id
        for part in parts
        for n in walking.walk(part)
        if isinstance(n, ast.Name) and n.id not in aliases and n.id not in ("request", "self")
    }
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
        found.discard(value.func.id)
    return found


def _asserted(nodes: list[ast.AST], aliases: set[str]) -> set[str]:
    """Objects handed to a check of the user that raises: ``request.user.check_access(obj)``.

    A statement (its result unused) calling a method of the user with the object: Weblate's
    ``request.user.check_access_component(component)`` raises ``PermissionDenied``.
    """
    names: set[str] = set()
    for node in nodes:
        if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
            continue
        func = node.value.func
        if isinstance(func, ast.Attribute) and _refers_to_user(func.value, aliases):
            names.update(a.id for a in node.value.args if isinstance(a, ast.Name))
    return names


def _refined(nodes: list[ast.AST], aliases: set[str], checked: set[str]) -> set[str]:
    """Querysets narrowed later to the user's: ``qs = qs.filter(event__in=user.teams...)``.

    pretix's typeahead searches ``Order.objects.filter(code__istartswith=query)`` and then,
    unless the caller is staff, filters the same variable by the user's teams.
    """
    refined: set[str] = set()
    for node in nodes:
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)):
            continue
        names = {t.id for t in node.targets if isinstance(t, ast.Name)}
        root: ast.expr = node.value
        while isinstance(root, ast.Call | ast.Attribute):
            root = root.func if isinstance(root, ast.Call) else root.value
        if not (isinstance(root, ast.Name) and root.id in names):
            continue
        args = [
            arg
            for call in walking.walk(node.value)
            if isinstance(call, ast.Call)
            for arg in [*call.args, *(kw.value for kw in call.keywords)]
        ]
        if any(
            _refers_to_user(arg, aliases)
            or any(isinstance(n, ast.Name) and n.id in checked for n in walking.walk(arg))
            for arg in args
        ):
            refined.add(root.id)
    return refined


def _fetched_with_user(nodes: list[ast.AST], aliases: set[str]) -> set[str]:
    """Locals every assignment of which involves the user (``Project.objects.for_user(user)``).

    A lookup naming such a parent (``filter(project=project, id__in=ids)``) is scoped by it.
    """
    with_user: set[str] = set()
    without: set[str] = set()
    for node in nodes:
        if not isinstance(node, ast.Assign):
            continue
        bucket = with_user if _refers_to_user(node.value, aliases) else without
        bucket.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return with_user - without - aliases


def _user_aliases(nodes: list[ast.AST]) -> set[str]:
    """Locals that hold the user (``current_user = request.user``)."""
    return {
        target.id
        for node in nodes
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "user"
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def _refers_to_user(node: ast.AST, aliases: set[str]) -> bool:
    if not aliases:
        return mentions_user(node)
    return any(
        (type(n) is ast.Attribute and n.attr == "user") or (type(n) is ast.Name and n.id in aliases)
        for n in walking.walk(node)
    )


def _ownership_test(test: ast.expr, aliases: set[str]) -> bool:
    if secret_test(test):
        return True
    for node in walking.walk(test):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            users = [o for o in operands if _refers_to_user(o, aliases)]
            others = [o for o in operands if not _refers_to_user(o, aliases)]
            if users and any(not isinstance(o, ast.Constant) for o in others):
                return True
            # ``request.user != workout.user``: both sides end in ``.user``, one is the owner.
            if (
                len(operands) == 2
                and any(requester(o, frozenset(aliases)) for o in operands)
                and any(server_side(o, frozenset(aliases)) for o in operands)
            ):
                return True
        elif isinstance(node, ast.Call):
            args = [*node.args, *(kw.value for kw in node.keywords)]
            if not any(_refers_to_user(a, aliases) for a in args):
                continue
            func = node.func
            # obj.can_view(request.user), has_perm(request.user, obj)
            if (isinstance(func, ast.Attribute) and not _refers_to_user(func, aliases)) or len(
                args
            ) >= 2:
                return True
    return False
