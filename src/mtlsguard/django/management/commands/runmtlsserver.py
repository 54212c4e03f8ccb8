"""``manage.py runmtlsserver [ADDR:PORT] --pki DIR``: this project over mTLS, for development.

Like ``runserver``, but over TLS with a required, verified client certificate, handed to the
project in the WSGI environ as Apache mod_ssl does (set ``MTLSGUARD["SOURCE"] = "wsgi-ssl"``).
No autoreload and no static files: restart it after code changes.
"""

from __future__ import annotations

import argparse
import os
from typing import Any, ClassVar, cast
from wsgiref.types import WSGIApplication

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.servers.basehttp import get_internal_wsgi_application

from mtlsguard.devserver.commands import (
    UsageError,
    add_limit_arguments,
    add_tls_arguments,
    parse_addrport,
    run_server,
)

__all__ = ["Command", "django_application"]

DEFAULT_ADDRPORT = "127.0.0.1:8443"


def django_application(settings_module: str) -> WSGIApplication:
    """Set up Django with ``settings_module`` and return the project's WSGI application.

    Used by ``mtlsguard devserver --django-settings``, outside ``manage.py``.
    """
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    from django.core.wsgi import get_wsgi_application

    return cast(WSGIApplication, get_wsgi_application())


class Command(BaseCommand):
    """Serve the project's ``WSGI_APPLICATION`` over mutual TLS."""

    help = (
        "Serve this project over TLS, requiring a client certificate verified against a CA "
        "(and CRL); the certificate reaches the app like mod_ssl's SSL_CLIENT_* variables. "
        "For development only."
    )
    requires_system_checks: ClassVar[list[str]] = []  # run in handle(), like runserver

    def add_arguments(self, parser: CommandParser) -> None:
        """``[ADDR:PORT]``, the TLS files and the connection limits."""
        parser.add_argument(
            "addrport",
            nargs="?",
            default=DEFAULT_ADDRPORT,
            help=f"PORT, HOST:PORT or [IPv6]:PORT (default: {DEFAULT_ADDRPORT})",
        )
        add_tls_arguments(parser)
        add_limit_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        """Check the project, then serve until Ctrl-C."""
        namespace = argparse.Namespace(**options)
        try:
            host, port = parse_addrport(options["addrport"])
            self.check(display_num_errors=True)
            app = cast(WSGIApplication, get_internal_wsgi_application())

            def announce(line: str) -> None:
                self.stdout.write(f"runmtlsserver: {line}")
                self.stdout.flush()

            run_server(app, namespace, host, port, announce)
        except UsageError as exc:
            raise CommandError(str(exc)) from exc
