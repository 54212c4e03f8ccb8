"""A one-module Django project for the app-server tests: settings, URLconf, WSGI and ASGI apps.

Served by real gunicorn, waitress, uvicorn and wsgiref behind the real proxies of
docs/deploy/. ``ClientCertificateMiddleware`` reads the certificate the recipe forwards and
``/api/whoami`` answers with what it believed: the certificate's fingerprint and subject, or
the middleware's refusal. No database: ``AUTHENTICATE`` is off, the certificate itself is the
identity under test. Configured from the environment the test sets:

``MTLSGUARD_IT_SOURCE``   the source (``apache``, ``nginx``, ``haproxy``)
``MTLSGUARD_IT_CA``       the CA bundle (root + intermediate)
``MTLSGUARD_IT_TRUSTED``  the trusted proxy (``127.0.0.1``)
"""

from __future__ import annotations

import os

import django
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.urls import path

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="tests-only-not-secret",
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "mtlsguard.django",
        ],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        MIDDLEWARE=["mtlsguard.django.middleware.ClientCertificateMiddleware"],
        USE_TZ=True,
        MTLSGUARD={
            "SOURCE": os.environ.get("MTLSGUARD_IT_SOURCE", "nginx"),
            "TRUSTED_PROXIES": [os.environ.get("MTLSGUARD_IT_TRUSTED", "127.0.0.1")],
            "CA_BUNDLE": os.environ.get("MTLSGUARD_IT_CA", ""),
            "REQUIRED": ["/api/"],
            "AUTHENTICATE": False,
            "THROTTLE": {"ENABLED": False},
        },
        LOGGING={
            "version": 1,
            "disable_existing_loggers": False,
            "handlers": {"console": {"class": "logging.StreamHandler"}},
            "loggers": {"mtlsguard": {"handlers": ["console"], "level": "WARNING"}},
        },
    )
    django.setup()


def whoami(request: HttpRequest) -> JsonResponse:
    """What the middleware believed about this request's client certificate."""
    cert = request.client_cert  # type: ignore[attr-defined]
    error = request.client_cert_error  # type: ignore[attr-defined]
    return JsonResponse(
        {
            "sha256": cert.certificate.sha256 if cert is not None else None,
            "subject": cert.certificate.subject if cert is not None else None,
            "error": error.reason if error is not None else None,
            "peer": request.META.get("REMOTE_ADDR"),
        }
    )


urlpatterns = [path("api/whoami", whoami), path("public/whoami", whoami)]


def _wsgi() -> object:
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


def _asgi() -> object:
    from django.core.asgi import get_asgi_application

    return get_asgi_application()


application = _wsgi()
asgi_application = _asgi()
