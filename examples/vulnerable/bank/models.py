"""Accounts and invoices, each owned by a user."""

from django.conf import settings
from django.db import models


class Account(models.Model):
    """A bank account."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="accounts"
    )
    iban = models.CharField(max_length=34, unique=True)
    balance = models.DecimalField(max_digits=12, decimal_places=2, default=0)

    class Meta:
        ordering = ("pk",)

    def __str__(self) -> str:
        return self.iban


class Invoice(models.Model):
    """An invoice billed to a user."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invoices"
    )
    number = models.CharField(max_length=32, unique=True)
    amount = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        ordering = ("pk",)

    def __str__(self) -> str:
        return self.number
