"""``manage.py runmtlsserver [ADDR:PORT] --pki DIR``: this project over mTLS, for development.

Like ``runserver``, but over TLS with a required, verified client certificate, handed to the
project in the WSGI environ as Apache mod_ssl does (set ``MTLSGUARD["SOURCE"] = "wsgi-ssl"``).
No autoreload and no static files: restart it after code changes. The options are those of
``mtlsguard devserver`` (:mod:`mtlsguard.cli.devserver`); the serving is
:func:`mtlsguard.devserver.launch.serve_until_stopped`.
"""

from __future__ import annotations

from typing import Any, ClassVar, cast
from wsgiref.types import WSGIApplication

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.servers.basehttp import get_internal_wsgi_application

from mtlsguard.cli.devserver import (
    add_limit_arguments,
    add_tls_arguments,
    limits_from,
    parse_addrport,
)
from mtlsguard.devserver import UsageError
from mtlsguard.devserver.launch import load_django, serve_until_stopped, server_tls
from mtlsguard.devserver.localca import PKIError

__all__ = ["Command", "django_application"]

DEFAULT_ADDRPORT = "127.0.0.1:8443"


def django_application(settings_module: str) -> WSGIApplication:
    """Set up Django with ``settings_module`` and return the project's WSGI application.

    :raises UsageError: if the project cannot be set up (see
        :func:`mtlsguard.devserver.launch.load_django`, which this is).
    """
    return load_django(settings_module)


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
        try:
            host, port = parse_addrport(options["addrport"])
            limits = limits_from(options["max_connections"], options["timeout"])
            tls = server_tls(
                pki=options["pki"],
                cert=options["cert"],
                key=options["key"],
                cacert=options["cacert"],
                crl=options["crl"],
            )
            self.check(display_num_errors=True)
            app = cast(WSGIApplication, get_internal_wsgi_application())

            def announce(line: str) -> None:
                self.stdout.write(f"runmtlsserver: {line}")
                self.stdout.flush()

            serve_until_stopped(
                app, tls=tls, host=host, port=port, limits=limits, announce=announce
            )
        except (PKIError, UsageError) as exc:
            raise CommandError(str(exc)) from exc
