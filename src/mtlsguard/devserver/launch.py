"""Launching the dev server once a command line was parsed: the app, the TLS files, the loop.

``mtlsguard devserver`` (:mod:`mtlsguard.cli.devserver`) and ``manage.py runmtlsserver`` parse
their arguments themselves and call these functions with plain, typed values. Django is never
imported by name here: :func:`load_django` loads it by dotted path, like any application, so
this package stays usable (and importable) without it.
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, cast
from wsgiref.types import WSGIApplication

from mtlsguard.devserver import UsageError
from mtlsguard.devserver.localca import LocalCA
from mtlsguard.devserver.server import Limits, MTLSServer
from mtlsguard.devserver.tls import ServerTLS, TLSConfigError

__all__ = [
    "DJANGO_WSGI_FACTORY",
    "UsageError",
    "configure_logging",
    "load_app",
    "load_django",
    "serve_until_stopped",
    "server_tls",
]

#: Django's WSGI application factory, loaded by name (Django is an optional dependency).
DJANGO_WSGI_FACTORY: Final = "django.core.wsgi:get_wsgi_application"


def _import_attribute(spec: str, what: str) -> Any:
    """The object ``module:attribute`` names (the current directory is importable).

    :raises UsageError: if it cannot be imported.
    """
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise UsageError(f"{what} must look like MODULE:CALLABLE, not {spec!r}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise UsageError(f"cannot import {module_name!r}: {exc}") from exc
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise UsageError(f"{module_name!r} has no attribute {attribute!r}") from None
    return target


def load_app(spec: str) -> WSGIApplication:
    """Import ``module:attribute`` (the current directory is importable, as with gunicorn).

    :raises UsageError: if it cannot be imported or is not callable.
    """
    target = _import_attribute(spec, "--app")
    if not callable(target):
        raise UsageError(f"{spec} is not callable")
    return cast(WSGIApplication, target)


def load_django(settings_module: str) -> WSGIApplication:
    """The WSGI application of the Django project configured by ``settings_module``.

    :raises UsageError: if Django is missing or the project cannot be set up.
    """
    try:
        factory = _import_attribute(DJANGO_WSGI_FACTORY, "the Django WSGI factory")
    except UsageError as exc:
        raise UsageError("Django is not installed: pip install 'mtlsguard[django]'") from exc
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    try:
        return cast(WSGIApplication, factory())
    except Exception as exc:  # whatever the project's settings raise, say which and stop
        raise UsageError(
            f"cannot load Django settings {settings_module!r}: {type(exc).__name__}: {exc}"
        ) from exc


def server_tls(
    *,
    pki: Path | None = None,
    cert: Path | None = None,
    key: Path | None = None,
    cacert: Path | None = None,
    crl: Path | None = None,
) -> ServerTLS:
    """The :class:`~mtlsguard.devserver.tls.ServerTLS` of a PKI directory, or of given files.

    With ``pki``, a CRL that expires within a day is re-signed first (an expired CRL would
    make every handshake fail).

    :raises UsageError: for a missing or contradictory combination.
    :raises PKIError: for an unusable PKI directory.
    """
    if pki is not None:
        if any(f is not None for f in (cert, key, cacert, crl)):
            raise UsageError("give either --pki or --cert/--key/--cacert/--crl, not both")
        LocalCA.open(pki).refresh_crl()
        return ServerTLS.from_pki(pki)
    missing = [
        flag
        for flag, value in (("--cert", cert), ("--key", key), ("--cacert", cacert))
        if value is None
    ]
    if missing or cert is None or key is None or cacert is None:
        raise UsageError(
            f"missing {', '.join(missing)}: give --pki DIR (see `mtlsguard pki init`) "
            "or all of --cert, --key and --cacert"
        )
    return ServerTLS(cert=cert, key=key, cacert=cacert, crl=crl)


def configure_logging() -> None:
    """Request and handshake log lines on stderr, once."""
    log = logging.getLogger("mtlsguard.devserver")
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("[%(asctime)s] %(message)s", "%H:%M:%S"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False


def serve_until_stopped(
    app: WSGIApplication,
    *,
    tls: ServerTLS,
    host: str,
    port: int,
    limits: Limits,
    announce: Callable[[str], None],
) -> None:
    """Serve ``app`` in the foreground until Ctrl-C or SIGTERM.

    :param announce: prints the one line saying where the server listens.
    :raises UsageError: if the TLS files are unusable or the address cannot be bound.
    """
    try:
        server = MTLSServer((host, port), app, tls=tls, limits=limits)
    except TLSConfigError as exc:
        raise UsageError(str(exc)) from exc
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    configure_logging()

    def _terminate(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    crl = f", CRL {tls.crl}" if tls.crl is not None else ", no CRL"
    announce(
        f"serving {server.url} over mTLS (client certificates from {tls.cacert}{crl}); "
        "Ctrl-C to stop"
    )
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
