"""MG101 — Endpoint reachable without application authentication (CWE-306).

**What.** A route whose view lets an anonymous caller through: no ``@login_required`` (or
equivalent), no authenticating mixin that actually runs, a DRF view left on ``AllowAny`` —
explicitly, through a composition such as ``IsAuthenticated | AllowAny``, through a custom
permission whose ``has_permission`` returns ``True``, or through DRF's *implicit* default when
``REST_FRAMEWORK["DEFAULT_PERMISSION_CLASSES"]`` is not set — and no login-required middleware.
``IsAuthenticatedOrReadOnly`` is reported when the reads expose a model that belongs to a user
(``queryset``, ``model`` or what ``get_queryset()`` returns). ``django.views.static.serve`` under a
media/uploads prefix (``MEDIA_ROOT``) is reported: it hands out every user's uploads (low when the
URLconf declares the route only under ``if settings.DEBUG:``). A middleware counts as a login wall
only if it refuses (returns a redirect or 403, raises, or wraps the view in ``login_required``);
one that only reads ``request.user.is_authenticated`` and passes the request on protects nothing.
``initial()``/``check_permissions()``/``dispatch()`` overrides that refuse without a user check
protect the view. So does a ``dispatch()`` or decorator that refuses without a request attribute a
middleware in ``MIDDLEWARE`` sets only for signed-in callers (``if not
request.current_organization: return redirect(...)``). A handler that refuses unless the caller
presents an object's secret (``if not constant_time_compare(invite.token, request.GET["token"]):
return HttpResponseForbidden()``: a capability link), or that turns the ``PermissionDenied`` of a
helper given the request into a refusal (``try: ticket = ticket_with_authorisation(request, pk)
except PermissionDenied: return redirect_to_login(...)``), is protected. A DRF view whose
permissions sit in a misspelt attribute (``permissions = [...]``) says so.

**Severity.** High when the view reads a model owned by a user (directly or through a tenant), looks
at ``request.user``, or fetches a user's record by a caller-chosen key. Views that touch no user
data (a constant page, a public model) and sign-in, sign-out, password-reset, signup, health,
schema, autoconfig and version endpoints are reported as ``info``, with the reason in the evidence;
so are reads a view opens with ``AllowAny`` itself over a queryset computed per user by code that
looks at the user (``get_events_for_user(request.user)``: a public API); views that read no model
owned by a user and look at ``request.user`` only to choose what a signed-in or anonymous caller
sees (``if request.user.is_authenticated:``); and views whose records are named by a random token
field the server generated (``code = UUIDField(default=uuid4)``, not the primary key: a capability
link) or only by fields named as secrets (``activation_key``, ``token``, ``secret``, ``guid``); so
are routes that only read a queryset narrowed by a constant public-visibility filter
(``filter(is_public=True)``, ``exclude(privacy="private")``, ``filter(status="published")``: records
their owners published), or, in a class-based view, read through a manager named for public records
whose code the project does not show otherwise (``queryset = Post.published.all()``,
``Job.objects.visible()`` where ``visible()`` filters so). A project middleware that refuses after a
user check, but only under a condition it computes at run time (``if request.admin_namespace: return
self.check_admin(request)``), leaves the route's authentication undecided: at most ``medium`` with
low confidence. A view of a reusable app that no URLconf the scan read routes (listed as
``<unrouted>/...``: the site, or code such as ``AppConfig.get_urls()`` that the scanner cannot
resolve, mounts it) is ``low`` with low confidence: a ``login_required()`` applied where it is
routed is not seen. A create view (no URL parameters) whose ``form_valid()``/``perform_create()``
sets the owner foreign key to ``request.user`` before saving is ``medium``: it fails for an
anonymous caller and its ``GET`` is an empty form, so only the login wall is missing. A DRF route
that serves single objects through DRF's own ``get_object()`` behind a permission class that allows
every request but checks each object against the user in ``has_object_permission`` is ``info``: the
object check decides (a list, or a ``get_object()`` override that never calls
``check_object_permissions()``, stays high). A route that only reads (every open method is
``GET``/``HEAD``/``OPTIONS``, or a function view whose code writes nothing through the ORM), fetches
no record related to a user by a caller-chosen key, and reads only models that belong to no user or
account (at most an author or a role: ``creator``, ``*_by``, ``lead``, ``assigned_to``) is ``low``:
the shape of public content (catalogues, articles, search, feeds), which on the hand-reviewed real
projects was public by design far more often than not. So is such a route that looks at
``request.user`` only to adapt what it shows (a visibility filter, an ``is_staff`` branch; not one
that shows the account's data such as ``request.user.email``), and one whose records belong only to
a tenant, or are the records of a model named like a tenant that users join and that has no field
hiding some of them (``is_public``, ``visibility``, ``is_draft``...): an organisation's own page
(its name, imprint, terms), with its own reason. So is a route that only reads but reads a user's
records, or fetches one by a key the caller chooses, when its authors named it public: a ``public``
URL segment (``api/public/datafiles/``), a module (``kolibri_public.views``, ``app.views.public``)
or the view itself (``PublicIndexView``, ``public_profile``); on the hand-reviewed real projects
none of 28 such routes was a vulnerability (24 public by design, 4 defensible). The evidence says
so, and names what the route would expose; if the records are private the remedy is the same. A
finding that stays high says why in its evidence (``high because it changes data``, ``...
anonymous callers may send POST``, ``... it fetches a record related to a user by a key the
caller chooses``): the fact the rule bets on, for the reader to confirm or refute. A route whose
only evidence is weak (it writes nothing the scan can see and fetches no user's record by a
caller-chosen key, but reads a user's records, the user model or a model the scan cannot read,
fetches a tenant's record by key, or has code the scan cannot see whole) is ``low`` with low
confidence, its evidence saying what would have made it high (``it would be high because it
reads Invoice, whose records belong to a user or account (owner)``): on the hand-reviewed real
projects 35 of 214 such high findings were true or defensible. When the view carries the
project's own code the scan did not credit as a gate (a decorator such as
``@election_admin(frozen=True)``, a project base class overriding ``dispatch()``, a helper named
like a gate that the body hands the request first, ``user = require_admin(request)``), the evidence
names it, gate-like names first (``the view's own code not credited as a gate:
helios.security.election_admin``), and the fix says how to declare it once if it does refuse callers
(``[tool.mtlsguard] guards``; on the reviewed projects the first name was the guard the reviewer
cited for 69 of the 145 false findings carrying such a list). When that code refuses a caller (a
``raise``, or a ``return`` of a 403, a 401 or a redirect, in the decorator, its nested wrapper,
the base's ``dispatch()``/``has_permission()``... or the helper, under a test of the user, the
session, a request value or a check handed the request, or unconditionally), or could not be read
at all and is named
like a gate (``acl.election_admin``, not ``ratelimit``), the finding is ``low`` with low confidence,
and the evidence says what would have made it high: on the hand-reviewed real projects 74 of 75 such
high findings were false (the code did refuse, or the page was public by design). Code read in full
that never refuses (a decorator that only logs, or re-raises), or refuses only a kind of request or
record (``if request.method != "POST"``, a feature flag, ``if obj.is_deleted: raise Http404``), is
no gate, and the finding keeps its severity. A DRF view whose ``get_object()`` returns
``request.user``, or a record its queryset fetches by it (``get_or_create(adviser=
self.request.user)``: the caller's settings), and fetches nothing else is ``info`` (each caller
gets their own; an anonymous one the ``AnonymousUser`` or an error), and so is a DRF detail route
whose own ``get_object()``
fetches by a ``lookup_field`` with a random default (a capability link).

**Why.** Behind an mTLS-terminating proxy every client that holds *any* certificate from the
trusted CA reaches these views. A certificate says who the machine is, not which application
user is acting and what they may touch: missing authentication for a critical function
(CWE-306).

**Vulnerable**::

    class AccountDetail(generics.RetrieveAPIView):
        queryset = Account.objects.all()
        serializer_class = AccountSerializer
        permission_classes = [AllowAny]

**Fix**::

    class AccountDetail(generics.RetrieveAPIView):
        serializer_class = AccountSerializer
        permission_classes = [IsAuthenticated]

        def get_queryset(self):
            return Account.objects.filter(owner=self.request.user)

For Django views use ``@login_required``/``LoginRequiredMixin`` (first in the bases) or
``django.contrib.auth.middleware.LoginRequiredMiddleware``; for DRF set
``DEFAULT_PERMISSION_CLASSES = ["rest_framework.permissions.IsAuthenticated"]``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

from mtlsguard.findings.model import Confidence, Finding, Severity
from mtlsguard.findings.registry import Rule, rule
from mtlsguard.scan.analysis.anonymous_reads import public_shaped_read
from mtlsguard.scan.analysis.caller_scoped import caller_scoped_note
from mtlsguard.scan.analysis.exposure import exposure
from mtlsguard.scan.analysis.object_permission_flow import (
    bypassed_object_permission,
    deciding_object_permission,
)
from mtlsguard.scan.analysis.owner_create import owner_set_on_create
from mtlsguard.scan.analysis.ownership import user_owner_fields
from mtlsguard.scan.analysis.public_api import public_api_note
from mtlsguard.scan.analysis.public_data import public_note, public_reads
from mtlsguard.scan.analysis.route import RouteAnalysis
from mtlsguard.scan.analysis.scoping import served_model
from mtlsguard.scan.analysis.undeclared import may_refuse, undeclared_gates
from mtlsguard.scan.analysis.unseen_bases import unseen_bases, unseen_note
from mtlsguard.scan.analysis.visibility import visibility_helper
from mtlsguard.scan.context import RuleContext
from mtlsguard.scan.knowledge import SAFE_METHODS, short_of
from mtlsguard.scan.rules._common import (
    describe_protections,
    effective_permissions,
    typo_note,
    where,
)

RULE_ID = "MG101"


def _remediation(analysis: RouteAnalysis) -> str:
    name = analysis.view or "the view"
    if analysis.framework == "drf":
        return (
            f"Set permission_classes = [IsAuthenticated] (or a stricter class) on {name}, or "
            "REST_FRAMEWORK['DEFAULT_PERMISSION_CLASSES'] = "
            "['rest_framework.permissions.IsAuthenticated'] (DRF's implicit default is AllowAny); "
            "authenticate the user behind the certificate with a real authentication class."
        )
    if analysis.view_kind == "type":
        return (
            f"Put LoginRequiredMixin (or PermissionRequiredMixin) first in the bases of {name}, "
            "before View/generic views, or enable "
            "django.contrib.auth.middleware.LoginRequiredMiddleware."
        )
    return (
        f"Decorate {name} with @login_required (or @permission_required), or enable "
        "django.contrib.auth.middleware.LoginRequiredMiddleware."
    )


def _sensitive_reads(ctx: RuleContext, analysis: RouteAnalysis) -> bool:
    cls = analysis.klass
    if cls is None:
        return True
    return bool(ctx.owner_fields(served_model(ctx.project, cls)))


_UNCREDITED_NOTE = (
    " (code that can refuse, or that the scan could not read: on the hand-reviewed real "
    "projects 74 of 75 such high findings were false: the code refused, or the page was "
    "public by design), low until it is declared a gate or shown to let callers through"
)

_OBJECT_CHECK_NOTE = (
    "; but DRF's get_object() runs {0}.has_object_permission, which looks at the user, on "
    "every object this route serves: the object-level check decides who gets what (what it "
    "lets anonymous callers see is public by design)"
)


def _object_checker(ctx: RuleContext, analysis: RouteAnalysis) -> tuple[str, str]:
    """The class whose object check decides every object the route serves; a bypass note.

    Either is ``""``: no such class, or no ``get_object()`` override skipping the check.
    """
    cls = analysis.klass
    if cls is None or analysis.framework != "drf":
        return "", ""
    perms = effective_permissions(ctx, analysis, cls)
    return (
        deciding_object_permission(ctx.project, analysis, perms),
        bypassed_object_permission(ctx.project, analysis, perms),
    )


def _anonymous_create_note(ctx: RuleContext, analysis: RouteAnalysis) -> str:
    """Evidence note for a create view anonymous callers cannot complete, or ``""``."""
    cls = analysis.klass
    model = served_model(ctx.project, cls) if cls is not None else None
    owners = user_owner_fields(ctx.project, model) if model is not None else ()
    where_set = owner_set_on_create(ctx.project, ctx.sources(), analysis, owners)
    if not where_set:
        return ""
    return (
        f"; {where_set} before saving, which fails for an anonymous caller, and the GET is an "
        "empty form: nothing is served to anonymous users, but the login wall is missing "
        "(an error instead of a login redirect): medium"
    )


def _creates_for_owner(ctx: RuleContext, analysis: RouteAnalysis) -> bool:
    """A create of the view saves the requesting user as the owner (fails for anonymous)."""
    return bool(_anonymous_create_note(ctx, analysis))


@rule(
    RULE_ID,
    title="Endpoint reachable without application authentication",
    cwe="CWE-306",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
)
def check(ctx: RuleContext, meta: Rule) -> Iterator[Finding]:
    """Report routes with methods an anonymous caller may use (mTLS-only gates: MG102)."""
    for analysis in ctx.routes:
        if analysis.framework == "admin" or analysis.public_by_design or analysis.cert_gate:
            continue
        open_methods = analysis.open_methods()
        if not open_methods:
            continue
        severity = Severity.HIGH
        read_only = [
            p for p in analysis.protections if p.authenticated is False and "ReadOnly" in p.detail
        ]
        if read_only and all(m in SAFE_METHODS for m in open_methods):
            # *OrReadOnly: only a finding when the reads expose user-owned data.
            if not _sensitive_reads(ctx, analysis):
                continue
            severity = Severity.MEDIUM
        note = typo = typo_note(ctx, analysis)
        confidence = analysis.confidence
        found = exposure(ctx.project, analysis)
        public_api = ""
        if not found.informational and not found.keyed_lookup:
            opened = [p for p in analysis.protections if p.authenticated is False]
            public_api = public_api_note(ctx.project, analysis.klass, opened)
            if not public_api:
                published = public_reads(ctx.project, analysis, open_methods)
                public_api = public_note(published) if published else ""
        if (found.informational or public_api) and not note:
            severity, note = Severity.INFO, public_api or found.note()
        elif note:
            confidence = Confidence.HIGH
        elif analysis.route.unrouted:
            severity, confidence = Severity.LOW, Confidence.LOW
            note = (
                "; no URLconf the scan read routes this view (the site, or code the scanner "
                "could not resolve such as AppConfig.get_urls(), mounts it), so a "
                "login_required() or permission decorator applied where it is routed is not "
                "seen: low until the route is known (scan the site that installs the app)"
            )
        elif unseen := unseen_bases(ctx.project, analysis):
            severity, confidence = Severity.LOW, Confidence.LOW
            note = unseen_note(unseen)
        elif any(
            p.decided_by == "middleware" for p in analysis.protections if p.authenticated is False
        ):
            severity, confidence = min(severity, Severity.MEDIUM), Confidence.LOW
            note = ": medium with low confidence until the middleware's reach is known"
            if public_shaped_read(ctx.project, analysis, open_methods, found).note:
                severity = Severity.LOW
                note = (
                    ": low with low confidence: a middleware may refuse it, under a condition "
                    "the scan cannot decide, and even open it would be low (it writes nothing "
                    "the scan can see, and what it reads is public-shaped or weak evidence)"
                )
        elif analysis.route.debug_only:
            severity = Severity.LOW
            note = (
                "; the route is declared only when settings.DEBUG is on (a development "
                "server; Django's deployment checklist forbids DEBUG in production): low"
            )
        evidence = describe_protections(analysis, only_open=True)
        if severity is Severity.HIGH and not note:
            checker, bypass = _object_checker(ctx, analysis)
            note = bypass
            if checker:
                severity, note = Severity.INFO, _OBJECT_CHECK_NOTE.format(checker)
                evidence = evidence.replace(
                    f"{checker} does not override has_permission (allows all)",
                    f"{checker} lets every request through has_permission",
                )
        if severity is Severity.HIGH and not note and not found.keyed_lookup:
            helper = visibility_helper(ctx.project, analysis, open_methods)
            if helper:
                severity, confidence = Severity.LOW, Confidence.LOW
                note = (
                    f"; what it reads goes through {helper}, which looks at the caller's state "
                    "(anonymous, staff, permissions) to choose what to show: a public page "
                    "deciding per caller, low (check that the helper hides what it must)"
                )
        if severity is Severity.HIGH and not note:
            note = caller_scoped_note(
                ctx.project,
                analysis,
                open_methods,
                functools.partial(_creates_for_owner, ctx, analysis),
            )
            severity = Severity.LOW if note else severity
        if severity is Severity.HIGH and not note:
            note = _anonymous_create_note(ctx, analysis)
            severity = Severity.MEDIUM if note else severity
        if severity is Severity.HIGH and not note:
            shape = public_shaped_read(ctx.project, analysis, open_methods, found)
            severity = Severity.LOW if shape.note else severity
            confidence = Confidence.LOW if shape.weak else confidence
            note = shape.note or f"; high because {shape.why}"
        remediation = _remediation(analysis)
        gates = undeclared_gates(ctx.project, analysis) if severity > Severity.INFO else ()
        if gates:
            note += f"; the view's own code not credited as a gate: {', '.join(gates)}"
            if (
                severity is Severity.HIGH
                and not typo
                and any(may_refuse(ctx.project, g) for g in gates)
            ):
                severity, confidence = Severity.LOW, Confidence.LOW
                note = note.replace("; high because ", "; it would be high because ", 1)
                note += _UNCREDITED_NOTE
            remediation += (
                f" If {short_of(gates[0])} refuses callers who are not signed in (code the scan "
                f"cannot follow), declare it once: [tool.mtlsguard] guards = ['{gates[0]}'] "
                "(object-guards if it also checks the record the route names)."
            )
        yield meta.finding(
            location=analysis.location,
            route=analysis.route.pattern,
            view=analysis.view,
            view_kind=analysis.view_kind,
            methods=tuple(m for m in open_methods if m != "*"),
            evidence=f"{where(analysis)}: {evidence}{note}",
            remediation=remediation,
            severity=severity,
            confidence=confidence,
        )
