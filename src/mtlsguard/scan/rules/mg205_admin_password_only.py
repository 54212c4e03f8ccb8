"""MG205 — Django admin protected by a password alone (CWE-309).

**What.** ``admin.site.urls`` is routed and no second factor is installed (``django_otp``,
``two_factor``, ``allauth.mfa``, ``trench``, ``django_mfa``…). Informational.

**Why.** Use of a password system for primary authentication (CWE-309): the admin is the most
privileged area; behind mTLS any certificate holder can try staff passwords there.

**Vulnerable**::

    urlpatterns = [path("admin/", admin.site.urls)]

**Fix**::

    from django_otp.admin import OTPAdminSite
    admin.site.__class__ = OTPAdminSite   # and "django_otp" in INSTALLED_APPS

or restrict the admin to a separate, staff-only certificate profile at the proxy.
"""

from __future__ import annotations

from collections.abc import Iterator

from mtlsguard.findings.model import Confidence, Finding, Severity
from mtlsguard.findings.registry import Rule, RuleOption, rule
from mtlsguard.scan.context import RuleContext

RULE_ID = "MG205"
_MFA_APPS = RuleOption(
    "mfa-apps",
    ("django_otp", "two_factor", "allauth.mfa", "trench", "django_mfa", "mfa", "otp_"),
    "INSTALLED_APPS prefixes that count as a second factor for the admin",
)


@rule(
    RULE_ID,
    title="Django admin protected by a password alone",
    cwe="CWE-309",
    severity=Severity.INFO,
    confidence=Confidence.MEDIUM,
    options=(_MFA_APPS,),
)
def check(ctx: RuleContext, meta: Rule) -> Iterator[Finding]:
    """Report the admin route when no second-factor app is installed."""
    if any(ctx.installed(app) for app in meta.option(_MFA_APPS.name, tuple)):
        return
    mounts: set[object] = set()
    for analysis in ctx.routes:
        if analysis.framework != "admin":
            continue
        if analysis.route.declared_at in mounts:
            continue  # one admin site, many admin views: reported once, at its first route
        mounts.add(analysis.route.declared_at)
        yield meta.finding(
            location=analysis.route.declared_at,
            route=analysis.route.pattern,
            view=analysis.view,
            view_kind="type",
            evidence=f"admin.site.urls at /{analysis.route.pattern} with no OTP/MFA app installed",
            remediation="Add a second factor to the admin (django-otp's OTPAdminSite or "
            "django-two-factor-auth) or restrict it to staff certificates at the proxy.",
        )
