"""MG104 — Object fetched by a URL id without checking its owner (CWE-639).

**What.** A view that loads one object with ``get_object_or_404(Model, pk=pk)`` or
``Model.objects.get(pk=...)`` using a key the caller chose — a URL keyword argument (also
``kwargs.get("pk")``), an id of the request body or query string (``request.data["id"]``,
``request.GET.get("invoice_id")``), or searches ``Model.objects.filter(name__icontains=q)`` by the
caller's criteria — where ``Model`` belongs to a user or to a tenant (see MG103) and neither the
lookup nor its queryset is scoped: by ``request.user``, by a tenant the request carries
(``organizer=request.organizer``), by a parent the view fetched with the user or checked against it
(``Note.objects.get(id=..., document=doc)`` after ``has_perm(user, doc)``), by
``self.get_object()``, or by a later ``qs.filter(...)`` on the user. An object checked after the
fetch (``if doc.owner != request.user: raise PermissionDenied``, ``if not
obj.can_view(request.user): return HttpResponseForbidden()``, a reset-token check) is not reported,
and so is one asked through a permission tester built from it and the user (``perms =
page.permissions_for_user(request.user)``, then ``if not perms.can_edit(): raise
PermissionDenied``); nor is a lookup by a parent named in the URL (``workspace__slug=slug``) when a
decorator, a DRF permission class (of a class view, or of an ``@api_view`` function through
``@permission_classes``) or the handler checks that parent against the user, unless the records are
picked by ids the caller lists (``filter(id__in=issue_ids)`` with ``issue_ids`` taken from
``request.data``). A class-based view's ``self.pk`` is the URL's key. A model named through a
swappable-model getter (``get_object_or_404(get_image_model(), id=image_id)``, a project function
returning ``apps.get_model(...)`` of a setting with a string default) is the model the site's
setting or the default names; so is a model imported inside the view function. A model kept on
``self`` (``model = Invoice``, ``self.model = get_image_model()`` in a method, ``self.model_class =
resolve_model_string(self.model)`` or a property returning it) is read for the concrete view class
serving the route, also in a lookup inherited from a mixin (``self.model_class.objects.get(pk=pk)``
in a shared ``get_object()``); an object kept on the view (``self.object = ...``) and checked counts
as checked, and ``get_object()`` is not reported when ``dispatch()``/``setup()`` (or every handler)
checks the ``self.object`` it gave against the user, or every handler replaces it with an object it
fetches and checks. Records of a model class the view took from a parent it checked against the user
(``cls = self.page.get_submission_class()``, then
``cls._default_manager.filter(id__in=request.GET.getlist("selected"))``, in a handler,
``dispatch()`` or a method they call) are reported unless reached through that parent
(``self.page.get_submissions().filter(...)``). A form given the user validates the fields it cleans
(a pre-fill ``Page.objects.get(id=request.POST["parent"])`` replaced by
``form.cleaned_data["parent"]`` is not reported), not the objects handed to it: ``if
form.is_valid()`` is no check of ``page`` in ``Form(request.POST, user=request.user, page=page)``. A
DRF viewset over the user model that deletes with DRF's own ``destroy()`` is reported too (medium
severity, low confidence): whoever may delete users deletes superusers as well. Superuser-only views
(also by a check the handler makes through a method of its view) are not reported: a superuser holds
every permission. Staff-only views (``is_staff``, ``staff_member_required``, the admin site) are,
with low severity and confidence: ``is_staff`` admits a user to the admin, it grants no permission
on the object, so a staff user without it reaches any record by id. Views behind a global permission
and lookups keyed by a ``<uuid:...>`` URL parameter get low confidence and medium severity; records
of the user model itself get low confidence, and low severity unless the handler writes (a public
profile is by design, changing another account is not: on the hand-reviewed real projects three in
four were public profiles or the caller's own relations); lookups keyed by a secret from the link (a
token) are not reported. Nor are: an object then checked with the caller's token (``if not
default_token_generator.check_token(user, token): return ...``, Django's
``PasswordResetTokenGenerator``); an object handed to a method of the view that checks it against
the user and refuses (``return self.resolve(request, uri, task)`` with ``if not
instance.has_permission(request.user): return Response(status=403)``); an object handed the user by
a method of its own model that refuses unless it allows them
(``obj.raise_not_editable(request.user)``, or ``form.save(request)`` of a form on ``instance=obj``
calling it); a record used only as a filter value of a second lookup scoped by the user or a parent
checked against the user (``get_object_or_404(Membership, user=user, team=team)``); and a lookup by
a field whose model default is a random token (``get_random_string``, ``secrets.token_*``,
``uuid4``) when every handler of the view that changes data checks the user (a capability link).
Such a lookup whose changing handlers check nothing is lowered to info; a random primary key alone
lowers only a read.

It also reports (medium) an object fetched by a caller-chosen id that a permission check sees
but never asks about, on some path through the ``self`` methods it is handed to: django CMS's
``move_plugin`` pasted a plugin chosen by ``request.POST["plugin_id"]`` after asking only the
target placeholder whether it may take it (``target.has_add_plugins_permission(user, plugins)``
checks the placeholder, not the plugins).

**Why.** Authorization bypass through a user-controlled key (CWE-639, IDOR): the id in the URL
is chosen by the caller, so any authenticated user (any certificate holder behind mTLS) reads
or changes other users' objects by counting ids.

**Vulnerable**::

    @login_required
    def invoice_detail(request, pk):
        invoice = get_object_or_404(Invoice, pk=pk)
        return render(request, "invoice.html", {"invoice": invoice})

**Fix**::

    @login_required
    def invoice_detail(request, pk):
        invoice = get_object_or_404(Invoice, pk=pk, owner=request.user)
        return render(request, "invoice.html", {"invoice": invoice})
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

from mtlsguard.findings.model import Confidence, Finding, Location, Severity
from mtlsguard.findings.registry import Rule, rule
from mtlsguard.scan.analysis.anonymous_reads import writes_records
from mtlsguard.scan.analysis.capabilities import mutations_checked, random_fields
from mtlsguard.scan.analysis.handoffs import handed_to_check
from mtlsguard.scan.analysis.object_methods import checked_by_object_method
from mtlsguard.scan.analysis.ownership import is_tenant, is_user_model, tenant_paths
from mtlsguard.scan.analysis.parents import checked_parent
from mtlsguard.scan.analysis.roles import RoleGate, decorator_gate, handler_role
from mtlsguard.scan.analysis.route import RouteAnalysis
from mtlsguard.scan.analysis.scoping import user_aware
from mtlsguard.scan.analysis.secrets import secret_keyed, signature_check
from mtlsguard.scan.analysis.swappable import model_of_getter
from mtlsguard.scan.analysis.view_models import model_on_view, object_checked_by_view
from mtlsguard.scan.context import RuleContext
from mtlsguard.scan.knowledge import HTTP_METHODS, short_of
from mtlsguard.scan.project_model import Call, ClassModel, FunctionModel, ObjectLookup, Ref
from mtlsguard.scan.rules._common import (
    UUID_NOTE,
    at_most_medium,
    attribution_only,
    permission_downgrade,
    uuid_keyed,
    where,
)
from mtlsguard.scan.rules._object_checks import (
    USER_RECORD_NOTE,
    attribution_lowered,
    caller_relation_lowered,
    decorator_checked_keys,
    lookup_remediation,
    privileged_account_destroy,
    rebound,
    scoped_by_checked,
    unchecked_object_findings,
    vouch,
    vouched,
    vouchers,
)

RULE_ID = "MG104"
_SECRETS = ("token", "secret", "signature", "session_key")
"""URL keys naming a secret; ``session_key`` is Django's ``request.session.session_key``."""
_RECORD_KEY = re.compile(r"(^|_)(pk|id)s?$")
_PARENT_GETTER = re.compile(r"self\.\w+\.\w+$")
"""A model class a parent kept on the view gave (``self.page.get_submission_class``)."""
_READS = frozenset({"get", "head", "retrieve", "list", "get_object", "get_queryset"})
_ACTIONS = ("list", "create", "retrieve", "update", "partial_update", "destroy", "get_object")


def _handlers(ctx: RuleContext, analysis: RouteAnalysis) -> list[FunctionModel]:
    if analysis.function is not None:
        return [analysis.function]
    cls = analysis.klass
    if cls is None:
        return []
    names = [*HTTP_METHODS, *_ACTIONS, *(a for _, a in analysis.method_actions)]
    found = []
    for name in dict.fromkeys(names):
        hit = ctx.project.method(cls, name)
        if hit is not None:
            found.append(hit[1])
    return found


def _reached(
    ctx: RuleContext, analysis: RouteAnalysis, handlers: list[FunctionModel]
) -> list[FunctionModel]:
    """The handlers, ``dispatch()`` and the view's methods they call (``self.get_queryset()``)."""
    cls = analysis.klass
    found = list(handlers)
    hit = ctx.project.method(cls, "dispatch") if cls is not None else None
    if hit is not None and hit[1] not in found:
        found.append(hit[1])
    for caller in list(found):
        for call in caller.facts.calls:
            helper = call.removeprefix("self.")
            if cls is not None and helper != call and "." not in helper:
                hit = ctx.project.method(cls, helper)
                if hit is not None and hit[1] not in found:
                    found.append(hit[1])
    return found


@rule(
    RULE_ID,
    title="Object fetched by URL id without an owner check (IDOR)",
    cwe="CWE-639",
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
)
def check(ctx: RuleContext, meta: Rule) -> Iterator[Finding]:
    """Report single-object lookups keyed by URL kwargs on user-owned models, unscoped."""
    for analysis in ctx.routes:
        if all(p.authenticated is False for p in analysis.protections) and not analysis.cert_gate:
            continue  # wide open: MG101 already says anybody gets everything
        gate = ctx.role_gate(analysis)
        if gate is not None and gate.role == "superuser":
            continue  # superuser-only view: a superuser holds every permission
        route_downgrade = permission_downgrade(gate)
        yield from privileged_account_destroy(ctx, meta, analysis, route_downgrade[2])
        handlers = _handlers(ctx, analysis)
        yield from unchecked_object_findings(ctx, meta, analysis, handlers)
        for func in _reached(ctx, analysis, handlers):
            for lookup in func.facts.lookups:
                if not lookup.user_scoped and _PARENT_GETTER.match(lookup.model or ""):
                    yield from _parent_records(ctx, meta, analysis, func, lookup, route_downgrade)
        for handler in handlers:
            lookups = [
                replace(lk, model=_model(ctx, lk.model, analysis.klass))
                for lk in handler.facts.lookups
                if not lk.user_scoped
            ]
            if not any(
                ctx.owner_fields(lk.model) or is_user_model(ctx.project, lk.model) for lk in lookups
            ):
                continue  # nothing to report: spare following its calls for a role check
            if handler.qualname.endswith(".get_object") and object_checked_by_view(
                ctx.project, analysis.klass, handlers
            ):
                continue  # the view checks (or replaces) the object before using it
            own = gate or _handler_gate(ctx, analysis, handler)
            if own is not None and own.role == "superuser":
                continue
            if handler.facts.secret_guard or signature_check(ctx.project, handler):
                continue  # a signed link (or a compared secret) names the object it serves
            severity, confidence, note = (
                route_downgrade if gate is not None else permission_downgrade(own)
            )
            checked = decorator_checked_keys(ctx, analysis, handler)
            vouching = vouchers(handler.facts.lookups)
            for lookup in lookups:
                if (
                    (
                        lookup.url_kwargs
                        and set(lookup.url_kwargs) <= checked
                        and not rebound(handler, lookup)
                    )
                    or vouched(lookup, vouching)
                    or scoped_by_checked(lookup, checked)
                ):
                    continue  # the object a decorator or an earlier check vouched for
                owners = ctx.owner_fields(lookup.model)
                user_record = not owners and is_user_model(ctx.project, lookup.model)
                if not owners and not user_record:
                    continue
                if any(w in key.lower() for key in lookup.url_kwargs for w in _SECRETS):
                    continue  # keyed by a secret from the link (a capability), not a counter
                if secret_keyed(ctx.project, analysis, handler, lookup.line):
                    continue  # the lookup by a random secret is the view's only authentication
                # Workspace.objects.get(slug=slug) under @workspace_member_required: the tenant
                # the decorator checked, named by the same URL key (not a pk it never saw).
                through_url = bool(lookup.url_parent_keys) or (
                    is_tenant(ctx.project, lookup.model)
                    and not any(_RECORD_KEY.search(key) for key in lookup.url_kwargs)
                )
                if _scoped_by_parent(ctx, lookup, owners) or (
                    through_url and _parent_checked(ctx, analysis, handler)
                ):
                    continue  # the tenant named in the URL was checked against the user
                if handed_to_check(
                    ctx.project, analysis.klass, handler, lookup.line
                ) or checked_by_object_method(ctx.project, handler, lookup):
                    # self.resolve(request, uri, task) refuses unless task allows the user;
                    # so does obj.raise_not_editable(request.user), a method of obj's model
                    vouch(vouching, lookup)
                    continue
                found_sev, found_conf, found_note = severity, confidence, note
                capability = _capability(ctx, analysis, handler, lookup)
                if capability == "checked token":
                    continue  # a capability link, and what changes data checks the user
                if user_record:
                    # a public profile is by design; changing another account is not
                    writes = writes_records(handler)
                    found_sev = at_most_medium(found_sev) if writes else Severity.LOW
                    found_conf = Confidence.LOW
                    found_note += USER_RECORD_NOTE
                elif lookup.url_parent_keys:
                    found_note += (
                        f"; scoped only by {', '.join(lookup.url_parent_keys)} from the request, "
                        "which the view never checks against the user"
                    )
                if uuid_keyed(analysis.route.pattern, lookup.url_kwargs):
                    found_sev, found_conf = at_most_medium(found_sev), Confidence.LOW
                    found_note += UUID_NOTE
                if capability:
                    if capability != "unchecked key":
                        found_sev, found_conf = Severity.INFO, Confidence.LOW
                    found_note += _CAPABILITY_NOTES[capability]
                attribution = attribution_only(ctx.project, lookup.model, owners)
                found_sev, found_conf, found_note = caller_relation_lowered(
                    handler,
                    lookup,
                    attribution_lowered(attribution, (found_sev, found_conf, found_note)),
                )
                owned = f"owned via {', '.join(owners)}" if owners else "the user model"
                yield meta.finding(
                    severity=found_sev,
                    confidence=found_conf,
                    location=Location(handler.location.path, lookup.line),
                    route=analysis.route.pattern,
                    view=analysis.view,
                    view_kind=analysis.view_kind,
                    evidence=(
                        f"{where(analysis)}: {lookup.kind} on {lookup.model} ({owned}) by "
                        f"{', '.join(lookup.url_kwargs)} in {short_of(handler.qualname)}() without "
                        f"a request.user filter{found_note}"
                    ),
                    remediation=lookup_remediation(lookup.model, owners),
                )


def _model(ctx: RuleContext, model: str | None, cls: ClassModel | None) -> str | None:
    """The model a lookup is on.

    ``get_image_model()`` is the class that getter returns, ``self.model_class`` the model the
    serving view class keeps there.
    """
    if model is None or ctx.project.class_named(model) is not None:
        return model
    return model_on_view(ctx.project, cls, model) or model_of_getter(ctx.project, model) or model


_CAPABILITY_NOTES = {
    "unchecked token": "; keyed by a random token field from the link (a capability), but the "
    "handlers that change data never check the user",
    "checked key": "; keyed by a random primary key from the link (a capability) and the "
    "handlers that change data check the user: at most a leaked link",
    "unchecked key": "; keyed by a random primary key (a capability link) while the handlers "
    "that change data never check the user",
}


def _capability(
    ctx: RuleContext, analysis: RouteAnalysis, handler: FunctionModel, lookup: ObjectLookup
) -> str:
    """Whether the caller names the object by a random token field, and what changes it checks.

    A random primary key alone lowers only a read: a handler that changes the object it
    fetched by key without checking it (a POST action) stays an IDOR candidate.
    """
    fields = random_fields(ctx.project, lookup.model)
    heads = {key.split("__")[0] for key in lookup.caller_fields}
    hit = fields.keys() & heads
    if not hit:
        return ""
    checked = mutations_checked(ctx.project, analysis)
    if any(not fields[name] for name in hit):
        return "checked token" if checked else "unchecked token"
    reads = short_of(handler.qualname) in _READS
    return "checked key" if checked and reads else "unchecked key"


def _parent_records(
    ctx: RuleContext,
    meta: Rule,
    analysis: RouteAnalysis,
    handler: FunctionModel,
    lookup: ObjectLookup,
    downgrade: tuple[Severity | None, Confidence | None, str],
) -> Iterator[Finding]:
    """Records of a model class the view took from a parent it checked, picked by caller ids.

    ``cls = self.page.get_submission_class()`` then ``cls._default_manager.filter(id__in=
    request.GET.getlist("selected"))``: the page was checked against the user, the records
    were not reached through it (``self.page.get_submissions().filter(...)`` would be).
    """
    getter = lookup.model or ""
    source = getter.rsplit(".", 1)[0]
    attr = source.removeprefix("self.")
    if any(k.split("__")[0].removesuffix("_id") == attr for k in lookup.server_keys):
        return
    checker = checked_parent(ctx.project, analysis.klass, source)
    if checker is None:
        return
    severity, confidence, note = downgrade
    yield meta.finding(
        severity=severity,
        confidence=confidence,
        location=Location(handler.location.path, lookup.line),
        route=analysis.route.pattern,
        view=analysis.view,
        view_kind=analysis.view_kind,
        evidence=(
            f"{where(analysis)}: {lookup.kind} on the records of the model class {getter}() "
            f"by {', '.join(lookup.url_kwargs)} in "
            f"{short_of(handler.qualname)}() without filtering by {source}, which "
            f"{checker}() checks against the user: ids of another {attr}'s records are "
            f"accepted{note}"
        ),
        remediation=(
            f"Reach the records through {source} (its related manager or a queryset filtered "
            f"by {attr}={source}) before filtering by the ids from the request."
        ),
    )


def _handler_gate(
    ctx: RuleContext, analysis: RouteAnalysis, handler: FunctionModel
) -> RoleGate | None:
    """A role check the handler makes itself (``self.perm_check()``) or its decorators make."""
    gate = decorator_gate(ctx.project, handler.decorators)
    if gate is not None:
        return gate
    role = handler_role(ctx.project, analysis.klass, handler)
    if not role:
        return None
    return RoleGate(role, f"a check in {short_of(handler.qualname)}()")


def _scoped_by_parent(ctx: RuleContext, lookup: ObjectLookup, owners: tuple[str, ...]) -> bool:
    """The lookup names the owning parent or tenant with a value the view computed.

    ``Note.objects.get(id=..., document=doc)``, ``Project.objects.filter(id=project_id,
    workspace=workspace)``: the parent came from the server side (fetched and checked by the
    view or its decorator), not from the request.
    """
    heads = {owner.split("__")[0] for owner in owners}
    cls = ctx.project.class_named(lookup.model) if lookup.model else None
    if cls is not None:
        heads.update(path.split("__")[0] for path in tenant_paths(ctx.project, cls))
    return any(key.split("__")[0].removesuffix("_id") in heads for key in lookup.server_keys)


def _parent_checked(ctx: RuleContext, analysis: RouteAnalysis, handler: FunctionModel) -> bool:
    """The parent named in the URL is checked against the user by the handler or a decorator.

    ``@workspace_member_required`` then ``Issue.objects.get(workspace__slug=slug, pk=pk)``:
    the decorator looked the workspace up with ``request.user``; so did a handler that
    refers to the user before the lookup.
    """
    if handler.facts.mentions_user:
        return True
    decorators = [*analysis.route.wrappers, *handler.decorators]
    if analysis.function is not None and analysis.function is not handler:
        decorators.extend(analysis.function.decorators)
    for deco in decorators:
        target = deco.func if isinstance(deco, Call) else deco
        if not isinstance(target, Ref):
            continue
        func = ctx.project.function_named(target.name, parse=False)
        if func is not None and user_aware(ctx.project, None, func):
            return True
    return False
