"""Evidence without secrets: SARIF ``webRequest``/``webResponse`` built from an exchange.

Redacted: credential headers (``Authorization``, ``Cookie``, ``Set-Cookie`` values, API keys,
CSRF and session tokens, anything named like a token or secret), every forwarded-certificate
header the probe forged (replaced by the certificate's SHA-256 where known), and in bodies
PEM blocks, JWTs, Django's CSRF form token and the values of JSON keys named like secrets.
Bodies are cut to :data:`EVIDENCE_BODY_LIMIT` characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from mtlsguard.probe.client import Exchange

__all__ = [
    "EVIDENCE_BODY_LIMIT",
    "REDACTED",
    "redact_body",
    "redact_headers",
    "web_request",
    "web_response",
]

REDACTED: Final = "[redacted]"
EVIDENCE_BODY_LIMIT: Final = 2048

_SECRET_HEADERS: Final = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "x-csrftoken",
        "x-csrf-token",
        "x-xsrf-token",
        "x-api-key",
        "api-key",
        "x-auth-token",
        "x-amz-security-token",
    }
)
_SECRET_NAME: Final = re.compile(
    r"token|secret|passw|api[-_]?key|session|auth|signature|credential|private", re.I
)
_CERT_HEADER: Final = re.compile(
    r"^(x-ssl-client-|ssl-client-|x-forwarded-client-cert$|x-forwarded-tls-client-cert|"
    r"x-amzn-mtls-clientcert|client-cert|x-client-cert|x-client-verify|cf-client-cert|"
    r"x-arr-clientcert|x-ssl-cert)",
    re.I,
)
_FORM_TOKEN: Final = re.compile(
    r"""(<input[^>]*name=["']csrfmiddlewaretoken["'][^>]*value=["'])[^"']*""", re.I
)
_PEM: Final = re.compile(r"-----BEGIN [A-Z0-9 ]+-----.*?(-----END [A-Z0-9 ]+-----|$)", re.S)
_JWT: Final = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_JSON_SECRET: Final = re.compile(
    r'("(?:[^"\\]|\\.)*(?:token|secret|passw|api[-_]?key|session|private[-_]?key|otp)'
    r'(?:[^"\\]|\\.)*"\s*:\s*)("(?:[^"\\]|\\.)*"|[^,}\]\s]+)',
    re.I,
)


def _redact_header(name: str, value: str) -> str:
    lowered = name.lower()
    if lowered == "set-cookie":
        cookie, _, attributes = value.partition(";")
        cookie_name = cookie.partition("=")[0].strip()
        rest = f";{attributes}" if attributes else ""
        return f"{cookie_name}={REDACTED}{rest}"
    if lowered == "www-authenticate":  # a challenge, not a credential
        return value
    if lowered in _SECRET_HEADERS or _SECRET_NAME.search(lowered):
        return REDACTED
    if _CERT_HEADER.match(lowered):
        return "[forwarded certificate header redacted]"
    return value


def redact_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Headers as a dict, secrets replaced; repeated names are joined with ``, ``."""
    result: dict[str, str] = {}
    for name, value in headers:
        shown = _redact_header(name, value)
        result[name] = f"{result[name]}, {shown}" if name in result else shown
    return result


def redact_body(text: str, limit: int = EVIDENCE_BODY_LIMIT) -> str:
    """``text`` without PEM blocks, JWTs, CSRF form tokens and secret JSON values; cut."""
    text = _PEM.sub("[PEM redacted]", text)
    text = _FORM_TOKEN.sub(lambda m: m.group(1) + REDACTED, text)
    text = _JWT.sub("[JWT redacted]", text)
    text = _JSON_SECRET.sub(lambda m: f'{m.group(1)}"{REDACTED}"', text)
    if len(text) > limit:
        text = text[:limit] + f"... [{len(text) - limit} more characters]"
    return text


def web_request(exchange: Exchange) -> dict[str, object]:
    """SARIF ``webRequest`` of the exchange (secrets redacted)."""
    return {
        "protocol": "HTTP",
        "version": "1.1",
        "target": exchange.url,
        "method": exchange.method,
        "headers": redact_headers(exchange.request_headers),
        "properties": {"identity": exchange.identity},
    }


def web_response(exchange: Exchange) -> dict[str, object]:
    """SARIF ``webResponse`` of the exchange (body cut and redacted)."""
    if exchange.status is None:
        return {"noResponseReceived": True, "reasonPhrase": exchange.failure or ""}
    text = exchange.body.decode("utf-8", "replace")
    body = redact_body(text)
    if exchange.truncated:
        body += " [body longer than the probe's read limit]"
    return {
        "protocol": "HTTP",
        "version": "1.1",
        "statusCode": exchange.status,
        "reasonPhrase": exchange.reason,
        "headers": redact_headers(exchange.response_headers),
        "body": {"text": body},
    }
