"""A throwaway PKI built in-process for the tests: root, intermediate, and every bad variant.

:class:`TestPKI` is built from :mod:`mtlsguard.devserver.authority`, whose names are
re-exported here (``from mtlsguard.devserver.pki import CertificateAuthority`` keeps working).
Nothing here is meant for production trust.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID

from mtlsguard.devserver.authority import (
    CertificateAuthority,
    IssuedCertificate,
    KeyType,
    PrivateKey,
    load_private_key,
    name,
    utc_now,
)

__all__ = [
    "CertificateAuthority",
    "IssuedCertificate",
    "KeyType",
    "PrivateKey",
    "TestPKI",
    "load_private_key",
    "name",
]


@dataclass
class TestPKI:
    """A ready-made PKI: root -> intermediate -> server and client certificates, plus variants.

    ``client`` chains through the intermediate; the variants cover every verification failure:
    ``expired``, ``not_yet_valid``, ``self_signed``, ``wrong_eku`` (serverAuth only) and
    ``revoked`` (listed in :meth:`crl`). ``other_client`` is a second valid identity.
    """

    __test__ = False  # not a pytest test class

    root: CertificateAuthority
    intermediate: CertificateAuthority
    server: IssuedCertificate
    client: IssuedCertificate
    other_client: IssuedCertificate
    expired: IssuedCertificate
    not_yet_valid: IssuedCertificate
    self_signed: IssuedCertificate
    wrong_eku: IssuedCertificate
    revoked: IssuedCertificate

    @classmethod
    def create(cls, *, key_type: KeyType = "ec") -> TestPKI:
        """Generate the whole PKI in memory (about 20 ms with EC keys)."""
        root = CertificateAuthority.root(key_type=key_type)
        inter = root.intermediate(key_type=key_type)
        now = utc_now()
        client = inter.issue(
            name("alice", O="Example, Inc.", OU="Billing"),
            emails=["alice@example.com"],
            dns_names=["alice.clients.example.com"],
            uris=["spiffe://example.com/ns/billing/sa/alice"],
            key_type=key_type,
        )
        other = inter.issue(
            name("bob", O="Example, Inc.", OU="Billing"),
            emails=["bob@example.com"],
            uris=["spiffe://example.com/ns/billing/sa/bob"],
            key_type=key_type,
        )
        expired = inter.issue(
            "expired-client",
            not_before=now - dt.timedelta(days=30),
            not_after=now - dt.timedelta(days=1),
            key_type=key_type,
        )
        not_yet = inter.issue(
            "future-client",
            not_before=now + dt.timedelta(days=1),
            not_after=now + dt.timedelta(days=30),
            key_type=key_type,
        )
        rogue_root = CertificateAuthority.root("Rogue CA", key_type=key_type)
        self_signed_ca = rogue_root.issue("mallory", emails=["mallory@example.com"])
        wrong_eku = inter.issue(
            "server-not-client", eku=(ExtendedKeyUsageOID.SERVER_AUTH,), key_type=key_type
        )
        revoked = inter.issue("revoked-client", key_type=key_type)
        inter.revoke(revoked.cert)
        return cls(
            root=root,
            intermediate=inter,
            server=inter.issue_server(),
            client=client,
            other_client=other,
            expired=expired,
            not_yet_valid=not_yet,
            self_signed=self_signed_ca,
            wrong_eku=wrong_eku,
            revoked=revoked,
        )

    def crl(self) -> x509.CertificateRevocationList:
        """A CRL from the intermediate listing ``revoked``."""
        return self.intermediate.crl()

    def write(self, directory: Path) -> dict[str, Path]:
        """Write every certificate/key, ``ca.pem`` (root), ``chain.pem`` and ``crl.pem``."""
        directory.mkdir(parents=True, exist_ok=True)
        paths: dict[str, Path] = {}
        (directory / "ca.pem").write_bytes(self.root.cert.public_bytes(Encoding.PEM))
        paths["ca"] = directory / "ca.pem"
        (directory / "intermediate.pem").write_bytes(
            self.intermediate.cert.public_bytes(Encoding.PEM)
        )
        paths["intermediate"] = directory / "intermediate.pem"
        (directory / "crl.pem").write_bytes(self.crl().public_bytes(Encoding.PEM))
        paths["crl"] = directory / "crl.pem"
        for stem in (
            "server",
            "client",
            "other_client",
            "expired",
            "not_yet_valid",
            "self_signed",
            "wrong_eku",
            "revoked",
        ):
            issued: IssuedCertificate = getattr(self, stem)
            cert_path, key_path = issued.write(directory, stem)
            paths[stem], paths[f"{stem}_key"] = cert_path, key_path
        return paths
