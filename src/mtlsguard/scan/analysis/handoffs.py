"""Fetched objects handed to a check of the user: the lookup is authorized after all.

``task = Task.objects.get(pk=pk)`` then ``self.resolve(request, uri, task)``, where that method
refuses unless the task allows the user (:attr:`FunctionFacts.checked_params`); or an ACL helper
called as a statement with the requesting user and the object, testing both before raising a
refusal: ``allow_see_thread(request.user_acl, thread)``
(:attr:`FunctionFacts.refusing_params`, :mod:`mtlsguard.scan.facts.refusals`).
"""

from __future__ import annotations

from mtlsguard.scan.project_model import ClassModel, FunctionModel, ProjectModel

__all__ = ["handed_to_check"]


def handed_to_check(
    project: ProjectModel, cls: ClassModel | None, handler: FunctionModel, line: int
) -> bool:
    """The object fetched at ``line`` goes to a method or helper checking it against the user."""
    gates = dict(handler.facts.gate_calls)
    for fetched, name, position in handler.facts.object_handoffs:
        if fetched != line:
            continue
        if name in gates:
            helper = project.function_named(name)
            refusing = set(helper.facts.refusing_params) if helper is not None else set()
            if position in refusing and refusing & set(gates[name]):
                return True
            continue
        hit = project.method(cls, name) if cls is not None else None
        if hit is not None and position in hit[1].facts.checked_params:
            return True
    return False
