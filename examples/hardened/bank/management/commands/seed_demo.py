"""``manage.py seed_demo``: the demo's customers alice and bob, their data and certificates.

Each customer's certificate (``--alice-cert`` / ``--bob-cert``, or the environment variables
``MTLSGUARD_DEMO_ALICE_CERT`` / ``MTLSGUARD_DEMO_BOB_CERT``) is bound to them with a
``CertificateBinding``: that binding, not the certificate's subject, is what makes a verified
certificate authenticate as the user.
"""

import os
from decimal import Decimal
from pathlib import Path

from cryptography import x509
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from bank.models import Account, Invoice
from mtlsguard.django.models import CertificateBinding

CUSTOMERS = {
    "alice": {
        "iban": "DE89370400440532013000",
        "balance": Decimal("1520.00"),
        "invoices": [("INV-A-0001", Decimal("120.00")), ("INV-A-0002", Decimal("75.50"))],
    },
    "bob": {
        "iban": "DE02120300000000202051",
        "balance": Decimal("98000.00"),
        "invoices": [("INV-B-0001", Decimal("4999.99"))],
    },
}


def _default_cert(name: str) -> str | None:
    """``examples/pki/clients/NAME.pem`` (``mtlsguard pki issue examples/pki NAME``), if any."""
    pki = Path(os.environ.get("MTLSGUARD_DEMO_PKI", settings.BASE_DIR.parent / "pki"))
    path = pki / "clients" / f"{name}.pem"
    return str(path) if path.is_file() else None


class Command(BaseCommand):
    """Create (or refresh) alice and bob and their data."""

    help = "Seed the demo users alice and bob with accounts and invoices."

    def add_arguments(self, parser):
        """Certificate paths, defaulting to MTLSGUARD_DEMO_ALICE_CERT / _BOB_CERT."""
        for name in CUSTOMERS:
            parser.add_argument(
                f"--{name}-cert",
                default=os.environ.get(f"MTLSGUARD_DEMO_{name.upper()}_CERT", _default_cert(name)),
                help=f"PEM certificate to bind to {name}.",
            )
        parser.add_argument(
            "--password",
            default=os.environ.get("MTLSGUARD_DEMO_PASSWORD", ""),
            help="password of both users (default: MTLSGUARD_DEMO_PASSWORD; none: no password "
            "sign-in), for the probe's opt-in credential probes",
        )

    @transaction.atomic
    def handle(self, *args, **options):
        """Seed idempotently."""
        certificates = {}
        for name in CUSTOMERS:
            path = options[f"{name}_cert"]
            if not path:
                raise CommandError(
                    f"--{name}-cert is required (or set MTLSGUARD_DEMO_{name.upper()}_CERT)"
                )
            try:
                certificates[name] = x509.load_pem_x509_certificate(Path(path).read_bytes())
            except (OSError, ValueError) as exc:
                raise CommandError(f"--{name}-cert {path!r}: {exc}") from exc
        user_model = get_user_model()
        for name, data in CUSTOMERS.items():
            user, created = user_model.objects.get_or_create(username=name)
            if options["password"]:
                user.set_password(options["password"])
                user.save()
            elif created:
                user.set_unusable_password()
                user.save()
            Account.objects.update_or_create(
                iban=data["iban"], defaults={"owner": user, "balance": data["balance"]}
            )
            for number, amount in data["invoices"]:
                Invoice.objects.update_or_create(
                    number=number, defaults={"owner": user, "amount": amount}
                )
            fields = CertificateBinding.fields_for(certificates[name])
            CertificateBinding.objects.update_or_create(
                sha256=fields.pop("sha256"),
                defaults={**fields, "user": user, "label": f"{name} (demo)", "revoked_at": None},
            )
        self.stdout.write(self.style.SUCCESS("seeded alice and bob and bound their certificates"))
