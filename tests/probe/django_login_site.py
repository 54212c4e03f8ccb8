"""A minimal Django site with Django's own ``LoginView``/``LogoutView`` (for the sign-in tests).

Run as ``python django_login_site.py DB_PATH PASSWORD``: migrates a SQLite database, creates
``alice`` with ``PASSWORD``, serves on a free loopback port (plain http, wsgiref, threaded) and
prints ``http://127.0.0.1:PORT/`` once listening. ``/accounts/login/`` is the standard sign-in
form (``csrfmiddlewaretoken``), ``/accounts/logout/`` the standard POST sign-out and
``/accounts/profile/`` a ``@login_required`` page. Sessions last 8 hours.
"""

from __future__ import annotations

import socketserver
import sys
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

SECRET_KEY = "tests-only-django-login-site"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = __name__
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "OPTIONS": {
            "loaders": [
                (
                    "django.template.loaders.locmem.Loader",
                    {
                        "registration/login.html": (
                            '<form method="post">{% csrf_token %}{{ form.as_p }}'
                            '<button type="submit">Sign in</button></form>'
                        )
                    },
                )
            ]
        },
    }
]
SESSION_COOKIE_AGE = 8 * 3600
LOGOUT_REDIRECT_URL = "/accounts/login/"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # tests only: fast


def _profile(request):  # type: ignore[no-untyped-def]
    from django.http import JsonResponse

    return JsonResponse({"username": request.user.username})


def _urlpatterns():  # type: ignore[no-untyped-def]
    from django.contrib.auth import views
    from django.contrib.auth.decorators import login_required
    from django.urls import path

    return [
        path("accounts/login/", views.LoginView.as_view(), name="login"),
        path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
        path("accounts/profile/", login_required(_profile), name="profile"),
    ]


class _Server(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format, *args):  # type: ignore[no-untyped-def]
        pass


def main(db_path: str, password: str) -> None:
    """Migrate, create alice, serve forever."""
    import django
    from django.conf import settings

    module = sys.modules[__name__]
    names = [n for n in dir(module) if n.isupper()]
    settings.configure(
        **{n: getattr(module, n) for n in names},
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": db_path}},
    )
    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application

    global urlpatterns
    urlpatterns = _urlpatterns()
    call_command("migrate", verbosity=0, interactive=False)
    get_user_model().objects.create_user("alice", password=password)
    server = make_server(
        "127.0.0.1", 0, get_wsgi_application(), server_class=_Server, handler_class=_Quiet
    )
    print(f"http://127.0.0.1:{server.server_port}/", flush=True)
    server.serve_forever()


urlpatterns: list[object] = []

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
