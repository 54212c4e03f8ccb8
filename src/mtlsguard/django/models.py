"""Database models: which certificate belongs to which user, and the optional audit table."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from cryptography import x509
from django.conf import settings
from django.db import models
from django.utils import timezone

from mtlsguard.certs import CertificateError, ClientCertificate

__all__ = [
    "MAX_UPLOAD",
    "AuditEvent",
    "CertificateBinding",
    "RevokedSerial",
    "certificate_from_pem",
    "revocation_key",
]

MAX_UPLOAD = 64 * 1024
"""Largest PEM file accepted for a binding (admin upload, ``mtlscert bind``)."""


def certificate_from_pem(data: bytes) -> ClientCertificate:
    """The first certificate of a PEM upload.

    :raises CertificateError: ``malformed`` if it is not PEM or holds no certificate.
    """
    if len(data) > MAX_UPLOAD:
        raise CertificateError("malformed", f"the file is larger than {MAX_UPLOAD} bytes")
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise CertificateError("malformed", "the file is not a PEM (ASCII) certificate") from None
    try:
        certs = x509.load_pem_x509_certificates(text.encode("ascii"))
    except ValueError as exc:
        raise CertificateError("malformed", f"not a PEM certificate: {exc}") from None
    return ClientCertificate.from_certificate(certs[0])


class CertificateBindingQuerySet(models.QuerySet):
    """Queries over bindings."""

    def active(self, at: dt.datetime | None = None) -> CertificateBindingQuerySet:
        """Bindings that may authenticate at ``at`` (default now): not revoked, not expired."""
        at = at or timezone.now()
        result: CertificateBindingQuerySet = self.filter(revoked_at__isnull=True, not_after__gt=at)
        return result


class CertificateBinding(models.Model):
    """A client certificate bound to a user (by its SHA-256 fingerprint).

    A binding authenticates its user only while it is not revoked, the certificate has not
    expired and the user is active; the certificate itself is verified on every request.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="certificate_bindings",
    )
    sha256 = models.CharField(
        "SHA-256 fingerprint",
        max_length=64,
        unique=True,
        help_text="Lower-case hex SHA-256 of the certificate's DER encoding.",
    )
    issuer = models.TextField(help_text="Issuer DN (RFC 4514).")
    serial = models.CharField(max_length=64, help_text="Serial number, upper-case hex.")
    subject = models.TextField(help_text="Subject DN (RFC 4514).")
    not_after = models.DateTimeField(help_text="End of the certificate's validity.")
    created = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    label = models.CharField(max_length=200, blank=True)

    objects = CertificateBindingQuerySet.as_manager()

    class Meta:
        """Model options."""

        indexes = (models.Index(fields=("user", "revoked_at")),)
        ordering = ("-created",)

    def __str__(self) -> str:
        state = " (revoked)" if self.revoked_at else ""
        return f"{self.label or self.subject} [{self.sha256[:16]}…]{state}"

    @property
    def is_revoked(self) -> bool:
        """Whether the binding was revoked."""
        return self.revoked_at is not None

    def is_active_at(self, at: dt.datetime) -> bool:
        """Whether the binding may authenticate at ``at``."""
        return self.revoked_at is None and self.not_after > at

    def revoke(self, at: dt.datetime | None = None) -> bool:
        """Revoke the binding now (idempotent); return whether it changed."""
        if self.revoked_at is not None:
            return False
        self.revoked_at = at or timezone.now()
        self.save(update_fields=["revoked_at"])
        return True

    @classmethod
    def fields_for(cls, cert: ClientCertificate | x509.Certificate) -> dict[str, Any]:
        """The model fields describing ``cert`` (for ``create``/``update``).

        :raises ValueError: for a field-only identity, which has no fingerprint of its own.
        """
        if isinstance(cert, x509.Certificate):
            cert = ClientCertificate.from_certificate(cert)
        if cert.sha256 is None or cert.serial is None or cert.not_after is None:
            raise ValueError("only a full certificate (not forwarded fields) can be bound")
        return {
            "sha256": cert.sha256,
            "issuer": cert.issuer,
            "serial": format(cert.serial, "X"),
            "subject": cert.subject,
            "not_after": cert.not_after,
        }


def revocation_key(issuer: str, serial: int | str) -> str:
    """The :attr:`RevokedSerial.key` of a certificate: SHA-256 of its issuer DN and serial."""
    text = serial if isinstance(serial, str) else format(serial, "X")
    return hashlib.sha256(f"{issuer}\n{text.upper()}".encode()).hexdigest()


class RevokedSerial(models.Model):
    """A certificate (issuer DN + serial) listed in a CRL imported with ``mtlscert import-crl``.

    Bindings are revoked by the import too; these rows make the import take effect for the
    ``email``, ``subject`` and ``spiffe`` mappings, where a certificate needs no binding.
    Every process sees them at its next lookup (``IDENTITY["CACHE_TTL"]`` at most).
    """

    key = models.CharField(
        max_length=64, unique=True, help_text="SHA-256 of the issuer DN and the serial."
    )
    issuer = models.TextField(help_text="Issuer DN (RFC 4514).")
    serial = models.CharField(max_length=64, help_text="Serial number, upper-case hex.")
    revoked_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=512, blank=True, help_text="The CRL file imported.")

    class Meta:
        """Model options."""

        ordering = ("-revoked_at",)

    def __str__(self) -> str:
        return f"{self.issuer} #{self.serial} (revoked)"

    @classmethod
    def lists(cls, cert: ClientCertificate) -> Any:
        """The queryset of rows naming ``cert`` (empty when it has no issuer or serial)."""
        if cert.serial is None or not cert.issuer:
            return cls.objects.none()
        return cls.objects.filter(key=revocation_key(cert.issuer, cert.serial))


class AuditEvent(models.Model):
    """One audited request (the optional database sink of ``mtlsguard.audit``).

    Never holds a certificate or a token: only its fingerprint, names and serial.
    """

    created = models.DateTimeField(default=timezone.now, db_index=True)
    decision = models.CharField(max_length=16)
    reason = models.CharField(max_length=64, blank=True)
    status = models.PositiveSmallIntegerField(null=True)
    method = models.CharField(max_length=16)
    path = models.CharField(max_length=512)
    peer = models.CharField(max_length=64, blank=True)
    request_id = models.CharField(max_length=128, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True, db_index=True)
    subject = models.TextField(blank=True)
    issuer = models.TextField(blank=True)
    serial = models.CharField(max_length=64, blank=True)
    user = models.CharField(max_length=150, blank=True)
    client = models.CharField(max_length=64, blank=True)

    class Meta:
        """Model options."""

        ordering = ("-created",)

    def __str__(self) -> str:
        return f"{self.created:%Y-%m-%dT%H:%M:%S} {self.decision} {self.method} {self.path}"
