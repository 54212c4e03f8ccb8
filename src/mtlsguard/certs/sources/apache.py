"""Apache httpd mod_ssl: the WSGI environ under mod_wsgi, or headers set by mod_headers.

Two deployments reach the app:

* **mod_wsgi** in the TLS-terminating Apache: mod_ssl's ``SSL_CLIENT_*`` variables arrive in
  the WSGI environ (see :mod:`mtlsguard.certs.sources.wsgi_ssl`). A client cannot set those
  keys, so :meth:`ApacheSource.is_forwarded` is False for such a request and forged
  ``X-SSL-Client-*`` headers are ignored.
* **mod_proxy** to a separate app server, with::

      RequestHeader set X-SSL-Client-Cert   "%{SSL_CLIENT_CERT}s"
      RequestHeader set X-SSL-Client-Verify "%{SSL_CLIENT_VERIFY}s"

  mod_headers replaces the PEM's line breaks with spaces (header values cannot contain
  them) and substitutes the literal ``(null)`` for an empty variable, i.e. when there is no
  certificate. Both are handled. These are forwarded headers: ``is_forwarded`` is True.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from mtlsguard.certs.sources.base import RawValues
from mtlsguard.certs.sources.view import RequestView
from mtlsguard.certs.sources.wsgi_ssl import ModSslEnvironSource

__all__ = ["ApacheSource"]


class ApacheSource(ModSslEnvironSource):
    """mod_ssl through mod_wsgi's environ, else the mod_headers forwarded variant."""

    name = "apache"
    forwarded = True
    default_names: ClassVar[Mapping[str, str]] = {
        **ModSslEnvironSource.default_names,
        "forwarded_cert": "X-SSL-Client-Cert",
        "forwarded_verify": "X-SSL-Client-Verify",
    }

    def _direct(self, request: RequestView, names: Mapping[str, str]) -> bool:
        # mod_ssl always sets SSL_CLIENT_VERIFY on a TLS request (NONE without a certificate).
        return any(
            self.environ_text(request, names[role]) is not None for role in ("verify", "cert")
        )

    def is_forwarded(self, request: RequestView, names: Mapping[str, str] | None = None) -> bool:
        """False when mod_ssl's environ variables are present (direct TLS), else True."""
        return not self._direct(request, self.default_names if names is None else names)

    def collect(self, request: RequestView, names: Mapping[str, str]) -> RawValues:
        """mod_ssl's environ when present; otherwise the forwarded headers as cert/verify."""
        # The same test as is_forwarded() with the same names: environ values are read only
        # when the caller was told they are not forwarded (and skipped the proxy check).
        if not self.is_forwarded(request, names):
            return self.collect_environ(request, names)
        return (
            ("cert", request.header(names["forwarded_cert"])),
            ("verify", request.header(names["forwarded_verify"])),
        )
