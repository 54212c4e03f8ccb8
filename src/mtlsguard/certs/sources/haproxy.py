"""HAProxy: base64 DER of the client certificate, numeric verify result and a "used" flag.

The recipe (``docs/deploy/``) sets, on a ``bind ... ssl verify optional|required`` frontend::

    http-request set-header X-SSL-Client-Cert   %[ssl_c_der,base64]
    http-request set-header X-SSL-Client-Verify %[ssl_c_verify]
    http-request set-header X-SSL-Client-Used   %[ssl_c_used]

``ssl_c_verify`` is OpenSSL's X509 verify result: ``0`` (``X509_V_OK``) also when no
certificate was presented, so the "used" flag (``ssl_c_used``: 1 or 0) tells the two apart.
A non-zero result only reaches the app when the frontend ignores that error
(``crt-ignore-err`` / ``ca-ignore-err``); the identity then has ``proxy_verified=False``.
Without a certificate, ``ssl_c_der`` is empty and so is the header.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from mtlsguard.certs.errors import CertificateError
from mtlsguard.certs.model import ClientCertificate
from mtlsguard.certs.sources._decoding import b64_der
from mtlsguard.certs.sources._verdict import ProxyVerdict, present, settle, single_value
from mtlsguard.certs.sources.base import CertificateSource

__all__ = ["HaproxySource"]

#: X509_V_ERR_* codes are small non-negative integers; anything longer is not one.
_MAX_VERIFY_DIGITS = 6


def _verify_code(value: str | None, what: str) -> int | None:
    text = present(value)
    if text is None:
        return None
    text = single_value(text, what)
    if not text.isascii() or not text.isdigit() or len(text) > _MAX_VERIFY_DIGITS:
        raise CertificateError("malformed", f"{what} is not a numeric X509 verify result")
    return int(text)


def _used_flag(value: str | None, what: str) -> bool | None:
    text = present(value)
    if text is None:
        return None
    text = single_value(text, what)
    if text not in ("0", "1"):
        raise CertificateError("malformed", f"{what} is not 0 or 1")
    return text == "1"


class HaproxySource(CertificateSource):
    """HAProxy ``ssl_c_der``, ``ssl_c_verify`` and ``ssl_c_used`` sample fetches."""

    name = "haproxy"
    default_names: ClassVar[Mapping[str, str]] = {
        "cert": "X-SSL-Client-Cert",
        "verify": "X-SSL-Client-Verify",
        "used": "X-SSL-Client-Used",
    }

    def parse(self, values: Mapping[str, str | None], *, hops: int = 1) -> ClientCertificate | None:
        """Identity from ``%[ssl_c_der,base64]`` with ``ssl_c_verify`` / ``ssl_c_used``.

        :raises CertificateError: ``malformed``, ``ambiguous`` or ``proxy_verification_failed``.
        """
        what = "haproxy certificate header"
        raw = present(values.get("cert"))
        code = _verify_code(values.get("verify"), "haproxy verify header")
        used = _used_flag(values.get("used"), "haproxy used header")
        if raw is None:
            if code:  # non-zero: verification failed, certificate not forwarded
                verdict = ProxyVerdict.FAILED
            elif used:
                verdict = ProxyVerdict.SUCCESS  # a certificate was used but not forwarded
            else:
                verdict = ProxyVerdict.NO_CERTIFICATE
            return settle(verdict, None, what)
        if used is False:
            verdict = ProxyVerdict.NO_CERTIFICATE
        elif code is None:
            verdict = ProxyVerdict.UNSTATED
        else:
            verdict = ProxyVerdict.SUCCESS if code == 0 else ProxyVerdict.FAILED
        der = b64_der(single_value(raw, what), what)

        def build(proxy_verified: bool | None) -> ClientCertificate:
            return ClientCertificate.from_der(der, proxy_verified=proxy_verified, source=self.name)

        return settle(verdict, build, what)
