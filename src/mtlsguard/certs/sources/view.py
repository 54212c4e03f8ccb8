"""Case-insensitive read access to one request's headers and WSGI environ / ASGI scope."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from mtlsguard.certs.errors import CertificateError

__all__ = ["RequestView"]


#: Header name -> CGI ``HTTP_*`` key; names come from source defaults and settings, so few.
_META_KEYS: dict[str, str] = {}
_MAX_META_KEYS: Final = 1024


class RequestView:
    """Case-insensitive read access to a request's headers and WSGI/ASGI environ.

    ``headers`` is any mapping of header names to values (Django's ``request.headers``,
    a plain dict, ...). When it is ``None``, header lookups fall back to CGI-style
    ``HTTP_*`` keys of ``environ`` (Django's ``request.META``).
    """

    __slots__ = ("_environ", "_headers")

    def __init__(
        self,
        headers: Mapping[str, str] | None = None,
        environ: Mapping[str, Any] | None = None,
    ) -> None:
        self._environ: Mapping[str, Any] = environ if environ is not None else {}
        lowered: dict[str, str] = {}
        if headers is not None:
            for key, value in headers.items():
                k = key.lower()
                if k in lowered and lowered[k] != value:
                    raise CertificateError(
                        "ambiguous", f"header {key!r} appears more than once with different values"
                    )
                lowered[k] = value
            self._headers: dict[str, str] | None = lowered
        else:
            self._headers = None

    def header(self, name: str) -> str | None:
        """Return header ``name`` (any case), or ``None`` when absent."""
        if self._headers is not None:
            return self._headers.get(name.lower())
        key = _META_KEYS.get(name)
        if key is None:
            key = "HTTP_" + name.upper().replace("-", "_")
            if len(_META_KEYS) < _MAX_META_KEYS:
                _META_KEYS[name] = key
        value = self._environ.get(key)
        return value if isinstance(value, str) else None

    def environ(self, key: str) -> Any:
        """Return the environ/scope entry ``key`` exactly as given, or ``None``."""
        return self._environ.get(key)
