"""A ledger app whose invoice model the site may swap (like ``AUTH_USER_MODEL``)."""

from django.apps import apps
from django.conf import settings


def get_invoice_model():
    return apps.get_model(getattr(settings, "LEDGER_INVOICE_MODEL", "ledger.Invoice"))
