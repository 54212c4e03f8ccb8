"""Open views whose reads go through a visibility check handed the caller.

Pontoon's ``locale_projects`` returns ``locale.available_projects_list(request.user)``, which
lists ``Project.objects.visible_for(user)``: public projects to anyone, private ones to
administrators (``if user.is_superuser``). Kitsune's forum feeds answer 404 unless
``forum.allows_viewing_by(request.user)``. A public site deciding per caller what to show: the
project chose what an anonymous caller reads, in code that looks at the user's state. MG101
keeps the finding, low, naming the helper (the login wall is not the design; whether the helper
hides the right rows is for a reader), instead of "no authentication check" at high.

Only when the view hands ``request.user`` to a project function or method that reads the
user's state (``is_authenticated``, ``is_superuser``, ``has_perm``, groups), directly or one
call further; a helper that merely stores the user is no visibility check.
"""

from __future__ import annotations

from mtlsguard.scan.analysis.route import RouteAnalysis
from mtlsguard.scan.knowledge import HTTP_METHODS, ORM_WRITES, SAFE_METHODS, short_of
from mtlsguard.scan.project_model import Const, FunctionModel, ProjectModel

__all__ = ["visibility_helper"]

_READERS = ("get_queryset", "get_object", "get_context_data", "list", "retrieve")
_MAX_DEPTH = 2


def visibility_helper(
    project: ProjectModel, analysis: RouteAnalysis, open_methods: tuple[str, ...]
) -> str:
    """``helper(request.user)`` for the first visibility check the view's readers call.

    ``""`` unless the open methods only read (a write open to anyone is no visibility choice).
    """
    if not _reads_only(project, analysis, open_methods):
        return ""
    for func in _readers(project, analysis):
        if not func.facts.capabilities.user_calls:
            continue
        for name in func.facts.calls:
            # Model.objects.all().visible_for(...): read the model's module, where its
            # queryset class (and the method) lives.
            if ".objects" in name:
                project.class_named(name.split(".objects", 1)[0])
        for name in func.facts.capabilities.user_calls:
            for target in _targets(project, name):
                if target is not func and _answers(target) and _reads_state(project, target, 0):
                    return f"{short_of(name)}(request.user)"
    return ""


def _answers(func: FunctionModel) -> bool:
    """It returns something (rows, a verdict).

    ``note_visit(user)`` returning nothing only records the visit, whatever it reads of the user.
    """
    return any(not (isinstance(v, Const) and v.value is None) for v in func.facts.returns)


def _reads_only(
    project: ProjectModel, analysis: RouteAnalysis, open_methods: tuple[str, ...]
) -> bool:
    """The open methods only read: safe methods, or any method of a body that writes nothing."""
    if any(m not in SAFE_METHODS and m != "*" for m in open_methods):
        return False
    if "*" not in open_methods:
        return True
    return not any(
        short_of(name) in ORM_WRITES
        for func in _readers(project, analysis)
        for name in func.facts.calls
    )


def _readers(project: ProjectModel, analysis: RouteAnalysis) -> list[FunctionModel]:
    if analysis.function is not None:
        return [analysis.function]
    cls = analysis.klass
    if cls is None:
        return []
    found = (project.method(cls, name) for name in (*HTTP_METHODS, *_READERS))
    return [hit[1] for hit in found if hit is not None]


def _targets(project: ProjectModel, name: str) -> list[FunctionModel]:
    """The project function ``name``, or the project methods named like it.

    For a method of an unresolved receiver (``.visible_for``, ``locale.available_projects_list``)
    every method of that name in the files the scan has read is a candidate.
    """
    found = project.function_named(name, parse=False) if not name.startswith(".") else None
    if found is not None:
        return [found]
    return project.methods_named(short_of(name))


def _reads_state(project: ProjectModel, func: FunctionModel, depth: int) -> bool:
    capabilities = func.facts.capabilities
    if capabilities.reads_user_state or func.facts.role_guard:
        return True
    if depth >= _MAX_DEPTH:
        return False
    names = (*capabilities.user_calls, *capabilities.user_param_calls)
    return any(
        target is not func and _reads_state(project, target, depth + 1)
        for name in names
        for target in _targets(project, name)
    )
