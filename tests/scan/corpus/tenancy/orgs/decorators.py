from functools import wraps

from django.core.exceptions import PermissionDenied

from .models import Membership


def organization_member_required(view):
    @wraps(view)
    def wrapper(request, slug, *args, **kwargs):
        if not Membership.objects.filter(user=request.user, organization__slug=slug).exists():
            raise PermissionDenied
        return view(request, slug, *args, **kwargs)

    return wrapper
