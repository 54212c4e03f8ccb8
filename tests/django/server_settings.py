"""Settings for the real servers (gunicorn, uvicorn) started by test_servers.py.

Everything lives in ``$MTLSGUARD_TEST_DIR``: the SQLite database, the CA bundle, the CRL and
``audit.jsonl`` (one JSON audit event per line).
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

from tests.django.settings import SETTINGS

_DIR = os.environ["MTLSGUARD_TEST_DIR"]

globals().update(SETTINGS)

DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": f"{_DIR}/db.sqlite3"}}
LOGGING_CONFIG = "logging.config.dictConfig"
MTLSGUARD: dict[str, Any] = {
    "SOURCE": "nginx",
    "TRUSTED_PROXIES": ["127.0.0.1"],
    "CA_BUNDLE": f"{_DIR}/bundle.pem",
    "CRL_FILES": [f"{_DIR}/crl.pem"],
    "REQUIRED": ["/api/", "/app/"],
    "THROTTLE": {"ENABLED": False},
}


class AuditJsonFormatter(logging.Formatter):
    """One JSON object per audit event."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(getattr(record, "audit", {}), sort_keys=True)


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"audit": {"()": "tests.django.server_settings.AuditJsonFormatter"}},
    "handlers": {
        "audit": {
            "class": "logging.FileHandler",
            "filename": f"{_DIR}/audit.jsonl",
            "formatter": "audit",
        }
    },
    "loggers": {"mtlsguard.audit": {"handlers": ["audit"], "level": "INFO", "propagate": False}},
}
