"""Issue 14 through the real request path: a Django test client forwarding like nginx.

Name constraints on subject e-mails (2), undecodable SANs (5), the SPIFFE mapping (8) and
CRLs imported with ``mtlscert import-crl`` for the mapping modes (9).
"""

from __future__ import annotations

import logging
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client

from mtlsguard.devserver.pki import CertificateAuthority, IssuedCertificate, TestPKI
from tests.certs.builders import EDI_PARTY_SAN, X400_SAN, constrained_intermediate, leaf, subject
from tests.django.conftest import PROXY, audit_events, nginx_headers
from tests.factories import bind


def with_bundle(
    mtls_settings: Any, tmp_path: Path, *cas: CertificateAuthority, **conf: Any
) -> None:
    """Trust ``cas`` too (nginx forwards only the leaf, so the app's bundle holds them).

    No CRL files unless ``conf`` gives some: the extra CAs publish none.
    """
    bundle = tmp_path / "bundle.pem"
    extra = b"".join(ca.cert.public_bytes(Encoding.PEM) for ca in cas)
    bundle.write_bytes(Path(mtls_settings.MTLSGUARD["CA_BUNDLE"]).read_bytes() + extra)
    mtls_settings.MTLSGUARD = {
        **mtls_settings.MTLSGUARD,
        "CA_BUNDLE": str(bundle),
        "CRL_FILES": [],
        **conf,
    }


def whoami(issued: IssuedCertificate) -> Any:
    return Client(REMOTE_ADDR=PROXY).get("/api/whoami", headers=nginx_headers(issued))


# --- 2: rfc822 name constraints bind the subject's emailAddress ----------------------------


@pytest.mark.django_db
def test_constrained_partner_ca_cannot_log_in_as_admin_by_subject_email(
    mtls_settings: Any, tmp_path: Path, pki: TestPKI
) -> None:
    partner = constrained_intermediate(
        pki.root, "Partner CA", permitted=[x509.RFC822Name("partner.com")]
    )
    with_bundle(mtls_settings, tmp_path, partner, IDENTITY={"MAPPING": "email"})
    manager = get_user_model().objects
    manager.create_user("admin", email="admin@example.com")
    partner_user = manager.create_user("pat", email="pat@partner.com")

    forged = leaf(partner, subject("admin", email="admin@example.com"))  # no SAN
    response = whoami(forged)
    assert response.status_code == 403
    assert response.json()["reason"] == "invalid"

    allowed = whoami(leaf(partner, subject("pat", email="pat@partner.com")))
    assert allowed.status_code == 200
    assert allowed.json()["user"] == partner_user.username


# --- 5: an x400Address / ediPartyName SAN is malformed, audited and throttled, never a 500 --


@pytest.mark.django_db
@pytest.mark.parametrize("raw", [EDI_PARTY_SAN, X400_SAN], ids=["ediPartyName", "x400Address"])
def test_unsupported_san_is_a_clean_refusal_with_audit_and_throttle(
    mtls_settings: Any, pki: TestPKI, caplog: pytest.LogCaptureFixture, raw: bytes
) -> None:
    mtls_settings.MTLSGUARD = {
        **mtls_settings.MTLSGUARD,
        "THROTTLE": {"ENABLED": True, "FAILURES": 2, "WINDOW": 60},
    }
    issued = leaf(pki.intermediate, subject("edi"), raw_san=raw)
    caplog.set_level(logging.INFO, logger="mtlsguard.audit")
    client = Client(REMOTE_ADDR=PROXY)  # counted by the fingerprint presented
    statuses = [
        client.get("/api/whoami", headers=nginx_headers(issued)).status_code for _ in range(3)
    ]
    assert statuses == [400, 400, 429]
    events = audit_events(caplog)
    assert [e["reason"] for e in events] == ["malformed", "malformed", "throttled"]
    assert events[0]["subject"] == "CN=edi,O=mtlsguard test"
    assert events[0]["fingerprint"]
    cache.clear()


# --- 8: SPIFFE ---------------------------------------------------------------------------


def spiffe_user(name: str = "alice") -> Any:
    return get_user_model().objects.create_user(name)


SA_REGEX = r"spiffe://example\.com/ns/billing/sa/([a-z]+)"


@pytest.mark.django_db
def test_principal_regex_is_matched_against_the_whole_id(
    mtls_settings: Any, tmp_path: Path, pki: TestPKI
) -> None:
    spiffe_user()
    loose = r"example\.com/ns/billing/sa/([a-z]+)"  # what search() used to find anywhere
    with_bundle(mtls_settings, tmp_path, IDENTITY={"MAPPING": "spiffe", "PRINCIPAL_REGEX": loose})
    evil = pki.intermediate.issue(
        "e", uris=["spiffe://evil.test/x/example.com/ns/billing/sa/alice"]
    )
    assert whoami(evil).json()["user"] is None
    with_bundle(
        mtls_settings, tmp_path, IDENTITY={"MAPPING": "spiffe", "PRINCIPAL_REGEX": SA_REGEX}
    )
    assert whoami(pki.client).json()["user"] == "alice"
    assert whoami(evil).json()["user"] is None


@pytest.mark.django_db
def test_an_svid_has_exactly_one_uri_san(mtls_settings: Any, tmp_path: Path, pki: TestPKI) -> None:
    spiffe_user()
    with_bundle(
        mtls_settings, tmp_path, IDENTITY={"MAPPING": "spiffe", "PRINCIPAL_REGEX": SA_REGEX}
    )
    two = pki.intermediate.issue(
        "two", uris=["https://example.com/me", "spiffe://example.com/ns/billing/sa/alice"]
    )
    assert whoami(two).status_code == 200
    assert whoami(two).json()["user"] is None
    one = pki.intermediate.issue("one", uris=["spiffe://example.com/ns/billing/sa/alice"])
    assert whoami(one).json()["user"] == "alice"


@pytest.mark.django_db
def test_a_trust_domain_is_bound_to_its_ca(
    mtls_settings: Any, tmp_path: Path, pki: TestPKI
) -> None:
    spiffe_user()
    other_team = pki.root.intermediate("Other Team CA")
    inter_cn = pki.intermediate.cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[
        0
    ].value
    identity = {
        "MAPPING": "spiffe",
        "PRINCIPAL_REGEX": SA_REGEX,
        "SPIFFE_TRUST_DOMAINS": {"example.com": inter_cn},
    }
    with_bundle(mtls_settings, tmp_path, other_team, IDENTITY=identity)
    minted = other_team.issue("x", uris=["spiffe://example.com/ns/billing/sa/alice"])
    assert whoami(minted).status_code == 200  # a valid certificate of a trusted CA...
    assert whoami(minted).json()["user"] is None  # ...that may not speak for example.com
    assert whoami(pki.client).json()["user"] == "alice"
    # by fingerprint as well; and a trust domain that is not listed maps to nobody
    fingerprint = other_team.cert.fingerprint(hashes.SHA256()).hex()
    identity["SPIFFE_TRUST_DOMAINS"] = {"example.com": fingerprint}
    with_bundle(mtls_settings, tmp_path, other_team, IDENTITY=identity)
    assert whoami(minted).json()["user"] == "alice"
    assert whoami(pki.client).json()["user"] is None


# --- 9: mtlscert import-crl takes effect on the mapping modes without a restart ----------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("mapping", "regex"),
    [("email", None), ("subject", None), ("spiffe", SA_REGEX)],
)
def test_import_crl_revokes_mapped_certificates_at_once(
    mtls_settings: Any, tmp_path: Path, pki: TestPKI, mapping: str, regex: str | None
) -> None:
    get_user_model().objects.create_user("alice", email="alice@example.com")
    identity: dict[str, Any] = {"MAPPING": mapping, "CACHE_TTL": 300}
    if regex:
        identity["PRINCIPAL_REGEX"] = regex
    # The app's own CRL file does not list alice (she is revoked later, by the import).
    with_bundle(mtls_settings, tmp_path, IDENTITY=identity)
    assert whoami(pki.client).json()["user"] == "alice"  # and now cached for 300 s
    ca = CertificateAuthority(cert=pki.intermediate.cert, key=pki.intermediate.key)
    ca.revoke(pki.client.cert)
    crl_file = tmp_path / "new.crl"
    crl_file.write_bytes(ca.crl().public_bytes(Encoding.PEM))
    ca_file = tmp_path / "issuer.pem"
    ca_file.write_bytes(pki.intermediate.cert.public_bytes(Encoding.PEM))
    call_command("mtlscert", "import-crl", str(crl_file), "--ca", str(ca_file))
    assert whoami(pki.client).json()["user"] is None
    assert whoami(pki.other_client).status_code == 200


# --- 9: mod_wsgi's latin-1 environ and mod_ssl's RFC 2253 escaping -------------------------

TRICKY_NAMES = ['Jürgen, "Boss"; +x', "Zoë <ops>", "a\\b#c", "\u6771\u4eac"]


def mod_ssl_dn(issued: IssuedCertificate, nameopt: str) -> str:
    """SSL_CLIENT_S_DN as mod_ssl computes it, as mod_wsgi hands it over (latin-1 text).

    mod_ssl prints with ``XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB`` (``-nameopt
    RFC2253,-esc_msb``), or ``X509_NAME_oneline`` with ``+LegacyDNStringFormat``.
    """
    out = subprocess.run(
        ["openssl", "x509", "-noout", "-subject", "-nameopt", nameopt],
        input=issued.cert_pem,
        capture_output=True,
        check=True,
    ).stdout
    return out.split(b"=", 1)[1].strip().decode("latin-1")


@pytest.mark.django_db
@pytest.mark.parametrize("nameopt", ["RFC2253,-esc_msb", "compat"])
@pytest.mark.parametrize("common_name", TRICKY_NAMES)
def test_mod_wsgi_environ_dn_with_non_ascii_and_escapes_is_not_ambiguous(
    mtls_settings: Any, pki: TestPKI, nameopt: str, common_name: str
) -> None:
    mtls_settings.MTLSGUARD = {**mtls_settings.MTLSGUARD, "SOURCE": "apache"}
    issued = pki.intermediate.issue(
        x509.Name(
            [
                x509.NameAttribute(x509.NameOID.ORGANIZATION_NAME, "Example, Inc."),
                x509.NameAttribute(x509.NameOID.COMMON_NAME, common_name),
            ]
        )
    )
    bind(get_user_model().objects.create_user("tricky"), issued)
    environ = {
        "SSL_CLIENT_VERIFY": "SUCCESS",
        "SSL_CLIENT_CERT": issued.cert_pem.decode("ascii"),
        "SSL_CLIENT_S_DN": mod_ssl_dn(issued, nameopt),
        "SSL_CLIENT_I_DN": mod_ssl_dn(
            IssuedCertificate(cert=pki.intermediate.cert, key=pki.intermediate.key), nameopt
        ),
    }
    response = Client(**environ).get("/api/whoami")
    assert response.status_code == 200, response.content
    assert response.json()["error"] is None
    assert response.json()["user"] == "tricky"


# --- 9: QuerySet.update() sends no signals: bounded by CACHE_TTL, or invalidate() at once --


@pytest.mark.django_db
@pytest.mark.parametrize("change", ["deactivate user", "revoke binding"])
def test_bulk_updates_are_seen_within_the_cache_ttl(
    mtls_settings: Any, alice: Any, pki: TestPKI, change: str
) -> None:
    from django.utils import timezone

    from mtlsguard.django.identity_cache import invalidate
    from mtlsguard.django.models import CertificateBinding

    mtls_settings.MTLSGUARD = {**mtls_settings.MTLSGUARD, "IDENTITY": {"CACHE_TTL": 1}}
    assert whoami(pki.client).json()["user"] == "alice"
    if change == "deactivate user":
        get_user_model().objects.filter(pk=alice.pk).update(is_active=False)
    else:
        CertificateBinding.objects.filter(user=alice).update(revoked_at=timezone.now())
    time.sleep(1.05)  # the documented bound: CACHE_TTL seconds
    assert whoami(pki.client).json()["user"] is None
    # and at once after invalidate() (what mtlscert and the admin's bulk actions call)
    get_user_model().objects.filter(pk=alice.pk).update(is_active=True)
    CertificateBinding.objects.filter(user=alice).update(revoked_at=None)
    mtls_settings.MTLSGUARD = {**mtls_settings.MTLSGUARD, "IDENTITY": {"CACHE_TTL": 600}}
    assert whoami(pki.client).json()["user"] == "alice"
    get_user_model().objects.filter(pk=alice.pk).update(is_active=False)
    invalidate()
    assert whoami(pki.client).json()["user"] is None


# --- 3: a CRL that does not cover the certificate never lets a revoked one in -------------


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["delta", "only CA certificates", "unknown critical"])
def test_a_partial_crl_file_fails_closed_for_a_revoked_certificate(
    mtls_settings: Any, tmp_path: Path, pki: TestPKI, kind: str
) -> None:
    from tests.certs.builders import idp, scoped_crl

    extension = {
        "delta": (x509.DeltaCRLIndicator(1), True),
        "only CA certificates": idp(only_ca=True),
        "unknown critical": (
            x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.55555.9"), b"\x05\x00"),
            True,
        ),
    }[kind]
    crl = tmp_path / "partial.crl"
    crl.write_bytes(scoped_crl(pki.intermediate, extensions=[extension]).public_bytes(Encoding.PEM))
    mtls_settings.MTLSGUARD = {**mtls_settings.MTLSGUARD, "CRL_FILES": [str(crl)]}
    response = whoami(pki.revoked)
    assert response.status_code == 403
    assert response.json()["reason"] == "revocation_unknown"
