"""``OwnerScopedQuerysetMixin``: list and detail endpoints only ever see the user's objects.

DRF's ``has_object_permission`` is never called for list endpoints, so ``IsOwner`` alone
leaves ``GET /accounts/`` returning everyone's rows (BOLA, CWE-639). Scoping the queryset
closes lists and details alike; a foreign object is then a 404 rather than a 403, which also
hides that it exists. Creates and updates are checked too: the new owner must be the user
(mass assignment), and a create that names no owner gets the user as its owner.
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import PermissionDenied

from mtlsguard.django.ownership import designates
from mtlsguard.drf.permissions import owner_field

__all__ = ["OwnerScopedQuerysetMixin"]


class OwnerScopedQuerysetMixin:
    """Filter ``get_queryset()`` to objects owned by ``request.user`` (none when anonymous).

    Put it before the DRF generic view or viewset in the bases::

        class AccountViewSet(OwnerScopedQuerysetMixin, viewsets.ModelViewSet):
            queryset = Account.objects.all()
            owner_field = "holder"        # default: "owner", else "user"

    ``owner_field`` is shared with :class:`~mtlsguard.drf.permissions.IsOwner` and may
    traverse relations (``"account__owner"``); it must end at a foreign key to
    ``AUTH_USER_MODEL`` (system check ``mtlsguard.E009``), otherwise every request is refused
    with a 403.
    """

    owner_field: str | None = None
    """Lookup naming the owning user; ``None`` tries ``owner`` then ``user``."""

    mtlsguard_owner_scoped = True
    """Marks the class for the ``mtlsguard.E009`` check (``ownership.OWNER_SCOPED``)."""

    def _owner_path(self, model: Any) -> str:
        path = owner_field(self, model)
        if path is None:
            raise PermissionDenied("This endpoint's owner field is misconfigured.")
        return path

    def get_queryset(self) -> Any:
        """The parent queryset restricted to the requesting user's objects.

        :raises PermissionDenied: (403) when the owner field does not lead to the user model.
        """
        queryset = super().get_queryset()  # type: ignore[misc]
        user = getattr(self.request, "user", None)  # type: ignore[attr-defined]
        if user is None or not user.is_authenticated:
            return queryset.none()
        return queryset.filter(**{self._owner_path(queryset.model): user})

    def _check_new_owner(self, serializer: Any) -> dict[str, Any]:
        """The ``save()`` arguments for ``serializer``, after checking the owner it sets."""
        user = self.request.user  # type: ignore[attr-defined]
        model = getattr(getattr(serializer, "Meta", None), "model", None)
        model = model or self.get_queryset().model
        path = self._owner_path(model)
        first = path.split("__", 1)[0]
        data = getattr(serializer, "validated_data", {}) or {}
        if first in data:
            if not designates(model, path, data[first], user):
                raise PermissionDenied("The new owner must be you.")
            return {}
        return {first: user} if first == path else {}

    def perform_create(self, serializer: Any) -> None:
        """Save a new object owned by the user (never by someone the data names)."""
        extra = self._check_new_owner(serializer)
        serializer.save(**extra)

    def perform_update(self, serializer: Any) -> None:
        """Save an update that keeps the object the user's (ownership cannot be handed on)."""
        self._check_new_owner(serializer)
        serializer.save()
