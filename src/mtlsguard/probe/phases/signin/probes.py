"""The sign-in probes: MG406 session fixation, MG407 session cookie, MG405 brute force.

Run only with ``credential_probes`` and :class:`~mtlsguard.probe.config.LoginSettings`;
POSTs go only to the sign-in and sign-out URLs. Order matters: the probes that need a working
sign-in (MG406, MG407) run first, the wrong passwords (MG405) last, since a throttle or a
lockout they trigger may refuse the real password for a while afterwards -- the run says so.
A probe whose rule the selection does not allow is not run (MG407 still signs in through
the MG406 flow, whose own check is then left out).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Final

from mtlsguard.findings.model import Confidence, Finding
from mtlsguard.findings.registry import EVERY_RULE, Rule, RuleSelection
from mtlsguard.probe.client import Exchange, ProbeClient
from mtlsguard.probe.compare import same_content
from mtlsguard.probe.config import Identity, LoginSettings
from mtlsguard.probe.phases.signin.session import Cookies, LoginAttempt, SignIn, session_cookie_name
from mtlsguard.probe.redact import web_request, web_response
from mtlsguard.probe.rules import Category, probe_finding
from mtlsguard.probe.rules.mg405_login_bruteforce import RULE as MG405
from mtlsguard.probe.rules.mg406_session_fixation import RULE as MG406
from mtlsguard.probe.rules.mg407_session_cookie import RULE as MG407

__all__ = ["SignInReport", "signin_probes"]

_LOCKOUT_WORDS: Final = re.compile(
    r"locked|lockout|too many|try again (later|in)|rate limit|throttl|blocked", re.I
)
_SLOWER: Final = 3.0
"""An answer this many times slower than the first wrong password's (plus a second) counts
as a growing delay."""


@dataclass(slots=True)
class SignInReport:
    """What the sign-in probes found, sent and noticed."""

    findings: list[Finding] = field(default_factory=list)
    """MG405-MG407 findings."""
    exchanges: list[Exchange] = field(default_factory=list)
    """Every exchange sent."""
    notes: list[str] = field(default_factory=list)
    """What was not decided, and lockouts the run caused."""
    tested: set[Category] = field(default_factory=set)
    """Categories decided (Session, Rate limiting)."""


def _duration(seconds: float) -> str:
    if seconds >= 86400:
        return f"{seconds / 86400:g} days"
    if seconds >= 3600:
        return f"{seconds / 3600:g} h"
    return f"{seconds:g} s"


@dataclass
class _Probes:
    flow: SignIn
    settings: LoginSettings
    view: str | None
    tls: bool
    report: SignInReport
    selection: RuleSelection = EVERY_RULE
    signed_in_once: bool = False

    @property
    def route(self) -> str:
        return self.flow.login_path

    @property
    def who(self) -> str:
        return repr(self.settings.username)

    def _find(
        self,
        rule: Rule,
        evidence: str,
        remediation: str,
        shown: Exchange,
        confidence: Confidence | None = None,
    ) -> None:
        self.report.findings.append(
            probe_finding(
                rule,
                route=self.route,
                view=self.view,
                methods=("POST",),
                confidence=confidence,
                evidence=evidence,
                remediation=remediation,
                web_request=web_request(shown),
                web_response=web_response(shown),
            )
        )

    async def fixation(self) -> tuple[Cookies, LoginAttempt, str] | None:
        """MG406; return the signed-in session for MG407 (``None`` when sign-in failed)."""
        settings, flow = self.settings, self.flow
        cookies = Cookies()
        _, token = await flow.open_page(cookies)
        name = session_cookie_name(cookies.values, settings.session_cookie)
        issued = "before sign-in (by the sign-in page)"
        if name is None:
            # No session before sign-in: learn the cookie's name from one sign-in, then plant
            # an id of the probe's choosing (an earlier sign-in's id would not do: Django keeps
            # the key when the same user signs in again on a signed-in session).
            first = await flow.submit(cookies, settings.password, form_token=token)
            if not self._signed_in(first):
                return None
            name = session_cookie_name(cookies.values, settings.session_cookie)
            if name is None:
                self.report.notes.append(
                    f"sign-in at {self.route} set no session cookie (a token sign-in?): "
                    "MG406 and MG407 not tested"
                )
                return None
            planted = "mtlsguardfixation" + secrets.token_hex(8)
            cookies = Cookies({**cookies.values, name: planted}, dict(cookies.last_set))
            _, token = await flow.open_page(cookies)
            issued = "chosen by the probe (the server issued none before sign-in)"
        presented = cookies.values[name]
        attempt = await flow.submit(cookies, settings.password, form_token=token)
        if not self._signed_in(attempt):
            return None
        self.report.tested.add(Category.SESSION)
        if cookies.values.get(name) == presented and self.selection.allows(MG406.rule_id):
            await self._fixed(cookies, attempt, name, issued)
        return cookies, attempt, name

    async def _fixed(self, cookies: Cookies, attempt: LoginAttempt, name: str, issued: str) -> None:
        """MG406 for a session id that stayed the same across a successful sign-in.

        The server set the same id again: confirmed. It set none: confirmed when
        ``session_url`` shows the presented id signed in, medium confidence without one.
        """
        resent = any(c.name == name for c in attempt.set_cookies)
        confidence = Confidence.HIGH
        how = "set again unchanged" if resent else "no new session cookie"
        session_url = self.settings.session_url
        if not resent and session_url:
            live = await self.flow.get_with(session_url, cookies)
            without = await self.flow.get_with(session_url, None)
            if not live.has_data or same_content(live, without):
                self.report.notes.append(
                    f"sign-in set no new {name!r} cookie, but {session_url} does not show the "
                    "presented id signed in: MG406 not confirmed"
                )
                return
            how += f"; {session_url} answers it as signed in ({live.status})"
        elif not resent:
            confidence = Confidence.MEDIUM
            how += "; give --session-url to confirm it is signed in"
        self._find(
            MG406,
            f"the session cookie {name!r}, issued {issued}, was presented at "
            f"POST {self.route}; the sign-in as {self.who} succeeded "
            f"({attempt.exchange.status}) and the session id stayed the same ({how})",
            "Sign in with django.contrib.auth.login(request, user) (it rotates the session key) "
            "or call request.session.cycle_key() first.",
            attempt.exchange,
            confidence,
        )

    def _signed_in(self, attempt: LoginAttempt) -> bool:
        if attempt.outcome == "accepted":
            self.signed_in_once = True
            return True
        got = attempt.exchange
        shown = got.failure or f"{got.status} {got.reason}".strip()
        self.report.notes.append(
            f"sign-in as {self.who} at {self.route} did not succeed ({attempt.outcome}: {shown}); "
            "MG406 and MG407 not tested (check --login-url, --username, the password, "
            "--login-format)"
        )
        return False

    async def cookie(self, cookies: Cookies, attempt: LoginAttempt, name: str) -> None:
        """MG407 from the session cookie's attributes and a sign-out replay."""
        settings = self.settings
        problems: list[str] = []
        evidence = attempt.exchange
        cookie = cookies.last_set.get(name)
        if cookie is not None:
            attributes = cookie.attributes
            lifetime = cookie.lifetime()
            if lifetime is not None and lifetime > settings.max_session_age:
                problems.append(
                    f"lives {_duration(round(lifetime))} (Max-Age/Expires), more than "
                    f"{_duration(settings.max_session_age)}"
                )
            if self.tls and "secure" not in attributes:
                problems.append("no Secure: the browser also sends it over plain http")
            if "httponly" not in attributes:
                problems.append("no HttpOnly: scripts can read it")
            samesite = attributes.get("samesite", "")
            if samesite.lower() in {"", "none"}:
                problems.append(f"SameSite={samesite}" if samesite else "no SameSite")
        if settings.logout_url and settings.session_url:
            replay = await self._logout_replay(cookies)
            if replay is not None:
                problems.append(
                    f"after POST {settings.logout_url} the old session cookie still opens "
                    f"{settings.session_url} ({replay.status}, the same data): sign-out does "
                    "not end the session on the server"
                )
                evidence = replay
        elif settings.logout_url:
            self.report.notes.append(
                "--logout-url without --session-url: whether sign-out ends the session was "
                "not checked (name a page that needs the session)"
            )
        if problems:
            self._find(
                MG407,
                f"session cookie {name!r} set at sign-in: " + "; ".join(problems),
                "SESSION_COOKIE_AGE of a working day or less with "
                "SESSION_EXPIRE_AT_BROWSER_CLOSE = True, SESSION_COOKIE_SECURE = True, "
                "SESSION_COOKIE_HTTPONLY = True, SESSION_COOKIE_SAMESITE = 'Lax'; sign out "
                "with django.contrib.auth.logout().",
                evidence,
            )

    async def _logout_replay(self, cookies: Cookies) -> Exchange | None:
        """The replay that still got the session's data after sign-out, else ``None``."""
        settings, flow = self.settings, self.flow
        assert settings.logout_url is not None
        assert settings.session_url is not None
        live = await flow.get_with(settings.session_url, cookies)
        without = await flow.get_with(settings.session_url, None)
        if not live.has_data or same_content(live, without):
            self.report.notes.append(
                f"{settings.session_url} does not tell a signed-in session from none "
                f"({live.status} with it, {without.status} without): sign-out not checked"
            )
            return None
        old = cookies.copy()
        out = await flow.post_with_session(settings.logout_url, cookies)
        if out.status is None or out.status >= 400:
            self.report.notes.append(
                f"sign-out POST {settings.logout_url} failed "
                f"({out.failure or out.status}): sign-out not checked"
            )
            return None
        replay = await flow.get_with(settings.session_url, old)
        return replay if same_content(replay, live) else None

    async def bruteforce(self) -> None:
        """MG405: bounded wrong passwords, then the real one."""
        settings, flow = self.settings, self.flow
        cookies = Cookies()
        _, token = await flow.open_page(cookies)
        wrong = "mtlsguard-wrong-" + secrets.token_hex(8)
        attempts: list[LoginAttempt] = []
        refusal: str | None = None
        for number in range(settings.attempts):
            password = f"{wrong}-{number}"
            if password == settings.password:  # pragma: no cover - 64 random bits
                continue
            attempt = await flow.submit(cookies, password, form_token=token)
            if attempt.exchange.status is None:
                self.report.notes.append(
                    f"MG405 stopped after {number + 1} sign-in attempts: {attempt.exchange.failure}"
                )
                return
            attempts.append(attempt)
            if attempt.outcome == "accepted":
                self.report.notes.append(
                    f"a wrong password for {self.who} was answered like a successful sign-in "
                    f"({attempt.exchange.status}) at {self.route}: check --login-format; "
                    "MG405 not decided"
                )
                return
            refusal = self._refusal(attempt, attempts[0])
            if refusal is not None:
                break
        self.report.tested.add(Category.RATE_LIMITING)
        real = await flow.sign_in(Cookies())
        sent = len(attempts)
        if refusal is not None:
            if real.outcome == "accepted":
                self.report.notes.append(
                    f"sign-in throttled after {sent} wrong password(s) ({refusal}); the real "
                    "password still signs in"
                )
            else:
                self.report.notes.append(
                    f"sign-in throttled after {sent} wrong password(s) ({refusal}); the real "
                    f"sign-in as {self.who} is refused as well for now "
                    f"({self._status(real.exchange)}): the account or this address is locked "
                    "until the throttle's window ends"
                )
            return
        if real.outcome != "accepted" and not self.signed_in_once:
            self.report.tested.discard(Category.RATE_LIMITING)
            self.report.notes.append(
                f"MG405 not decided: the real password never signed in as {self.who} in this "
                f"run ({self._status(real.exchange)}), so refusals cannot be told from wrong "
                "passwords (check --login-url, --login-format and the password)"
            )
            return
        if real.outcome != "accepted":
            self.report.notes.append(
                f"none of {sent} wrong passwords was refused, but the real sign-in as "
                f"{self.who} now fails ({self._status(real.exchange)}): the account is locked "
                "without telling (a silent lockout); unlock it if needed"
            )
            return
        statuses = sorted({a.exchange.status for a in attempts if a.exchange.status})
        self._find(
            MG405,
            f"{sent} wrong passwords for {self.who} at POST {self.route} were all "
            f"answered {', '.join(map(str, statuses))} with no refusal, lockout or delay "
            f"(slowest {max(a.exchange.elapsed for a in attempts):.2f}s); the real "
            f"password signed in right after ({real.exchange.status})",
            "Throttle the sign-in (DRF ScopedRateThrottle at 5/min, django-ratelimit, or "
            "django-axes lockout) and answer 429 with Retry-After.",
            attempts[-1].exchange,
        )

    @staticmethod
    def _status(exchange: Exchange) -> str:
        text = exchange.failure or str(exchange.status)
        retry = exchange.header("Retry-After")
        return f"{text}, Retry-After: {retry}" if retry else text

    @staticmethod
    def _refusal(attempt: LoginAttempt, first: LoginAttempt) -> str | None:
        """Why ``attempt`` counts as throttled or locked, or ``None``."""
        got, base = attempt.exchange, first.exchange
        if attempt.outcome == "refused":
            return _Probes._status(got)
        if "Retry-After" in got.note:
            return f"{got.status} after waiting for Retry-After"
        if got.status == 403 and base.status != 403:
            return "403 where the first wrong password got " + str(base.status)
        text = got.body.decode("utf-8", "replace")
        if _LOCKOUT_WORDS.search(text) and not _LOCKOUT_WORDS.search(
            base.body.decode("utf-8", "replace")
        ):
            return f"{got.status} with a lockout message"
        if attempt is not first and got.elapsed > _SLOWER * base.elapsed + 1.0:
            return f"answer slowed from {base.elapsed:.2f}s to {got.elapsed:.2f}s"
        return None


async def signin_probes(
    client: ProbeClient,
    settings: LoginSettings,
    identity: Identity,
    view: str | None,
    *,
    selection: RuleSelection = EVERY_RULE,
) -> SignInReport:
    """MG406, MG407 and MG405 (those ``selection`` allows) against one sign-in, as ``identity``."""
    report = SignInReport()
    flow = SignIn(client, settings, identity)
    tls = client.base_url.startswith("https:")
    probes = _Probes(flow, settings, view, tls, report, selection)
    session = None
    if selection.allows(MG406.rule_id) or selection.allows(MG407.rule_id):
        session = await probes.fixation()
    if session is not None and selection.allows(MG407.rule_id):
        await probes.cookie(*session)
    if selection.allows(MG405.rule_id):
        await probes.bruteforce()
    report.exchanges = list(flow.sent)
    return report
