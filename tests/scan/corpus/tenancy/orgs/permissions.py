from rest_framework.permissions import BasePermission


class CanViewInvoice(BasePermission):
    def has_object_permission(self, request, view, obj):
        return obj.is_visible_to(request.user)


class HasInvoiceAccess(BasePermission):
    def has_object_permission(self, request, view, obj):
        return obj.check_access(request)


class IsInvoiceOwner(BasePermission):
    def has_object_permission(self, request, view, obj):
        return obj.owner == request.user
