"""A view whose ``dispatch()`` refuses unless a test of the served object with the user passes.

Django's ``UserPassesTestMixin``, or a project's own ``AccessMixin`` whose ``dispatch()`` does
the same (refuses anonymous users, then ``if not self.get_test_func()(): return
self.handle_no_permission()``), runs before any handler. When ``test_func`` asks the object
``get_object()`` gives about the requesting user (``self.get_object().user_can_edit(
self.request.user)``, ``self.get_object().project.user_can_view(...)``, ``obj.operator ==
self.request.user``: :mod:`mtlsguard.scan.facts.object_tests`), the object the handlers then
serve is the one the test accepted: an object-level check, like DRF's
``has_object_permission``. A model method that always answers ``True`` (``def
user_can_view(self, user): return True``) checks nothing; the method is looked up on the
served model, through its ``ForeignKey``/``OneToOneField`` relations (``project.``); when the
relation or the method cannot be resolved, a method handed the user is taken as a check, as
for object permissions (:func:`~mtlsguard.scan.analysis.scoping.object_check_delegates`).
"""

from __future__ import annotations

from mtlsguard.scan.analysis.dispatch import gate_tests
from mtlsguard.scan.analysis.ownership import relation_target
from mtlsguard.scan.facts.object_tests import OWNER_COMPARISON, USER_ASKED
from mtlsguard.scan.knowledge import short_of
from mtlsguard.scan.linearisation import Linearisation
from mtlsguard.scan.project_model import Call, ClassModel, Const, ProjectModel

__all__ = ["object_tested_by_gate"]


def object_tested_by_gate(
    project: ProjectModel,
    cls: ClassModel,
    model: str | None,
    linearisation: Linearisation | None = None,
) -> str:
    """Evidence that a gate of ``cls`` checks the served object against the user, or ``""``."""
    for name, func in gate_tests(project, cls, linearisation):
        tests = func.facts.object_tests
        if tests and all(_decides(project, model, test) for test in tests):
            owner = short_of(func.qualname.rsplit(".", 1)[0])
            return (
                f"dispatch() refuses unless {owner}.{name}(), which checks self.get_object() "
                f"against request.user ({', '.join(tests)})"
            )
    return ""


def _decides(project: ProjectModel, model: str | None, test: str) -> bool:
    """``test`` (a comparison, or a method of the object reached through relations) can say no."""
    if test in (OWNER_COMPARISON, USER_ASKED):
        return True
    *steps, method = test.split(".")
    cls = project.class_named(model) if model else None
    for step in steps:
        if cls is None:
            return True  # not resolved: a method handed the user is taken as a check
        found = project.attribute(cls, step)
        value = found[1] if found is not None else None
        cls = relation_target(project, cls, value) if isinstance(value, Call) else None
    if cls is None:
        return True
    hit = project.method(cls, method)
    if hit is None:
        return True
    returns = hit[1].facts.returns
    return not (returns and all(isinstance(r, Const) and r.value is True for r in returns))
