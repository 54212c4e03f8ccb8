"""Which objects belong to a user, and whether a view's queryset is scoped to the user.

Shared by the BOLA rules (MG101's read-only check, MG103, MG104, MG105); which models belong to a
user (directly or through a tenant) is :mod:`.ownership`'s. A view's queryset is scoped when an
owner-scoping mixin filters it, when ``get_queryset()``/``get_object()``/``filter_queryset()``
derive it from ``request.user`` or the request's context, or through a parent object.

A view often lists the children of a parent it fetched with an access check of its own:
Weblate's ``self.project = parse_path(request, ...)`` in ``setup()`` then
``self.project.font_set``; label-studio's ``filter(project=self._get_project())`` where the
helper reads ``Project.objects.for_user(self.request.user)``. The queryset never names
``request.user``, yet it only holds objects of a parent the user may see. Followed here:
``self.<method>()`` helpers and ``self.<attr>`` values set by any method of the view's
project classes, into project functions, a few calls deep. "User-aware" means the code
refers to ``request.user``; whether it *denies* is not proven (a heuristic, see MG103).
"""

from __future__ import annotations

from collections.abc import Iterator

from mtlsguard.scan.knowledge import USER_SCOPING_MIXINS, short_of
from mtlsguard.scan.project_model import (
    Call,
    ClassModel,
    Const,
    Expr,
    FunctionModel,
    Mapping,
    ProjectModel,
    Ref,
    SelfWrite,
    Seq,
)

__all__ = [
    "SCOPING_METHODS",
    "empty_queryset",
    "filter_backend_scope",
    "model_of",
    "object_check_delegates",
    "parent_scope",
    "queryset_scope",
    "served_model",
    "user_aware",
]

SCOPING_METHODS = ("get_queryset", "get_object", "filter_queryset")
"""Methods of a view that decide which objects it serves."""
_MAX_DEPTH = 3


def model_of(value: Expr | None) -> str | None:
    """The model named by a ``queryset``/``model`` value (``Account.objects.all()``)."""
    while isinstance(value, Call):
        value = value.func
    if isinstance(value, Ref):
        parts = value.name.split(".")
        if "objects" in parts:
            return ".".join(parts[: parts.index("objects")])
        return value.name
    return None


def queryset_scope(project: ProjectModel, cls: ClassModel) -> str | None:
    """What limits ``cls``'s objects to those of the requesting user, if anything does.

    Cheapest evidence first: a scoping mixin, then a scoping method that looks at the request,
    then a parent object fetched with a user check (which may read helper modules).
    """
    mixin = USER_SCOPING_MIXINS.intersection(cls.mro)
    if mixin:
        return short_of(min(mixin))  # mtlsguard's OwnerScopedQuerysetMixin
    methods = [meth for name in SCOPING_METHODS for meth in _definitions(project, cls, name)]
    for meth in methods:
        if meth.facts.user_scoped_queryset:
            return f"{short_of(meth.qualname)}() filters by the request's user"
        lookups = meth.facts.lookups
        if lookups and all(lk.user_scoped for lk in lookups):
            return f"{short_of(meth.qualname)}() fetches a parent it checks against the user"
    hook = _queryset_hook(project, cls)
    if hook:
        return hook
    backend = filter_backend_scope(project, cls)
    if backend:
        return backend
    restricting = _queryset_restricted(project, cls)
    if restricting:
        return restricting
    for meth in methods:
        parent = parent_scope(project, cls, meth)
        if parent:
            return parent
    return None


def _queryset_restricted(project: ProjectModel, cls: ClassModel) -> str | None:
    """``self.queryset = self.queryset.restrict(request.user, ...)`` in ``initial()`` & co.

    A method of the view's classes that replaces the queryset while it looks at the user
    (Nautobot's views restrict every queryset to the objects the user's permissions allow).
    """
    for write in _writes(project, cls, "queryset"):
        if write.mentions_user:
            return "a method replaces self.queryset with one restricted to the user"
    for qual in cls.mro:
        owner = project.class_named(qual)
        for meth in owner.methods.values() if owner is not None else ():
            if not meth.may_write_self("queryset"):
                continue
            facts = meth.facts
            if facts.mentions_user and any(w.name == "queryset" for w in facts.self_writes):
                return f"{short_of(meth.qualname)}() restricts self.queryset to the user"
    return None


def _queryset_hook(project: ProjectModel, cls: ClassModel) -> str | None:
    """An override of a framework queryset hook other than ``get_queryset()`` that narrows.

    Nautobot's ``alter_queryset(self, request)`` takes ``super().alter_queryset(request)`` and
    returns it ``.restrict(user, "view")`` or filtered by ``owner=user``: the base class calls
    the hook on the path that serves the list, so an override that extends it is on that path.
    """
    names = {
        name
        for qual in cls.mro
        if (owner := project.class_named(qual)) is not None
        for name in owner.methods
        if "queryset" in name and name not in SCOPING_METHODS
    }
    for name in sorted(names):
        hit = project.method(cls, name)
        if hit is None:
            continue
        facts = hit[1].facts
        if facts.user_scoped_queryset and facts.mentions_user and name in facts.super_calls:
            return f"{short_of(hit[1].qualname)}() narrows the queryset to the request's user"
    return None


def _super_scoped(
    project: ProjectModel, cls: ClassModel, owner: ClassModel, func: FunctionModel
) -> bool:
    """A helper taking ``super().get_queryset()``, which is scoped by the user or the request.

    pretalx's ``_get_base_queryset()`` reads ``super().get_queryset()``: the next definition
    after the helper's class in the view's MRO, ``self.request.event.submissions`` there.
    """
    if owner.qualname not in cls.mro:
        return False
    after = cls.mro[cls.mro.index(owner.qualname) + 1 :]
    for name in func.facts.super_calls:
        if name not in SCOPING_METHODS:
            continue
        for qual in after:
            base = project.class_named(qual)
            if base is not None and name in base.methods:
                if base.methods[name].facts.user_scoped_queryset:
                    return True
                break
    return False


def _definitions(project: ProjectModel, cls: ClassModel, name: str) -> Iterator[FunctionModel]:
    """``name`` along the MRO as a call runs it: the next one only through ``super()``.

    pretix's ``VoucherList.get_queryset`` annotates ``super().get_queryset()``, which is
    ``VoucherQueryMixin``'s, filtered by the request's event.
    """
    for qual in cls.mro:
        owner = project.class_named(qual)
        if owner is None or name not in owner.methods:
            continue
        meth = owner.methods[name]
        yield meth
        if name not in meth.facts.super_calls:
            return


def user_aware(
    project: ProjectModel, cls: ClassModel | None, func: FunctionModel, depth: int = 0
) -> bool:
    """``func`` refers to ``request.user``, or calls project code (methods of ``cls``) that does."""
    facts = func.facts
    if facts.mentions_user:
        return True
    if depth >= _MAX_DEPTH:
        return False
    return any(_callee_user_aware(project, cls, name, depth + 1) for name in facts.calls)


def _callee_user_aware(
    project: ProjectModel, cls: ClassModel | None, name: str, depth: int
) -> bool:
    if name.startswith(("self.", ".")):
        # A method of the view itself (or an attribute call the front-end left unresolved).
        hit = project.method(cls, short_of(name)) if cls is not None else None
        return hit is not None and user_aware(project, cls, hit[1], depth)
    # Direct callees of the view's own code may be read (parse_path lives in a helper
    # module); deeper ones only if the scan has read their file anyway.
    func = project.function_named(name, parse=depth <= 1)
    return func is not None and user_aware(project, None, func, depth)


def _writes(project: ProjectModel, cls: ClassModel, name: str) -> Iterator[SelfWrite]:
    for qual in cls.mro:
        owner = project.class_named(qual)
        if owner is None:
            continue
        for meth in owner.methods.values():
            if not meth.may_write_self(name):
                continue  # no such assignment: its facts are not computed for this
            for write in meth.facts.self_writes:
                if write.name == name:
                    yield write


def parent_scope(project: ProjectModel, cls: ClassModel, func: FunctionModel) -> str | None:
    """What scopes ``func``'s queryset to the user through a parent (``self.project``), if any."""
    for name in func.facts.self_reads:
        hit = project.method(cls, name)
        if hit is not None:
            if (
                user_aware(project, cls, hit[1], 1)
                or _scoped_helper(hit[1])
                or _super_scoped(project, cls, hit[0], hit[1])
            ):
                return f"self.{name}()"
            continue
        for write in _writes(project, cls, name):
            if write.mentions_user or any(
                _callee_user_aware(project, cls, call, 1) for call in write.calls
            ):
                return f"self.{name}"
    return None


def _scoped_helper(func: FunctionModel) -> bool:
    """A helper whose objects are the request's, not the URL's.

    ``self.request.event.orders``, or lookups all scoped by the request's user or tenant
    (``get_object_or_404(Item, event=request.event)``).
    """
    facts = func.facts
    if facts.user_scoped_queryset or any(_request_attribute(r) for r in facts.returns):
        return True
    return bool(facts.lookups) and all(lk.user_scoped for lk in facts.lookups)


_REQUEST_INPUT = frozenset(
    {"GET", "POST", "data", "query_params", "META", "headers", "FILES", "COOKIES", "body", "user"}
)


def _request_attribute(value: Expr) -> bool:
    """``self.request.event``: an object the server attached to the request (a tenant).

    ``getattr(self.request, "event", None)`` (pretalx) too.
    """
    if (
        isinstance(value, Call)
        and isinstance(value.func, Ref)
        and value.func.name == "getattr"
        and len(value.args) >= 2
        and isinstance(value.args[0], Ref)
        and isinstance(value.args[1], Const)
        and isinstance(value.args[1].value, str)
    ):
        value = Ref(f"{value.args[0].name}.{value.args[1].value}")
    if not isinstance(value, Ref):
        return False
    parts = value.name.split(".")
    if "request" not in parts[:2]:
        return False
    index = parts.index("request")
    return len(parts) > index + 1 and parts[index + 1] not in _REQUEST_INPUT


_SCOPING_BACKEND_WORDS = ("permission", "owner", "owned", "member", "granted", "visible")
"""Words in the name of a filter backend outside the project that scopes lists by user
(django-guardian's ``ObjectPermissionsFilter``, ``OwnedOrGrantedFilter``)."""


def filter_backend_scope(project: ProjectModel, cls: ClassModel) -> str | None:
    """A DRF filter backend that limits the list to the user's objects, if one applies.

    ``filter_backends`` on the view (else ``REST_FRAMEWORK["DEFAULT_FILTER_BACKENDS"]``): a
    project backend whose ``filter_queryset`` refers to ``request.user`` (or calls code that
    does), or a package backend named for permissions or ownership.
    """
    found = project.attribute(cls, "filter_backends")
    value: Expr | None = found[1] if found is not None else None
    if value is None and project.settings is not None:
        drf = project.settings.get("REST_FRAMEWORK")
        if drf is not None and isinstance(drf.value, Mapping):
            value = drf.value.get("DEFAULT_FILTER_BACKENDS")
    if not isinstance(value, Seq):
        return None
    for item in value.items:
        name = item.value if isinstance(item, Const) and isinstance(item.value, str) else None
        if isinstance(item, Ref):
            name = item.name
        if not name:
            continue
        backend = project.class_named(name)
        if backend is None:
            if any(w in short_of(name).lower() for w in _SCOPING_BACKEND_WORDS):
                return f"filter backend {short_of(name)}"
            continue
        hit = project.method(backend, "filter_queryset")
        if hit is not None and user_aware(project, backend, hit[1]):
            return f"filter backend {short_of(name)} filters by the request's user"
    return None


def served_model(project: ProjectModel, cls: ClassModel) -> str | None:
    """The model of the ``queryset``/``model`` attribute, else the one get_queryset() returns."""
    for attr in ("queryset", "model"):
        found = project.attribute(cls, attr)
        if found is not None:
            model = model_of(found[1])
            if model is not None:
                return model
            break
    method = project.method(cls, "get_queryset")
    if method is not None:
        for value in method[1].facts.returns:
            model = model_of(value)
            if model is not None:
                return model
    return None


def object_check_delegates(
    project: ProjectModel, func: FunctionModel, model: str | None
) -> bool | None:
    """What the model methods an object permission calls (``obj.can_view(user)``) decide.

    ``False`` when every model method it delegates to returns a constant (``return True``:
    no check at all), ``True`` when one of them computes its answer, ``None`` when it
    delegates to none of ``model``'s methods.
    """
    cls = project.class_named(model) if model else None
    if cls is None:
        return None
    params = set(func.params)
    targets = [
        hit[1]
        for name in func.facts.calls
        if (name.startswith(".") or name.split(".", 1)[0] in params)
        and (hit := project.method(cls, short_of(name))) is not None
    ]
    if not targets:
        return None
    # Anything but a constant is taken as a check: model methods get the user as a parameter
    # (``def has_permission(self, user)``), which no ``request.user`` test would see.
    return not all(_constant_answer(t) for t in targets)


def _constant_answer(func: FunctionModel) -> bool:
    returns = func.facts.returns
    return bool(returns) and all(isinstance(r, Const) and r.value is True for r in returns)


def empty_queryset(project: ProjectModel, cls: ClassModel) -> bool:
    """``queryset = Model.objects.none()`` with no ``get_queryset()`` to replace it."""
    if project.method(cls, "get_queryset") is not None:
        return False
    found = project.attribute(cls, "queryset")
    value = found[1] if found is not None else None
    return isinstance(value, Call) and isinstance(value.func, Ref) and value.func.short == "none"
