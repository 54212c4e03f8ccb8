"""Finding the project's request-path components: middleware and authentication classes."""

from __future__ import annotations

from collections.abc import Iterator

from mtlsguard.scan.context import RuleContext
from mtlsguard.scan.knowledge import short_of
from mtlsguard.scan.project_model import ClassModel, Mapping, Ref, Seq, string_constants

__all__ = ["components"]

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


def components(ctx: RuleContext) -> Iterator[tuple[str, ClassModel]]:
    """``(kind, class)`` for project middleware, auth backends and DRF authentication classes."""
    seen: set[str] = set()
    listed: list[tuple[str, str]] = []
    for key, kind in (
        ("MIDDLEWARE", "middleware"),
        ("MIDDLEWARE_CLASSES", "middleware"),
        ("AUTHENTICATION_BACKENDS", "authentication backend"),
    ):
        value = ctx.setting(key)
        if value is not None:
            listed.extend((kind, name) for name in string_constants(value.value))
    drf = ctx.setting("REST_FRAMEWORK")
    if drf is not None and isinstance(drf.value, Mapping):
        auth = drf.value.get("DEFAULT_AUTHENTICATION_CLASSES")
        if auth is not None:
            listed.extend(("DRF authentication class", name) for name in string_constants(auth))
    for analysis in ctx.routes:
        if analysis.klass is None:
            continue
        found = ctx.project.attribute(analysis.klass, "authentication_classes")
        if found is not None and isinstance(found[1], Seq):
            listed.extend(
                ("DRF authentication class", item.name)
                for item in found[1].items
                if isinstance(item, Ref)
            )
    for kind, name in listed:
        cls = ctx.project.class_named(name)
        if cls is not None and cls.qualname not in seen:
            seen.add(cls.qualname)
            yield kind, cls
    for cls in list(ctx.project.classes.values()):
        if cls.qualname in seen:
            continue
        if any(short_of(entry) in _COMPONENT_BASES for entry in cls.mro[1:]):
            seen.add(cls.qualname)
            kind = "middleware" if "Middleware" in "".join(cls.mro) else "authentication class"
            yield kind, cls
