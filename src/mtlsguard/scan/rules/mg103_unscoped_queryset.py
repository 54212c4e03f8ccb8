"""MG103 — Authenticated view returns objects of every user: unscoped queryset (CWE-639).

**What.** A DRF generic view or viewset, or a Django ``DetailView``/``UpdateView``/
``DeleteView``/``ListView``, that requires a logged-in user but serves ``Model.objects.all()``
(``queryset``, ``model = Model`` or a ``get_queryset()`` returning it) for a model that belongs to a
user (a ``ForeignKey``/``OneToOneField`` to the user model, or an ``owner``/``user``-style relation)
or to a tenant users join (an organization, workspace, team, project, space or event; a model with a
many-to-many to users or a membership model; followed two relations deep,
``project__organization``), with no ``get_queryset()``/``filter_queryset()`` that filters by
``request.user`` (directly, through a helper method, or through a parent object the view fetched
with a user check, such as ``self.project.font_set`` after ``self.project = parse_path(request,
...)``) and no object-level permission that checks the user (``has_object_permission()``, or a
``has_permission()`` asking about the user and ``view.get_object()``; on the view or in DRF's
``DEFAULT_PERMISSION_CLASSES``, also when extended as ``DEFAULT_PERMISSION_CLASSES + [...]``; one
that delegates to a model method returning a constant ``True`` is no check), no filter backend that
scopes the list (``filter_backends``/``DEFAULT_FILTER_BACKENDS``: a project backend whose
``filter_queryset`` looks at the user, or a package one named for permissions or ownership), and no
scoping by the request's tenant (``self.request.event.orders``, a parent fetched by
``organizer=self.request.organizer``). ``get_queryset()`` is followed through ``super()``, also from
a helper of the view that reads ``super().get_queryset()``; an override of another queryset hook of
the framework (``alter_queryset(self, request)`` taking ``super().alter_queryset(request)``) that
filters by ``request.user`` scopes the view too; ``queryset = Model.objects.none()`` serves nothing.
A ``get_queryset()`` filtered by URL keys (``project_id=self.kwargs.get("project_id")``) is scoped
when those keys are checked against the user before every handler of the route (so is one filtered,
or a ``get_object()`` fetching, by a parent a helper of the view fetched by such keys: ``canteen =
self._get_canteen()``, then ``filter(canteen=canteen)``): by a permission class (also through a
property of the view it reads, ``view.project_id``), or by a decorator on each handler that looks
the caller's membership up with them (``@allow_permission([...])``). A single-object view whose URL
keywords a decorator hands, with the user, to a permission check that refuses otherwise (getgov's
``@grant_access(...)`` calling ``_user_has_permission(request.user, request, rules, **kwargs)``)
serves a checked object; so does a detail route whose every action is a destroy whose
``perform_destroy()`` refuses unless the object's owner is the caller. A parent counts as checked
when the code that fetches it refers to ``request.user``; that it really refuses is assumed, not
proven. Views only staff reach (``is_staff``/``is_superuser``/staff-session guards in a decorator,
``dispatch()`` or an ``as_view()`` override, ``staff_member_required``, ``IsAdminUser``) are not
reported; views behind a global permission (``has_perm("app.codename")`` with no object,
``permission_required``) are reported low, with low confidence: a global permission to view or
change a model is Django's way of saying "every record of it" (on the hand-reviewed real projects
such lists were staff tools by design, 12 of 13), and who holds it is data, not code. A detail view
behind django-guardian's object permission (``permission_required(perm, (Model, "pk", "pk"))``,
``guardian.mixins.PermissionRequiredMixin``) is checked on the object the URL names: not reported,
or info with ``accept_global_perms=True`` (holders of the global permission pass too, by design). A
detail view keyed by a ``<uuid:...>`` URL parameter is reported with low confidence and medium
severity (a random key cannot be enumerated; the link itself is the capability), and as info when
the model's primary key is generated at random (``default=uuid4``) and every handler of the view
that changes data checks the user. A detail view whose own ``get_object()`` fetches the object
scoped (every lookup by the user or the request's tenant, or a parent ``self.project`` that
``dispatch()`` set from such a lookup) serves that object, not the queryset: not reported. A route
that only reads (a list route may also create) a queryset narrowed by a constant public-visibility
filter (``filter(is_public=True)``, ``exclude(archive_policy=PRIVATE)``,
``filter(status="published")``) or a manager named for public records (``Post.published.all()``,
judged by its code when the project defines it) serves published records: info; its update/destroy
routes are judged as before.

**Why.** Authorization bypass through a user-controlled key (CWE-639, BOLA/IDOR): any
authenticated user — behind mTLS, any certificate holder mapped to a user — reads or changes
another user's objects by changing the id in the URL.

**Vulnerable**::

    class InvoiceViewSet(viewsets.ModelViewSet):
        queryset = Invoice.objects.all()
        serializer_class = InvoiceSerializer
        permission_classes = [IsAuthenticated]

**Fix**::

    class InvoiceViewSet(viewsets.ModelViewSet):
        serializer_class = InvoiceSerializer
        permission_classes = [IsAuthenticated]

        def get_queryset(self):
            return Invoice.objects.filter(owner=self.request.user)
"""

from __future__ import annotations

from collections.abc import Iterator

from mtlsguard.findings.model import Confidence, Finding, Severity
from mtlsguard.findings.registry import Rule, rule
from mtlsguard.scan.analysis.capabilities import mutations_checked, random_fields
from mtlsguard.scan.analysis.guardian import ObjectPermissionGate, object_permission_gate
from mtlsguard.scan.analysis.object_tests import object_tested_by_gate
from mtlsguard.scan.analysis.owned_queryset import checks_fetched_object, filtered_by_checked_parent
from mtlsguard.scan.analysis.permissions import view_permission_classes
from mtlsguard.scan.analysis.public_data import public_note, public_reads
from mtlsguard.scan.analysis.route import RouteAnalysis
from mtlsguard.scan.analysis.scoping import empty_queryset, object_check_delegates, served_model
from mtlsguard.scan.analysis.unseen_bases import unseen_bases, unseen_note
from mtlsguard.scan.analysis.view_models import object_checked_by_view, scoped_get_object
from mtlsguard.scan.context import RuleContext
from mtlsguard.scan.knowledge import short_of
from mtlsguard.scan.project_model import BinOp, ClassModel, Expr, FunctionModel, Ref, Seq
from mtlsguard.scan.rules._common import (
    ATTRIBUTION_NOTE,
    UUID_NOTE,
    attribution_only,
    permission_downgrade,
    typo_note,
    url_keywords,
    uuid_keyed,
    where,
)
from mtlsguard.scan.rules._object_checks import decorator_checked_keys
from mtlsguard.scan.rules._permission_keys import permission_checked_keys

RULE_ID = "MG103"
_CAPABILITY_NOTE = (
    "; the primary key is a random UUID the server generated (a capability link) and the "
    "handlers that change data check the user"
)
_OBJECT_VIEWS = frozenset(
    {
        "DetailView",
        "UpdateView",
        "DeleteView",
        "ListView",
        "RetrieveAPIView",
        "ListAPIView",
        "UpdateAPIView",
        "DestroyAPIView",
        "ListCreateAPIView",
        "RetrieveUpdateAPIView",
        "RetrieveDestroyAPIView",
        "RetrieveUpdateDestroyAPIView",
        "ModelViewSet",
        "ReadOnlyModelViewSet",
        "GenericViewSet",
        "GenericAPIView",
        "RetrieveModelMixin",
        "ListModelMixin",
        "UpdateModelMixin",
        "DestroyModelMixin",
    }
)
_OBJECT_PERMISSIONS = frozenset({"DjangoObjectPermissions"})
_LIST_FILTERS = frozenset({"ObjectPermissionsFilter"})
_LIST_VIEWS = frozenset(
    {
        "ListView",
        "ListAPIView",
        "ListCreateAPIView",
        "ListModelMixin",
        "ModelViewSet",
        "ReadOnlyModelViewSet",
    }
)


def _lists(analysis: RouteAnalysis, cls: ClassModel) -> bool:
    """The route serves a list (DRF's object permissions never see its objects)."""
    if analysis.method_actions:
        return any(action == "list" for _, action in analysis.method_actions)
    return any(short_of(entry) in _LIST_VIEWS for entry in cls.mro)


def _permission_items(ctx: RuleContext, perms: Expr | None) -> tuple[Expr, ...] | None:
    """The classes of a permission list.

    ``api_settings.DEFAULT_PERMISSION_CLASSES + [...]`` included: label-studio extends the
    default that way.
    """
    if isinstance(perms, Seq):
        return perms.items
    if isinstance(perms, Ref) and perms.name.endswith("DEFAULT_PERMISSION_CLASSES"):
        default = ctx.analyzer.configuration.default_permissions
        return default.items if isinstance(default, Seq) else None
    if isinstance(perms, BinOp) and perms.op == "+":
        left = _permission_items(ctx, perms.left)
        right = _permission_items(ctx, perms.right)
        if left is not None and right is not None:
            return left + right
    return None


def object_permission_checks_user(ctx: RuleContext, analysis: RouteAnalysis) -> bool | None:
    """True if a permission class checks ownership for every method; None if none is set."""
    cls = analysis.klass
    if cls is None:
        return None
    declared = view_permission_classes(ctx.project, analysis.route, cls)
    perms = declared[0] if declared is not None else None
    if perms is None and analysis.framework == "drf":
        # No permission_classes anywhere in the project's MRO: DRF's APIView uses
        # DEFAULT_PERMISSION_CLASSES, and get_object() runs their has_object_permission.
        perms = ctx.analyzer.configuration.default_permissions
    items = _permission_items(ctx, perms)
    if items is None:
        return None
    lists = _lists(analysis, cls)
    for item in items:
        name = getattr(item, "name", None)
        if name is None:
            continue
        if short_of(name) in _LIST_FILTERS:
            return True
        if lists:
            continue  # has_object_permission runs in get_object(), never on a list
        if short_of(name) in _OBJECT_PERMISSIONS:
            return True
        perm_cls = ctx.project.class_named(name)
        if perm_cls is None:
            continue
        gate = ctx.project.method(perm_cls, "has_permission")
        if gate is not None and _checks_view_object(ctx, gate[1]):
            return True
        found_meth = ctx.project.method(perm_cls, "has_object_permission")
        if found_meth is None:
            continue
        facts = found_meth[1].facts
        model = served_model(ctx.project, cls)
        verdict = object_check_delegates(ctx.project, found_meth[1], model)
        if verdict is False:
            continue  # delegates to a model method that returns a constant: no check
        if facts.mentions_user or verdict:
            # IsOwnerOrReadOnly lets reads through: MG105 reports that.
            return not facts.safe_methods_shortcut
    return None


def _checks_view_object(ctx: RuleContext, gate: FunctionModel) -> bool:
    """``has_permission()`` asks about the user and the route's object, on every method.

    varfish's ``CaseCommentsApiPermission``: ``casecomment = view.get_object()``, then
    ``return request.user.has_perm(perm, casecomment)``. The object must reach the question: a
    call on ``request.user`` given it, or a comparison of one of its attributes with the user
    (``view.get_object().owner == request.user``); and the method must not decide by the HTTP
    method (an owner check for ``DELETE`` only lets every other method through).
    """
    facts = gate.facts
    if not any(short_of(c) == "get_object" for c in facts.calls) or not facts.mentions_user:
        return False
    node = ctx.sources().node(gate.location.path, gate.location.line)
    return node is not None and checks_fetched_object(node)


def _checked_parent_scope(ctx: RuleContext, analysis: RouteAnalysis, cls: ClassModel) -> bool:
    """``get_queryset()`` filters by URL keys checked against the user before every handler.

    doccano's ``LabelList.get_queryset`` is ``filter(project=self.kwargs["project_id"])`` and
    ``IsProjectMember.has_permission`` asks whether the user has a role in that project: the
    list is the checked project's. Every fetch of ``get_queryset()`` must use such a key; a
    ``super().get_queryset().filter(...)`` (no fetch of its own) may read only such keys; one
    that reads no key itself must filter by a parent a helper fetched by them
    (:func:`~mtlsguard.scan.analysis.owned_queryset.filtered_by_checked_parent`).
    """
    hit = ctx.project.method(cls, "get_queryset") if analysis.framework == "drf" else None
    keys = _handler_checked_keys(ctx, analysis, cls) if hit is not None else set()
    if hit is None or not keys:
        return False
    lookups = hit[1].facts.lookups
    if lookups:
        return all(set(lk.url_kwargs) & keys for lk in lookups)
    # super().get_queryset().filter(project_id=self.kwargs.get("project_id")): the URL keys read
    reads = set(hit[1].facts.capabilities.view_kwargs)
    if reads:
        return reads <= keys
    return filtered_by_checked_parent(ctx.project, ctx.sources(), cls, keys)


def _checked_parent_object(ctx: RuleContext, analysis: RouteAnalysis, cls: ClassModel) -> bool:
    """``get_object()`` fetches within a parent its helper fetched by checked URL keys."""
    if analysis.framework != "drf" or ctx.project.method(cls, "get_object") is None:
        return False
    keys = _handler_checked_keys(ctx, analysis, cls)
    return filtered_by_checked_parent(ctx.project, ctx.sources(), cls, keys, "get_object")


def _handler_checked_keys(ctx: RuleContext, analysis: RouteAnalysis, cls: ClassModel) -> set[str]:
    """URL keys checked against the user before every handler of the route runs.

    A permission class's (``view.kwargs["project_id"]``), or, when every action the route
    serves is a method of the project decorated with a check (Plane's ``@allow_permission``
    reading ``kwargs["slug"]`` and ``kwargs["project_id"]``), the keys they all check.
    """
    keys = permission_checked_keys(ctx, analysis, cls)
    actions = {action for _, action in analysis.method_actions}
    handlers = [ctx.project.method(cls, action) for action in sorted(actions)]
    if not handlers or any(hit is None or not hit[1].decorators for hit in handlers):
        return keys
    checked = [decorator_checked_keys(ctx, analysis, hit[1]) for hit in handlers if hit]
    return keys | set.intersection(*checked)


def _writes_checked(ctx: RuleContext, analysis: RouteAnalysis, cls: ClassModel) -> bool:
    """The route's only action is ``destroy`` and ``perform_destroy()`` checks the owner.

    tunnistamo's ``UserDeviceViewSet`` routes only ``destroy`` on its detail URL, and
    ``perform_destroy(self, instance)`` raises ``PermissionDenied`` unless ``instance.user ==
    self.request.user``: nobody deletes another user's device. (``perform_update(serializer)``
    may test the new values rather than the current owner: not counted.)
    """
    if {action for _, action in analysis.method_actions} != {"destroy"}:
        return False
    hit = ctx.project.method(cls, "perform_destroy")
    return hit is not None and 0 in hit[1].facts.checked_params


def _url_object_checked(ctx: RuleContext, analysis: RouteAnalysis, cls: ClassModel) -> bool:
    """A decorator checked the caller against every keyword of the URL, the object's key too.

    getgov's ``@grant_access(IS_DOMAIN_REQUEST_REQUESTER)`` on a ``DetailView`` at
    ``domain-request/<int:domain_request_pk>``: its wrapper hands the user and ``**kwargs`` to
    a permission check and refuses otherwise, before ``get_object()`` fetches that record.
    """
    keys = url_keywords(analysis.route.pattern)
    hit = ctx.project.method(cls, "dispatch") or ctx.project.method(cls, "get")
    handler = hit[1] if hit is not None else None
    return bool(keys) and keys <= decorator_checked_keys(ctx, analysis, handler)


def _guardian_note(gate: ObjectPermissionGate) -> str:
    """Evidence note for a view behind a guardian object permission that accepts global ones."""
    return (
        f"; {gate.source} checks the permission on the object the URL names (django-guardian); "
        "accept_global_perms also lets every holder of the global permission through: by design "
        "if that permission means access to all of them"
    )


@rule(
    RULE_ID,
    title="Authenticated view serves every user's objects (unscoped queryset)",
    cwe="CWE-639",
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
)
def check(ctx: RuleContext, meta: Rule) -> Iterator[Finding]:
    """Report authenticated object views whose queryset is not scoped to the user."""
    reported: set[str] = set()
    informed: set[str] = set()
    for analysis in ctx.routes:
        cls = analysis.klass
        if cls is None or analysis.framework not in ("django", "drf"):
            continue
        if analysis.open_methods() and not analysis.cert_gate:
            continue  # anonymous access is MG101's finding
        if not any(short_of(e) in _OBJECT_VIEWS for e in cls.mro):
            continue
        if analysis.method_actions and {a for _, a in analysis.method_actions} <= {"create"}:
            continue
        if _writes_checked(ctx, analysis, cls):
            continue  # a destroy-only route whose perform_destroy() refuses another's object
        if cls.qualname in reported:
            continue  # one finding per view class: the fix is there, not per route
        if ctx.queryset_scope(cls) is not None:
            continue  # scoped by a mixin, get_queryset() & co, or a parent fetched with a check
        if empty_queryset(ctx.project, cls):
            continue  # queryset = Model.objects.none() and no get_queryset(): nothing served
        model = served_model(ctx.project, cls)
        if not _lists(analysis, cls) and (
            object_checked_by_view(ctx.project, cls, [], model)
            or object_tested_by_gate(ctx.project, cls, model, ctx.analyzer.django.linearisation)
            or scoped_get_object(ctx.project, cls)
            or _url_object_checked(ctx, analysis, cls)
            or _checked_parent_object(ctx, analysis, cls)
        ):
            continue  # dispatch() checks the object, or get_object() fetches it scoped
        owners = ctx.owner_fields(model)
        if not owners:
            continue
        if object_permission_checks_user(ctx, analysis) is not None:
            continue
        if _checked_parent_scope(ctx, analysis, cls):
            continue  # filtered by the URL parent a permission class checked the user against
        gate = ctx.role_gate(analysis)
        if gate is not None and gate.role in ("staff", "superuser"):
            continue  # staff-only view: seeing every user's objects is its purpose
        severity, confidence, note = permission_downgrade(gate)
        if gate is not None:
            severity = Severity.LOW  # "may view every Invoice": the list is what it grants
        guardian = None if _lists(analysis, cls) else object_permission_gate(ctx.project, analysis)
        if guardian is not None:
            if guardian.accepts_global is False:
                continue  # a per-object permission on the very object the URL names
            severity, confidence, note = Severity.INFO, Confidence.LOW, _guardian_note(guardian)
        if not _lists(analysis, cls) and uuid_keyed(analysis.route.pattern):
            severity, confidence, note = Severity.MEDIUM, Confidence.LOW, note + UUID_NOTE
            if random_fields(ctx.project, model).get("pk") and mutations_checked(
                ctx.project, analysis
            ):
                severity, note = Severity.INFO, note + _CAPABILITY_NOTE
        if attribution_only(ctx.project, model, owners) and severity is not Severity.INFO:
            severity, confidence, note = Severity.LOW, Confidence.LOW, note + ATTRIBUTION_NOTE
        unseen = unseen_bases(ctx.project, analysis)
        if unseen and (severity is None or severity > Severity.LOW):
            note += unseen_note(unseen, "a queryset or object check")
            severity, confidence = Severity.LOW, Confidence.LOW
        methods = [p.method for p in analysis.protections]
        published = public_reads(ctx.project, analysis, methods)
        if published:
            # Reads of published records: info, and a later route of the class that writes
            # (update/destroy) is still judged on its own.
            if cls.qualname in informed:
                continue
            informed.add(cls.qualname)
            severity, note = Severity.INFO, note + public_note(published)
        else:
            reported.add(cls.qualname)
        yield meta.finding(
            severity=severity,
            confidence=confidence,
            location=analysis.location,
            route=analysis.route.pattern,
            view=analysis.view,
            view_kind=analysis.view_kind,
            methods=tuple(p.method for p in analysis.protections if p.method != "*"),
            evidence=(
                f"{where(analysis)}: queryset of {model} (owned via {', '.join(owners)}) is not "
                f"filtered by request.user{note}{typo_note(ctx, analysis)}"
            ),
            remediation=(
                f"Override get_queryset() on {analysis.view} to return "
                f"{short_of(model or 'Model')}.objects.filter({owners[0]}=self.request.user), "
                "or add an object-level permission that compares the owner with request.user."
            ),
        )
