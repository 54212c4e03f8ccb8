"""The model a view keeps on ``self``: ``self.model.objects.get(pk=pk)`` in a generic base.

Generic views name their model once and look records up through ``self``: a class attribute
``model = Invoice`` (or an ``"app_label.Model"`` string), an assignment in a method
(``self.model = get_image_model()`` in ``get()``, ``setup()`` or ``__init__``), and attributes
derived from it, ``self.model_class = resolve_model_string(self.model)`` or a (cached)
property returning ``apps.get_model(self.model)``. The lookup usually sits in a mixin or base
class shared by many views (``ChosenViewMixin.get_object``), so the attribute is read for the
concrete class that serves the route: along its MRO, the first class that assigns it (in a
method or its body) with a value that names a model wins. A call whose name says it turns a
model reference into a class (``resolve_model_string(x)``, ``apps.get_model(x)``,
``get_model(x)``: the callee's name contains ``model``) is the model of its first argument; a
swappable-model getter (``get_image_model()``) is the model it returns.
"""

from __future__ import annotations

from mtlsguard.scan.analysis.ownership import is_user_model
from mtlsguard.scan.analysis.swappable import model_of_getter, model_of_label
from mtlsguard.scan.knowledge import HTTP_METHODS
from mtlsguard.scan.project_model import (
    Call,
    ClassModel,
    Const,
    Expr,
    FunctionModel,
    ProjectModel,
    Ref,
)

__all__ = ["model_on_view", "object_checked_by_view", "scoped_get_object"]

_MAX_DEPTH = 4
_PROPERTIES = ("property", "cached_property")
_GET_USER_MODEL = "django.contrib.auth.get_user_model"
_GATES = ("setup", "dispatch", "initial")


def model_on_view(project: ProjectModel, cls: ClassModel | None, expr: str) -> str | None:
    """The model class (dotted) ``self.<attr>`` (``expr``) names on instances of ``cls``.

    ``None`` when ``expr`` is not ``self.<attr>`` or no class of the MRO gives the attribute a
    value naming a model.
    """
    if cls is None or not expr.startswith("self."):
        return None
    attr = expr.removeprefix("self.")
    if not attr.isidentifier():
        return None
    return _attribute_model(project, cls, attr, 0)


def _attribute_model(project: ProjectModel, cls: ClassModel, attr: str, depth: int) -> str | None:
    if depth > _MAX_DEPTH:
        return None
    for qual in cls.mro:
        owner = project.class_named(qual)
        if owner is None:
            continue
        for value in _assigned(owner, attr):
            found = _model_value(project, cls, value, depth + 1)
            if found:
                return found
    return None


def _assigned(owner: ClassModel, attr: str) -> list[Expr]:
    """Values ``owner`` itself gives ``attr``.

    Its methods' ``self.attr = ...``, its body's ``attr = ...``, what a property of that name
    returns.
    """
    values: list[Expr] = []
    for method in owner.methods.values():
        if method.facts.self_writes and attr in (w.name for w in method.facts.self_writes):
            values.extend(
                w.value for w in method.facts.self_writes if w.name == attr and w.value is not None
            )
    if attr in owner.attributes:
        values.append(owner.attributes[attr])
    prop = owner.methods.get(attr)
    if prop is not None and _is_property(prop):
        values.extend(prop.facts.returns)
    return values


def _is_property(func: FunctionModel) -> bool:
    return any(
        isinstance(deco, Ref) and deco.name.rsplit(".", 1)[-1] in _PROPERTIES
        for deco in func.decorators
    )


def _model_value(project: ProjectModel, cls: ClassModel, value: Expr, depth: int) -> str | None:
    """The model class ``value`` (an attribute's value on ``cls``) names, if any."""
    if isinstance(value, Const):
        text = value.value
        if isinstance(text, str) and text.count(".") == 1:
            return model_of_label(project, text, cls.qualname.rsplit(".", 1)[0])
        return None
    if isinstance(value, Ref):
        if value.name.startswith("self."):
            attr = value.name.removeprefix("self.")
            return _attribute_model(project, cls, attr, depth) if attr.isidentifier() else None
        if project.class_named(value.name) is not None or is_user_model(project, value.name):
            return value.name
        return None
    if not (isinstance(value, Call) and isinstance(value.func, Ref)):
        return None
    callee = value.func.name
    if callee == _GET_USER_MODEL:
        return callee
    got = model_of_getter(project, callee)
    if got:
        return got
    texts = [a.value for a in value.args[:2] if isinstance(a, Const) and isinstance(a.value, str)]
    if len(texts) == 2 and callee.rsplit(".", 1)[-1] == "get_model":
        return model_of_label(project, ".".join(texts), cls.qualname.rsplit(".", 1)[0])
    if "model" in callee.rsplit(".", 1)[-1].lower() and value.args:
        # resolve_model_string(self.model), apps.get_model(self.model): the model passed in.
        return _model_value(project, cls, value.args[0], depth + 1)
    return None


_GET_OBJECT = "self.get_object"
"""What :func:`~mtlsguard.scan.facts.owner_guards.owner_checked_names` calls the object of
``self.get_object()`` checked in place (not kept on the view)."""


def object_checked_by_view(
    project: ProjectModel,
    cls: ClassModel | None,
    handlers: list[FunctionModel],
    model: str | None = None,
) -> bool:
    """The object ``get_object()`` gives is checked, or replaced, before the handlers use it.

    Django's convention keeps ``get_object()``'s result on the view (``self.object =
    self.get_object()`` in ``setup()``/``dispatch()``/the handler). It is checked when a
    ``dispatch()``/``setup()``/``initial()`` of the view, or every HTTP handler, tests that
    attribute with the user and refuses (``if not self.object.permissions_for_user(
    request.user).can_edit(): raise PermissionDenied``); it is replaced when every handler
    assigns the attribute again from a lookup of its own checked against the user
    (``self.object = get_object_or_404(self.model, id=image_id)``, then a refusing check).
    A gate may also check ``self.get_object()`` without keeping it (``owner =
    self.get_object().get_owner_object()``, then ``if owner.user != request.user: return
    HttpResponseForbidden()``), or fetch the served ``model`` itself by the URL's ``pk`` and
    check that (``workout = get_object_or_404(Workout, pk=kwargs["pk"])``, then the owner
    test): ``get_object()`` later returns the same record.
    """
    if cls is None:
        return False
    kept: set[str] = set()
    gates: list[FunctionModel] = []
    for qual in cls.mro:
        owner = project.class_named(qual)
        if owner is None:
            continue
        for name, method in owner.methods.items():
            if name in _GATES:
                gates.append(method)
            if name in _GATES or name in HTTP_METHODS:
                kept.update(
                    f"self.{w.name}"
                    for w in method.facts.self_writes
                    if any(c.rsplit(".", 1)[-1] == "get_object" for c in w.calls)
                )
    if any(_GET_OBJECT in gate.facts.checked_attributes for gate in gates):
        return True  # owner = self.get_object()...; if owner.user != request.user: refuse
    if model is not None and any(_refetched(project, gate, model) for gate in gates):
        return True
    if not kept:
        return False
    if any(kept & set(gate.facts.checked_attributes) for gate in gates):
        return True
    served = [h for h in handlers if h.qualname.rsplit(".", 1)[-1] in HTTP_METHODS]
    return bool(served) and all(
        kept & set(h.facts.checked_attributes)
        or (
            h.facts.lookups
            and all(lk.user_scoped for lk in h.facts.lookups)
            and any(f"self.{w.name}" in kept for w in h.facts.self_writes)
        )
        for h in served
    )


def _refetched(project: ProjectModel, gate: FunctionModel, model: str) -> bool:
    """``gate`` fetches ``model`` by the URL's ``pk``/``slug`` and checks it against the user."""
    for lk in gate.facts.lookups:
        if not (lk.model and lk.user_scoped and set(lk.url_kwargs) & {"pk", "slug"}):
            continue
        found = project.class_named(lk.model)  # a re-export names the same class
        if (found.qualname if found is not None else lk.model) == model:
            return True
    return False


def scoped_get_object(project: ProjectModel, cls: ClassModel) -> str:
    """The view's own ``get_object()``, which fetches the object scoped to the caller, or ``""``.

    A detail view serves what ``get_object()`` returns, not its ``queryset``: OpenCVE's
    ``get_object_or_404(View, id=self.kwargs["view_id"], organization=
    self.request.current_organization)``; ``return self.project`` where ``dispatch()`` (or
    another gate) set ``self.project = get_object_or_404(Project, organization=
    self.request.current_organization, name=...)``; or a fetch narrowed by such a parent
    (``get_object_or_404(Notification, project=self.project, name=...)``). Every lookup must be
    scoped so; one through ``super().get_object()`` or ``self.get_queryset()`` uses the queryset
    and proves nothing.
    """
    hit = project.method(cls, "get_object")
    if hit is None:
        return ""
    facts = hit[1].facts
    if "get_object" in facts.super_calls or any(
        c.rsplit(".", 1)[-1] == "get_queryset" for c in facts.calls
    ):
        return ""
    name = f"{hit[1].qualname.rsplit('.', 2)[-2]}.get_object()"
    if facts.lookups:
        if all(lk.user_scoped for lk in facts.lookups):
            return name
        parents = [_self_attributes(r) for r in facts.returns if _fetch(r)]
        if len(parents) == len(facts.returns) == len(facts.lookups) and all(
            any(_set_by_scoped_gate(project, cls, a) for a in attrs) for attrs in parents
        ):
            return f"{name} narrowed by a parent a gate fetched scoped"
        return ""
    kept = [
        r.name.removeprefix("self.")
        for r in facts.returns
        if isinstance(r, Ref) and r.name.startswith("self.")
    ]
    if not kept or len(kept) != len(facts.returns):
        return ""
    if all(_set_by_scoped_gate(project, cls, attr) for attr in kept):
        return f"{name} returning what a gate fetched scoped"
    return ""


def _self_attributes(value: Expr) -> list[str]:
    """``get_object_or_404(Model, project=self.project, ...)`` -> ``["project"]``."""
    if not isinstance(value, Call):
        return []
    return [
        arg.name.removeprefix("self.")
        for _, arg in value.kwargs
        if isinstance(arg, Ref) and arg.name.startswith("self.") and arg.name.count(".") == 1
    ]


def _set_by_scoped_gate(project: ProjectModel, cls: ClassModel, attr: str) -> bool:
    """``self.<attr>`` is set only by gates (``dispatch()``...) whose lookups are all scoped."""
    if not attr.isidentifier():
        return False
    setters = [
        (method, [w for w in method.facts.self_writes if w.name == attr])
        for qual in cls.mro
        if (owner := project.class_named(qual)) is not None
        for method in owner.methods.values()
        if method.may_write_self(attr)
    ]
    setters = [(method, writes) for method, writes in setters if writes]
    return bool(setters) and all(
        method.qualname.rsplit(".", 1)[-1] in _GATES
        and all(_fetch(w.value) for w in writes)
        and bool(method.facts.lookups)
        and all(lk.user_scoped for lk in method.facts.lookups)
        for method, writes in setters
    )


_FETCHES = frozenset({"get_object_or_404", "get", "first", "last"})


def _fetch(value: Expr | None) -> bool:
    """``get_object_or_404(...)``, ``Model.objects.get(...)``: the value is a fetch itself.

    Not a helper's result (``load_project(name)``), whose lookup the method's facts do not hold.
    """
    return (
        isinstance(value, Call)
        and isinstance(value.func, Ref)
        and value.func.name.rsplit(".", 1)[-1] in _FETCHES
    )
