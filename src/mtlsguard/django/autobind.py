"""Opt-in auto-binding: record the first certificate a mapping accepts as a binding.

With the ``spiffe`` or ``subject`` mapping a certificate authenticates whoever it names, and
there is no row to revoke it by until someone runs ``mtlscert bind``. Put
``"mtlsguard.django.autobind.AutoBindingCertificateBackend"`` in ``AUTHENTICATION_BACKENDS``
instead of ``ClientCertificateBackend`` and each certificate the mapping accepts is recorded
as a :class:`~mtlsguard.django.models.CertificateBinding` of that user on its first use, so it
shows up in ``mtlscert list`` and the admin and can be revoked on its own (revoked bindings
never authenticate, whatever the mapping).

It grants nothing the mapping did not: the binding is made only after the mapping found an
active user, and a certificate already bound to *another* user authenticates nobody (never
two accounts for one certificate). ``CertificateBinding.sha256`` is unique, so concurrent
first requests on any number of nodes create exactly one row (the losers of the race read
the winner's). Nothing happens with the ``binding`` mapping (bindings are made by hand there)
or the ``email`` mapping, nor when ``authenticate()`` is called without a request that went
through ``ClientCertificateMiddleware``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from mtlsguard.django.backends import ClientCertificateBackend
from mtlsguard.django.models import CertificateBinding
from mtlsguard.django.runtime import VerifiedCertificate

__all__ = ["AutoBindingCertificateBackend"]


class AutoBindingCertificateBackend(ClientCertificateBackend):
    """:class:`ClientCertificateBackend` that binds each accepted certificate to its user."""

    binding_label = "auto-bound on first use"
    """``label`` of the bindings this backend creates."""

    def configure_user(self, request: HttpRequest | None, user: Any, created: bool = True) -> Any:
        """Bind the request's certificate to ``user`` (or refuse if it is bound to another)."""
        user = super().configure_user(request, user, created=created)
        verified = getattr(request, "client_cert", None)
        if user is None or not self.user_can_authenticate(user):
            return user  # refused by the backend right after: bind nothing
        if not isinstance(verified, VerifiedCertificate):
            return user
        cert = verified.certificate
        if cert.sha256 is None:
            return user  # a field-only identity has no fingerprint to bind
        # INSERT ... ON CONFLICT DO NOTHING, then read the row: one winner among concurrent
        # first requests, no IntegrityError to recover from, and no post_save signal (a new
        # binding revokes nothing, so the identity cache need not be cleared).
        CertificateBinding.objects.bulk_create(
            [
                CertificateBinding(
                    user=user, label=self.binding_label, **CertificateBinding.fields_for(cert)
                )
            ],
            ignore_conflicts=True,
        )
        binding = CertificateBinding.objects.filter(sha256=cert.sha256).first()
        if binding is None or binding.user_id != user.pk or binding.revoked_at is not None:
            return None  # bound to someone else (or revoked meanwhile): nobody
        return user
