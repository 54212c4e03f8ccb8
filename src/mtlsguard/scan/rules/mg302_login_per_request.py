"""MG302 — Middleware calls ``login()`` on every request from a header (CWE-384).

**What.** Middleware whose request hook (``__call__``, ``process_request``, ``process_view``)
calls ``django.contrib.auth.login()`` based on a request header such as a forwarded client
certificate.

**Why.** Session fixation and session confusion (CWE-384): each request rotates and rewrites the
session, creates a session row, and a session cookie minted from a forged header keeps the
identity afterwards even when the header is gone. DRF's ``RemoteUserAuthentication`` shows the
right pattern: authenticate each request and never call ``login()``.

**Vulnerable**::

    class CertLoginMiddleware(MiddlewareMixin):
        def process_request(self, request):
            user = authenticate(request, dn=request.META["HTTP_X_SSL_CLIENT_S_DN"])
            login(request, user)

**Fix**: set ``request.user`` for the request only (``request.user = user``) from a verified
certificate, or use ``mtlsguard.django``'s middleware, which never calls ``login()``.
"""

from __future__ import annotations

from collections.abc import Iterator

from mtlsguard.findings.model import Confidence, Finding, Severity
from mtlsguard.findings.registry import Rule, rule
from mtlsguard.scan.context import RuleContext
from mtlsguard.scan.knowledge import short_of
from mtlsguard.scan.project_model import ClassModel, Const, FunctionModel

RULE_ID = "MG302"
_HOOKS = ("__call__", "process_request", "process_view")


@rule(
    RULE_ID,
    title="Middleware calls login() on every request",
    cwe="CWE-384",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
)
def check(ctx: RuleContext, meta: Rule) -> Iterator[Finding]:
    """Report middleware whose request hooks call ``login()``."""
    for kind, cls in ctx.components():
        if kind != "middleware":
            continue
        for hook in _HOOKS:
            found = ctx.project.method(cls, hook)
            if found is None or not found[1].facts.calls_login:
                continue
            meth = found[1]
            if _logs_out_without_header(ctx, cls, meth):
                break
            source = ", ".join(meth.facts.cert_keys) or "request data"
            yield meta.finding(
                location=meth.location,
                view=cls.qualname,
                view_kind="type",
                evidence=f"{meth.qualname}() calls login() from {source} on every request",
                remediation=(
                    "Authenticate per request without login(): set request.user from the "
                    "verified certificate (mtlsguard.django middleware), as DRF's "
                    "RemoteUserAuthentication does."
                ),
            )
            break


def _logs_out_without_header(ctx: RuleContext, cls: ClassModel, meth: FunctionModel) -> bool:
    """The hook logs the user out when the header is gone: Django's ``RemoteUserMiddleware``.

    A session login is then only a cache of the header's identity: ``auth.logout(request)`` in
    the hook (the header missing, or naming another user), or Django's
    ``_remove_invalid_user()`` with ``force_logout_if_no_header = True`` (its default; NetBox's
    subclass sets it to False, and then the session outlives the header).
    """
    calls = {short_of(name) for name in meth.facts.calls}
    if "logout" in calls:
        return True
    if "_remove_invalid_user" not in calls:
        return False
    found = ctx.project.attribute(cls, "force_logout_if_no_header")
    return found is None or (isinstance(found[1], Const) and found[1].value is True)
