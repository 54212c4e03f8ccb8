import functools

from django.contrib.auth.decorators import login_required
from django.http import HttpResponseForbidden


def members_only(view):
    """A project decorator that wraps login_required."""
    return login_required(view)


def audited(view):
    """A project decorator that only logs: protects nothing."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        return view(request, *args, **kwargs)

    return wrapper


def cert_verified(view):
    """Only the proxy's verification header: an mTLS-only gate."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.META.get("HTTP_X_SSL_CLIENT_VERIFY") != "SUCCESS":
            return HttpResponseForbidden()
        return view(request, *args, **kwargs)

    return wrapper
