"""manage.py mtlscert bind | list | revoke | import-crl | prune-audit."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from mtlsguard.certs import ClientCertificate
from mtlsguard.devserver.pki import TestPKI
from mtlsguard.django.models import AuditEvent, CertificateBinding
from tests.factories import bind


def mtlscert(*args: str) -> str:
    out = StringIO()
    call_command("mtlscert", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def alice(db: None) -> Any:
    """alice without a certificate: these tests bind one with the command."""
    return get_user_model().objects.create_user("alice")


def test_bind_list_revoke(alice: Any, pki: TestPKI, pki_files: dict[str, Path]) -> None:
    out = mtlscert("bind", "alice", str(pki_files["client"]), "--label", "laptop")
    sha = ClientCertificate.from_certificate(pki.client.cert).sha256
    assert sha in out
    binding = CertificateBinding.objects.get(sha256=sha)
    assert (binding.user, binding.label) == (alice, "laptop")
    assert binding.serial == format(pki.client.cert.serial_number, "X")
    assert binding.issuer == pki.client.cert.issuer.rfc4514_string()
    assert binding.subject == pki.client.cert.subject.rfc4514_string()
    assert binding.not_after == pki.client.cert.not_valid_after_utc

    listing = mtlscert("list")
    assert sha in listing
    assert "active" in listing
    assert "laptop" in listing

    assert "revoked 1" in mtlscert("revoke", sha[:20])
    assert CertificateBinding.objects.get(sha256=sha).revoked_at is not None
    assert sha not in mtlscert("list")
    assert "revoked" in mtlscert("list", "--all")


def test_bind_refuses_bad_input(alice: Any, pki_files: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no user"):
        mtlscert("bind", "nobody", str(pki_files["client"]))
    junk = tmp_path / "junk.pem"
    junk.write_bytes(b"\x00\xffnot a certificate")
    with pytest.raises(CommandError, match=r"junk\.pem"):
        mtlscert("bind", "alice", str(junk))
    with pytest.raises(CommandError, match="cannot read"):
        mtlscert("bind", "alice", str(tmp_path / "missing.pem"))
    with pytest.raises(CommandError, match="expired"):
        mtlscert("bind", "alice", str(pki_files["expired"]))
    mtlscert("bind", "alice", str(pki_files["client"]))
    with pytest.raises(CommandError, match="already bound"):
        mtlscert("bind", "alice", str(pki_files["client"]))


def test_revoke_by_user_and_bad_prefix(alice: Any, pki_files: dict[str, Path]) -> None:
    mtlscert("bind", "alice", str(pki_files["client"]))
    mtlscert("bind", "alice", str(pki_files["other_client"]))
    with pytest.raises(CommandError, match="at least 16"):
        mtlscert("revoke", "abc")
    with pytest.raises(CommandError, match="no binding"):
        mtlscert("revoke", "0" * 64)
    assert "revoked 2" in mtlscert("revoke", "--user", "alice")


def test_import_crl_revokes_listed_bindings(
    alice: Any, pki: TestPKI, pki_files: dict[str, Path], tmp_path: Path
) -> None:
    mtlscert("bind", "alice", str(pki_files["client"]))
    # The revoked certificate was bound before it was revoked (bind refuses nothing else).
    bind(alice, pki.revoked)
    out = mtlscert("import-crl", str(pki_files["crl"]), "--ca", str(pki_files["intermediate"]))
    assert "revoked 1" in out
    states = dict(CertificateBinding.objects.values_list("subject", "revoked_at"))
    assert states[pki.revoked.cert.subject.rfc4514_string()] is not None
    assert states[pki.client.cert.subject.rfc4514_string()] is None


def test_import_crl_checks_the_signature(
    alice: Any, pki: TestPKI, pki_files: dict[str, Path], tmp_path: Path
) -> None:
    bind(alice, pki.revoked)
    # A CRL from the root, with the right name but presented with the wrong CA, is refused.
    wrong_ca = tmp_path / "root.pem"
    wrong_ca.write_bytes(pki.root.cert.public_bytes(Encoding.PEM))
    with pytest.raises(CommandError, match="valid signature"):
        mtlscert("import-crl", str(pki_files["crl"]), "--ca", str(wrong_ca))
    assert CertificateBinding.objects.filter(revoked_at__isnull=False).count() == 0


def test_prune_audit(db: None) -> None:
    old = AuditEvent.objects.create(
        decision="deny", method="GET", path="/x", created=timezone.now() - dt.timedelta(days=100)
    )
    fresh = AuditEvent.objects.create(decision="allow", method="GET", path="/y")
    assert "deleted 1" in mtlscert("prune-audit", "--days", "90")
    assert list(AuditEvent.objects.all()) == [fresh]
    assert not AuditEvent.objects.filter(pk=old.pk).exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--pki", "{missing}"], "holds no mtlsguard PKI"),  # a PKIError, not a traceback
        (["--pki", "{pki}", "--timeout", "0"], "must be positive"),
        (["--pki", "{pki}", "--cert", "c.pem"], "not both"),
        (["--cert", "c.pem"], "missing --key, --cacert"),
        (["not-a-port", "--pki", "{pki}"], "is not PORT, HOST:PORT"),
    ],
)
def test_runmtlsserver_usage_errors_are_command_errors(
    tmp_path: Path, options: list[str], message: str
) -> None:
    from mtlsguard.devserver.localca import LocalCA

    pki = LocalCA.init(tmp_path / "pki").directory
    filled = [o.format(pki=pki, missing=tmp_path / "missing") for o in options]
    with pytest.raises(CommandError, match=message):
        call_command("runmtlsserver", *filled, stdout=StringIO())
