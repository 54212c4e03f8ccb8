"""Admin: bind by uploading a PEM, revoke action, read-only audit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from mtlsguard.devserver.pki import TestPKI
from mtlsguard.django.models import CertificateBinding
from tests.django.conftest import PROXY
from tests.factories import bind


@pytest.fixture
def admin_client(mtls_settings: Any, db: None) -> Client:
    mtls_settings.MTLSGUARD = {**mtls_settings.MTLSGUARD, "REQUIRED": "off"}
    staff = get_user_model().objects.create_superuser("root", "root@example.com", "root-pw-123")
    client = Client(REMOTE_ADDR=PROXY)
    client.force_login(staff)
    return client


def test_bind_by_uploading_a_pem(
    admin_client: Client, pki: TestPKI, pki_files: dict[str, Path]
) -> None:
    alice = get_user_model().objects.create_user("alice")
    upload = SimpleUploadedFile("alice.pem", pki_files["client"].read_bytes())
    response = admin_client.post(
        "/admin/mtlsguard/certificatebinding/add/",
        {"user": alice.pk, "label": "laptop", "pem": upload},
    )
    assert response.status_code == 302, response.content[:2000]
    binding = CertificateBinding.objects.get()
    assert (binding.user, binding.label) == (alice, "laptop")
    assert binding.serial == format(pki.client.cert.serial_number, "X")


def test_upload_of_junk_is_a_form_error(admin_client: Client) -> None:
    alice = get_user_model().objects.create_user("alice")
    upload = SimpleUploadedFile(
        "junk.pem", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    )
    response = admin_client.post(
        "/admin/mtlsguard/certificatebinding/add/", {"user": alice.pk, "pem": upload}
    )
    assert response.status_code == 200
    assert b"not a PEM certificate" in response.content
    assert not CertificateBinding.objects.exists()


def test_revoke_action(admin_client: Client, pki: TestPKI) -> None:
    binding = bind(get_user_model().objects.create_user("alice"), pki.client)
    response = admin_client.post(
        "/admin/mtlsguard/certificatebinding/",
        {"action": "revoke_bindings", "_selected_action": [binding.pk]},
    )
    assert response.status_code == 302
    binding.refresh_from_db()
    assert binding.revoked_at is not None


def test_audit_events_are_read_only(admin_client: Client) -> None:
    assert admin_client.get("/admin/mtlsguard/auditevent/add/").status_code == 403
    assert admin_client.get("/admin/mtlsguard/auditevent/").status_code == 200
