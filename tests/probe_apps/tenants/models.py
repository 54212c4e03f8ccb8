"""Tenants, their invoices, and documents keyed by UUID."""

import uuid

from django.conf import settings
from django.db import models


class Tenant(models.Model):
    """A customer organisation, addressed by its slug."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=80)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)


class Invoice(models.Model):
    """An invoice of a tenant, addressed by its number (``INV-2001``)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="invoices")
    number = models.CharField(max_length=20, unique=True)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)


class Document(models.Model):
    """A private document, addressed by a UUID."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    title = models.CharField(max_length=80)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)


class Todo(models.Model):
    """A to-do item of one user."""

    title = models.CharField(max_length=80)
    done = models.BooleanField(default=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)


class Memo(models.Model):
    """A memo of one user."""

    title = models.CharField(max_length=80)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
