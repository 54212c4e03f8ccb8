"""A fetched object checked by a method of its own model, given the requesting user.

Joins the facts of :mod:`mtlsguard.scan.facts.object_methods`: the view calls
``obj.raise_not_editable(request.user)`` (or ``form.save(request)`` on a form built with
``instance=obj`` whose ``save()`` calls ``self.instance.raise_not_editable(request.user)``),
and that method, resolved along the lookup model's MRO (a model's override wins), tests the
user it is given before raising ``PermissionDenied``/``Http404``. One level only: the form's
method must call the model method itself.
"""

from __future__ import annotations

from mtlsguard.scan.body_records import ObjectLookup
from mtlsguard.scan.project_model import FunctionModel, ProjectModel

__all__ = ["checked_by_object_method"]


def _model_checks(project: ProjectModel, model: str | None, method: str, position: int) -> bool:
    """``model.method`` tests its argument at ``position`` before refusing.

    An override handing the argument on to ``super().method(...)`` keeps its base's check
    (the next definer along the model's MRO).
    """
    cls = project.class_named(model) if model else None
    for qual in cls.mro if cls is not None else ():
        owner = project.class_named(qual)
        found = owner.methods.get(method) if owner is not None else None
        if found is None:
            continue
        if position in found.facts.user_check_params:
            return True
        if position not in found.facts.super_delegates:
            return False
    return False


def checked_by_object_method(
    project: ProjectModel, handler: FunctionModel, lookup: ObjectLookup
) -> bool:
    """The object fetched by ``lookup`` is handed the user by a refusing method of its model."""
    for line, form, method, positions in handler.facts.object_method_calls:
        if line != lookup.line:
            continue
        if not form:
            if any(_model_checks(project, lookup.model, method, p) for p in positions):
                return True
            continue
        form_cls = project.class_named(form)
        hit = project.method(form_cls, method) if form_cls is not None else None
        if hit is None:
            continue
        for called, param, argument in hit[1].facts.instance_checks:
            if param in positions and _model_checks(project, lookup.model, called, argument):
                return True
    return False
