"""MG201 — Password validation missing or weak (CWE-521).

**What.** ``AUTH_PASSWORD_VALIDATORS`` is empty, absent (Django's default is an empty list) in a
project that uses ``django.contrib.auth``, or has no ``MinimumLengthValidator`` / sets its
``min_length`` below 8. Any validator configured with ``OPTIONS`` ``min_length`` counts as a
length validator (a project's own ``PasswordLengthValidator``); a project validator without
that option is reported with low confidence, since its minimum is code the scan cannot see.
When the settings module (or one it star-imports) hands its ``globals()`` to a call
(``SettingNamespace(globals()).update_globals()``, ``globals().update(...)``), an unassigned
``AUTH_PASSWORD_VALIDATORS`` is unknown rather than unset: reported as info, low confidence.
When ``AUTHENTICATION_BACKENDS`` names only backends that take no password (OpenID Connect,
SAML, CAS, an OAuth client, a project backend whose ``authenticate()`` has no ``password``),
the finding is info: there is no password to validate.

**Why.** Weak password requirements (CWE-521): users can choose ``1234``; behind mTLS, the
password is often the only thing separating one certificate holder from another user's account.

**Vulnerable**::

    AUTH_PASSWORD_VALIDATORS = []

**Fix**::

    AUTH_PASSWORD_VALIDATORS = [
        {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
        {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
         "OPTIONS": {"min_length": 12}},
        {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
        {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    ]
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from mtlsguard.findings.model import Confidence, Finding, Severity
from mtlsguard.findings.registry import Rule, RuleOption, rule
from mtlsguard.scan.analysis.password_backends import passwordless_backends
from mtlsguard.scan.context import RuleContext
from mtlsguard.scan.project_model import Const, Mapping, Seq, Unknown
from mtlsguard.scan.rules._common import number, test_suite_settings

RULE_ID = "MG201"
_MIN_LENGTH = RuleOption(
    "min-length", 8, "MinimumLengthValidator min_length below this is reported"
)
_FIX = (
    "Set AUTH_PASSWORD_VALIDATORS to Django's four validators with MinimumLengthValidator "
    "OPTIONS {'min_length': 12}."
)


@rule(
    RULE_ID,
    title="Password validation missing or weak",
    cwe="CWE-521",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    options=(_MIN_LENGTH,),
)
def check(ctx: RuleContext, meta: Rule) -> Iterator[Finding]:
    """Check ``AUTH_PASSWORD_VALIDATORS`` (informational in a test suite's settings)."""
    backends = passwordless_backends(
        ctx.project, ctx.setting("AUTHENTICATION_BACKENDS"), ctx.sources(), ctx.routes
    )
    for finding in test_suite_settings(ctx, _check(ctx, meta)):
        if backends and finding.severity > Severity.INFO:
            finding = replace(
                finding,
                severity=Severity.INFO,
                evidence=(
                    f"{finding.evidence}; but no backend in AUTHENTICATION_BACKENDS checks a "
                    f"password ({', '.join(backends)}): sign-in goes through an identity "
                    "provider or a token, so there is no password to validate (informational; "
                    "it matters again if ModelBackend is added)"
                ),
            )
        yield finding


def _check(ctx: RuleContext, meta: Rule) -> Iterator[Finding]:
    minimum = meta.option(_MIN_LENGTH.name, int)
    if ctx.project.settings is None:
        return
    apps = ctx.setting("INSTALLED_APPS")
    # INSTALLED_APPS changed at run time (handed to a function) may well hold django.contrib.auth
    if not ctx.installed("django.contrib.auth") and not (
        apps is not None and isinstance(apps.value, Unknown)
    ):
        return
    setting = ctx.setting("AUTH_PASSWORD_VALIDATORS")
    injected = ctx.project.settings.injected_by
    if setting is None and injected:
        # The namespace is handed to code the scan does not run: "not set" would be a guess.
        yield meta.finding(
            location=ctx.settings_location(),
            evidence=(
                "AUTH_PASSWORD_VALIDATORS is not assigned in the settings source, but "
                f"{injected[0]} hands the settings module's globals() to code that can set it "
                "at run time: whether password validation is configured is unknown (check the "
                "running configuration, e.g. with manage.py mtlsguard)"
            ),
            remediation=_FIX,
            severity=Severity.INFO,
            confidence=Confidence.LOW,
        )
        return
    if setting is None:
        yield meta.finding(
            location=ctx.settings_location(),
            evidence="AUTH_PASSWORD_VALIDATORS is not set (Django's default is no validation)",
            remediation=_FIX,
        )
        return
    confidence = Confidence.MEDIUM if setting.conditional else Confidence.HIGH
    value = setting.value
    if not isinstance(value, Seq):
        return
    if not value.items:
        yield meta.finding(
            location=setting.location,
            evidence="AUTH_PASSWORD_VALIDATORS = [] (any password is accepted)",
            remediation=_FIX,
            confidence=confidence,
        )
        return
    local: list[str] = []
    for item in value.items:
        if not isinstance(item, Mapping):
            return  # built dynamically: cannot judge
        name = item.get("NAME")
        if not (isinstance(name, Const) and isinstance(name.value, str)):
            return
        options = item.get("OPTIONS")
        length = options.get("min_length") if isinstance(options, Mapping) else None
        django_length = name.value.endswith("MinimumLengthValidator")
        if django_length or length is not None:
            # Django's validator, or any validator told its minimum (label-studio's own
            # users.validators.PasswordLengthValidator with OPTIONS min_length).
            size = number(length) if length is not None else 8.0
            if size is not None and size < minimum:
                yield meta.finding(
                    location=setting.location,
                    evidence=f"{name.value} min_length = {size:g} (< {minimum})",
                    remediation=_FIX,
                    confidence=confidence,
                )
            return
        if not name.value.startswith("django."):
            local.append(name.value)
    if local:
        # A project validator may enforce a length we cannot see (its default is code).
        yield meta.finding(
            location=setting.location,
            evidence=(
                "AUTH_PASSWORD_VALIDATORS has no MinimumLengthValidator and no min_length "
                f"option; whether {', '.join(local)} enforces a minimum length is not visible "
                "statically"
            ),
            remediation=_FIX,
            confidence=Confidence.LOW,
        )
        return
    yield meta.finding(
        location=setting.location,
        evidence="AUTH_PASSWORD_VALIDATORS has no MinimumLengthValidator",
        remediation=_FIX,
        confidence=confidence,
    )
