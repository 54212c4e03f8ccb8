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
        """Register checks and receivers; clear the identity cache when users or bindings change."""
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save

        from mtlsguard.django import checks, checks_server, conf  # noqa: F401
        from mtlsguard.django.identity_cache import invalidate
        from mtlsguard.django.models import CertificateBinding

        for model in (CertificateBinding, get_user_model()):
            for signal in (post_save, post_delete):
                signal.connect(invalidate, sender=model, dispatch_uid=f"mtlsguard-{model.__name__}")
