from rest_framework import permissions
from rest_framework.permissions import SAFE_METHODS, BasePermission


class AlwaysAllow(BasePermission):
    def has_permission(self, request, view):
        return True


class IsSignedIn(BasePermission):
    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated)


class IsOwner(BasePermission):
    def has_object_permission(self, request, view, obj):
        return obj.owner == request.user


class IsOwnerOrReadOnly(permissions.BasePermission):
    def has_object_permission(self, request, view, obj):
        if request.method in SAFE_METHODS:
            return True
        return obj.owner == request.user


class HasVerifiedClientCert(BasePermission):
    def has_permission(self, request, view):
        return request.META.get("HTTP_X_SSL_CLIENT_VERIFY") == "SUCCESS"


class StaffOnly(permissions.IsAdminUser):
    pass
