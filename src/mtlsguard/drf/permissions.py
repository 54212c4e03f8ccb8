"""DRF permissions: a verified client certificate, and object ownership (reads included).

Both are ordinary ``BasePermission`` subclasses, so they compose with DRF's ``&``, ``|`` and
``~`` (``IsAuthenticated & HasVerifiedClientCertificate & IsOwner``).
"""

from __future__ import annotations

import logging
from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from mtlsguard.django.ownership import (
    DEFAULT_OWNER_FIELDS,
    OwnerFieldError,
    designates,
    owner_pk,
    resolve_owner_field,
)
from mtlsguard.drf.request_certificate import verified_certificate

__all__ = ["DEFAULT_OWNER_FIELDS", "HasVerifiedClientCertificate", "IsOwner", "owner_field"]

logger = logging.getLogger("mtlsguard.drf")


def owner_field(view: Any, model: Any) -> str | None:
    """The lookup naming the owning user of ``model`` instances, or ``None`` (refuse).

    ``view.owner_field`` (which may traverse relations, ``"account__owner"``), else ``owner``,
    else ``user``; it must end at a foreign key to ``AUTH_USER_MODEL``. When it does not, the
    misconfiguration is logged (and reported at start-up as ``mtlsguard.E009``) and ``None``
    is returned: the owner helpers then refuse with a 403, never compare a team's primary key
    with a user's, and never answer with a 500.
    """
    try:
        return resolve_owner_field(view, model)
    except OwnerFieldError as exc:
        logger.error("mtlsguard: %s", exc)
        return None


def _owner_model(view: Any) -> Any:
    return getattr(getattr(view, "queryset", None), "model", None)


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

    mtlsguard_checks_owner = True
    """Marks the class for the ``mtlsguard.E009`` check (``ownership.CHECKS_OWNER``)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        """Anonymous users own nothing; a write may only name the user as the new owner.

        A create or update whose data names an owner (``owner``, or the first hop of
        ``account__owner``) must designate the requesting user (mass assignment).
        """
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return False
        if request.method in SAFE_METHODS:
            return True
        model = _owner_model(view)
        if model is None:
            return True  # no queryset to read the owner field from: the object check decides
        path = owner_field(view, model)
        if path is None:
            return False
        first = path.split("__", 1)[0]
        data: Any = getattr(request, "data", None)
        if not hasattr(data, "get") or first not in data:
            return True
        return designates(model, path, data.get(first), user)

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        """Whether ``request.user`` owns ``obj`` (for every method, ``GET`` included)."""
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.pk is None:
            return False
        path = owner_field(view, type(obj))
        if path is None:
            return False
        return bool(owner_pk(obj, path) == user.pk)
