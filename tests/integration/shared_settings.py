"""Settings of one node of the two-node deployment in test_shared_state.py.

The hardened example's own settings, unchanged except for what a multi-node deployment changes:
PostgreSQL instead of SQLite, Django's Redis cache backend instead of local memory, the nginx
source with 127.0.0.1 as the trusted proxy, the audit's database sink, and limits small enough
to observe in a test. Everything comes from the environment the test sets for each node:

``MTLSGUARD_SHARED_DB``     postgresql:// URL of the database both nodes share
``MTLSGUARD_SHARED_REDIS``  redis:// URL (with the DB index) of the cache both nodes share
``MTLSGUARD_SHARED_DIR``    directory with ``bundle.pem`` (root + intermediate) and ``crl.pem``
``MTLSGUARD_SHARED_TTL``    ``IDENTITY["CACHE_TTL"]`` in seconds
``MTLSGUARD_SHARED_AUTOBIND``  ``1``: the ``subject`` mapping with ``AutoBindingCertificateBackend``
"""

from __future__ import annotations

import os
from typing import Any

from hardened_site.settings import *  # noqa: F403
from hardened_site.settings import MTLSGUARD as _HARDENED

from tests.django.settings import postgres_database

_DIR = os.environ["MTLSGUARD_SHARED_DIR"]
_AUTOBIND = os.environ.get("MTLSGUARD_SHARED_AUTOBIND") == "1"

if _AUTOBIND:
    AUTHENTICATION_BACKENDS = ["mtlsguard.django.autobind.AutoBindingCertificateBackend"]

DATABASES = {"default": postgres_database(os.environ["MTLSGUARD_SHARED_DB"])}
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["MTLSGUARD_SHARED_REDIS"],
        "KEY_PREFIX": "mtlsguard-two-node",
        # Bounded: a stuck Redis must not hang a request forever.
        "OPTIONS": {"socket_connect_timeout": 5, "socket_timeout": 5},
    }
}

MTLSGUARD: dict[str, Any] = {
    **_HARDENED,
    "SOURCE": "nginx",
    "TRUSTED_PROXIES": ["127.0.0.1"],
    "CA_BUNDLE": f"{_DIR}/bundle.pem",
    "CRL_FILES": [f"{_DIR}/crl.pem"],
    "IDENTITY": {
        "MAPPING": "subject" if _AUTOBIND else "binding",
        "CACHE_TTL": int(os.environ["MTLSGUARD_SHARED_TTL"]),
    },
    "AUDIT": {"ENABLED": True, "LOG_ALLOWED": True, "DATABASE": True},
    "THROTTLE": {"ENABLED": True, "FAILURES": 5, "WINDOW": 120, "CACHE": "default"},
}

# The audit trail under test is the database sink; keep the nodes' logs for failures only.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "null": {"class": "logging.NullHandler"},
    },
    "loggers": {
        "mtlsguard.audit": {"handlers": ["null"], "level": "WARNING", "propagate": False},
        "django": {"handlers": ["console"], "level": "ERROR"},
    },
}
