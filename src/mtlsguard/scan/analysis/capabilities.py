"""Capability links: objects named by a random token the server generated, not by a counter.

``invitation_token = CharField(default=generate_invite_code)`` (a project function calling
``get_random_string``), ``uuid = UUIDField(primary_key=True, default=uuid.uuid4)``: whoever
holds the link was given it. A lookup by such a field from the URL or body is not an IDOR when
the view's mutating handlers check the user; a UUID key alone (the object may be listed
elsewhere, links leak) stays a candidate unless they do. Used by MG103 and MG104.
"""

from __future__ import annotations

from mtlsguard.scan.analysis.route import RouteAnalysis
from mtlsguard.scan.analysis.scoping import user_aware
from mtlsguard.scan.knowledge import short_of
from mtlsguard.scan.project_model import Call, ClassModel, Const, FunctionModel, ProjectModel, Ref

__all__ = ["mutations_checked", "random_fields"]

_GENERATORS = frozenset(
    {
        "uuid4",
        "get_random_string",
        "token_urlsafe",
        "token_hex",
        "token_bytes",
        "urandom",
        "randbits",
        "get_random_bytes",
    }
)
"""``uuid.uuid4``, ``django.utils.crypto.get_random_string``, ``secrets.token_*``/``randbits``,
``os.urandom``, pycryptodome's ``Crypto.Random.get_random_bytes`` (a widely used public API)."""
_MUTATING = ("post", "put", "patch", "delete")
_MUTATING_ACTIONS = frozenset({"create", "update", "partial_update", "destroy"})
_EDITING_VIEWS = frozenset(
    {"UpdateView", "DeleteView", "CreateView", "FormView", "ProcessFormView", "DeletionMixin"}
)


def _random_default(project: ProjectModel, value: Call) -> bool:
    default = value.kwarg("default")
    return isinstance(default, Ref) and _generator(project, default.name)


def _generator(project: ProjectModel, name: str) -> bool:
    """``name`` is a random generator, or a project function calling one."""
    if short_of(name) in _GENERATORS:
        return True
    if "." not in name.lstrip("."):
        return False
    func = project.function_named(name, parse=True)
    return func is not None and any(short_of(c) in _GENERATORS for c in func.facts.calls)


def random_fields(project: ProjectModel, model: str | None) -> dict[str, bool]:
    """Fields of ``model`` whose default is a random token, each with "is the primary key".

    A random primary key is reachable as ``pk`` too.
    """
    cls = project.class_named(model) if model else None
    if cls is None:
        return {}
    found: dict[str, bool] = {}
    filled: set[str] | None = None
    for entry in cls.mro:
        owner = project.class_named(entry)
        if owner is None:
            continue
        for name, value in owner.attributes.items():
            if isinstance(value, Call) and _random_default(project, value):
                primary = value.kwarg("primary_key")
                key = isinstance(primary, Const) and primary.value is True
                found.setdefault(name, key)
                if key:
                    found["pk"] = True
            elif isinstance(value, Call):
                filled = _filled_at_random(project, cls) if filled is None else filled
                if name in filled:  # ``save()``: self.code = get_random_string(32)
                    found.setdefault(name, False)
    return found


def _filled_at_random(project: ProjectModel, cls: ClassModel) -> set[str]:
    """Fields a method of the model sets from a random generator (``save()``, typically)."""
    filled: set[str] = set()
    for entry in cls.mro:
        owner = project.class_named(entry)
        for method in owner.methods.values() if owner is not None else ():
            filled.update(
                attribute
                for attribute, callee in method.facts.self_fills
                if _generator(project, callee) or _own_generator(project, cls, callee)
            )
    return filled


def _own_generator(project: ProjectModel, cls: ClassModel, callee: str) -> bool:
    """``self.key = self.generate_key()``: a method of the model that calls a generator.

    linkding's ``FeedToken.generate_key`` (a classmethod, like DRF's ``Token``) returns
    ``hexlify(os.urandom(20))``.
    """
    if not callee.startswith(("self.", "cls.", ".")):
        return False
    hit = project.method(cls, short_of(callee))
    return hit is not None and any(short_of(c) in _GENERATORS for c in hit[1].facts.calls)


def mutations_checked(project: ProjectModel, analysis: RouteAnalysis) -> bool:
    """Every handler of the view that changes data checks the user (or there is none).

    ``post()`` refusing on ``has_perm``/``invitation.user != request.user``, or reading a view
    member that asks about the user (``if not self.can_accept_invite``); adding
    ``request.user`` to the object checks nothing. Django's own editing views and DRF's
    own ``update``/``destroy`` check nothing.
    """
    cls = analysis.klass
    if cls is None:
        return analysis.function is not None and _refuses(analysis.function)
    editing = any(short_of(e) in _EDITING_VIEWS for e in cls.mro if project.class_named(e) is None)
    if editing and project.method(cls, "post") is None:
        return False  # Django's own post() saves or deletes
    names = list(_MUTATING)
    for _method, action in analysis.method_actions:
        if action in _MUTATING_ACTIONS:
            if project.method(cls, action) is None:
                return False  # DRF's own update()/destroy()
            names.append(action)
    return all(_checks_user(project, cls, name) for name in names)


def _refuses(func: FunctionModel) -> bool:
    """A check of the user (or of a role) that refuses: merely using ``request.user`` is none."""
    return func.facts.auth_guard or bool(func.facts.role_guard)


def _checks_user(project: ProjectModel, cls: ClassModel, name: str) -> bool:
    hit = project.method(cls, name)
    if hit is None:
        return True
    func = hit[1]
    if _refuses(func):
        return True
    for read in func.facts.self_reads:
        member = project.method(cls, read)
        if member is not None and user_aware(project, cls, member[1]):
            return True
    return False
