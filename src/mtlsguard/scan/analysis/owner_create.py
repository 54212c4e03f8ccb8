"""Create views an anonymous caller cannot complete: the owner is set to ``request.user``.

A Django ``CreateView`` (or DRF ``CreateAPIView``) with no login check whose ``form_valid()``
(``perform_create()``) sets the new record's owner foreign key to the requesting user
(``form.instance.user = self.request.user``, ``serializer.save(user=self.request.user)``) serves
nothing to an anonymous caller: assigning ``AnonymousUser`` to a foreign key raises before
anything is saved, and the ``GET`` is an empty form. The missing login wall is still a defect
(an error page instead of a login redirect, the form shown to everyone), but no data is exposed.
Only routes without URL parameters qualify: a create view under a parent named by the URL may
show that parent to anyone.
"""

from __future__ import annotations

import ast

from mtlsguard.scan import walking
from mtlsguard.scan.analysis.route import RouteAnalysis
from mtlsguard.scan.analysis.sources import SourceFunctions
from mtlsguard.scan.facts.syntax import is_request_user
from mtlsguard.scan.knowledge import short_of
from mtlsguard.scan.project_model import ProjectModel

__all__ = ["owner_set_on_create"]

_CREATE_VIEWS = frozenset({"CreateView", "BaseCreateView", "CreateAPIView"})
_SAVE_HOOKS = ("form_valid", "perform_create")


def _owner_assigned(node: ast.AST, owners: tuple[str, ...]) -> str:
    """The owner field ``node`` sets to the requesting user, or ``""``."""
    for sub in walking.walk(node):
        if isinstance(sub, ast.Assign) and is_request_user(sub.value):
            for target in sub.targets:
                if isinstance(target, ast.Attribute) and target.attr in owners:
                    return target.attr
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute):
            if sub.func.attr != "save":
                continue
            for keyword in sub.keywords:
                if keyword.arg in owners and is_request_user(keyword.value):
                    return keyword.arg
    return ""


def owner_set_on_create(
    project: ProjectModel,
    sources: SourceFunctions,
    analysis: RouteAnalysis,
    owners: tuple[str, ...],
) -> str:
    """Where a create view sets the owner ``owners`` names to ``request.user``, or ``""``."""
    cls = analysis.klass
    pattern = analysis.route.pattern
    if cls is None or not owners or "<" in pattern or "(?P" in pattern:
        return ""
    if not any(short_of(entry) in _CREATE_VIEWS for entry in cls.mro):
        return ""
    for name in _SAVE_HOOKS:
        hit = project.method(cls, name)
        node = sources.node(hit[1].location.path, hit[1].location.line) if hit else None
        if hit is None or node is None:
            continue
        field = _owner_assigned(node, owners)
        if field:
            return f"{short_of(hit[0].qualname)}.{name}() sets {field} = request.user"
    return ""
