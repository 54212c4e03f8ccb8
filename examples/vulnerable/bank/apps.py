"""The bank app."""

from django.apps import AppConfig


class BankConfig(AppConfig):
    """Accounts and invoices."""

    name = "bank"
    default_auto_field = "django.db.models.BigAutoField"
