"""``ClientCertificateBackend``: a verified client certificate -> a Django user.

Add ``"mtlsguard.django.backends.ClientCertificateBackend"`` to ``AUTHENTICATION_BACKENDS``.
The middleware calls ``authenticate(request, certificate=verified)`` with the
:class:`~mtlsguard.certs.VerifiedCertificate` of the request; anything else (an unverified
:class:`~mtlsguard.certs.ClientCertificate`, a string) never authenticates.

How the user is found is ``MTLSGUARD["IDENTITY"]["MAPPING"]``:

``binding`` (default)
    The :class:`~mtlsguard.django.models.CertificateBinding` with the certificate's SHA-256
    fingerprint, neither revoked nor expired.
``email``
    The first e-mail address of the certificate (SAN, then subject ``emailAddress``) against
    the user model's e-mail field, case-insensitively; exactly one user must match.
``spiffe`` / ``subject``
    A username taken from the SPIFFE ID / subject DN, through ``PRINCIPAL_REGEX`` (matched
    with ``fullmatch``; group 1; for ``subject`` the default is Spring Security's first-CN
    pattern), then :meth:`~ClientCertificateBackend.clean_username`. ``spiffe`` takes only
    X.509-SVIDs (exactly one URI SAN, a valid SPIFFE ID), and with
    ``IDENTITY["SPIFFE_TRUST_DOMAINS"]`` only IDs of a listed trust domain issued by a CA
    bound to it.

Whatever the mapping: inactive users never authenticate, and a certificate whose binding was
revoked, or that a CRL imported with ``mtlscert import-crl`` lists, never authenticates (so
revoking a binding or importing a CRL also works for the mapping modes).
"""

from __future__ import annotations

import inspect
import threading
from dataclasses import dataclass
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings as django_settings
from django.contrib import auth
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from mtlsguard.certs import ClientCertificate
from mtlsguard.certs.spiffe import issued_by, svid_id
from mtlsguard.django.binding_lookup import binding_queryset, find_binding
from mtlsguard.django.conf import IdentitySettings, get_settings
from mtlsguard.django.identity_cache import MISS, identity_cache
from mtlsguard.django.models import CertificateBinding, RevokedSerial
from mtlsguard.django.runtime import VerifiedCertificate

__all__ = ["ClientCertificateBackend", "authenticate_certificate"]

_backends_lock = threading.Lock()
_backends: tuple[tuple[type, str], ...] | None = None
_backends_generation = 0


def _certificate_backends() -> tuple[tuple[type, str], ...]:
    """The ``AUTHENTICATION_BACKENDS`` whose ``authenticate`` accepts ``certificate=``.

    Django's ``authenticate()`` imports every backend and computes ``inspect.signature`` of
    its ``authenticate`` on every call (~50 us, more than the rest of mtlsguard's warm
    path); the answer only changes with the setting, so it is worked out once and dropped
    when Django's ``setting_changed`` signal reports a new ``AUTHENTICATION_BACKENDS`` (as
    Django drops its own password hashers: ``override_settings`` and the test ``settings``
    fixtures send it; a running site does not change its settings).
    """
    global _backends
    cached = _backends
    if cached is not None:
        return cached
    generation = _backends_generation
    compatible = []
    for path in django_settings.AUTHENTICATION_BACKENDS:
        backend = auth.load_backend(path)
        try:
            inspect.signature(backend.authenticate).bind(None, certificate=None)
        except TypeError:
            continue  # does not take a certificate (Django skips it the same way)
        compatible.append((type(backend), path))
    found = tuple(compatible)
    with _backends_lock:
        if generation == _backends_generation:  # no change announced meanwhile
            _backends = found
    return found


@receiver(setting_changed, dispatch_uid="mtlsguard.django.backends.certificate_backends")
def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    global _backends, _backends_generation
    if setting == "AUTHENTICATION_BACKENDS":
        with _backends_lock:
            _backends_generation += 1
            _backends = None


def authenticate_certificate(request: HttpRequest | None, certificate: Any) -> Any:
    """Django's ``authenticate(request, certificate=...)`` without its per-call inspection.

    Same contract: backends in ``AUTHENTICATION_BACKENDS`` order, a fresh instance each,
    ``PermissionDenied`` stops the search, the first user returned gets ``user.backend``, and
    ``user_login_failed`` is sent when nobody answers.
    """
    backends = _certificate_backends()
    if (
        backends
        and backends[0][0] is ClientCertificateBackend
        and isinstance(certificate, VerifiedCertificate)
        and certificate.certificate.sha256 is not None
    ):
        # What the first backend answers from its cache, without building it (the hot path
        # of a repeated certificate): the same key, the same private copy, the same TTL.
        cached = identity_cache.get((ClientCertificateBackend, certificate.certificate.sha256))
        if cached is not MISS and cached is not None:
            cached.backend = backends[0][1]
            return cached
    for backend_class, path in backends:
        try:
            user = backend_class().authenticate(request, certificate=certificate)
        except PermissionDenied:
            break
        if user is None:
            continue
        user.backend = path
        return user
    user_login_failed.send(
        sender=auth.__name__, credentials={"certificate": certificate}, request=request
    )
    return None


@dataclass(frozen=True, slots=True)
class _Lookup:
    """A database lookup still to be made for ``cert`` (then cached under ``key``)."""

    cert: ClientCertificate
    identity: IdentitySettings
    key: tuple[type, str | None]
    generation: int
    """The identity cache's generation before the query (see :meth:`IdentityCache.put`)."""


class ClientCertificateBackend(ModelBackend):
    """Authenticate a request by its verified client certificate."""

    create_unknown_user = False
    """Create users for unknown usernames (``spiffe``/``subject`` mappings only)."""

    def authenticate(
        self,
        request: HttpRequest | None,
        certificate: VerifiedCertificate | None = None,
        **kwargs: Any,
    ) -> Any:
        """Return the active user the verified ``certificate`` maps to, or ``None``."""
        step = self._start(certificate)
        if not isinstance(step, _Lookup):
            return step
        user = self._lookup(request, step.cert, step.identity)
        identity_cache.put(step.key, user, step.identity.cache_ttl, step.generation)
        return user

    def _start(self, certificate: object) -> Any:
        """The answer without the database (a user or ``None``), or the :class:`_Lookup` to do."""
        cert = self._certificate(certificate)
        if cert is None:
            return None
        assert isinstance(certificate, VerifiedCertificate)
        identity = get_settings().identity
        key = (type(self), cert.sha256)
        # Read before the query: a revocation that clears the cache from here on makes put()
        # drop this lookup's (possibly older) answer.
        generation = identity_cache.generation
        cached = identity_cache.get(key)
        if cached is not MISS:
            return cached
        if not self._trust_domain_allowed(cert, identity, certificate.chain):
            return None  # decided without the database: nothing to cache
        return _Lookup(cert, identity, key, generation)

    def _lookup(
        self, request: HttpRequest | None, cert: ClientCertificate, identity: IdentitySettings
    ) -> Any:
        if identity.mapping == "binding":
            return self._by_binding(cert)
        if CertificateBinding.objects.filter(sha256=cert.sha256, revoked_at__isnull=False).exists():
            return None
        if RevokedSerial.lists(cert).exists():
            return None
        if identity.mapping == "email":
            return self._by_email(cert)
        username = self.principal(cert, identity)
        if username is None:
            return None
        user_model = get_user_model()
        created = False
        if self.create_unknown_user:
            user, created = user_model._default_manager.get_or_create(
                **{user_model.USERNAME_FIELD: username}
            )
        else:
            try:
                user = user_model._default_manager.get_by_natural_key(username)
            except user_model.DoesNotExist:
                return None
        user = self.configure_user(request, user, created=created)
        return user if self.user_can_authenticate(user) else None

    async def aauthenticate(
        self,
        request: HttpRequest | None,
        certificate: VerifiedCertificate | None = None,
        **kwargs: Any,
    ) -> Any:
        """Async :meth:`authenticate` (same decisions, async ORM)."""
        step = self._start(certificate)
        if not isinstance(step, _Lookup):
            return step
        user = await self._alookup(request, step.cert, step.identity)
        identity_cache.put(step.key, user, step.identity.cache_ttl, step.generation)
        return user

    async def _alookup(
        self, request: HttpRequest | None, cert: ClientCertificate, identity: IdentitySettings
    ) -> Any:
        if identity.mapping == "binding":
            return await self._aby_binding(cert)
        revoked = CertificateBinding.objects.filter(sha256=cert.sha256, revoked_at__isnull=False)
        if await revoked.aexists() or await RevokedSerial.lists(cert).aexists():
            return None
        if identity.mapping == "email":
            return await sync_to_async(self._by_email)(cert)
        username = self.principal(cert, identity)
        if username is None:
            return None
        user_model = get_user_model()
        created = False
        if self.create_unknown_user:
            user, created = await user_model._default_manager.aget_or_create(
                **{user_model.USERNAME_FIELD: username}
            )
        else:
            try:
                user = await user_model._default_manager.aget_by_natural_key(username)
            except user_model.DoesNotExist:
                return None
        user = await self.aconfigure_user(request, user, created=created)
        return user if self.user_can_authenticate(user) else None

    # -- extension points -------------------------------------------------------------------

    def principal(self, cert: ClientCertificate, identity: IdentitySettings) -> str | None:
        """The username named by ``cert`` for the ``spiffe``/``subject`` mappings, or ``None``."""
        if identity.mapping == "spiffe":
            svid = svid_id(cert)  # exactly one URI SAN, a valid SPIFFE ID
            value = svid.uri if svid is not None else None
        else:
            value = cert.subject
        if not value:
            return None
        if identity.principal_regex is not None:
            # fullmatch: "spiffe://evil.test/x/spiffe://example.org/..." must not match a
            # pattern written for spiffe://example.org IDs.
            match = identity.principal_regex.fullmatch(value)
            if match is None or not match.group(1):
                return None
            value = match.group(1)
        username = self.clean_username(value)
        return username or None

    @staticmethod
    def _trust_domain_allowed(
        cert: ClientCertificate, identity: IdentitySettings, chain: tuple[Any, ...]
    ) -> bool:
        """``spiffe`` mapping: the ID's trust domain is bound to a CA of the verified chain."""
        domains = identity.spiffe_trust_domains
        if identity.mapping != "spiffe" or not domains:
            return True
        svid = svid_id(cert)
        if svid is None or svid.trust_domain not in domains:
            return False
        return issued_by(chain, domains[svid.trust_domain])

    def clean_username(self, username: str) -> str:
        """Clean a username taken from a certificate before lookup (default: unchanged)."""
        return username

    def configure_user(self, request: HttpRequest | None, user: Any, created: bool = True) -> Any:
        """Configure a user found or created from a certificate (default: unchanged)."""
        return user

    async def aconfigure_user(
        self, request: HttpRequest | None, user: Any, created: bool = True
    ) -> Any:
        """Async :meth:`configure_user`."""
        return await sync_to_async(self.configure_user)(request, user, created)

    # -- internals --------------------------------------------------------------------------

    @staticmethod
    def _certificate(certificate: object) -> ClientCertificate | None:
        if not isinstance(certificate, VerifiedCertificate):
            return None  # only what verify() returned may authenticate
        cert = certificate.certificate
        return None if cert.sha256 is None else cert

    def _binding_user(self, binding: CertificateBinding | None, cert: ClientCertificate) -> Any:
        if binding is None or not binding.is_active_at(timezone.now()):
            return None
        if cert.serial is None or binding.serial != format(cert.serial, "X"):
            return None  # defence in depth: the row must describe this very certificate
        user = binding.user
        return user if self.user_can_authenticate(user) else None

    @staticmethod
    def _binding_query(cert: ClientCertificate) -> Any:
        assert cert.sha256 is not None
        return binding_queryset(cert.sha256)

    def _by_binding(self, cert: ClientCertificate) -> Any:
        assert cert.sha256 is not None
        if type(self)._binding_query is ClientCertificateBackend._binding_query:
            # The same query, compiled once per connection (most of a first sight's cost).
            return self._binding_user(find_binding(cert.sha256), cert)
        found = list(self._binding_query(cert))
        return self._binding_user(found[0] if found else None, cert)

    async def _aby_binding(self, cert: ClientCertificate) -> Any:
        assert cert.sha256 is not None
        if type(self)._binding_query is ClientCertificateBackend._binding_query:
            # As the async ORM runs a query: in the thread-sensitive executor.
            binding = await sync_to_async(find_binding)(cert.sha256)
            return self._binding_user(binding, cert)
        found = [binding async for binding in self._binding_query(cert)]
        return self._binding_user(found[0] if found else None, cert)

    def _by_email(self, cert: ClientCertificate) -> Any:
        if not cert.emails:
            return None
        user_model = get_user_model()
        field = user_model.get_email_field_name()
        matches = list(
            user_model._default_manager.filter(**{f"{field}__iexact": cert.emails[0]})[:2]
        )
        if len(matches) != 1:
            return None  # unknown, or ambiguous: never guess between two accounts
        user = matches[0]
        return user if self.user_can_authenticate(user) else None
