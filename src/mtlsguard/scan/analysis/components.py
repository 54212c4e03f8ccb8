"""The project's request-path components: middleware, auth backends, DRF authentication.

Those listed in ``MIDDLEWARE``, ``AUTHENTICATION_BACKENDS``, DRF's
``DEFAULT_AUTHENTICATION_CLASSES`` or a view's ``authentication_classes``, then any other
project class built on a middleware or authentication base. The certificate-handling rules
(MG301, MG302) read them through :meth:`~mtlsguard.scan.context.RuleContext.components`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from mtlsguard.scan.analysis.route import RouteAnalysis
from mtlsguard.scan.knowledge import short_of
from mtlsguard.scan.project_model import (
    ClassModel,
    Mapping,
    ProjectModel,
    Ref,
    Seq,
    string_constants,
)

__all__ = ["components"]

_DRF_KEY = "DEFAULT_AUTHENTICATION_CLASSES"
_LISTS = (
    ("MIDDLEWARE", "middleware"),
    ("MIDDLEWARE_CLASSES", "middleware"),
    ("AUTHENTICATION_BACKENDS", "authentication backend"),
)

_COMPONENT_BASES = frozenset(
    {
        "MiddlewareMixin",
        "RemoteUserMiddleware",
        "PersistentRemoteUserMiddleware",
        "BaseAuthentication",
        "RemoteUserAuthentication",
        "BaseBackend",
        "ModelBackend",
        "RemoteUserBackend",
        "AuthenticationMiddleware",
    }
)


def components(
    project: ProjectModel, routes: Iterable[RouteAnalysis]
) -> tuple[tuple[str, ClassModel], ...]:
    """``(kind, class)`` for project middleware, auth backends and DRF authentication classes."""
    found: dict[str, tuple[str, ClassModel]] = {}
    for kind, name in _listed(project, routes):
        cls = project.class_named(name)
        if cls is not None:
            found.setdefault(cls.qualname, (kind, cls))
    for cls in list(project.classes.values()):
        if cls.qualname in found:
            continue
        if any(short_of(entry) in _COMPONENT_BASES for entry in cls.mro[1:]):
            kind = "middleware" if "Middleware" in "".join(cls.mro) else "authentication class"
            found[cls.qualname] = (kind, cls)
    return tuple(found.values())


def _listed(project: ProjectModel, routes: Iterable[RouteAnalysis]) -> Iterator[tuple[str, str]]:
    """(kind, dotted name) of every component the settings or the views name."""
    settings = project.settings
    if settings is not None:
        for key, kind in _LISTS:
            value = settings.get(key)
            if value is not None:
                yield from ((kind, name) for name in string_constants(value.value))
        drf = settings.get("REST_FRAMEWORK")
        drf_value = drf.value if drf is not None else None
        auth = drf_value.get(_DRF_KEY) if isinstance(drf_value, Mapping) else None
        if auth is not None:
            yield from (("DRF authentication class", name) for name in string_constants(auth))
    for analysis in routes:
        if analysis.klass is None:
            continue
        attr = project.attribute(analysis.klass, "authentication_classes")
        if attr is not None and isinstance(attr[1], Seq):
            yield from (
                ("DRF authentication class", item.name)
                for item in attr[1].items
                if isinstance(item, Ref)
            )
