"""A role or endorsement relation the project itself scopes by the caller is ownership.

:func:`~mtlsguard.scan.analysis.ownership.shared_relation` takes ``lead``, ``*_manager``,
``assigned_to``, ``authors``, ``contributors``... for a colleague's role on, or a user's use of,
a shared record: a fetch of such a record by id is low, like an authored one. But a project
that lists or fetches a model by that relation to the caller
(``Portfolio.objects.filter(manager=request.user)``, ``get_object_or_404(Draft, pk=pk,
authors=request.user)``) shows that the relation is who may see the record: there it is the
owner, and an unscoped fetch of the same model elsewhere is an IDOR.

Authorships (``creator``, ``*_by``) are left as they are. :func:`caller_scoped` answers from
the modelled functions' and methods'
:attr:`~mtlsguard.scan.project_model.FunctionFacts.caller_keys` (model by its short class name,
so two models of one name share the answer: the reported side).
"""

from __future__ import annotations

from mtlsguard.scan.analysis.relation_names import authorship
from mtlsguard.scan.knowledge import short_of
from mtlsguard.scan.project_model import FunctionModel, ProjectModel

__all__ = ["caller_scoped"]

_MEMO: dict[int, tuple[ProjectModel, int, frozenset[tuple[str, str, str]]]] = {}


def _functions(project: ProjectModel) -> list[FunctionModel]:
    found = list(project.functions.values())
    for cls in list(project.classes.values()):
        found.extend(cls.methods.values())
    return found


def _keys(project: ProjectModel) -> frozenset[tuple[str, str, str]]:
    size = len(project.functions) + len(project.classes)
    cached = _MEMO.get(id(project))
    if cached is not None and cached[0] is project and cached[1] == size:
        return cached[2]
    _MEMO.clear()  # one project at a time
    keys = frozenset(
        key
        for func in {id(f): f for f in _functions(project)}.values()
        if func.facts.mentions_user
        for key in func.facts.caller_keys
    )
    _MEMO[id(project)] = (project, size, keys)
    return keys


def caller_scoped(
    project: ProjectModel, model: str | None, relation: str, *, listed: bool = False
) -> bool:
    """Some view of the project fetches ``model`` by ``relation`` with the caller's user.

    ``listed``: a query that only lists the caller's records by it counts too (for a model
    named like a tenant: "my projects" by ``contributors`` are the projects one belongs to).

    Only for the roles and endorsements
    :func:`~mtlsguard.scan.analysis.ownership.shared_relation` names: an authorship
    (``creator``, ``favorited_by``) stays one (a ``Favorite`` fetched by the caller's
    ``favorited_by`` makes its package no tenant).
    """
    if not model or authorship(relation):
        return False
    keys = _keys(project)
    short = short_of(model)
    return (short, relation, "key") in keys or (listed and (short, relation, "list") in keys)
