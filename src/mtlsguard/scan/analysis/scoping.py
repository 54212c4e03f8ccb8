"""Which objects belong to a user, and whether a view's queryset is scoped to the user.

Shared by the BOLA rules (MG101's read-only check, MG103, MG104, MG105). A model belongs to a
user when it (or a project base) has a ``ForeignKey``/``OneToOneField``/``ManyToManyField`` to
the user model, or an ``owner``/``user``-style relation. A view's queryset is scoped when an
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

from collections.abc import Callable, Iterator

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
    "TENANT_NAMES",
    "empty_queryset",
    "filter_backend_scope",
    "is_tenant",
    "is_user_model",
    "model_of",
    "object_check_delegates",
    "owner_fields",
    "parent_scope",
    "queryset_scope",
    "served_model",
    "tenant_paths",
    "user_aware",
]

SCOPING_METHODS = ("get_queryset", "get_object", "filter_queryset")
"""Methods of a view that decide which objects it serves."""
_MAX_DEPTH = 3
_USER_MODELS = ("AUTH_USER_MODEL", "auth.User", "User", "get_user_model")
_OWNER_NAMES = frozenset({"owner", "user", "author", "created_by", "account_holder"})
_RELATIONS = frozenset({"ForeignKey", "OneToOneField", "ManyToManyField"})


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


def owner_fields(project: ProjectModel, model: str | None) -> tuple[str, ...]:
    """Fields of ``model`` that relate it to a user, directly or through a tenant.

    A relation to the user model (or an ``owner``/``user``-style one) first; failing that, the
    path to a tenant the user belongs to (``project__organization``), see :func:`tenant_paths`.
    """
    if model is None:
        return ()
    cls = project.class_named(model)
    if cls is None:
        return ()
    fields = [name for name, _value in _relations(project, cls, _is_user_relation)]
    if fields and not all(_audit(name) for name in fields):
        return tuple(dict.fromkeys(fields))
    # Only audit columns (created_by/updated_by on every model of a base class) point at a
    # user: in tenant code the tenant owns the object, the author merely wrote it.
    return tenant_paths(project, cls) or tuple(dict.fromkeys(fields))


_AUDIT_FIELDS = frozenset(
    {"updated_by", "modified_by", "deleted_by", "last_modified_by", "last_updated_by"}
)


def _audit(name: str) -> bool:
    return name in _AUDIT_FIELDS or name == "created_by"


TENANT_NAMES = frozenset(
    {
        "organization",
        "organisation",
        "org",
        "workspace",
        "team",
        "project",
        "space",
        "event",
        "tenant",
        "company",
        "account",
        "organizer",
        "organiser",
        "board",
        "course",
        "household",
    }
)
"""Model names that are tenants in real Django SaaS code (users belong to them)."""


def tenant_paths(project: ProjectModel, cls: ClassModel, depth: int = 0) -> tuple[str, ...]:
    """Paths from ``cls`` to a tenant, up to two relations deep (``project__organization``).

    A tenant is a model users join: one with a many-to-many relation to the user model, one a
    membership model of its module points at together with a user, or one named like a tenant
    (organization, workspace, team, project, space, event...). Objects of a tenant belong to
    its members; a tenant itself belongs to its members too.
    """
    paths: list[str] = []
    for name, target in _relations(project, cls, _any_relation):
        tenant = _target_class(project, cls, target)
        if tenant is None or tenant.qualname == cls.qualname:
            continue
        if _is_tenant(project, tenant):
            paths.append(name)
        elif depth == 0:
            paths.extend(f"{name}__{sub}" for sub in tenant_paths(project, tenant, 1))
    return tuple(dict.fromkeys(paths))


def _relations(
    project: ProjectModel, cls: ClassModel, keep: Callable[[str, Expr], bool]
) -> Iterator[tuple[str, Expr]]:
    for entry in cls.mro:
        owner = project.class_named(entry)
        if owner is None:
            continue
        for name, value in owner.attributes.items():
            if keep(name, value):
                assert isinstance(value, Call)
                yield name, value


def _any_relation(_name: str, value: Expr) -> bool:
    return (
        isinstance(value, Call)
        and isinstance(value.func, Ref)
        and value.func.short in ("ForeignKey", "OneToOneField")
    )


def _target_class(project: ProjectModel, cls: ClassModel, value: Expr) -> ClassModel | None:
    """The project model a relation points at (``"Organization"``, ``"orgs.Organization"``)."""
    assert isinstance(value, Call)
    target = value.args[0] if value.args else value.kwarg("to")
    if isinstance(target, Ref):
        return project.class_named(target.name)
    if not (isinstance(target, Const) and isinstance(target.value, str)):
        return None
    text = target.value
    module = cls.qualname.rsplit(".", 1)[0]
    if text == "self":
        return cls
    if "." not in text:
        return project.class_named(f"{module}.{text}")
    app, name = text.rsplit(".", 1)
    found = project.class_named(f"{app}.models.{name}") or project.class_named(f"{module}.{name}")
    if found is not None:
        return found
    # "db.Workspace" from plane.db.models.project: the app label is a package above this module
    parts = module.split(".")
    for end in range(len(parts) - 1, 0, -1):
        found = project.class_named(".".join((*parts[:end], name)))
        if found is not None:
            return found
    # Django matches the model name case-insensitively ("db.WorkSpace" is db.Workspace).
    wanted = name.lower()
    for other in list(project.classes.values()):
        if other.qualname.startswith(parts[0]) and short_of(other.qualname).lower() == wanted:
            return other
    return None


_TENANTS: dict[int, tuple[ProjectModel, dict[str, bool]]] = {}
"""Per project (by ``id()``, kept with the project so the id stays its): tenant or not, by
model. A membership search reads every class of the model's module: worth doing once."""


def _is_tenant(project: ProjectModel, cls: ClassModel) -> bool:
    cached = _TENANTS.get(id(project))
    if cached is None or cached[0] is not project:
        _TENANTS.clear()  # one project at a time; keeps the memo from growing across scans
        cached = _TENANTS[id(project)] = (project, {})
    known = cached[1].get(cls.qualname)
    if known is None:
        known = cached[1][cls.qualname] = _tenant_by_shape(project, cls)
    return known


def _tenant_by_shape(project: ProjectModel, cls: ClassModel) -> bool:
    if short_of(cls.qualname).lower() in TENANT_NAMES:
        return True
    if any(True for _ in _relations(project, cls, _is_user_relation)):
        return any(
            isinstance(v, Call) and isinstance(v.func, Ref) and v.func.short == "ManyToManyField"
            for _n, v in _relations(project, cls, _is_user_relation)
        )
    module = cls.qualname.rsplit(".", 1)[0] + "."
    for other in list(project.classes.values()):
        if other.qualname.startswith(module) and other.qualname != cls.qualname:
            rel = [
                _target_class(project, other, v)
                for _n, v in _relations(project, other, _any_relation)
            ]
            if any(r is cls for r in rel) and any(
                True for _ in _relations(project, other, _is_user_relation)
            ):
                return True
    return False


def _is_user_relation(name: str, value: Expr) -> bool:
    if not (isinstance(value, Call) and isinstance(value.func, Ref)):
        return False
    if value.func.short not in _RELATIONS:
        return False
    target = value.args[0] if value.args else value.kwarg("to")
    text = ""
    if isinstance(target, Ref):
        text = target.name
    elif isinstance(target, Const) and isinstance(target.value, str):
        text = target.value
    elif isinstance(target, Call) and isinstance(target.func, Ref):
        text = target.func.name
    if any(text.endswith(u) for u in _USER_MODELS):
        return True
    # A relation called owner/user is ownership even when it points at a profile model; a
    # ``customer``/``organization`` FK to a non-user model is tenancy, not a user relation.
    return name in _OWNER_NAMES and bool(text)


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
    backend = filter_backend_scope(project, cls)
    if backend:
        return backend
    for meth in methods:
        parent = parent_scope(project, cls, meth)
        if parent:
            return parent
    return None


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
            for write in meth.facts.self_writes:
                if write.name == name:
                    yield write


def parent_scope(project: ProjectModel, cls: ClassModel, func: FunctionModel) -> str | None:
    """What scopes ``func``'s queryset to the user through a parent (``self.project``), if any."""
    for name in func.facts.self_reads:
        hit = project.method(cls, name)
        if hit is not None:
            if user_aware(project, cls, hit[1], 1) or _scoped_helper(hit[1]):
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


_USER_BASES = ("AbstractUser", "AbstractBaseUser")


def is_user_model(project: ProjectModel, model: str | None) -> bool:
    """``model`` is the user model (``auth.User``, a project ``AbstractUser`` subclass)."""
    if model is None:
        return False
    if model.endswith(("auth.models.User", "get_user_model")):
        return True
    cls = project.class_named(model)
    return cls is not None and any(short_of(e) in _USER_BASES for e in cls.mro)


def empty_queryset(project: ProjectModel, cls: ClassModel) -> bool:
    """``queryset = Model.objects.none()`` with no ``get_queryset()`` to replace it."""
    if project.method(cls, "get_queryset") is not None:
        return False
    found = project.attribute(cls, "queryset")
    value = found[1] if found is not None else None
    return isinstance(value, Call) and isinstance(value.func, Ref) and value.func.short == "none"


def is_tenant(project: ProjectModel, model: str | None) -> bool:
    """``model`` is a tenant users join (an organization, workspace, team, project...)."""
    cls = project.class_named(model) if model else None
    return cls is not None and _is_tenant(project, cls)
