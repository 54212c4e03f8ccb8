"""Helpers that refuse by raising, called by a view with the requesting user.

``allow_use_notifications(request.user)`` as a statement of the view body, where the helper
reads ``if user.is_anonymous: raise PermissionDenied``, gates everything after it as a
``request.user`` check in the view itself would; so does an ACL helper given the per-user data
the authentication layer attached (``allow_browse_users_list(request.user_acl)`` raising unless
``user_acl["can_browse_users_list"]``), as ``user.has_perm(...)`` would. The call must be a bare
statement (its result dropped: it matters only by raising), made unconditionally, and the
helper must test the very parameter that received the user before raising
(:func:`mtlsguard.scan.facts.refusals.gate_calls`, ``refusing_params``).
"""

from __future__ import annotations

from mtlsguard.scan.knowledge import short_of
from mtlsguard.scan.project_model import ClassModel, FunctionModel, ProjectModel

__all__ = ["helper_gate"]


def helper_gate(project: ProjectModel, func: FunctionModel, cls: ClassModel | None = None) -> str:
    """Evidence that ``func`` calls a refusing helper with the requesting user, or ``""``."""
    for name, positions in func.facts.gate_calls:
        helper = _resolve(project, name, cls)
        if helper is None:
            continue
        if set(positions) & set(helper.facts.refusing_params):
            return f"{short_of(helper.qualname)}() raises unless the requesting user may proceed"
    return ""


def _resolve(project: ProjectModel, name: str, cls: ClassModel | None) -> FunctionModel | None:
    """A project function by dotted name, or ``self.<method>`` of ``cls`` (``.method``)."""
    if name.startswith("."):
        if cls is None:
            return None
        found = project.method(cls, name[1:])
        return found[1] if found is not None else None
    return project.function_named(name)
