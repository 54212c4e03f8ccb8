from django.contrib.auth.decorators import login_required


def require_admin_access(view):
    return login_required(view)
