"""A bearer credential kept on the view, required and resolved by ``dispatch()`` overrides.

:mod:`mtlsguard.scan.facts.bearer_gates` says which credential attributes of ``self`` a
``dispatch()`` requires (no value: refused) and which it resolves to a record through a model
manager (no record: refused). On the way to a view's handler the two may sit in different
classes (a ``TokenRequiredMixin`` before the API base view that looks the token up); together,
on an attribute some method of the view fills from the request (``self.token =
get_bearer_token(request)`` in ``setup()``), they refuse every caller without a valid
credential: an authentication check, as DRF's ``TokenAuthentication`` with
``IsAuthenticated`` is. Either alone is not: a credential required but never looked up
accepts any value, and one looked up only when present lets callers without one through.
"""

from __future__ import annotations

from mtlsguard.scan.expressions import refs
from mtlsguard.scan.knowledge import short_of
from mtlsguard.scan.project_model import (
    ClassModel,
    Expr,
    FunctionModel,
    ProjectModel,
)

__all__ = ["credential_gate"]


def credential_gate(
    project: ProjectModel, cls: ClassModel, reached: list[tuple[ClassModel, FunctionModel]]
) -> str:
    """Evidence that the ``dispatch()`` overrides ``reached`` require and resolve a credential.

    ``reached``: the project ``dispatch()`` methods a request passes through, with their class.
    """
    required: dict[str, str] = {}
    resolved: dict[str, str] = {}
    for local, dispatch in reached:
        caps = dispatch.facts.capabilities
        for attr in caps.required_credentials:
            required.setdefault(attr, short_of(local.qualname))
        for attr in caps.resolved_credentials:
            resolved.setdefault(attr, short_of(local.qualname))
    for attr, owner in required.items():
        if attr in resolved and _from_request(project, cls, attr):
            return (
                f"credential self.{attr} from the request required by {owner}.dispatch() and "
                f"resolved to a record by {resolved[attr]}.dispatch()"
            )
    return ""


def _from_request(project: ProjectModel, cls: ClassModel, attr: str) -> bool:
    """Some method of ``cls`` fills ``self.<attr>`` from the request."""
    for qual in cls.mro:
        owner = project.class_named(qual)
        for method in owner.methods.values() if owner is not None else ():
            for write in method.facts.self_writes:
                if write.name == attr and write.value is not None and _reads_request(write.value):
                    return True
    return False


def _reads_request(value: Expr) -> bool:
    return any(
        ref.name.split(".", 1)[0] == "request" or ref.name.startswith("self.request")
        for ref in refs(value, branches=True)
    )
