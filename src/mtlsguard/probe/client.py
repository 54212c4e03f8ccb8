"""The probe's HTTP client: httpx over mutual TLS, with every safety bound enforced here.

One pooled ``httpx.AsyncClient`` per identity (a client certificate is bound to the TLS
connection, so identities never share a pool). Every request goes through
:meth:`ProbeClient.send`, which enforces for the whole run the method allow-list (GET, HEAD,
OPTIONS unless unsafe methods are allowed) and the run's bounds (:mod:`.bounds`:
``max_requests`` with retries counted, the deadline, the rate, the concurrency). Redirects are
followed by hand, only to the target's own scheme, host and port; ``Retry-After`` on 429/503
is honoured up to a bound; bodies are read up to ``max_body`` bytes. A failure of any kind
(TLS, timeout, reset, protocol error) becomes an :class:`Exchange` with ``failure`` set
(:func:`~.exchange.classify_failure` names it): nothing a server does raises out of ``send``.
"""

from __future__ import annotations

import asyncio
import email.utils
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from types import TracebackType
from urllib.parse import urljoin, urlsplit

import httpx

from mtlsguard import __version__
from mtlsguard.probe.bounds import RunBounds
from mtlsguard.probe.config import SAFE_METHODS, Identity, ProbeConfig
from mtlsguard.probe.exchange import Exchange, FailureKind, classify_failure
from mtlsguard.probe.transport import DiscardingCookieJar, PooledTransport

__all__ = [
    "Exchange",
    "FailureKind",
    "ProbeClient",
    "ProbeSetupError",
    "UnsafeMethodError",
    "parse_auth_header",
    "same_origin",
]

USER_AGENT = f"mtlsguard-probe/{__version__}"


class ProbeSetupError(Exception):
    """The probe cannot start (unreadable certificate or key, bad URL); the message says why."""


class UnsafeMethodError(Exception):
    """A probe asked for a method outside GET/HEAD/OPTIONS without ``allow_unsafe_methods``."""


def parse_auth_header(text: str) -> tuple[str, str]:
    """Split ``"Authorization: Token abc"`` into name and value.

    :raises ProbeSetupError: when there is no ``Name: value``.
    """
    name, sep, value = text.partition(":")
    if not sep or not name.strip() or not value.strip() or any(c in name for c in " \t\r\n"):
        raise ProbeSetupError(f"auth header {text.split(':')[0]!r}... must look like 'Name: value'")
    if any(c in value for c in "\r\n"):
        raise ProbeSetupError("auth header value must be on one line")
    return name.strip(), value.strip()


def same_origin(url: str, base: str) -> bool:
    """``url`` has ``base``'s scheme, host and port (redirects elsewhere are never followed)."""
    a, b = urlsplit(url), urlsplit(base)
    try:
        return (a.scheme, a.hostname, a.port or _port(a.scheme)) == (
            b.scheme,
            b.hostname,
            b.port or _port(b.scheme),
        )
    except ValueError:
        return False


def _port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - time.time())


class ProbeClient:
    """Sends the probe's requests; use as ``async with ProbeClient(config) as client``."""

    def __init__(self, config: ProbeConfig) -> None:
        """Prepare TLS contexts for every identity (files are read here).

        :raises ProbeSetupError: when a certificate, key or CA file cannot be used.
        """
        split = urlsplit(config.base_url)
        if split.scheme not in {"http", "https"} or not split.hostname:
            raise ProbeSetupError(f"{config.base_url!r} is not an http(s) URL")
        self.config = config
        self.base_url = config.base_url if config.base_url.endswith("/") else config.base_url + "/"
        self._contexts: dict[tuple[str | None, str | None], ssl.SSLContext] = {}
        for identity in [config.identity, *([config.peer] if config.peer else [])]:
            self._context(identity)  # unreadable files fail here, before any request
            if identity.auth_header:
                parse_auth_header(identity.auth_header)
        # One pool per certificate: the certificate belongs to the TLS connection.
        self._clients: dict[str, httpx.AsyncClient] = {}
        self._parsed_urls: dict[str, httpx.URL] = {}
        self._bounds = RunBounds(config)
        self._unsafe_urls = frozenset(self.url(u) for u in config.unsafe_urls())

    def _context(self, identity: Identity) -> ssl.SSLContext:
        key = (str(identity.cert) if identity.cert else None, str(identity.key or ""))
        context = self._contexts.get(key)
        if context is None:
            context = self._contexts[key] = self._build_context(identity)
        return context

    def _build_context(self, identity: Identity) -> ssl.SSLContext:
        cacert = self.config.cacert
        try:
            context = ssl.create_default_context(cafile=str(cacert) if cacert else None)
        except (OSError, ssl.SSLError) as exc:
            raise ProbeSetupError(f"cannot load the CA bundle {cacert}: {exc}") from exc
        if identity.cert is not None:
            try:
                context.load_cert_chain(identity.cert, identity.key, _key_password(identity))
            except (OSError, ssl.SSLError) as exc:
                hint = " (is the key's password right?)" if identity.key_password else ""
                raise ProbeSetupError(
                    f"cannot load the client certificate {identity.cert} "
                    f"with key {identity.key}: {exc}{hint}"
                ) from exc
        return context

    @property
    def requests_sent(self) -> int:
        """Requests sent so far (retries and redirects included)."""
        return self._bounds.sent

    @property
    def budget_exhausted(self) -> bool:
        """A request was refused because ``max_requests`` or ``max_time`` was reached."""
        return self._bounds.exhausted

    async def __aenter__(self) -> ProbeClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every pooled connection."""
        clients, self._clients = self._clients, {}
        for client in clients.values():
            await client.aclose()

    def _client(self, identity: Identity) -> httpx.AsyncClient:
        key = str(identity.cert) if identity.cert else ""
        client = self._clients.get(key)
        if client is None:
            timeout = httpx.Timeout(self.config.timeout)
            # Our own HTTP/1.1 pool: httpcore's cost several ms of CPU per request (transport.py).
            transport = PooledTransport(
                self._context(identity), max_idle=max(1, self.config.concurrency)
            )
            client = httpx.AsyncClient(
                transport=transport,
                # No cookie jar: a session cookie set for one caller (credentials, forged
                # headers) must never ride along on another caller's requests.
                cookies=DiscardingCookieJar(),
                timeout=timeout,
                follow_redirects=False,
                trust_env=False,
            )
            self._clients[key] = client
        return client

    def _parsed(self, url: str) -> httpx.URL:
        # Parsing the same few URLs again was a tenth of the probe's CPU per request.
        parsed = self._parsed_urls.get(url)
        if parsed is None:
            if len(self._parsed_urls) >= 4096:
                self._parsed_urls.clear()
            parsed = self._parsed_urls[url] = httpx.URL(url)
        return parsed

    def url(self, path: str) -> str:
        """Absolute URL of ``path`` (relative to the base URL; a leading ``/`` is kept relative)."""
        return urljoin(self.base_url, path.lstrip("/"))

    def remaining_time(self) -> float:
        """Seconds left before the run's deadline."""
        return self._bounds.remaining_time()

    async def send(
        self,
        identity: Identity | None,
        method: str,
        path: str,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
    ) -> Exchange:
        """Send one request as ``identity`` (``None``: no certificate, no credentials).

        ``content`` is the request body. Unsafe methods go only where the run allows them:
        anywhere with ``allow_unsafe_methods``, else only to the sign-in and sign-out URLs of
        the opt-in credential probes (:meth:`ProbeConfig.unsafe_urls`).

        :raises UnsafeMethodError: for a method outside GET/HEAD/OPTIONS without the opt-in.
        """
        method = method.upper()
        if (
            method not in SAFE_METHODS
            and not self.config.allow_unsafe_methods
            and self.url(path) not in self._unsafe_urls
        ):
            raise UnsafeMethodError(f"{method} needs --allow-unsafe-methods")
        who = identity or Identity("anonymous")
        sent_headers = {"User-Agent": USER_AGENT}
        if who.auth_header:
            name, value = parse_auth_header(who.auth_header)
            sent_headers[name] = value
        sent_headers.update(headers or {})
        url = requested = self.url(path)
        note = ""
        retries = 0
        redirects = 0
        started = time.monotonic()
        while True:
            refused = await self._bounds.take()
            if refused is not None:
                why = "max-requests" if refused == "budget" else "max-time"
                return Exchange(
                    who.label,
                    method,
                    url,
                    tuple(sent_headers.items()),
                    failure=f"not sent: the {why} bound was reached",
                    failure_kind=refused,
                    note=note,
                )
            async with self._bounds.slots:
                exchange = await self._send_once(who, method, url, sent_headers, content)
            exchange = replace(
                exchange,
                note=note,
                elapsed=time.monotonic() - started,
                requested_url=requested if url != requested else None,
            )
            if exchange.status in (429, 503) and retries < 2:
                wait = _retry_after(exchange.header("Retry-After"))
                if wait is not None and wait <= min(
                    self.config.max_retry_after, self.remaining_time()
                ):
                    retries += 1
                    note = f"{note} waited {wait:g}s (Retry-After, {exchange.status});".strip()
                    await asyncio.sleep(wait)
                    continue
            location = exchange.header("Location")
            if exchange.status in (301, 302, 303, 307, 308) and location is not None:
                # httpx 0.28 already refuses a malformed Location while reading the response;
                # this guard keeps a ValueError from ending the run should that ever change.
                try:
                    target = urljoin(url, location)
                    urlsplit(target).port  # noqa: B018 - raises on a malformed port
                except ValueError:
                    return replace(
                        exchange,
                        failure=f"unparsable redirect Location {location[:200]!r}",
                        failure_kind="protocol",
                    )
                if not same_origin(target, self.base_url):
                    return replace(
                        exchange,
                        note=f"{note} redirect to {target} not followed "
                        "(off the target host);".strip(),
                    )
                if method not in SAFE_METHODS:
                    return replace(
                        exchange, note=f"{note} redirect of {method} not followed;".strip()
                    )
                redirects += 1
                if redirects > self.config.max_redirects:
                    return replace(
                        exchange,
                        failure=f"more than {self.config.max_redirects} redirects (last: {target})",
                        failure_kind="redirects",
                    )
                url = target
                continue
            return exchange

    async def _send_once(
        self,
        who: Identity,
        method: str,
        url: str,
        headers: Mapping[str, str],
        content: bytes | None = None,
    ) -> Exchange:
        client = self._client(who)
        request_headers = tuple(headers.items())
        limit = self.config.max_body
        # httpx bounds each connect/read; this bounds a server that drips one byte at a time.
        whole = self.config.timeout * 3
        try:
            async with asyncio.timeout(min(whole, max(0.001, self.remaining_time()))):
                async with client.stream(
                    method, self._parsed(url), headers=dict(headers), content=content
                ) as response:
                    chunks: list[bytes] = []
                    size = 0
                    truncated = False
                    async for chunk in response.aiter_bytes():
                        chunks.append(chunk)
                        size += len(chunk)
                        if size > limit:
                            truncated = True
                            break
                    body = b"".join(chunks)[:limit]
                    return Exchange(
                        who.label,
                        method,
                        url,
                        request_headers,
                        status=response.status_code,
                        reason=response.reason_phrase,
                        response_headers=tuple(response.headers.multi_items()),
                        body=body,
                        truncated=truncated,
                    )
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # every transport failure is a result, never a crash
            kind, message = classify_failure(exc)
            if isinstance(exc, TimeoutError):
                kind, message = "timeout", f"no complete response within {whole:g}s"
            return Exchange(
                who.label, method, url, request_headers, failure=message, failure_kind=kind
            )


def _key_password(identity: Identity) -> Callable[[], bytes]:
    """The password callback of ``identity``'s key: OpenSSL never prompts on the terminal.

    Without a password an encrypted key raises :class:`ProbeSetupError` naming the options.
    """

    def password() -> bytes:
        if identity.key_password is None:
            raise ProbeSetupError(
                f"the private key {identity.key or identity.cert} is encrypted; give its "
                "password with --key-password-env VAR or --key-password-file FILE"
                + (" (--peer-key-password-env/-file for B)" if identity.label == "B" else "")
            )
        return identity.key_password

    return password
