"""``OwnerScopedQuerysetMixin``: list and detail endpoints only ever see the user's objects.

DRF's ``has_object_permission`` is never called for list endpoints, so ``IsOwner`` alone
leaves ``GET /accounts/`` returning everyone's rows (BOLA, CWE-639). Scoping the queryset
closes lists and details alike; a foreign object is then a 404 rather than a 403, which also
hides that it exists.
"""

from __future__ import annotations

from typing import Any

from mtlsguard.drf.permissions import owner_field

__all__ = ["OwnerScopedQuerysetMixin"]


class OwnerScopedQuerysetMixin:
    """Filter ``get_queryset()`` to objects owned by ``request.user`` (none when anonymous).

    Put it before the DRF generic view or viewset in the bases::

        class AccountViewSet(OwnerScopedQuerysetMixin, viewsets.ModelViewSet):
            queryset = Account.objects.all()
            owner_field = "holder"        # default: "owner", else "user"

    ``owner_field`` is shared with :class:`~mtlsguard.drf.permissions.IsOwner` and may
    traverse relations (``"account__owner"``).
    """

    owner_field: str | None = None
    """Lookup naming the owning user; ``None`` tries ``owner`` then ``user``."""

    def get_queryset(self) -> Any:
        """The parent queryset restricted to the requesting user's objects."""
        queryset = super().get_queryset()  # type: ignore[misc]
        user = getattr(self.request, "user", None)  # type: ignore[attr-defined]
        if user is None or not user.is_authenticated:
            return queryset.none()
        return queryset.filter(**{owner_field(self, queryset.model): user})
