"""``manage.py seed_probe_apps``: alice and bob and their objects in both apps."""

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from pages.models import Note

from tenants.models import Document, Invoice, Memo, Tenant, Todo


class Command(BaseCommand):
    """Create the users and objects (once)."""

    help = "Seed alice and bob with tenants, invoices, documents and notes."

    def handle(self, *args, **options):
        """Seed."""
        users = get_user_model().objects
        # a few users before them, so ids are not simply 1 and 2
        for name in ("carol", "dave"):
            users.get_or_create(username=name, defaults={"email": f"{name}@example.org"})
        alice, _ = users.get_or_create(username="alice", defaults={"email": "alice@example.com"})
        bob, _ = users.get_or_create(username="bob", defaults={"email": "bob@example.com"})
        for owner, slug, numbers in (
            (alice, "acme", ("INV-1001", "INV-1002")),
            (bob, "bobco", ("INV-2001",)),
        ):
            tenant, _ = Tenant.objects.get_or_create(
                slug=slug, defaults={"name": slug.title(), "owner": owner}
            )
            for number in numbers:
                Invoice.objects.get_or_create(
                    number=number,
                    defaults={"tenant": tenant, "amount": Decimal("99.50"), "created_by": owner},
                )
            Document.objects.get_or_create(title=f"{slug} contract", defaults={"owner": owner})
            Todo.objects.get_or_create(title=f"call {slug}", defaults={"owner": owner})
            Memo.objects.get_or_create(title=f"{slug} memo", defaults={"owner": owner})
            Note.objects.get_or_create(
                title=f"{owner.username}'s plans",
                defaults={"text": f"secret of {slug}", "owner": owner},
            )
            Note.objects.get_or_create(
                title=f"{owner.username}'s diary",
                defaults={"text": f"diary of {slug}", "owner": owner},
            )
