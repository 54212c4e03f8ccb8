"""System checks on the application server's configuration, where the process can see it.

mtlsguard decides whether to believe forwarded-certificate headers from the TCP peer
(``REMOTE_ADDR``). Application servers that rewrite the peer address from the request
(uvicorn's proxy headers, gunicorn's PROXY protocol) make that address whatever a client
claims when they trust every peer. The middleware refuses such requests when it sees the
rewrite (:func:`mtlsguard.certs.proxies.rewritten_peer`); this check warns at startup when the
configuration visible to the process (environment, command line) says it will happen.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

from django.core.checks import CheckMessage, Tags, Warning, register

__all__ = ["check_peer_rewriting", "peer_rewriting_settings"]

_STAR_OPTIONS = ("--forwarded-allow-ips", "--proxy-allow-from")


def _option_values(argv: Sequence[str], option: str) -> list[str]:
    values = []
    for index, arg in enumerate(argv):
        if arg == option and index + 1 < len(argv):
            values.append(argv[index + 1])
        elif arg.startswith(option + "="):
            values.append(arg.split("=", 1)[1])
    return values


def peer_rewriting_settings(
    argv: Sequence[str] | None = None, environ: dict[str, str] | None = None
) -> list[str]:
    """The settings visible to this process that let any client choose its peer address.

    ``FORWARDED_ALLOW_IPS=*`` (read by uvicorn and gunicorn), ``--forwarded-allow-ips '*'``
    (uvicorn: proxy headers from anyone) and ``--proxy-allow-from '*'`` (gunicorn: the PROXY
    protocol from anyone).
    """
    argv = list(sys.argv if argv is None else argv)
    environ = dict(os.environ if environ is None else environ)
    found = []
    if "*" in [v.strip() for v in environ.get("FORWARDED_ALLOW_IPS", "").split(",")]:
        found.append("FORWARDED_ALLOW_IPS='*'")
    for option in _STAR_OPTIONS:
        for value in _option_values(argv, option):
            if "*" in [v.strip() for v in value.split(",")]:
                found.append(f"{option}='*'")
    return found


@register(Tags.security)
def check_peer_rewriting(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``mtlsguard.W101``: the app server takes the peer address from any client's headers."""
    found = peer_rewriting_settings()
    if not found:
        return []
    return [
        Warning(
            f"The application server is configured with {', '.join(found)}: any client can "
            "choose the peer address (REMOTE_ADDR) Django sees, e.g. the trusted proxy's "
            "127.0.0.1. mtlsguard refuses forwarded certificates when it sees the rewrite, "
            "so requests through your proxy may be refused too.",
            hint="Run uvicorn with --no-proxy-headers and gunicorn without --proxy-protocol "
            "(or limit --forwarded-allow-ips / --proxy-allow-from to the proxy's address); "
            "mtlsguard reads X-Forwarded-For itself from TRUSTED_PROXIES "
            "(docs/deploy/app-servers.md).",
            id="mtlsguard.W101",
        )
    ]
