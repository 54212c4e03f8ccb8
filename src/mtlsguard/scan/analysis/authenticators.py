"""DRF authentication classes that refuse a request without their credential.

DRF tries each class of ``authentication_classes``: one returning ``None`` lets the next try,
and when all do the request goes on as anonymous; one raising ``AuthenticationFailed`` (or
``NotAuthenticated``) ends it with 401. Grafana OnCall's ``PluginAuthentication`` raises when
the token is missing or wrong, and La Suite Docs' ``ServerToServerAuthentication`` (set by
``@action(authentication_classes=[...], permission_classes=[])``) too: such a view is
authenticated whatever its permission classes say. One such class is enough, wherever it stands
in the list: an anonymous caller sends no session and no credential, so every class before it
returns ``None`` and it raises (healthsites' ``(SessionAuthentication, BasicAuthentication,
APIKeyAuthentication)``, whose last class raises ``'api-key is needed'``). It must be a project
class whose ``authenticate()`` raises first thing when the header (cookie, query value) it read
is missing; one that returns ``None`` for a missing credential lets anonymous callers through,
and DRF's own classes all do.
"""

from __future__ import annotations

from mtlsguard.scan.expressions import refs
from mtlsguard.scan.knowledge import short_of
from mtlsguard.scan.project_model import ClassModel, Expr, FunctionModel, ProjectModel, Seq

__all__ = ["refusing_authentication"]


def refusing_authentication(project: ProjectModel, authentication: Expr | None) -> str:
    """``"X.authenticate() refuses ..."`` when a class of ``authentication`` refuses anonymous.

    The refusing class raises on a missing credential; the classes before it return ``None``
    for a caller who sends none.
    """
    if not isinstance(authentication, Seq) or not authentication.items:
        return ""
    names: list[str] = []
    for ref in refs(authentication):
        cls = project.class_named(ref.name)
        hit = project.method(cls, "authenticate") if cls is not None else None
        if cls is not None and hit is not None and _refuses(project, cls, hit[1]):
            names.append(short_of(ref.name))
    if not names:
        return ""
    return (
        f"{', '.join(names)}.authenticate() refuses requests without its credential "
        "(raises instead of returning None)"
    )


def _refuses(project: ProjectModel, cls: ClassModel, func: FunctionModel) -> bool:
    """``authenticate()`` raises when the credential it reads is missing, or a helper does.

    Any exception, not only DRF's ``AuthenticationFailed``: raised from ``authenticate()`` it
    ends the request before the view runs (lite-api's ``PermissionDeniedError``). The helper is
    a method of the class it calls first thing (lite-api's ``ExporterAuthentication`` starts
    with ``self.get_header_data(request)``, which raises unless ``request.META`` has the token).
    """
    caps = func.facts.capabilities
    if caps.refuses_without_credential:
        return True
    for name in caps.credential_helpers:
        hit = project.method(cls, name)
        if hit is not None and hit[1].facts.capabilities.refuses_without_credential:
            return True
    return False
