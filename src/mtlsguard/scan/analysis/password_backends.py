"""Whether any configured authentication backend checks a password.

Password validators (MG201) and login throttling (MG106) protect password sign-in. A deployment
whose ``AUTHENTICATION_BACKENDS`` names only single-sign-on backends (OpenID Connect, SAML, CAS,
an OAuth client such as cloud.gov's UAA) or a project backend whose ``authenticate()`` takes no
password has no password to validate or to guess: on the hand-reviewed real projects (getgov,
tock, adjutant) every such finding was false.

A backend checks passwords when it is Django's ``ModelBackend`` family (or a project subclass
that keeps its ``authenticate()``), when the project's own ``authenticate()`` takes a
``password``, reads one (``kwargs.get("password")``) or calls
``check_password()``/``super().authenticate()``, or when the scan cannot
tell (a package it does not know: ``django_auth_ldap``, ``allauth``). The answer is "yes" unless
every backend is known to take no password, and always "yes" when the setting is absent
(Django's default is ``ModelBackend``) or assigned conditionally.
"""

from __future__ import annotations

from collections.abc import Iterable

from mtlsguard.scan.analysis.exposure import view_functions
from mtlsguard.scan.analysis.route import RouteAnalysis
from mtlsguard.scan.analysis.sources import SourceFunctions
from mtlsguard.scan.knowledge import short_of
from mtlsguard.scan.project_model import Const, IfExpr, ProjectModel, Seq, SettingValue

__all__ = ["checks_password_itself", "passwordless_backends"]

_NO_PASSWORD = frozenset(
    {
        "django.contrib.auth.backends.RemoteUserBackend",
        "django.contrib.auth.backends.AllowAllUsersRemoteUserBackend",
    }
)
_SSO_PACKAGES = (
    "mozilla_django_oidc.",
    "djangosaml2.",
    "django_saml2_auth.",
    "django_cas_ng.",
    "social_core.",
    "social.backends.",
    "oauth2_provider.",
    "rest_framework_simplejwt.",
    "knox.",
    "helusers.",
    "sesame.",
    "django_auth_adfs.",
    "uaa_client.",
    "django_keycloak.",
    "okta_oauth2.",
)
"""Single-sign-on and token packages: their backends verify an identity provider's answer or a
token, never a password of this site."""
_PASSWORD_CALLS = frozenset({"check_password", "acheck_password", "authenticate"})


def passwordless_backends(
    project: ProjectModel,
    setting: SettingValue | None,
    sources: SourceFunctions,
    routes: Iterable[RouteAnalysis] = (),
) -> tuple[str, ...]:
    """The configured backends when none of them checks a password, else ``()``.

    Also ``()`` when a view of ``routes`` checks a password itself, past the backends
    (``user.check_password(request.data["password"])``).
    """
    if setting is None or setting.conditional:
        return ()
    names = _names(setting.value)
    if names is None or not all(_passwordless(project, sources, name) for name in names):
        return ()
    if any(checks_password_itself(project, analysis) for analysis in routes):
        return ()
    return tuple(names) or ("(none)",)


def checks_password_itself(project: ProjectModel, analysis: RouteAnalysis) -> bool:
    """The route's view calls ``check_password()`` itself (not through ``authenticate()``)."""
    return any(
        short_of(call) in ("check_password", "acheck_password")
        for func in view_functions(project, analysis)
        for call in func.facts.calls
    )


def _names(value: object) -> list[str] | None:
    """The dotted paths of a list of strings; None when an item is not a constant."""
    if not isinstance(value, Seq):
        return None
    names: list[str] = []
    for item in value.items:
        if isinstance(item, IfExpr) or not (
            isinstance(item, Const) and isinstance(item.value, str)
        ):
            return None
        names.append(item.value)
    return names


def _passwordless(project: ProjectModel, sources: SourceFunctions, name: str) -> bool:
    if short_of(name).endswith("ModelBackend"):
        return False  # helusers.auth.HelusersModelBackend: Django's, under another name
    if name in _NO_PASSWORD or name.startswith(_SSO_PACKAGES):
        return True
    cls = project.class_named(name)
    if cls is None:
        return False  # a package the scan does not know: it may check passwords
    found = project.method(cls, "authenticate")
    if found is None:
        # authenticate() comes from a base outside the project: SSO packages take none
        return not any(short_of(e).endswith("ModelBackend") for e in cls.mro) and any(
            e.startswith(_SSO_PACKAGES) or e in _NO_PASSWORD for e in cls.mro
        )
    method = found[1]
    if "password" in method.params:
        return False
    where = method.location  # authenticate(self, request, **kwargs): kwargs.get("password")
    if sources.mentions(where.path, where.line, ("password",)):
        return False
    return not any(short_of(call) in _PASSWORD_CALLS for call in method.facts.calls)
