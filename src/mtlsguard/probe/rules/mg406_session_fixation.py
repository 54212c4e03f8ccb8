"""MG406 — Session id not rotated at sign-in: session fixation (CWE-384).

**What.** With ``--credential-probes`` and a sign-in, the probe takes a session id the server
issued before the sign-in (the sign-in page's session; when the server issues none, an id the
probe made up, under the cookie name a first sign-in showed), signs in presenting it, and
compares. The finding is confirmed when the sign-in succeeds and the session id afterwards is
the one presented: set again by the server, or, when it sets no new cookie, shown signed in
by ``--session-url`` (without that page: medium confidence).

**Why.** Session fixation (CWE-384): whoever planted that session id in the victim's browser
(a subdomain cookie, a shared machine, a URL) is signed in as the victim once the victim signs
in.

**Vulnerable**::

    user = authenticate(request, username=..., password=...)
    request.session[SESSION_KEY] = str(user.pk)   # the pre-login session, now signed in

**Fix.** Sign in with ``django.contrib.auth.login(request, user)``, which rotates the session
key, or call ``request.session.cycle_key()`` before storing the user.
"""

from __future__ import annotations

from mtlsguard.findings.model import Severity
from mtlsguard.probe.rules import Category, probe_rule

RULE = probe_rule(
    __name__,
    "MG406",
    title="Session id not rotated at sign-in (session fixation)",
    cwe="CWE-384",
    severity=Severity.HIGH,
    category=Category.SESSION,
)
