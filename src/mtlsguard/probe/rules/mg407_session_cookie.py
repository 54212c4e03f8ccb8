"""MG407 — Session cookie too long-lived, unprotected, or alive after sign-out (CWE-613).

**What.** With ``--credential-probes`` and a sign-in, the probe reads the ``Set-Cookie`` of the
session cookie and reports, in one finding per sign-in: a lifetime (``Max-Age``/``Expires``)
above ``--max-session-age`` (default 12 hours); no ``Secure`` over HTTPS; no ``HttpOnly``; no
``SameSite`` or ``SameSite=None``. With ``--logout-url`` and ``--session-url`` (a page that
needs the session) it also signs out and replays the old cookie: if the page still answers as
before, sign-out ended the session only in the browser.

**Why.** Insufficient session expiration (CWE-613; also CWE-614 and CWE-1004 for the
attributes): a copied or forgotten cookie stays a valid sign-in for days, over plain HTTP, to
scripts, or after the user signed out.

**Fix.** ``SESSION_COOKIE_AGE`` of a working day or less with
``SESSION_EXPIRE_AT_BROWSER_CLOSE = True``, ``SESSION_COOKIE_SECURE = True``,
``SESSION_COOKIE_HTTPONLY = True`` (the default), ``SESSION_COOKIE_SAMESITE = "Lax"``; sign
out with ``django.contrib.auth.logout()`` (``LogoutView``), which deletes the session on the
server.
"""

from __future__ import annotations

from mtlsguard.findings.model import Severity
from mtlsguard.probe.rules import Category, probe_rule

RULE = probe_rule(
    __name__,
    "MG407",
    title="Session cookie too long-lived, unprotected, or alive after sign-out",
    cwe="CWE-613",
    severity=Severity.MEDIUM,
    category=Category.SESSION,
    cwes=("CWE-614", "CWE-1004"),
)
