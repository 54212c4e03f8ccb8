from functools import wraps

from django.contrib.auth.decorators import login_required, user_passes_test
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseForbidden

CERT_VERIFY = "HTTP_X_SSL_CLIENT_VERIFY"


def member_required(view_func):
    return login_required(view_func, login_url="/members/login/")


def staff_only(view_func):
    return user_passes_test(lambda u: u.is_staff)(view_func)


def role_required(role):
    def decorator(view_func):
        @wraps(view_func)
        def wrapper(request, *args, **kwargs):
            if not request.user.has_perm(role):
                raise PermissionDenied
            return view_func(request, *args, **kwargs)

        return wrapper

    return decorator


def audit_logged(view_func):
    @wraps(view_func)
    def wrapper(request, *args, **kwargs):
        print("access", request.path)
        return view_func(request, *args, **kwargs)

    return wrapper


def client_cert_required(view_func):
    @wraps(view_func)
    def wrapper(request, *args, **kwargs):
        if request.META.get(CERT_VERIFY) != "SUCCESS":
            return HttpResponseForbidden("certificate required")
        return view_func(request, *args, **kwargs)

    return wrapper
