"""URL keys a DRF permission class checks the caller against (MG103 and MG104).

doccano's ``IsProjectMember.has_permission`` reads ``view.kwargs.get("project_id")`` and asks
whether the user has a role in that project; Flagsmith's asks the user about the environment
its ``environment_api_key`` names. A lookup by such a key fetches an object the caller was
checked against; a class that lets every read through vouches for nothing.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from mtlsguard.scan import walking
from mtlsguard.scan.analysis.route import RouteAnalysis
from mtlsguard.scan.context import RuleContext
from mtlsguard.scan.expressions import refs
from mtlsguard.scan.facts.account_reads import ACCOUNT_FLAGS
from mtlsguard.scan.facts.syntax import is_request_user
from mtlsguard.scan.knowledge import short_of
from mtlsguard.scan.project_model import Call, ClassModel, Expr, FunctionModel, Ref
from mtlsguard.scan.rules._common import effective_permissions

__all__ = ["permission_checked_keys"]


def permission_checked_keys(
    ctx: RuleContext, analysis: RouteAnalysis, cls: ClassModel | None
) -> set[str]:
    """URL keys a project permission class checks the user against.

    doccano's ``IsProjectMember.has_permission`` reads ``view.kwargs.get("project_id")`` and
    asks ``Member.objects.has_role(project_id, request.user, ...)``; Flagsmith's asks the user
    (``request.user.is_organisation_admin(Organisation.objects.get(pk=organisation_pk))``): the
    object the URL names was checked, so fetching it (or scoping by it) by that key is no IDOR.
    Reading only the account's flags (``is_authenticated``, ``is_staff``) or asking it for a
    model-wide permission (``request.user.has_perm("app.change_project")``) checks nothing about
    it, and a class that lets every read through (``IsOwnerOrReadOnly``) vouches for no key.
    ``cls`` is None for an ``@api_view`` function: its ``@permission_classes`` decorator, else
    ``DEFAULT_PERMISSION_CLASSES``.
    """
    keys: set[str] = set()
    if cls is not None:
        permissions = effective_permissions(ctx, analysis, cls)
    else:
        permissions = _function_permissions(ctx, analysis.function)
    for ref in refs(permissions):
        perm = ctx.project.class_named(ref.name)
        hit = ctx.project.method(perm, "has_permission") if perm is not None else None
        if perm is None or hit is None or _lets_reads_through(ctx, hit[1]):
            continue  # ``if request.method in SAFE_METHODS: return True``: reads check nothing
        methods = [hit[1]]
        for name in hit[1].facts.calls:
            if name.startswith(("self.", "cls.", ".")):
                helper = ctx.project.method(perm, short_of(name))
                if helper is not None:
                    methods.append(helper[1])
        if any(
            m.facts.capabilities.user_calls
            or (m.facts.account_attributes - ACCOUNT_FLAGS and _asks_about_a_record(ctx, m))
            for m in methods
        ):
            keys.update(k for m in methods for k in m.facts.capabilities.view_kwargs)
            if cls is not None:
                keys.update(_attribute_keys(ctx, cls, methods))
    return keys


_PERMISSION_CLASSES = "rest_framework.decorators.permission_classes"


def _asks_about_a_record(ctx: RuleContext, hook: FunctionModel) -> bool:
    """The account is asked about something, not only for a global permission.

    ``request.user.is_project_admin(project)`` or ``filter(id=request.user.id)`` ties the user to
    a record; ``request.user.has_perm("app.change_project")`` (constant arguments only) grants a
    model-wide permission and says nothing about the record the URL names.
    """
    node = ctx.sources().node(hook.location.path, hook.location.line)
    if node is None:
        return True  # unread: as before, the account's attributes count

    def is_user(value: ast.expr) -> bool:
        """``request.user``, ``request.user.id``, or a local holding one of them."""
        if isinstance(value, ast.Attribute) and is_request_user(value.value):
            return True
        return is_request_user(value) or (isinstance(value, ast.Name) and value.id in aliases)

    aliases: set[str] = set()
    for sub in walking.walk(node):
        if isinstance(sub, ast.Assign) and is_user(sub.value):
            aliases.update(t.id for t in sub.targets if isinstance(t, ast.Name))
    for sub in walking.walk(node):
        if isinstance(sub, ast.Compare) and len(sub.comparators) == 1:
            sides = (sub.left, sub.comparators[0])
            if any(is_user(x) for x in sides) and not any(
                isinstance(x, ast.Constant) for x in sides
            ):
                return True  # page.owned_by_id == user_id
        if not isinstance(sub, ast.Call):
            continue
        values = [*sub.args, *(k.value for k in sub.keywords)]
        owner = sub.func.value if isinstance(sub.func, ast.Attribute) else None
        if owner is not None and is_user(owner):
            if any(not isinstance(v, ast.Constant) for v in values):
                return True  # request.user.is_project_admin(project)
        elif any(is_user(v) for v in values):
            return True  # managers.filter(id=request.user.id)
    return False


def _lets_reads_through(ctx: RuleContext, hook: FunctionModel) -> bool:
    """``if request.method in SAFE_METHODS: return True`` opens the hook, whatever the key.

    Only a test of the method alone: doccano's ``if not project_id and request.method in
    SAFE_METHODS: return True`` lets reads through only when the URL names no project.
    """
    if not hook.facts.safe_methods_shortcut:
        return False
    node = ctx.sources().node(hook.location.path, hook.location.line)
    return node is None or any(
        isinstance(stmt, ast.If)
        and isinstance(stmt.test, ast.Compare)
        and "method" in ast.unparse(stmt.test.left)
        and any(
            isinstance(s, ast.Return) and getattr(s.value, "value", None) is True for s in stmt.body
        )
        for stmt in node.body
    )


def _function_permissions(ctx: RuleContext, func: FunctionModel | None) -> Expr:
    """What ``@permission_classes(...)`` gives an ``@api_view`` function, else the default."""
    for deco in func.decorators if func is not None else ():
        call = deco if isinstance(deco, Call) and deco.args else None
        if call is not None and getattr(call.func, "name", "") == _PERMISSION_CLASSES:
            return call.args[0]
    return ctx.analyzer.configuration.default_permissions


def _attribute_keys(
    ctx: RuleContext, cls: ClassModel, methods: list[FunctionModel]
) -> Iterator[str]:
    """URL keys behind the view's properties a permission reads (``view.workspace_slug``)."""
    for name in {a for m in methods for a in m.facts.capabilities.view_attributes}:
        hit = ctx.project.method(cls, name)
        if hit is not None and any(
            isinstance(d, Ref) and d.short in ("property", "cached_property")
            for d in hit[1].decorators
        ):
            yield from hit[1].facts.capabilities.view_kwargs
