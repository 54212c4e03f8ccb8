"""App configuration: registers the system checks and the settings-reload signal."""

from __future__ import annotations

from django.apps import AppConfig


class MtlsGuardConfig(AppConfig):
    """The ``mtlsguard.django`` app (label ``mtlsguard``)."""

    name = "mtlsguard.django"
    label = "mtlsguard"
    verbose_name = "mtlsguard client certificates"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Register checks and the ``setting_changed`` receiver (both by import)."""
        from mtlsguard.django import checks, conf  # noqa: F401
