"""Which models belong to a user: directly, or through a tenant the user belongs to.

A model belongs to a user when it (or a project base) has a ``ForeignKey``/``OneToOneField``/
``ManyToManyField`` to the user model, or an ``owner``/``user``-style relation. Most real SaaS
code scopes by a tenant instead — an organization, workspace, team, project, space or event the
user joins through a membership — so a model with no such relation (or only audit columns such
as ``created_by``/``updated_by``) belongs to the tenants it points at, two relations deep
(``project__organization``). A tenant is a model with a many-to-many to users, one a membership
model of its module points at together with a user, or one named like a tenant.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from mtlsguard.scan.analysis.caller_owned import caller_scoped
from mtlsguard.scan.analysis.relation_names import attribution, shared_relation
from mtlsguard.scan.knowledge import short_of
from mtlsguard.scan.project_model import Call, ClassModel, Const, Expr, ProjectModel, Ref

__all__ = [
    "TENANT_NAMES",
    "belongs_to_owned",
    "child_of_private",
    "forget_project",
    "is_tenant",
    "is_user_model",
    "owner_fields",
    "points_at_user",
    "relation_target",
    "tenant_paths",
    "user_owner_fields",
]

_USER_MODELS = ("AUTH_USER_MODEL", "auth.User", "User", "get_user_model")
_OWNER_NAMES = frozenset({"owner", "user", "author", "created_by", "account_holder"})
_RELATIONS = frozenset({"ForeignKey", "OneToOneField", "ManyToManyField"})


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
    # user: in tenant code the tenant owns the object, the author merely wrote it. Who last
    # edited a record (last_edited_by, updated_by) owns nothing: catalogue data edited by many.
    return tenant_paths(project, cls) or tuple(
        dict.fromkeys(name for name in fields if name not in _AUDIT_FIELDS)
    )


_AUDIT_FIELDS = frozenset(
    {
        "updated_by",
        "modified_by",
        "deleted_by",
        "last_modified_by",
        "last_updated_by",
        "edited_by",
        "last_edited_by",
    }
)
"""Edit attributions: the last user to touch a record, not its owner."""


def _audit(name: str) -> bool:
    """Audit columns and roles: a tenant path, if any, says better who owns the record."""
    return name in _AUDIT_FIELDS or name == "created_by" or shared_relation(name)


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


def tenant_paths(
    project: ProjectModel, cls: ClassModel, depth: int = 0, origin: str = ""
) -> tuple[str, ...]:
    """Paths from ``cls`` to a tenant, up to two relations deep (``project__organization``).

    A tenant is a model users join: one with a many-to-many relation to the user model, one a
    membership model of its module points at together with a user, or one named like a tenant
    (organization, workspace, team, project, space, event...). Objects of a tenant belong to
    its members; a tenant itself belongs to its members too.
    """
    key = ("tenant_paths", id(cls), depth, origin)
    found = project.memo.get(key)
    if found is None:
        found = project.memo[key] = _tenant_paths(project, cls, depth, origin)
    assert isinstance(found, tuple)
    return found


def _tenant_paths(
    project: ProjectModel, cls: ClassModel, depth: int, origin: str
) -> tuple[str, ...]:
    paths: list[str] = []
    for name, target in _relations(project, cls, _any_relation):
        tenant = _target_class(project, cls, target)
        if tenant is None or tenant.qualname in (cls.qualname, origin):
            continue  # a path back to the record itself (latest_revision__recipe) owns nothing
        if _is_tenant(project, tenant):
            paths.append(name)
        elif depth == 0:
            found = tenant_paths(project, tenant, 1, cls.qualname)
            paths.extend(f"{name}__{sub}" for sub in found)
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


def forget_project() -> None:
    """Drop the memo (and with it the project it keeps alive) once a scan is done.

    Holding a scanned project past its scan keeps every parsed tree reachable: the cyclic
    collector then re-traverses them for the rest of the process (a third of a CLI run).
    """
    _TENANTS.clear()


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
    """Users join ``cls``: it has members, an owner, or a membership model points at it.

    A name (``Project``, ``Organization``) alone is not enough: single-tenant tools have
    projects no user belongs to (everyone sees every project), and a model that links a
    record to a user only to say who wrote it (``creator``, ``*_by``) is no membership.
    """
    named = short_of(cls.qualname).lower() in TENANT_NAMES
    if not named and _lookup_table(cls):
        return False
    own = list(_relations(project, cls, _is_user_relation))
    if any(_many(value) and _joins(project, cls, name) for name, value in own):
        return True  # members = ManyToManyField(User)
    if own and not named:
        return False  # a user's own record (Profile.user), not a tenant
    if any(_joins(project, cls, name) for name, _v in own):
        return True  # Organization.owner
    # A membership of an unnamed model must be in its module, among the classes modelled so
    # far (looking at every class, and only at neighbours named like a membership, was
    # measured: it lost a published Nautobot advisory). One of a named tenant may be in any
    # module the scan parsed (pretalx's Team joins users to events from another module).
    module = cls.qualname.rsplit(".", 1)[0] + "."
    if named and project.relating_classes is not None:
        found = (project.class_named(q) for q in project.relating_classes(short_of(cls.qualname)))
        candidates = [c for c in found if c is not None]
    else:
        candidates = [c for c in list(project.classes.values()) if c.qualname.startswith(module)]
    keep = _any_or_many if named else _any_relation
    for other in candidates:
        if other is cls or not any(
            _target_class(project, other, v) is cls for _n, v in _relations(project, other, keep)
        ):
            continue
        if (named and is_user_model(project, other.qualname)) or any(
            _joins(project, other, name)
            for name, _value in _relations(project, other, _is_user_relation)
        ):
            return True
    return False


def _any_or_many(name: str, value: Expr) -> bool:
    return _any_relation(name, value) or _many(value)


def _many(value: Expr) -> bool:
    return (
        isinstance(value, Call)
        and isinstance(value.func, Ref)
        and value.func.short == "ManyToManyField"
    )


def _joins(project: ProjectModel, cls: ClassModel, name: str) -> bool:
    """A user relation that makes its user a member or owner, not merely an author or editor.

    A role or endorsement (``lead``, ``contributors``) joins when the project itself fetches
    ``cls`` by a key and by it with the caller (``Team.objects.get(id=i, lead=request.user)``),
    or, for a model named like a tenant, lists the caller's by it
    (``Project.objects.filter(contributors=request.user)``).
    """
    if shared_relation(name):
        named = short_of(cls.qualname).lower() in TENANT_NAMES
        return caller_scoped(project, cls.qualname, name, listed=named)
    return not attribution(name) and name not in _AUDIT_FIELDS


_FIELD_SUFFIX = "Field"
_LOOKUP_TABLE_FIELDS = 4


def _lookup_table(cls: ClassModel) -> bool:
    """A list of names others pick from: a unique name, a few display fields, no relations.

    Ghostwriter's ``Severity`` (a unique ``severity`` name, a weight, a colour): a record that
    points at an assignee and at a severity does not make the severity table something users
    join, so a finding is not "owned via severity".
    """
    fields = [
        value
        for value in cls.attributes.values()
        if isinstance(value, Call)
        and isinstance(value.func, Ref)
        and (value.func.short.endswith(_FIELD_SUFFIX) or value.func.short in _RELATIONS)
    ]
    if not fields or len(fields) > _LOOKUP_TABLE_FIELDS:
        return False
    if any(isinstance(v.func, Ref) and v.func.short in _RELATIONS for v in fields):
        return False
    return any(
        isinstance(v.func, Ref)
        and v.func.short in ("CharField", "SlugField")
        and (unique := v.kwarg("unique")) is not None
        and isinstance(unique, Const)
        and unique.value is True
        for v in fields
    )


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


_USER_BASES = ("AbstractUser", "AbstractBaseUser")


def is_user_model(project: ProjectModel, model: str | None) -> bool:
    """``model`` is the user model (``auth.User``, a project ``AbstractUser`` subclass)."""
    if model is None:
        return False
    if model.endswith(("auth.models.User", "get_user_model")):
        return True
    cls = project.class_named(model)
    return cls is not None and any(short_of(e) in _USER_BASES for e in cls.mro)


def joined_by_many(project: ProjectModel, model: str) -> bool:
    """``model`` relates to many users at once (``members = ManyToManyField(User)``)."""
    cls = project.class_named(model)
    if cls is None:
        return False
    return any(_many(value) for _name, value in _relations(project, cls, _is_user_relation))


def is_tenant(project: ProjectModel, model: str | None) -> bool:
    """``model`` is a tenant users join (an organization, workspace, team, project...)."""
    cls = project.class_named(model) if model else None
    return cls is not None and _is_tenant(project, cls)


def relation_target(project: ProjectModel, cls: ClassModel, value: Call) -> ClassModel | None:
    """The project model the relation ``value`` of ``cls`` points at (``"Document"``, ...)."""
    return _target_class(project, cls, value)


def points_at_user(name: str, value: Expr) -> bool:
    """``value`` (the field ``name``) relates to the user model, or is an ``owner``-style one."""
    return _is_user_relation(name, value)


def user_owner_fields(project: ProjectModel, model: str | None) -> tuple[str, ...]:
    """Foreign keys of ``model`` to its owning user (``owner``), audit columns left out.

    A record that belongs to one user, as opposed to one reached through a tenant (whose
    membership a view may check in ways the scan does not follow).
    """
    cls = project.class_named(model) if model else None
    found: list[str] = []
    for qual in cls.mro if cls is not None else ():
        owner = project.class_named(qual)
        for name, value in owner.attributes.items() if owner is not None else ():
            if _audit(name):
                continue
            if (
                isinstance(value, Call)
                and isinstance(value.func, Ref)
                and value.func.short in ("ForeignKey", "OneToOneField")
                and _is_user_relation(name, value)
            ):
                found.append(name)
    return tuple(dict.fromkeys(found))


def authored_record(project: ProjectModel, model: str | None) -> bool:
    """``model`` relates to users only through audit columns and belongs to no tenant.

    A site's published terms of service (``created_by``, ``last_modified_by``): an authored
    record, not a user's data. A model with no user relation at all is not called one here
    (what it is depends on what the view does with it next).
    """
    if model is None or is_user_model(project, model):
        return False
    cls = project.class_named(model)
    if cls is None:
        return False
    fields = [name for name, _value in _relations(project, cls, _is_user_relation)]
    return bool(fields) and all(_audit(name) for name in fields) and not tenant_paths(project, cls)


def child_of_private(project: ProjectModel, model: str | None) -> bool:
    """``model`` points at a record of a user or a tenant (not merely at its author).

    Like :func:`belongs_to_owned`, but a relation that names who wrote the record
    (``creator``, ``*_by``) and a relation to the user model itself do not count: a ``Job``
    with a ``creator`` is not a child of its author's account.
    """
    cls = project.class_named(model) if model else None
    if cls is None:
        return False
    for name, value in _relations(project, cls, _any_relation):
        target = _target_class(project, cls, value)
        if target is None or target.qualname == cls.qualname or attribution(name):
            continue
        if is_user_model(project, target.qualname):
            continue
        owners = owner_fields(project, target.qualname)
        if any(not attribution(o) and not _audit(o) for o in owners):
            return True
    return False


def belongs_to_owned(project: ProjectModel, model: str | None) -> bool:
    """``model`` points (one foreign key) at a model that belongs to a user or a tenant.

    A ``Notification`` of a user's ``Channel`` is that user's data although it names no user
    itself; a ``Court`` or a ``Country`` points at nothing of the kind.
    """
    cls = project.class_named(model) if model else None
    if cls is None:
        return False
    for _name, value in _relations(project, cls, _any_relation):
        target = _target_class(project, cls, value)
        if (
            target is not None
            and target.qualname != cls.qualname
            and (owner_fields(project, target.qualname) or is_user_model(project, target.qualname))
        ):
            return True
    return False
