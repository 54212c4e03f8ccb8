"""Signing in for the opt-in credential probes: cookies, Django's CSRF token, form or JSON.

The probe keeps no cookie jar (a cookie set for one caller must never ride along on another
caller's request), so a sign-in carries its own :class:`Cookies`, updated from every
``Set-Cookie`` it receives and sent back as one ``Cookie`` header. A Django sign-in form needs
the ``csrftoken`` cookie, the ``csrfmiddlewaretoken`` field and, over HTTPS, an ``Origin`` of
the site; a JSON API gets ``X-CSRFToken`` when a CSRF cookie exists. Passwords go only into
request bodies, which are never kept in evidence.
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from dataclasses import dataclass, field
from typing import Final, Literal
from urllib.parse import urlencode, urljoin, urlsplit

from mtlsguard.probe.client import Exchange, ProbeClient
from mtlsguard.probe.config import Identity, LoginSettings

__all__ = ["Cookies", "LoginAttempt", "SetCookie", "SignIn", "parse_set_cookie"]

_CSRF_FIELD: Final = re.compile(
    r"""<input[^>]*name=["']csrfmiddlewaretoken["'][^>]*>""", re.I | re.S
)
_VALUE: Final = re.compile(r"""value=["']([^"']*)["']""", re.I)
_PASSWORD_INPUT: Final = re.compile(r"""<input[^>]*type=["']?password""", re.I)
_SESSION_NAME: Final = re.compile(r"sess|sid$", re.I)
_CSRF_NAME: Final = re.compile(r"csrf|xsrf", re.I)

Outcome = Literal["accepted", "rejected", "refused", "failed"]
"""A sign-in was let in, turned down (wrong password), refused (throttled, locked) or got no
answer."""


@dataclass(frozen=True, slots=True)
class SetCookie:
    """One ``Set-Cookie`` header, parsed."""

    name: str
    """Cookie name."""
    value: str
    """Cookie value (a secret for session cookies: never shown)."""
    attributes: dict[str, str] = field(default_factory=dict)
    """Attributes by lower-case name (``secure``, ``httponly`` have the value ``""``)."""

    @property
    def deleted(self) -> bool:
        """The server asks the client to forget the cookie."""
        lifetime = self.lifetime()
        return lifetime is not None and lifetime <= 0

    def lifetime(self, now: float | None = None) -> float | None:
        """Seconds the cookie lives (``Max-Age`` first, then ``Expires``).

        ``None``: until the browser closes.
        """
        max_age = self.attributes.get("max-age")
        if max_age is not None:
            try:
                return float(int(max_age.strip()))
            except ValueError:
                pass
        expires = self.attributes.get("expires")
        if expires is not None:
            try:
                when = email.utils.parsedate_to_datetime(expires.strip())
            except (TypeError, ValueError, IndexError):
                return None
            return when.timestamp() - (time.time() if now is None else now)
        return None


def parse_set_cookie(header: str) -> SetCookie | None:
    """Parse one ``Set-Cookie`` value; ``None`` when it has no ``name=value``."""
    first, *rest = header.split(";")
    name, sep, value = first.partition("=")
    if not sep or not name.strip():
        return None
    attributes: dict[str, str] = {}
    for part in rest:
        key, _, attr = part.partition("=")
        if key.strip():
            attributes[key.strip().lower()] = attr.strip()
    return SetCookie(name.strip(), value.strip().strip('"'), attributes)


def set_cookies(exchange: Exchange) -> list[SetCookie]:
    """Every cookie an exchange's response sets."""
    headers = exchange.response_headers
    parsed = (parse_set_cookie(v) for k, v in headers if k.lower() == "set-cookie")
    return [c for c in parsed if c is not None]


@dataclass(slots=True)
class Cookies:
    """The cookies of one browser-like session, kept by hand."""

    values: dict[str, str] = field(default_factory=dict)
    """Name → value."""
    last_set: dict[str, SetCookie] = field(default_factory=dict)
    """Name → the last ``Set-Cookie`` received for it (attributes for MG407)."""

    def update(self, exchange: Exchange) -> list[SetCookie]:
        """Take the response's ``Set-Cookie`` headers; return them."""
        received = set_cookies(exchange)
        for cookie in received:
            self.last_set[cookie.name] = cookie
            if cookie.deleted:
                self.values.pop(cookie.name, None)
            else:
                self.values[cookie.name] = cookie.value
        return received

    def header(self) -> dict[str, str]:
        """The ``Cookie`` request header (empty when there is no cookie)."""
        if not self.values:
            return {}
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.values.items())}

    def copy(self) -> Cookies:
        """An independent copy."""
        return Cookies(dict(self.values), dict(self.last_set))

    def csrf(self) -> str | None:
        """The CSRF cookie's value (Django's ``csrftoken``, or any cookie named like CSRF)."""
        for name, value in self.values.items():
            if _CSRF_NAME.search(name):
                return value
        return None


def session_cookie_name(cookies: dict[str, str], preferred: str | None) -> str | None:
    """The session cookie among ``cookies``.

    ``preferred`` if given, else one named like a session, else the only non-CSRF one.
    """
    if preferred is not None:
        return preferred if preferred in cookies else None
    named = [n for n in cookies if _SESSION_NAME.search(n) and not _CSRF_NAME.search(n)]
    if named:
        return named[0]
    others = [n for n in cookies if not _CSRF_NAME.search(n)]
    return others[0] if len(others) == 1 else None


@dataclass(frozen=True, slots=True)
class LoginAttempt:
    """One sign-in request and what the probe made of it."""

    exchange: Exchange
    """The POST."""
    outcome: Outcome
    """accepted, rejected (wrong password), refused (throttled, locked) or failed."""
    set_cookies: tuple[SetCookie, ...] = ()
    """Cookies its response set."""


class SignIn:
    """Posts the sign-in of one :class:`LoginSettings` as one identity."""

    def __init__(self, client: ProbeClient, settings: LoginSettings, identity: Identity) -> None:
        """Sign in through ``client`` as ``identity`` (its certificate; no auth header)."""
        self.client = client
        self.settings = settings
        self.identity = Identity(identity.label, identity.cert, identity.key)
        self.format: Literal["form", "json"] | None = (
            None if settings.login_format == "auto" else settings.login_format
        )
        self._origin = "{0.scheme}://{0.netloc}".format(urlsplit(client.base_url))
        self.sent: list[Exchange] = []
        """Every exchange this sign-in sent, in order (for the run's error report)."""

    @property
    def login_path(self) -> str:
        """The sign-in URL's path."""
        return urlsplit(self.client.url(self.settings.login_url)).path

    async def open_page(self, cookies: Cookies) -> tuple[Exchange, str | None]:
        """GET the sign-in page (cookies updated); return it and its CSRF form token."""
        page = await self.client.send(
            self.identity, "GET", self.settings.login_url, cookies.header()
        )
        self.sent.append(page)
        cookies.update(page)
        content_type = (page.header("Content-Type") or "").lower()
        if self.format is None:
            self.format = "form" if "html" in content_type else "json"
        text = page.body.decode("utf-8", "replace")
        match = _CSRF_FIELD.search(text)
        value = _VALUE.search(match.group(0)) if match else None
        return page, value.group(1) if value else None

    async def submit(
        self, cookies: Cookies, password: str, *, form_token: str | None = None
    ) -> LoginAttempt:
        """POST the sign-in with ``password`` (cookies updated from the answer)."""
        settings = self.settings
        fields = {settings.username_field: settings.username, settings.password_field: password}
        headers = {
            **cookies.header(),
            "Origin": self._origin,
            "Referer": self.client.url(settings.login_url),
        }
        csrf = cookies.csrf()
        if csrf:
            headers["X-CSRFToken"] = csrf
        if self.format == "form":
            if form_token or csrf:
                fields["csrfmiddlewaretoken"] = form_token or csrf or ""
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = urlencode(fields).encode()
        else:
            headers["Content-Type"] = "application/json"
            headers["Accept"] = "application/json"
            body = json.dumps(fields).encode()
        got = await self.client.send(self.identity, "POST", settings.login_url, headers, body)
        self.sent.append(got)
        received = tuple(cookies.update(got))
        return LoginAttempt(got, self._outcome(got), received)

    def _outcome(self, got: Exchange) -> Outcome:
        if got.status is None:
            return "failed"
        if got.status in (423, 429) or got.status >= 500:
            return "refused"
        if 300 <= got.status < 400:
            location = got.header("Location") or ""
            target = urlsplit(urljoin(got.url, location)).path
            return "rejected" if target.rstrip("/") == self.login_path.rstrip("/") else "accepted"
        if 200 <= got.status < 300:
            if self.format == "form":
                text = got.body.decode("utf-8", "replace")
                return "rejected" if _PASSWORD_INPUT.search(text) else "accepted"
            return "accepted"
        return "rejected"

    async def sign_in(self, cookies: Cookies, password: str | None = None) -> LoginAttempt:
        """Open the page, then post the real password (or ``password``)."""
        _, token = await self.open_page(cookies)
        real = self.settings.password if password is None else password
        return await self.submit(cookies, real, form_token=token)

    async def post_with_session(self, url: str, cookies: Cookies) -> Exchange:
        """POST ``url`` (the sign-out) with the session's cookies and CSRF token."""
        headers = {**cookies.header(), "Origin": self._origin, "Referer": self.client.url(url)}
        csrf = cookies.csrf()
        if csrf:
            headers["X-CSRFToken"] = csrf
        got = await self.client.send(self.identity, "POST", url, headers, b"")
        self.sent.append(got)
        cookies.update(got)
        return got

    async def get_with(self, url: str, cookies: Cookies | None) -> Exchange:
        """GET ``url`` with ``cookies`` (``None``: none)."""
        headers = cookies.header() if cookies is not None else {}
        got = await self.client.send(self.identity, "GET", url, headers)
        self.sent.append(got)
        return got
