"""``manage.py mtlscert bind | list | revoke | import-crl | prune-audit``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from cryptography import x509
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from mtlsguard.certs import CertificateError
from mtlsguard.certs.crl_scope import removed_from_crl
from mtlsguard.certs.policy import load_certificates, load_crls
from mtlsguard.django.conf import get_settings
from mtlsguard.django.identity_cache import invalidate
from mtlsguard.django.models import (
    AuditEvent,
    CertificateBinding,
    RevokedSerial,
    certificate_from_pem,
    revocation_key,
)


class Command(BaseCommand):
    """Manage certificate bindings and the audit table."""

    help = "Bind client certificates to users, list, revoke, import a CRL, prune the audit."

    def add_arguments(self, parser: CommandParser) -> None:
        """Sub-commands and their options."""
        sub = parser.add_subparsers(dest="action", required=True)
        bind = sub.add_parser("bind", help="bind a PEM certificate to a user")
        bind.add_argument("username")
        bind.add_argument("pem", type=Path, help="PEM file of the client certificate")
        bind.add_argument("--label", default="")
        listing = sub.add_parser("list", help="list bindings (active ones unless --all)")
        listing.add_argument("--user", dest="username")
        listing.add_argument("--all", action="store_true", help="include revoked and expired")
        revoke = sub.add_parser("revoke", help="revoke a binding by fingerprint, or a user's")
        target = revoke.add_mutually_exclusive_group(required=True)
        target.add_argument("fingerprint", nargs="?", help="SHA-256 (or a unique prefix >= 16)")
        target.add_argument("--user", dest="username", help="revoke every binding of this user")
        crl = sub.add_parser("import-crl", help="revoke bindings listed in a CRL")
        crl.add_argument("crl", type=Path, help="CRL file (PEM or DER)")
        crl.add_argument("--ca", type=Path, required=True, help="PEM of the CA that signed it")
        prune = sub.add_parser("prune-audit", help="delete audit rows older than --days")
        prune.add_argument("--days", type=int, default=None, help="default: AUDIT RETENTION_DAYS")

    def handle(self, *args: Any, **options: Any) -> None:
        """Dispatch to the sub-command."""
        action = options["action"]
        if action == "bind":
            self._bind(options["username"], options["pem"], options["label"])
        elif action == "list":
            self._list(options["username"], options["all"])
        elif action == "revoke":
            self._revoke(options["fingerprint"], options["username"])
        elif action == "import-crl":
            self._import_crl(options["crl"], options["ca"])
        elif action == "prune-audit":
            self._prune(options["days"])
        else:  # pragma: no cover - argparse refuses other values
            raise CommandError(f"unknown action {action!r}")

    def _user(self, username: str) -> Any:
        user_model = get_user_model()
        try:
            return user_model._default_manager.get_by_natural_key(username)
        except user_model.DoesNotExist:
            raise CommandError(f"no user {username!r}") from None

    def _bind(self, username: str, pem: Path, label: str) -> None:
        user = self._user(username)
        try:
            cert = certificate_from_pem(pem.read_bytes())
        except OSError as exc:
            raise CommandError(f"cannot read {pem}: {exc.strerror or exc}") from None
        except CertificateError as exc:
            raise CommandError(f"{pem}: {exc}") from None
        if cert.not_after is not None and cert.not_after <= timezone.now():
            raise CommandError(f"{pem}: the certificate expired on {cert.not_after:%Y-%m-%d}")
        fields = CertificateBinding.fields_for(cert)
        existing = CertificateBinding.objects.filter(sha256=cert.sha256).first()
        if existing is not None:
            raise CommandError(f"already bound to {existing.user}: {existing.sha256}")
        binding = CertificateBinding.objects.create(user=user, label=label, **fields)
        self.stdout.write(f"bound {binding.sha256} ({binding.subject}) to {username}")

    def _list(self, username: str | None, everything: bool) -> None:
        bindings = CertificateBinding.objects.select_related("user").order_by("created")
        if username:
            bindings = bindings.filter(user=self._user(username))
        if not everything:
            bindings = bindings.active()
        now = timezone.now()
        for b in bindings:
            state = "revoked" if b.revoked_at else ("expired" if b.not_after <= now else "active")
            self.stdout.write(
                f"{b.sha256}  {b.user.get_username()}  {state}  "
                f"{b.not_after:%Y-%m-%d}  {b.subject}  {b.label}".rstrip()
            )

    def _revoke(self, fingerprint: str | None, username: str | None) -> None:
        bindings = CertificateBinding.objects.filter(revoked_at__isnull=True)
        if username:
            bindings = bindings.filter(user=self._user(username))
        else:
            assert fingerprint is not None
            prefix = fingerprint.replace(":", "").lower()
            if len(prefix) < 16 or any(c not in "0123456789abcdef" for c in prefix):
                raise CommandError("give the SHA-256 fingerprint (at least 16 hex digits)")
            matches = list(CertificateBinding.objects.filter(sha256__startswith=prefix)[:2])
            if not matches:
                raise CommandError(f"no binding with fingerprint {prefix}")
            if len(matches) > 1:
                raise CommandError(f"{prefix} matches several bindings; give more digits")
            bindings = bindings.filter(pk=matches[0].pk)
        count = bindings.update(revoked_at=timezone.now())
        invalidate(using=bindings.db)  # bulk updates send no signals
        self.stdout.write(f"revoked {count} binding(s)")

    def _import_crl(self, crl_path: Path, ca_path: Path) -> None:
        try:
            crls = load_crls(crl_path)
            cas = load_certificates(ca_path)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        revoked = 0
        with transaction.atomic():
            for crl in crls:
                issuer = self._crl_issuer(crl, cas, crl_path)
                issuer_dn = issuer.subject.rfc4514_string()
                # removeFromCRL (a delta CRL's "no longer revoked") revokes nothing.
                serials = [format(r.serial_number, "X") for r in crl if not removed_from_crl(r)]
                for chunk in range(0, len(serials), 500):
                    revoked += CertificateBinding.objects.filter(
                        issuer=issuer_dn,
                        serial__in=serials[chunk : chunk + 500],
                        revoked_at__isnull=True,
                    ).update(revoked_at=timezone.now())
                # The mapping modes need no binding: remember the serials themselves.
                RevokedSerial.objects.bulk_create(
                    [
                        RevokedSerial(
                            key=revocation_key(issuer_dn, serial),
                            issuer=issuer_dn,
                            serial=serial,
                            source=str(crl_path)[:512],
                        )
                        for serial in serials
                    ],
                    batch_size=500,
                    ignore_conflicts=True,
                )
        invalidate()
        self.stdout.write(f"revoked {revoked} binding(s) listed in {crl_path}")

    @staticmethod
    def _crl_issuer(
        crl: x509.CertificateRevocationList, cas: tuple[x509.Certificate, ...], path: Path
    ) -> x509.Certificate:
        for ca in cas:
            if ca.subject == crl.issuer:
                try:
                    valid = crl.is_signature_valid(ca.public_key())  # type: ignore[arg-type]
                except TypeError:
                    valid = False
                if valid:
                    return ca
        raise CommandError(
            f"{path}: no CA in --ca issued this CRL with a valid signature "
            f"(CRL issuer {crl.issuer.rfc4514_string()})"
        )

    def _prune(self, days: int | None) -> None:
        if days is None:
            days = get_settings().audit.retention_days
        if days < 1:
            raise CommandError("--days must be at least 1")
        cutoff = timezone.now() - dt.timedelta(days=days)
        deleted, _ = AuditEvent.objects.filter(created__lt=cutoff).delete()
        self.stdout.write(f"deleted {deleted} audit event(s) older than {days} day(s)")
