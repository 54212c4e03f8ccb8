"""Opt-in phase MG405-MG407: the sign-in's session fixation, session cookie and brute force.

Runs with ``credential_probes`` and a :class:`~mtlsguard.probe.config.LoginSettings`, and
needs no observation. :mod:`.session` signs in (cookies, CSRF, form or JSON);
:mod:`.probes` holds the three probes and their order.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlsplit

from mtlsguard.probe.discovery import match_template
from mtlsguard.probe.phases import Need, Outcome, RunState, phase
from mtlsguard.probe.phases.signin.probes import signin_probes
from mtlsguard.probe.rules.mg405_login_bruteforce import RULE as MG405
from mtlsguard.probe.rules.mg406_session_fixation import RULE as MG406
from mtlsguard.probe.rules.mg407_session_cookie import RULE as MG407

__all__ = ["probe_sign_in"]


@phase("sign-in", rules=[MG405, MG406, MG407], needs=[Need.CREDENTIAL_PROBES, Need.SIGN_IN])
async def probe_sign_in(state: RunState) -> Outcome:
    """MG406, MG407 and MG405 against the configured sign-in."""
    config, client = state.config, state.client
    login = config.login
    assert login is not None  # Need.SIGN_IN
    # The view of the sign-in route, for the findings: from the routes discovery found.
    known: dict[str, str] = {**config.views}
    for endpoint in state.endpoints:
        if endpoint.view:
            known[endpoint.template] = endpoint.view
    login_route = match_template(urlsplit(client.url(login.login_url)).path, known)
    report = await signin_probes(
        client,
        login,
        config.identity,
        known.get(login_route or ""),
        selection=config.selection,
    )
    for exchange in report.exchanges:
        # A sign-in answers its POST with a redirect: that is its answer, not an error.
        state.record(replace(exchange, note="") if exchange.method == "POST" else exchange)
    return Outcome(tuple(report.findings), tuple(report.notes), frozenset(report.tested))
