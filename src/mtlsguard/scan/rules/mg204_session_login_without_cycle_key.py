"""MG204 — Manual session login without rotating the session key (CWE-384).

**What.** Code that checks a password (``authenticate()``/``check_password()``) and then marks
the session as logged in by hand (``request.session["user_id"] = user.pk``) without calling
``request.session.cycle_key()`` (or ``flush()``), and without Django's ``login()``, which
rotates the key itself. Assigning only ``request.user`` (a per-request login, such as HTTP Basic
authentication) stores nothing in the session and is not reported. Neither is an
``authenticate()`` of an authentication backend (a class named ``*Backend`` or built on Django's
backends) or a module-level replacement of ``django.contrib.auth.authenticate``: it checks
credentials for a login view whose ``login()`` rotates the key after it, keeping what the
backend stored (a second-factor flag). A view's own ``authenticate()`` method is the login and
stays reported; so do ``request.session.update(...)``/``setdefault(...)`` and writes through a
local ``session`` alias.

**Why.** Session fixation (CWE-384): an attacker who planted a session id before login shares
the victim's authenticated session afterwards.

**Vulnerable**::

    def login_view(request):
        user = authenticate(request, username=..., password=...)
        if user is not None:
            request.session["user_id"] = user.pk
            return redirect("home")

**Fix**::

    def login_view(request):
        user = authenticate(request, username=..., password=...)
        if user is not None:
            login(request, user)      # rotates the session key
            return redirect("home")
"""

from __future__ import annotations

from collections.abc import Iterator

from mtlsguard.findings.model import Confidence, Finding, Severity
from mtlsguard.findings.registry import Rule, rule
from mtlsguard.scan.context import RuleContext
from mtlsguard.scan.project_model import FunctionModel

RULE_ID = "MG204"


@rule(
    RULE_ID,
    title="Manual session login without cycle_key()",
    cwe="CWE-384",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
)
def check(ctx: RuleContext, meta: Rule) -> Iterator[Finding]:
    """Report functions that authenticate and write the session without rotating its key."""
    for func in list(ctx.project.functions.values()):
        if (
            not func.may_mention("session")
            or not (func.may_mention("authenticate") or func.may_mention("check_password"))
            or not func.may_authenticate()
        ):
            continue
        facts = func.facts
        if not (facts.authenticates and facts.writes_session) or facts.cycles_session:
            continue
        if _backend_authenticate(ctx, func) or _helper_logs_in(ctx, func, 0):
            continue
        view_kind = "function"
        yield meta.finding(
            location=func.location,
            view=func.qualname,
            view_kind=view_kind,
            evidence=f"{func.qualname} checks a password and writes request.session without "
            "cycle_key() or login()",
            remediation="Call django.contrib.auth.login(request, user) (it rotates the session "
            "key), or request.session.cycle_key() before storing the user in the session.",
        )


_MAX_DEPTH = 2
_BACKENDS = frozenset(
    {"BaseBackend", "ModelBackend", "RemoteUserBackend", "AllowAllUsersModelBackend"}
)


def _backend_authenticate(ctx: RuleContext, func: FunctionModel) -> bool:
    """An authentication backend's ``authenticate()``, or a module-level ``authenticate()``.

    Django calls a backend from ``django.contrib.auth.authenticate()`` for a login view whose
    ``login()`` rotates the key afterwards. A view's own method named ``authenticate`` (called
    from its ``post()``) is the login itself and stays reported.
    """
    owner, _, name = func.qualname.rpartition(".")
    if name != "authenticate":
        return False
    cls = ctx.project.class_named(owner)
    if cls is None:
        return True  # a module-level function: a replacement of django's authenticate()
    shorts = {entry.rsplit(".", 1)[-1] for entry in cls.mro}
    return bool(shorts & _BACKENDS) or cls.qualname.endswith("Backend")


def _helper_logs_in(ctx: RuleContext, func: FunctionModel, depth: int) -> bool:
    """A project function ``func`` calls completes the login with ``login()``/``cycle_key()``.

    ``return _check_2fa(request, user)``, which calls ``auth_login(request, user)`` (or first
    sends the user to a second factor, writing only a pre-login marker to the session).
    """
    for name in func.facts.calls:
        callee = None if name.startswith(".") else ctx.project.function_named(name, parse=False)
        if callee is None or callee is func:
            continue
        if callee.facts.cycles_session or (
            depth < _MAX_DEPTH and _helper_logs_in(ctx, callee, depth + 1)
        ):
            return True
    return False
