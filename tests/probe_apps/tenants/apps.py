"""The tenants app."""

from django.apps import AppConfig


class TenantsConfig(AppConfig):
    """Tenants, invoices, documents."""

    name = "tenants"
    default_auto_field = "django.db.models.BigAutoField"
