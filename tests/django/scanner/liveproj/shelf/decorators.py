"""Decorators that do not use functools.wraps: the view is only in the wrapper's closure."""

from django.contrib.auth.decorators import login_required


def shelf_permission_required(permission):
    def decorator(function):
        def wrapper(request, *args, **kwargs):
            if not request.user.has_perm(permission):
                raise PermissionError(permission)
            return function(request, *args, **kwargs)

        return wrapper

    return decorator


def audited(view):
    def inner(request, *args, **kwargs):
        return view(request, *args, **kwargs)

    return inner


def checked(test, view):
    def run(request, *args, **kwargs):
        if not test(request.user):
            raise PermissionError("denied")
        return view(request, *args, **kwargs)

    return run


def login_then(view):
    return login_required(audited(view))
