"""Admin: bind a certificate to a user by uploading its PEM; revoke bindings; read the audit."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from mtlsguard.certs import CertificateError, ClientCertificate
from mtlsguard.django.identity_cache import invalidate

# certificate_from_pem lives with the models so that `mtlscert` works without django.contrib.admin.
from mtlsguard.django.models import (
    MAX_UPLOAD,
    AuditEvent,
    CertificateBinding,
    certificate_from_pem,
)

__all__ = ["AuditEventAdmin", "CertificateBindingAdmin", "CertificateBindingForm"]


class CertificateBindingForm(forms.ModelForm):
    """Add form: pick a user, upload the certificate's PEM, optionally label it."""

    pem = forms.FileField(
        label="Certificate (PEM)", help_text="The client certificate; never the private key."
    )

    class Meta:
        """Form options."""

        model = CertificateBinding
        fields = ("user", "label")

    def clean_pem(self) -> ClientCertificate:
        """Parse the upload into a certificate, or a form error."""
        upload = self.cleaned_data["pem"]
        try:
            cert = certificate_from_pem(upload.read(MAX_UPLOAD + 1))
        except CertificateError as exc:
            raise forms.ValidationError(str(exc)) from None
        if CertificateBinding.objects.filter(sha256=cert.sha256).exists():
            raise forms.ValidationError("This certificate is already bound.")
        if cert.not_after is not None and cert.not_after <= timezone.now():
            raise forms.ValidationError("This certificate has expired.")
        return cert

    def save(self, commit: bool = True) -> Any:
        """Fill the certificate fields from the upload before saving."""
        for name, value in CertificateBinding.fields_for(self.cleaned_data["pem"]).items():
            setattr(self.instance, name, value)
        return super().save(commit=commit)


@admin.register(CertificateBinding)
class CertificateBindingAdmin(admin.ModelAdmin):
    """Bindings: created from an upload, then read-only except label and revocation."""

    list_display = ("subject", "user", "label", "not_after", "created", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("subject", "issuer", "sha256", "label", "user__username")
    actions = ("revoke_bindings",)
    readonly_fields = (
        "sha256",
        "issuer",
        "serial",
        "subject",
        "not_after",
        "created",
        "revoked_at",
    )

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kw: Any
    ) -> Any:
        """The upload form to add; the plain form (label only) to change."""
        if obj is None:
            kw["form"] = CertificateBindingForm
        return super().get_form(request, obj, change=change, **kw)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        """Add: user, label, PEM. Change: everything, most of it read-only."""
        if obj is None:
            return ("user", "label", "pem")
        return ("user", "label", *self.readonly_fields)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        """Nothing but the label can change after creation."""
        if obj is None:
            return ()
        return ("user", *self.readonly_fields)

    @admin.action(description="Revoke selected bindings", permissions=["change"])
    def revoke_bindings(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        """Revoke every selected binding that is not revoked yet."""
        pending = queryset.filter(revoked_at__isnull=True)
        count = pending.update(revoked_at=timezone.now())
        invalidate(using=pending.db)  # bulk updates send no signals (the write database)
        self.message_user(request, f"Revoked {count} binding(s).", messages.SUCCESS)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit table, read-only."""

    list_display = ("created", "decision", "reason", "status", "method", "path", "user", "peer")
    list_filter = ("decision", "reason")
    search_fields = ("fingerprint", "subject", "user", "path", "request_id", "peer")

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Audit rows are never written by hand."""
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Audit rows are never edited."""
        return False
