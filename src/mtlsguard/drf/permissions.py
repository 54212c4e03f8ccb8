"""DRF permissions: a verified client certificate, and object ownership (reads included).

Both are ordinary ``BasePermission`` subclasses, so they compose with DRF's ``&``, ``|`` and
``~`` (``IsAuthenticated & HasVerifiedClientCertificate & IsOwner``).
"""

from __future__ import annotations

from typing import Any, Final

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from mtlsguard.drf.request_certificate import verified_certificate

__all__ = ["DEFAULT_OWNER_FIELDS", "HasVerifiedClientCertificate", "IsOwner", "owner_field"]

#: Tried in order when a view sets no ``owner_field``.
DEFAULT_OWNER_FIELDS: Final = ("owner", "user")


def owner_field(view: Any, model: Any) -> str:
    """The lookup naming the owner of ``model`` instances: ``view.owner_field`` or a default.

    ``owner_field`` may traverse relations (``"account__owner"``).

    :raises ImproperlyConfigured: when the view names no field and the model has neither
        ``owner`` nor ``user``, or when the named field does not exist.
    """
    explicit = getattr(view, "owner_field", None)
    candidates = (explicit,) if explicit else DEFAULT_OWNER_FIELDS
    for name in candidates:
        if _has_path(model, name):
            return str(name)
    raise ImproperlyConfigured(
        f"{type(view).__name__}: cannot tell who owns {model.__name__} objects; set "
        f"owner_field on the view to the field naming the owning user "
        f"(tried {list(candidates)})."
    )


def _has_path(model: Any, path: str) -> bool:
    meta = getattr(model, "_meta", None)
    for part in path.split("__"):
        if meta is None:
            return False
        try:
            field = meta.get_field(part)
        except FieldDoesNotExist:
            return False
        related = getattr(field, "related_model", None)
        meta = getattr(related, "_meta", None) if related is not None else None
    return True


def _owner_pk(obj: Any, path: str) -> Any:
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


class HasVerifiedClientCertificate(BasePermission):
    """Allow requests that presented a client certificate which verified.

    Looks at ``request.auth`` (set by the certificate or bound-token authentication) and
    otherwise at the middleware's (or an own) inspection. Says nothing about the user: combine
    with ``IsAuthenticated`` for "certificate *and* user".
    """

    message = "A verified client certificate is required."
    code = "no_certificate"

    def has_permission(self, request: Request, view: Any) -> bool:
        """Whether the request carries a verified client certificate."""
        return verified_certificate(request) is not None


class IsOwner(BasePermission):
    """Object-level: only the object's owner may read or change it (reads are not exempt).

    The owner is the field named by the view's ``owner_field`` attribute, else ``owner``, else
    ``user``. ``has_object_permission`` only runs for single objects: pair list views with
    :class:`~mtlsguard.drf.mixins.OwnerScopedQuerysetMixin` so lists cannot leak either.
    """

    message = "You do not own this object."
    code = "not_owner"

    def has_permission(self, request: Request, view: Any) -> bool:
        """Anonymous users own nothing; authenticated ones go on to the object check."""
        user = getattr(request, "user", None)
        return bool(user is not None and user.is_authenticated)

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        """Whether ``request.user`` owns ``obj`` (for every method, ``GET`` included)."""
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.pk is None:
            return False
        path = owner_field(view, type(obj))
        return bool(_owner_pk(obj, path) == user.pk)
