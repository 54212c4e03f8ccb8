from rest_framework.permissions import BasePermission


class AlwaysTrue(BasePermission):
    def has_permission(self, request, view):
        return True


class SignedIn(BasePermission):
    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated)


class HasClientCertificate(BasePermission):
    """Only the proxy's header: any certificate holder passes."""

    def has_permission(self, request, view):
        return request.META.get("HTTP_X_SSL_CLIENT_VERIFY") == "SUCCESS"


OPEN_OR_SIGNED_IN = [SignedIn | AlwaysTrue]
