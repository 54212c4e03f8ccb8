"""Who owns an object: the owner-field lookup shared by the DRF owner helpers, and its check.

``IsOwner`` and ``OwnerScopedQuerysetMixin`` (:mod:`mtlsguard.drf`) name an object's owner by
a lookup path (``owner``, ``account__owner``) that must end at the user model
(``AUTH_USER_MODEL``). A path ending anywhere else (``owner = ForeignKey(Team)``) would compare
a team's primary key with a user's -- an IDOR whenever the numbers coincide -- so the path is
validated here: at start-up by the ``mtlsguard.E009`` system check (for every view of the
URLconf that uses the helpers), and on every request by the helpers themselves, which refuse
with a 403 rather than compare.

This module knows nothing of DRF: views declare themselves through two class attributes,
:data:`OWNER_SCOPED` (set on the mixin) and :data:`CHECKS_OWNER` (set on ``IsOwner``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Final

from django.contrib.auth import get_user_model
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.exceptions import FieldDoesNotExist

__all__ = [
    "CHECKS_OWNER",
    "DEFAULT_OWNER_FIELDS",
    "OWNER_SCOPED",
    "OwnerFieldError",
    "check_owner_fields",
    "designates",
    "owner_pk",
    "resolve_owner_field",
]

#: Tried in order when a view sets no ``owner_field``.
DEFAULT_OWNER_FIELDS: Final = ("owner", "user")
#: Class attribute (True) of view mixins that scope querysets to the owner.
OWNER_SCOPED: Final = "mtlsguard_owner_scoped"
#: Class attribute (True) of permission classes that compare an object's owner.
CHECKS_OWNER: Final = "mtlsguard_checks_owner"


class OwnerFieldError(Exception):
    """A view's owner field is missing or does not lead to ``AUTH_USER_MODEL``."""


def _path_error(model: Any, path: str) -> str | None:
    """Why ``path`` does not name a user of ``model`` instances, or ``None`` when it does."""
    meta = getattr(model, "_meta", None)
    field: Any = None
    for part in path.split("__"):
        if meta is None:
            return f"{path!r}: {part!r} follows a field that is not a relation"
        try:
            field = meta.get_field(part)
        except FieldDoesNotExist:
            return f"{meta.object_name} has no field {part!r}"
        related = getattr(field, "related_model", None)
        meta = getattr(related, "_meta", None) if related is not None else None
    user_model = get_user_model()
    related = getattr(field, "related_model", None)
    if related is None or (not getattr(field, "many_to_one", False) and not field.one_to_one):
        return f"{path!r} is not a foreign key to {user_model._meta.label}"
    if related is not user_model:
        return (
            f"{path!r} points at {related._meta.label}, not at AUTH_USER_MODEL "
            f"({user_model._meta.label})"
        )
    return None


def resolve_owner_field(view: Any, model: Any) -> str:
    """The owner lookup of ``view`` for ``model``: ``view.owner_field``, else a default.

    :raises OwnerFieldError: when no candidate exists or the path does not end at the user
        model (the message says which and how to fix it).
    """
    explicit = getattr(view, "owner_field", None)
    candidates = (explicit,) if explicit else DEFAULT_OWNER_FIELDS
    problems = []
    for name in candidates:
        problem = _path_error(model, str(name))
        if problem is None:
            return str(name)
        problems.append(problem)
    view_name = view.__name__ if isinstance(view, type) else type(view).__name__
    raise OwnerFieldError(
        f"{view_name}: cannot tell which user owns {model.__name__} objects "
        f"({'; '.join(problems)}). Set owner_field on the view to a lookup ending at a foreign "
        "key to AUTH_USER_MODEL (e.g. 'team__owner')."
    )


def owner_pk(obj: Any, path: str) -> Any:
    """The primary key of the user ``path`` names on ``obj`` (``None`` when unset)."""
    *hops, last = path.split("__")
    for hop in hops:
        obj = getattr(obj, hop, None)
        if obj is None:
            return None
    # ``<fk>_id`` avoids a query for the common case of a direct foreign key.
    if hasattr(obj, f"{last}_id"):
        return getattr(obj, f"{last}_id")
    owner = getattr(obj, last, None)
    return getattr(owner, "pk", None)


def designates(model: Any, path: str, value: Any, user: Any) -> bool:
    """Whether ``value``, given for the first hop of ``path`` on create/update, leads to ``user``.

    ``value`` is an instance (a serializer's validated data) or a primary key (raw request
    data). For ``owner`` it must be the user; for ``account__owner`` an account the user owns.
    """
    first, _, rest = path.partition("__")
    related = model._meta.get_field(first).related_model
    if not isinstance(value, related):
        if value is None or value == "":
            return False
        try:
            value = related._default_manager.filter(pk=value).first()
        except (TypeError, ValueError):  # not a primary key of that model
            return False
        if value is None:
            return False
    if not rest:
        return bool(value.pk == user.pk)
    return bool(owner_pk(value, rest) == user.pk)


def _checks_owner(permission: Any, depth: int = 0) -> bool:
    if depth > 16 or permission is None:
        return False
    if getattr(permission, CHECKS_OWNER, False):
        return True
    # DRF's composed permissions (& | ~) keep their operands in op1_class / op2_class.
    return any(
        _checks_owner(getattr(permission, attr, None), depth + 1)
        for attr in ("op1_class", "op2_class")
    )


def _views(patterns: Sequence[Any], depth: int = 0) -> Iterator[Any]:
    for pattern in patterns:
        nested = getattr(pattern, "url_patterns", None)
        if nested is not None and depth < 32:
            yield from _views(nested, depth + 1)
            continue
        callback = getattr(pattern, "callback", None)
        view = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        if isinstance(view, type):
            yield view


@register(Tags.security)
def check_owner_fields(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """E009: every owner-scoped or ``IsOwner`` view names an owner field ending at the user."""
    from django.urls import get_resolver

    try:
        patterns = get_resolver().url_patterns
    except Exception:  # an URLconf that does not import: Django's own checks report it
        return []
    errors: list[CheckMessage] = []
    seen: set[type] = set()
    for view in _views(patterns):
        if view in seen:
            continue
        seen.add(view)
        scoped = getattr(view, OWNER_SCOPED, False)
        owned = any(_checks_owner(p) for p in getattr(view, "permission_classes", ()) or ())
        model = getattr(getattr(view, "queryset", None), "model", None)
        if not (scoped or owned) or model is None:
            continue
        try:
            resolve_owner_field(view, model)
        except OwnerFieldError as exc:
            errors.append(
                Error(
                    str(exc),
                    hint="Owner helpers refuse every request of this view (403) until fixed.",
                    obj=f"{view.__module__}.{view.__qualname__}",
                    id="mtlsguard.E009",
                )
            )
    return errors
