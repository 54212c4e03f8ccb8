"""What an open route exposes: user data, or nothing a certificate holder could abuse.

MG101 reports every route an anonymous caller reaches, but not every such route is a
vulnerability: a sign-in form, a password-reset flow, a health check, the OpenAPI schema or a
static pricing page are public by design, and a view that reads no user's data and never looks
at ``request.user`` has nothing to leak. :func:`exposure` tells them apart so the rule can keep
``high`` for views that touch owned data and say ``info`` for the rest, with the reason.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from mtlsguard.scan import walking
from mtlsguard.scan.analysis.capabilities import random_fields
from mtlsguard.scan.analysis.ownership import (
    authored_record,
    belongs_to_owned,
    is_user_model,
    owner_fields,
)
from mtlsguard.scan.analysis.route import RouteAnalysis
from mtlsguard.scan.analysis.scoping import served_model
from mtlsguard.scan.analysis.sources import project_sources
from mtlsguard.scan.body_records import ObjectLookup
from mtlsguard.scan.facts.syntax import FunctionNode
from mtlsguard.scan.knowledge import HTTP_METHODS, LOGIN_FLOW_CALLS, short_of
from mtlsguard.scan.project_model import Call, ClassModel, Const, FunctionModel, ProjectModel, Ref

__all__ = ["Exposure", "exposure", "view_functions"]

_AUTH_FLOW = re.compile(
    r"(?:^|_)(?:log_?in|log_?out|authenticate|sign_?(?:in|out|up)|register|registration|password_reset|"
    r"reset_password|forgot|activate|verify_email|email_verif|confirm_email|email_confirm|"
    r"health|healthz|ready|readiness|alive|liveness|ping|heartbeat|schema|openapi|swagger|"
    r"redoc|spectacular|autoconfig|autodiscover|robots|favicon|manifest|csrf|oauth|saml|oidc|sso|"
    r"callback|webhook|hooks?|captcha|set_language|jsi18n)(?:_|$)"
)
"""Names (snake_case words) of sign-in, sign-out, reset, signup, health and schema views."""
_VERSION_INFO = re.compile(
    r"^(?:api_)?(?:version|versions|build_info|version_info)(?:_(?:page|view|info|api|endpoint))?$"
)
"""Names of views that serve the release or build (label-studio's ``version_page``): the whole
name, so ``document_version`` (a user's record) is not one."""
_VIEW_ACTIONS = ("list", "create", "retrieve", "update", "partial_update", "destroy")
_MAX_DEPTH = 2
_SECRET_FIELD = re.compile(
    r"(^|_)(token|secret|signature|guid)s?$"
    r"|(^|_)(api|access|activation|auth|private|invite|invitation|confirmation|reset|share"
    r"|unsubscribe)_key$"
)
"""Field names that say the value is a secret handed to its holder. A bare ``key`` or ``hash``
does not (an issue key such as ``PROJ-12`` or a commit hash is an identifier anyone can read)."""


@dataclass(frozen=True, slots=True)
class Exposure:
    """Why an open route is (or is not) worth a high-severity finding."""

    touches_user_data: bool
    """It reads an owned model, refers to ``request.user``, or its code could not be read."""
    auth_flow: str = ""
    """The name that marks it as a sign-in/sign-out/reset/health/schema endpoint, if any."""
    keyed_lookup: bool = False
    """It fetches a user's record by a caller-chosen key (``pk`` from the URL, a body id)."""
    capability: bool = False
    """What it fetches is checked against a secret the caller presents (an invitation token)
    or named by a random token field the server generated (``code = UUIDField(default=uuid4)``,
    not the primary key), and it never looks at ``request.user``: a link, not an account, is
    the credential."""
    version: str = ""
    """The name that marks it as a version or build information page, if any."""
    per_caller: bool = False
    """It reads no model owned by a user and looks at ``request.user`` only to decide what the
    caller sees (``if request.user.is_authenticated:``), without refusing anyone: a page made
    for anonymous and signed-in callers alike, whose user data is the caller's own."""
    caller_object: bool = False
    """Its ``get_object()`` returns ``request.user``, or a record fetched by it, and it fetches
    nothing else: the record it serves is the caller's own, none for an anonymous caller."""

    @property
    def informational(self) -> bool:
        """Public by design, or nothing user-related to expose.

        A record fetched by a caller-chosen key keeps the finding whatever the view is called
        (``users/<pk>/password/`` with no login is a takeover, not a reset flow).
        """
        if self.keyed_lookup:
            return False
        if self.auth_flow or self.version or self.capability or self.caller_object:
            return True
        return not self.touches_user_data

    def note(self) -> str:
        """Evidence suffix saying why the finding is informational (``""`` otherwise)."""
        if self.capability and not self.auth_flow:
            return (
                "; the records it reads are checked against a secret the caller presents or "
                "named by a random token field the server generated (a capability link), "
                "public by design: informational"
            )
        if self.version and not self.auth_flow:
            return (
                f"; {self.version} names a version or build information page, public by "
                "design (it discloses the release to anyone): informational"
            )
        if self.auth_flow:
            marks = self.auth_flow if " " in self.auth_flow else f"{self.auth_flow} names"
            return (
                f"; {marks} a sign-in/sign-out, password-reset, signup, health "
                "or schema endpoint, public by design: informational"
            )
        if self.caller_object:
            return (
                "; its get_object() returns the caller's own record (request.user, or one its "
                "queryset fetches by request.user) and it fetches nothing else: each caller "
                "gets their own, an anonymous one the AnonymousUser or an error (a 'who am "
                "I' or 'my settings' endpoint), so nothing of anyone else's: informational"
            )
        if self.per_caller:
            return (
                "; it reads no model owned by a user and looks at request.user only to choose "
                "what a signed-in or anonymous caller sees (its authentication state), so an "
                "anonymous caller gets nothing of anyone else's: informational"
            )
        if not self.touches_user_data:
            return (
                "; it reads no model owned by a user and never looks at request.user: "
                "informational unless it exposes something the scan cannot see"
            )
        return ""


def exposure(project: ProjectModel, analysis: RouteAnalysis) -> Exposure:
    """What the open route ``analysis`` exposes."""
    names = [short_of(analysis.view or ""), analysis.route.name or ""]
    flow = next((n for n in names if n and _AUTH_FLOW.search(_words(n))), "")
    version = next((n for n in names if n and _VERSION_INFO.match(_words(n).replace("-", "_"))), "")
    functions = view_functions(project, analysis)
    owned = False
    if analysis.klass is not None and analysis.function is None:
        owned = bool(owner_fields(project, served_model(project, analysis.klass)))
    if analysis.function is None and analysis.klass is None:
        return Exposure(True, flow, version=version)  # code not read: assume the worst
    step = next((f.facts.pre_login_session for f in functions if f.facts.pre_login_session), "")
    if step and not flow:
        flow = f"its refusal unless the session holds {step!r} (a first sign-in step's user) marks"
    if not flow:
        # The OAuth callback of python-social-auth is the sign-in, whatever the view is called.
        calls = (c for f in functions for c in f.facts.calls if c in LOGIN_FLOW_CALLS)
        flow = next((f"its call to {c} (python-social-auth) marks" for c in calls), "")
    lookups = [lk for f in functions for lk in f.facts.lookups]
    tokens = {id(lk) for lk in lookups if not lk.user_scoped and _token_keyed(project, lk)}
    keyed = any(
        owner_fields(project, lk.model) or is_user_model(project, lk.model)
        for lk in lookups
        if not lk.user_scoped and id(lk) not in tokens
    ) or (owned and _own_fetch_by_url_key(project, analysis))
    touches = owned or keyed or any(_touches(project, f, 0) for f in functions)
    capability = (
        bool(lookups)
        and all(lk.user_scoped or id(lk) in tokens for lk in lookups)
        and not any(f.facts.mentions_user for f in functions)
    ) or (not lookups and _token_lookup_field(project, analysis))
    per_caller = (
        touches
        and not owned
        and not keyed
        and not any(_touches(project, f, 0, user=False) for f in functions)
        and any(_reads_user_state(project, f, 0) for f in functions)
    )
    caller_object = not lookups and _returns_caller(project, analysis)
    # What a second sign-in step fetches is gated by the session's user, not open.
    return Exposure(
        touches and not per_caller,
        flow,
        keyed and not step,
        capability,
        version,
        per_caller,
        caller_object,
    )


_CALLER = frozenset({"self.request.user", "request.user"})


def _returns_caller(project: ProjectModel, analysis: RouteAnalysis) -> bool:
    """A DRF view's own ``get_object()`` returns the caller's own record and nothing else.

    ``request.user`` itself, or a record its queryset fetches by the caller
    (``self.queryset.get_or_create(adviser=self.request.user)``: data-hub's reminder
    subscriptions, set 34A).

    DRF only: a syndication ``Feed`` hands what ``get_object()`` returns to ``items()``, which
    reads records of its own.
    """
    cls = analysis.klass
    actions = {action for _, action in analysis.method_actions}
    if not actions or actions - _DETAIL_ACTIONS:
        return False  # a list (or a custom action) never goes through get_object()
    hit = project.method(cls, "get_object") if cls and analysis.framework == "drf" else None
    if hit is None:
        return False
    if _fetches_by_caller(_own_get_object(project, cls)):
        return True
    returns = hit[1].facts.returns
    return bool(returns) and all(isinstance(r, Ref) and r.name in _CALLER for r in returns)


def _own_get_object(project: ProjectModel, cls: ClassModel | None) -> FunctionNode | None:
    """The syntax of the project's ``get_object()`` of ``cls`` (or a project base), if any."""
    hit = project.method(cls, "get_object") if cls is not None else None
    if hit is None:
        return None
    return project_sources(project).node(hit[1].location.path, hit[1].location.line)


_QUERIES = frozenset({"get", "get_or_create", "update_or_create", "filter"})
_CALLER_INPUTS = ("kwargs", "data", "GET", "POST", "query_params", "body")


def _fetches_by_caller(node: FunctionNode | None) -> bool:
    """``get_object()`` fetches the one record its query names by the caller, and nothing else.

    ``self.queryset.get_or_create(adviser=self.request.user)``: a keyword of a ``get``/
    ``filter``... call is the caller itself. Not when it calls ``super()`` (DRF's own fetch by
    the URL's key), reads the URL's kwargs or request data, or excludes anything.
    """
    if node is None:
        return False
    by_caller = False
    for sub in walking.walk(node):
        if isinstance(sub, ast.Attribute) and sub.attr in _CALLER_INPUTS:
            return False  # self.kwargs["pk"], request.data[...]: a key the caller chooses
        if not isinstance(sub, ast.Call):
            continue
        callee = sub.func
        if isinstance(callee, ast.Name) and callee.id == "super":
            return False
        if isinstance(callee, ast.Attribute) and callee.attr == "exclude":
            return False
        if isinstance(callee, ast.Attribute) and callee.attr in _QUERIES:
            by_caller = by_caller or any(
                ast.unparse(kw.value) in _CALLER for kw in sub.keywords if kw.arg
            )
    return by_caller


_OWN_QUERYSETS = frozenset({"self.queryset", "self.get_queryset()"})


def _own_fetch_by_url_key(project: ProjectModel, analysis: RouteAnalysis) -> bool:
    """The view's own ``get_object()`` fetches from its queryset by the URL's kwargs.

    ``self.queryset.get(pk=self.kwargs["pk"])``, ``get_object_or_404(self.get_queryset(),
    pk=self.kwargs["pk"])``: the view's own code, the same fetch as ``get_object_or_404(Invoice,
    pk=pk)`` (red team, round 18), unlike DRF's own ``get_object()``.
    """
    node = _own_get_object(project, analysis.klass)
    for sub in walking.walk(node) if node is not None else ():
        if not isinstance(sub, ast.Call) or "self.kwargs" not in ast.unparse(sub):
            continue
        func = sub.func
        if isinstance(func, ast.Attribute) and func.attr in ("get", "filter"):
            source: ast.expr | None = func.value
        elif isinstance(func, ast.Name) and func.id == "get_object_or_404" and sub.args:
            source = sub.args[0]
        else:
            source = None
        if source is not None and ast.unparse(source) in _OWN_QUERYSETS:
            return True
    return False


def _token_lookup_field(project: ProjectModel, analysis: RouteAnalysis) -> bool:
    """A DRF detail route whose (DRF's own) ``get_object()`` fetches by a random token field.

    mitxonline's certificate viewsets: ``lookup_field = "uuid"`` on ``RetrieveModelMixin``
    with ``uuid = UUIDField(default=uuid4)`` (not the primary key), every route of the view
    keyed by it (no list action): the shareable link is the record's only name. Reads only: a
    write by token, or a token that is no UUID (a six-digit code can be counted), keeps it.
    """
    cls = analysis.klass
    if cls is None or analysis.framework != "drf" or project.method(cls, "get_object"):
        return False
    found = project.attribute(cls, "lookup_field")
    value = found[1] if found is not None else None
    if not (isinstance(value, Const) and isinstance(value.value, str)):
        return False
    actions = {action for _, action in analysis.method_actions}
    if not actions or actions - {"retrieve"}:
        return False  # a write by token keeps its finding (a short code can be counted)
    model = served_model(project, cls)
    fields = random_fields(project, model)
    # a random field, not the primary key, and a UUID (a short random code can be counted)
    return fields.get(value.value) is False and _uuid_field(project, model, value.value)


def _uuid_field(project: ProjectModel, model: str | None, name: str) -> bool:
    """``name`` is a ``UUIDField`` of ``model`` (or a base): 122 random bits, not a PIN."""
    cls = project.class_named(model) if model else None
    found = project.attribute(cls, name) if cls is not None else None
    field = found[1] if found is not None else None
    return isinstance(field, Call) and short_of(getattr(field.func, "name", "")) == "UUIDField"


_DETAIL_ACTIONS = frozenset({"retrieve", "update", "partial_update", "destroy"})


def view_functions(project: ProjectModel, analysis: RouteAnalysis) -> list[FunctionModel]:
    """The code of the route's view that serves a request (none when the scan could not read it).

    The function, or the handlers, actions, ``get_queryset``/``get_object``/``get_context_data``
    of the class.
    """
    if analysis.function is not None:
        return [analysis.function]
    cls = analysis.klass
    if cls is None:
        return []
    names: tuple[str, ...] = (*HTTP_METHODS, *_VIEW_ACTIONS, "get_queryset", "get_object")
    names = (*names, "get_context_data")
    if analysis.route.extra_action:
        names = (*names, analysis.route.extra_action)
    hits = (project.method(cls, name) for name in names)
    return [hit[1] for hit in hits if hit is not None]


def _token_keyed(project: ProjectModel, lookup: ObjectLookup) -> bool:
    """``Notification.objects.get(code=code)`` where ``code`` has a random default.

    The caller names the record by a token the server generated (not the primary key, an
    identifier shown in lists): whoever has the link was handed it, as MG104 judges. So does a
    lookup by a field named as a secret (``activation_key``, ``token``, ``secret``, ``guid``),
    alone, besides the id (``get(pk=id, guid=guid)``) or at the end of a relation or JSON path
    (``configuration__extras__confirmation_token=token``), whose default the scan may not see
    (set in ``save()``, by a manager).
    """
    fields = random_fields(project, lookup.model)
    heads = {key.split("__")[0] for key in lookup.caller_fields}
    # configuration__extras__confirmation_token=token: the secret may end a JSON path
    names = {_last_field(key) for key in lookup.caller_fields}
    secrets = [bool(_SECRET_FIELD.search(name)) for name in names]
    # Q(pk=pk) | Q(share_token=token): the id alone matches, every field must be a secret
    if secrets and (all(secrets) if lookup.alternatives else any(secrets)):
        return True  # get(pk=id, guid=guid): the caller must know the secret besides the id
    return any(not fields[name] for name in heads & fields.keys())


def _last_field(key: str) -> str:
    """``configuration__extras__confirmation_token__exact`` -> ``confirmation_token``.

    A lookup other than equality (``share_token__startswith``) is no field: an empty or partial
    value matches without the secret.
    """
    parts = key.split("__")
    if len(parts) > 1 and parts[-1] in ("exact", "iexact"):
        parts.pop()
    return parts[-1]


def _words(name: str) -> str:
    """``PasswordResetView`` -> ``password_reset_view`` so one pattern matches both styles."""
    return re.sub(
        r"(?<=[a-z0-9])([A-Z])", r"_\1", short_of(name) if "/" not in name else name
    ).lower()


def _reads_user_state(project: ProjectModel, func: FunctionModel, depth: int) -> bool:
    """``func`` (or a project function it calls) reads ``request.user.is_authenticated`` & co."""
    if func.facts.mentions_user and func.facts.capabilities.reads_user_state:
        return True
    for name in func.facts.calls if depth < _MAX_DEPTH else ():
        if "." in name and not name.startswith((".", "self.")):
            callee = project.function_named(name, parse=False)
            if callee is not None and _reads_user_state(project, callee, depth + 1):
                return True
    return False


def _touches(project: ProjectModel, func: FunctionModel, depth: int, *, user: bool = True) -> bool:
    """``func`` reads user data (``user``: mentioning ``request.user`` counts as reading it)."""
    facts = func.facts
    # A lookup reads user data unless what it fetches is an authored record (published terms)
    # or a model the scan read that relates to no user, no tenant and no owned record (a court).
    mentions = facts.mentions_user and user
    if mentions or any(_personal(project, lk.model) for lk in facts.lookups):
        return True
    for name in facts.calls:
        manager = _manager(name, user)
        if manager:
            model = name.split(manager, 1)[0]
            # Without request.user counting, a query of the user model reads other users'
            # data; so may one through _default_manager of a model the scan cannot resolve
            # (Order = get_model("order", "Order"): the idiom of swappable, dynamic models).
            unknown = manager != ".objects" and project.class_named(model) is None
            if owner_fields(project, model) or (
                not user and (is_user_model(project, model) or unknown)
            ):
                return True
        elif depth < _MAX_DEPTH and not name.startswith("."):
            callee = project.function_named(name, parse=False)
            if callee is not None and _touches(project, callee, depth + 1, user=user):
                return True
    return False


def _personal(project: ProjectModel, model: str | None) -> bool:
    """A fetch of ``model`` may read someone's data.

    Owned, the user model, a child of an owned record, or a model the scan did not read.
    """
    if authored_record(project, model):
        return False
    if model is None or project.class_named(model) is None:
        return True
    return (
        bool(owner_fields(project, model))
        or is_user_model(project, model)
        or belongs_to_owned(project, model)
    )


def _manager(name: str, user: bool) -> str:
    """The manager attribute ``name`` queries through (``.objects``), or ``""``.

    Without ``request.user`` counting (:func:`_touches` with ``user=False``), Django's
    ``_default_manager``/``_base_manager`` count too: the claim "reads no owned model" must hold.
    """
    managers = (".objects",) if user else (".objects", "._default_manager", "._base_manager")
    return next((m for m in managers if f"{m}." in name or name.endswith(m)), "")
