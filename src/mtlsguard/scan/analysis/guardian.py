"""django-guardian's object-permission gates: a permission on the object the URL names.

django-guardian (documented public API, ``guardian.decorators`` and ``guardian.mixins``) checks a
permission *on one object*: ``permission_required("app.view_bug", (Bug, "pk", "pk"))`` (also
``permission_required_or_403``/``_or_404``) fetches ``Bug`` by the URL keyword ``pk`` and asks
``user.has_perm(perm, bug)``, which guardian's ``ObjectPermissionBackend`` answers per object.
``guardian.mixins.PermissionRequiredMixin`` does the same on ``get_permission_object()`` (by
default ``self.get_object()``, or ``permission_object``). Django's own ``permission_required``
takes no lookup tuple, so a tuple argument is guardian's signature. Such a view is not an IDOR;
with ``accept_global_perms=True`` a global permission lets its holder through too, which is the
project's choice of who holds that permission (reported as information).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from mtlsguard.scan.analysis.route import RouteAnalysis
from mtlsguard.scan.knowledge import short_of
from mtlsguard.scan.project_model import Call, ClassModel, Const, Expr, ProjectModel, Ref, Seq

__all__ = ["ObjectPermissionGate", "object_permission_gate"]

_DECORATORS = frozenset(
    {"permission_required", "permission_required_or_403", "permission_required_or_404"}
)
_GUARDIAN_ONLY = frozenset({"permission_required_or_403", "permission_required_or_404"})
_MIXIN = "guardian.mixins.PermissionRequiredMixin"
_RULES_MIXIN = "rules.contrib.views.PermissionRequiredMixin"
_OBJECT_VIEWS = frozenset(
    {
        "SingleObjectMixin",
        "BaseDetailView",
        "DetailView",
        "BaseUpdateView",
        "UpdateView",
        "BaseDeleteView",
        "DeleteView",
        "GenericAPIView",
        "RetrieveAPIView",
        "UpdateAPIView",
        "DestroyAPIView",
        "RetrieveUpdateAPIView",
        "RetrieveDestroyAPIView",
        "RetrieveUpdateDestroyAPIView",
        "GenericViewSet",
        "ModelViewSet",
        "ReadOnlyModelViewSet",
    }
)
"""Django and DRF views with a ``get_object()``: guardian's mixin checks the object it returns."""


@dataclass(frozen=True, slots=True)
class ObjectPermissionGate:
    """A django-guardian permission check on the object a view serves."""

    source: str
    """Where it is (``@permission_required('bugs.view_bug', (Bug, 'pk', 'pk'))``)."""
    accepts_global: bool | None
    """``accept_global_perms``: ``True``/``False``, ``None`` when not a literal."""


def _calls(expr: Expr) -> Iterator[Call]:
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, Call):
            yield node
            stack.append(node.func)
            stack.extend(node.args)
            stack.extend(v for _, v in node.kwargs)


def _flag(value: Expr | None) -> bool | None:
    if value is None:
        return False  # guardian's default
    if isinstance(value, Const) and isinstance(value.value, bool):
        return value.value
    return None


def _decorator_gate(call: Call) -> ObjectPermissionGate | None:
    """A guardian decorator call with a ``(Model, lookup, kwarg)`` tuple, if ``call`` is one."""
    if not isinstance(call.func, Ref):
        return None
    name = call.func.name
    short = short_of(name)
    if short not in _DECORATORS:
        return None
    if short not in _GUARDIAN_ONLY and not name.startswith("guardian."):
        return None  # django.contrib.auth's permission_required is a global permission
    lookup = call.args[1] if len(call.args) > 1 else call.kwarg("lookup_variables")
    if not (isinstance(lookup, Seq) and len(lookup.items) >= 3):
        return None  # no object: a global permission, as Django's decorator
    perm = call.args[0] if call.args else None
    label = perm.value if isinstance(perm, Const) else "…"
    return ObjectPermissionGate(
        f"@{short}({label!r}, <object from the URL>)", _flag(call.kwarg("accept_global_perms"))
    )


def _mixin_gate(project: ProjectModel, cls: ClassModel) -> ObjectPermissionGate | None:
    """The object-permission mixin of a view that fetches one object.

    django-guardian's ``PermissionRequiredMixin``, or django-rules' (documented public API,
    ``rules.contrib.views.PermissionRequiredMixin``), which asks the rules backend about
    ``get_permission_object()`` (by default ``get_object()``): the project's predicates
    (``rules.add_perm("app.change_site", is_owner)``) decide per object.
    """
    if _RULES_MIXIN in cls.mro and _has_object(project, cls):
        return ObjectPermissionGate(_RULES_MIXIN, False)
    if _MIXIN not in cls.mro:
        return None
    if not _has_object(project, cls):
        return None  # get_permission_object() returns None: a global permission
    found = project.attribute(cls, "accept_global_perms")
    return ObjectPermissionGate(
        "guardian.mixins.PermissionRequiredMixin", _flag(found[1] if found else None)
    )


def _has_object(project: ProjectModel, cls: ClassModel) -> bool:
    """``get_permission_object()`` gives an object: the view fetches one."""
    return any(
        project.method(cls, name) is not None or project.attribute(cls, name) is not None
        for name in ("get_permission_object", "permission_object", "get_object")
    ) or any(short_of(entry) in _OBJECT_VIEWS for entry in cls.mro)


def object_permission_gate(
    project: ProjectModel, analysis: RouteAnalysis
) -> ObjectPermissionGate | None:
    """The django-guardian object-permission check in front of ``analysis``'s view, if any."""
    decorators: list[Expr] = list(analysis.route.wrappers)
    if analysis.function is not None:
        decorators.extend(analysis.function.decorators)
    cls = analysis.klass
    if cls is not None:
        gate = _mixin_gate(project, cls)
        if gate is not None:
            return gate
        for entry in cls.mro:
            local = project.class_named(entry)
            if local is None:
                continue
            decorators.extend(local.decorators)
            for name in ("dispatch", "as_view"):
                meth = local.methods.get(name)
                if meth is not None:
                    decorators.extend(meth.decorators)
    for deco in decorators:
        for call in _calls(deco):
            gate = _decorator_gate(call)
            if gate is not None:
                return gate
    return None
