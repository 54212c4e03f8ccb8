"""MG104's helpers: URL keys a decorator checks, objects a view leaves unchecked, remediations.

:func:`decorator_checked_keys` names the URL keys whose object a decorator checks against the
user; :func:`unchecked_object_findings` reports objects fetched by a caller-chosen id that reach
a permission check about another object (as what it is asked about) but never one about them
(:mod:`mtlsguard.scan.analysis.object_checks`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from mtlsguard.findings.model import Confidence, Finding, Location, Severity
from mtlsguard.findings.registry import Rule
from mtlsguard.scan import walking
from mtlsguard.scan.analysis.decorators import unwrapped
from mtlsguard.scan.analysis.object_checks import owning_class
from mtlsguard.scan.analysis.ownership import TENANT_NAMES, is_user_model
from mtlsguard.scan.analysis.route import RouteAnalysis
from mtlsguard.scan.analysis.scoping import model_of, served_model, user_aware
from mtlsguard.scan.context import RuleContext
from mtlsguard.scan.facts.decorator_checks import EVERY_URL_KEY
from mtlsguard.scan.facts.guards import denies
from mtlsguard.scan.facts.lookups import SINGLE_FETCHES
from mtlsguard.scan.knowledge import short_of
from mtlsguard.scan.project_model import (
    Call,
    ClassModel,
    Const,
    Expr,
    FunctionModel,
    ObjectLookup,
    Ref,
    Seq,
)
from mtlsguard.scan.rules._common import (
    ATTRIBUTION_NOTE,
    url_keywords,
    where,
)
from mtlsguard.scan.rules._permission_keys import permission_checked_keys

__all__ = [
    "CALLER_RELATION_NOTE",
    "USER_RECORD_NOTE",
    "attribution_lowered",
    "caller_relation_lowered",
    "decorator_checked_keys",
    "lookup_remediation",
    "privileged_account_destroy",
    "rebound",
    "scoped_by_checked",
    "unchecked_object_findings",
    "vouch",
    "vouched",
    "vouchers",
]


def decorator_checked_keys(
    ctx: RuleContext, analysis: RouteAnalysis, handler: FunctionModel | None
) -> set[str]:
    """URL keys a decorator checks the user's permission on the object of.

    ``handler`` is the project's handler whose own decorators count too (None when Django's
    serves the route). ``@user_is_authorized(Product, Permissions.Product_Edit, "pid")``,
    django-guardian's
    ``@permission_required_or_403("app.change_product", (Product, "pk", "pid"))``: a project
    decorator that checks the user (or a known object-permission one) is given the name of
    the URL keyword; a lookup by that key fetches the object it checked.
    """
    decorators = [*analysis.route.wrappers, *(handler.decorators if handler else ())]
    if analysis.function is not None and analysis.function is not handler:
        decorators.extend(analysis.function.decorators)
    if analysis.klass is not None:
        name = short_of(handler.qualname) if handler is not None else "dispatch"
        decorators.extend(_class_decorators(ctx, analysis.klass, name))
    keys: set[str] = set()
    for deco in unwrapped(decorators):
        if isinstance(deco, Ref):
            # @can_read_note: its wrapper refuses unless a check of request.user and
            # kwargs["noteid"] says yes (an object check of what that URL key names).
            func = ctx.project.function_named(deco.name, parse=False)
            if func is not None:
                keys.update(_wrapper_keys(ctx, analysis, func))
                keys.update(_membership_keys(ctx, func))
            continue
        if not (isinstance(deco, Call) and isinstance(deco.func, Ref)):
            continue
        func = ctx.project.function_named(deco.func.name, parse=False)
        checks = deco.func.short in _OBJECT_PERMISSION_DECORATORS or (
            func is not None and user_aware(ctx.project, None, func)
        )
        if checks:
            keys.update(_strings(deco))
        if func is not None:
            keys.update(_wrapper_keys(ctx, analysis, func))
            keys.update(_membership_keys(ctx, func))
    if analysis.framework == "drf":
        keys.update(permission_checked_keys(ctx, analysis, analysis.klass))
    registry = ctx.analyzer.configuration.url_name_checks
    if registry is not None:
        # DefectDojo's AuthorizationMiddleware: URL_PERMISSIONS[url_name] names the keys.
        fetched: dict[str, set[str]] = {}
        for func in {id(f): f for f in (handler, analysis.function) if f}.values():
            for lookup in func.facts.lookups:
                for key in lookup.url_kwargs:
                    fetched.setdefault(key, set()).add(short_of(lookup.model or "?"))
        pattern = analysis.route.pattern
        keys.update(registry.keys(analysis.route.name, url_keywords(pattern), fetched))
    return keys


def _wrapper_keys(ctx: RuleContext, analysis: RouteAnalysis, func: FunctionModel) -> set[str]:
    """URL keys a decorator's wrapper checks; for a check handed ``**kwargs``, those it names.

    getgov's ``_user_has_permission(user, request, rules, **kwargs)`` reads
    ``kwargs.get("member_pk")``: the route's ``member_pk`` was checked. A check that reads only
    ``org_id`` vouches for nothing else the route names (``pk``).
    """
    keys: set[str] = set()
    module = func.qualname.rpartition(".")[0]
    for entry in func.facts.checked_url_keys:
        if not entry.startswith(EVERY_URL_KEY):
            keys.add(entry)
            continue
        name = entry[len(EVERY_URL_KEY) :]
        check = ctx.project.function_named(f"{module}.{name}") or ctx.project.function_named(name)
        if check is None:
            continue  # unread: which keys it reads is unknown
        # the check and the project functions it calls (``_resolve_portfolio(request, **kwargs)``)
        readers = [check, *filter(None, map(ctx.project.function_named, check.facts.calls))]
        keys.update(
            key
            for key in url_keywords(analysis.route.pattern)
            for reader in readers
            if ctx.sources().mentions(
                reader.location.path, reader.location.line, (f'"{key}"', f"'{key}'")
            )
        )
    return keys


def _membership_keys(ctx: RuleContext, func: FunctionModel) -> Iterator[str]:
    """URL keys a decorator factory's wrapper looks up together with the caller, then refuses.

    Plane's ``@allow_permission([...])``: ``ProjectMember.objects.filter(member=request.user,
    project_id=kwargs["project_id"]).exists()`` decides whether the view runs, else 403. A
    decorator that only records or reads such a row and lets every request through checks
    nothing: its body must refuse somewhere (a ``raise``, a 401/403/404 or redirect returned).
    """
    keys = [
        key
        for lookup in func.facts.lookups
        if lookup.user_scoped and not lookup.checked and lookup.server_keys
        for key in lookup.url_kwargs
    ]
    node = ctx.sources().node(func.location.path, func.location.line) if keys else None
    if node is not None and any(
        isinstance(stmt, ast.stmt) and denies(stmt) for stmt in walking.walk(node)
    ):
        yield from keys


def scoped_by_checked(lookup: ObjectLookup, checked: set[str]) -> bool:
    """The lookup names its records through a parent whose URL key a check vouched for.

    ``Issue.objects.get(workspace__slug=slug, project_id=project_id, pk=pk)`` when a permission
    class checked the caller's membership of ``project_id``: ``pk`` must be that project's.
    """
    return bool(set(lookup.url_kwargs) & checked) and any(
        "__" in field or (field.endswith("_id") and field.split("__")[0] not in _OWN_KEYS)
        for field in lookup.caller_fields
    )


_OBJECT_PERMISSION_DECORATORS = frozenset(
    {"permission_required_or_403", "permission_required_or_404"}
)
"""django-guardian's object-permission decorators (public API: ``guardian.decorators``)."""


def rebound(handler: FunctionModel, lookup: ObjectLookup) -> bool:
    """A key of ``lookup`` is a parameter the handler rebound before it (not the URL value).

    ``resourceid = request.GET.get("resourceids")`` then ``filter(pk=resourceid)``: the
    decorator checked the URL's ``resourceid``, the lookup uses the query string's.
    """
    return any(
        name in lookup.url_kwargs and first <= lookup.line <= last
        for name, first, last in handler.facts.rebound_params
    )


_OWN_KEYS = frozenset({"pk", "id"})


def vouchers(lookups: tuple[ObjectLookup, ...]) -> dict[str, int]:
    """Values from the request that named one object the view scoped by the user or checked.

    ``directory = get_object_or_404(Directory, pk=id, owner=request.user)`` (or a fetch followed
    by ``if not directory.allow_edit_by(request.user): raise PermissionDenied``) vouches for
    ``id``: value -> line of the first such fetch.
    """
    found: dict[str, int] = {}
    for lookup in lookups:
        if lookup.user_scoped:
            vouch(found, lookup)
    return found


def vouch(found: dict[str, int], lookup: ObjectLookup) -> None:
    """Record that ``lookup`` (a single-object fetch the view checked) vouches for its values."""
    if lookup.kind in SINGLE_FETCHES:
        for key in lookup.url_kwargs:
            found.setdefault(key, lookup.line)


def vouched(lookup: ObjectLookup, found: dict[str, int]) -> bool:
    """``lookup`` keys records by a relation to an object checked before, with the same value.

    ``AcctEntry.objects.filter(object_id=id)`` after ``id`` named an invoice the view checked:
    the records of that invoice. ``Entry.objects.get(pk=id)`` is not: it names another record by
    the checked object's number.
    """
    return (
        bool(lookup.url_kwargs)
        and all(found.get(key, lookup.line) < lookup.line for key in lookup.url_kwargs)
        and not any(field.split("__")[0] in _OWN_KEYS for field in lookup.caller_fields)
    )


def _class_decorators(ctx: RuleContext, cls: ClassModel, handler: str) -> Iterator[Expr]:
    """Decorators of the view's classes that wrap ``dispatch()`` or ``handler``.

    ``@method_decorator(can_read_note, name="dispatch")`` on the class, or any decorator of a
    project ``dispatch()`` along the MRO: each runs with the URL kwargs before the handler. So
    does a project decorator of the class itself whose wrapper takes the view's ``**kwargs``
    (getgov's ``@grant_access(...)`` replaces ``dispatch`` with a checking wrapper): it counts
    through what its wrapper checks (:attr:`~.FunctionFacts.checked_url_keys`), nothing else.
    """
    for entry in cls.mro:
        local = ctx.project.class_named(entry)
        if local is None:
            continue
        for deco in local.decorators:
            target = deco.kwarg("name") if isinstance(deco, Call) else None
            if isinstance(target, Const) and target.value in ("dispatch", handler):
                yield deco
            elif isinstance(deco, Call) and isinstance(deco.func, Ref):
                yield Ref(deco.func.name)  # its wrapper's checks, not its arguments
        dispatch = local.methods.get("dispatch")
        if dispatch is not None:
            yield from dispatch.decorators


def _strings(deco: Call) -> Iterator[str]:
    stack: list[Expr] = [*deco.args, *(value for _, value in deco.kwargs)]
    while stack:
        value = stack.pop()
        if isinstance(value, Const) and isinstance(value.value, str):
            yield value.value
        elif isinstance(value, Seq):
            stack.extend(value.items)


def unchecked_object_findings(
    ctx: RuleContext, meta: Rule, analysis: RouteAnalysis, handlers: list[FunctionModel]
) -> Iterator[Finding]:
    """Objects fetched by a caller-chosen id that a permission check sees but never asks about."""
    for handler in handlers:
        cls = analysis.klass or owning_class(ctx.project, handler)
        for found in ctx.unchecked_objects(cls, handler):
            here = found.unchecked_in is found.fetcher
            where_ = short_of(found.unchecked_in.qualname)
            yield meta.finding(
                severity=Severity.MEDIUM,
                confidence=Confidence.MEDIUM,
                location=Location(found.fetcher.location.path, found.line)
                if here
                else found.unchecked_in.location,
                route=analysis.route.pattern,
                view=analysis.view,
                view_kind=analysis.view_kind,
                evidence=(
                    f"{where(analysis)}: {found.name} fetched by {found.keys} (chosen by the "
                    f"caller) in {short_of(found.fetcher.qualname)}() reaches {where_}(), which "
                    "hands it to a permission check about another object but never asks about "
                    "it: any user "
                    "who reaches the view (staff included: is_staff grants no permission on an "
                    "object) acts on an object they may not access"
                ),
                remediation=(
                    f"Ask the object's own permission check about {found.name} (or the "
                    "placeholder/parent it belongs to) with request.user before using it, as "
                    "the view does for the other objects, and refuse with PermissionDenied."
                ),
            )


USER_RECORD_NOTE = (
    "; a user record chosen by the caller: an IDOR if the view shows private fields or changes "
    "the account, by design for public profiles"
)
"""Evidence suffix for lookups of the user model itself."""
CALLER_RELATION_NOTE = (
    "; the fetched object is only named: what the view creates or deletes is the caller's own "
    "relation to it (request.user's block, follow or bookmark), and the object itself is not "
    "changed: informational"
)
"""Evidence suffix for lookups only naming the target of a relation of the caller."""


def lookup_remediation(model: str | None, owners: tuple[str, ...]) -> str:
    """How to scope a lookup of ``model`` owned through ``owners`` (the user model if none)."""
    short = short_of(model or "Model")
    if not owners:
        return (
            f"Fetch request.user instead of {short} by id, or check the caller may see or "
            "change that account (staff, or the same user) before using it."
        )
    field = owners[0]
    if "__" in field or field.removesuffix("_id") in TENANT_NAMES:
        return (
            f"Filter the lookup by the caller's membership ({field}__members=request.user or a "
            f"{field.split('__')[0]} the view fetched and checked against request.user)."
        )
    return (
        f"Add {field}=request.user to the lookup (get_object_or_404({short}, pk=pk, "
        f"{field}=request.user)) or fetch through request.user's related manager."
    )


def privileged_account_destroy(
    ctx: RuleContext, meta: Rule, analysis: RouteAnalysis, note: str
) -> Iterator[Finding]:
    """A viewset deleting a user record chosen by URL id with DRF's own ``destroy()``.

    ``UserViewSet(ModelViewSet)`` with ``queryset = User.objects.all()``: whoever may delete
    users deletes superusers too. A ``destroy()``/``perform_destroy()`` of the project's own
    (refusing a target more privileged than the caller, or only removing a membership) is
    not judged.
    """
    cls = analysis.klass
    if cls is None or ("DELETE", "destroy") not in analysis.method_actions:
        return
    declared = ctx.project.attribute(cls, "model")
    model = served_model(ctx.project, cls) or (model_of(declared[1]) if declared else None)
    if model is None or not is_user_model(ctx.project, model):
        return
    if any(ctx.project.method(cls, name) for name in ("destroy", "perform_destroy")):
        return
    yield meta.finding(
        severity=Severity.MEDIUM,
        confidence=Confidence.LOW,
        location=cls.location,
        route=analysis.route.pattern,
        view=analysis.view,
        view_kind=analysis.view_kind,
        evidence=(
            f"{where(analysis)}: destroy of a {short_of(model)} chosen by URL id with no check "
            f"that the target is not more privileged (is_superuser/is_staff) than the caller{note}"
        ),
        remediation=(
            "Override destroy() (and update()) to refuse a superuser or staff target unless "
            "request.user is one: if target.is_superuser and not request.user.is_superuser: "
            "return HttpResponseForbidden()."
        ),
    )


def attribution_lowered(
    attribution: bool, found: tuple[Severity | None, Confidence | None, str]
) -> tuple[Severity | None, Confidence | None, str]:
    """``found`` lowered to low when the model's only user relations are attributions."""
    if not attribution:
        return found
    return Severity.LOW, Confidence.LOW, found[2] + ATTRIBUTION_NOTE


def caller_relation_lowered(
    handler: FunctionModel,
    lookup: ObjectLookup,
    found: tuple[Severity | None, Confidence | None, str],
) -> tuple[Severity | None, Confidence | None, str]:
    """``found`` lowered to info when the object only names a relation of the caller."""
    if lookup.line not in handler.facts.caller_relation_lines:
        return found
    return Severity.INFO, Confidence.LOW, found[2] + CALLER_RELATION_NOTE
