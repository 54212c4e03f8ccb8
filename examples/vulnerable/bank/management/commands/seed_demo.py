"""``manage.py seed_demo``: the demo's two customers, alice and bob, with accounts and invoices.

The vulnerable project never maps certificates to users, so the certificate options are
accepted (the demo seeds both projects with the same command line) and only checked for
readability.
"""

import os
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from bank.models import Account, Invoice

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
                help=f"PEM certificate of {name} (unused here: nothing maps certificates).",
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
        for name in CUSTOMERS:
            path = options[f"{name}_cert"]
            if path and not Path(path).is_file():
                raise CommandError(f"--{name}-cert {path!r} is not a readable file")
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
        self.stdout.write(self.style.SUCCESS("seeded alice and bob"))
