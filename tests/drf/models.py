"""Owned objects for the DRF tests (app ``tests.drf``, tables created without migrations)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Account(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    iban = models.CharField(max_length=34)

    class Meta:
        app_label = "drf"
        ordering = ("pk",)


class Note(models.Model):
    """Owned through ``user`` (the second default owner field)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    text = models.CharField(max_length=100)

    class Meta:
        app_label = "drf"
        ordering = ("pk",)


class Statement(models.Model):
    """Owned through its account (``owner_field = "account__owner"``), no owner of its own."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE)
    period = models.CharField(max_length=7)

    class Meta:
        app_label = "drf"
        ordering = ("pk",)


class Team(models.Model):
    """Not a user: an owner field pointing here must never be compared with a user's pk."""

    name = models.CharField(max_length=50)

    class Meta:
        app_label = "drf"
        ordering = ("pk",)


class TeamDocument(models.Model):
    """``owner`` is a team (the misconfiguration of issue 14, finding 4)."""

    owner = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=50)

    class Meta:
        app_label = "drf"
        ordering = ("pk",)
