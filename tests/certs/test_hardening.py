"""Issue 14: subject e-mails under name constraints, undecodable SANs, SPIFFE SVID shape."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from mtlsguard.certs import CertificateError, ClientCertificate, VerificationPolicy, verify
from mtlsguard.certs.checks import check_subject_email_constraints
from mtlsguard.devserver.pki import CertificateAuthority, IssuedCertificate, TestPKI
from tests.certs.builders import (
    EDI_PARTY_SAN,
    X400_SAN,
    constrained_intermediate,
    leaf,
    subject,
)
from tests.factories import client_of


@pytest.fixture(scope="module")
def partner() -> tuple[CertificateAuthority, CertificateAuthority]:
    root = CertificateAuthority.root("Constraints Root")
    return root, constrained_intermediate(
        root, "Partner CA", permitted=[x509.RFC822Name("partner.com")]
    )


def reason(cert: ClientCertificate, policy: VerificationPolicy) -> str:
    with pytest.raises(CertificateError) as info:
        verify(cert, policy)
    return info.value.reason


def test_subject_email_outside_the_partner_constraint_is_refused(
    partner: tuple[CertificateAuthority, CertificateAuthority],
) -> None:
    root, ca = partner
    policy = VerificationPolicy(trust_anchors=(root.cert,))
    forged = leaf(ca, subject("admin", email="admin@example.com"))
    assert reason(client_of(forged), policy) == "invalid"


def test_subject_email_inside_the_constraint_and_san_violations(
    partner: tuple[CertificateAuthority, CertificateAuthority],
) -> None:
    root, ca = partner
    policy = VerificationPolicy(trust_anchors=(root.cert,))
    fine = leaf(ca, subject("bob", email="bob@PARTNER.com"))
    assert verify(client_of(fine), policy).subject.startswith("1.2.840.113549.1.9.1=bob@")
    # cryptography itself refuses the SAN form; the subject form is now refused alike
    san = leaf(ca, subject("eve"), sans=[x509.RFC822Name("eve@example.com")])
    assert reason(client_of(san), policy) in {"invalid", "untrusted_issuer"}


@pytest.mark.parametrize(
    ("constraint", "email", "allowed"),
    [
        ("partner.com", "a@partner.com", True),
        ("partner.com", "a@sub.partner.com", False),
        (".partner.com", "a@sub.partner.com", True),
        (".partner.com", "a@partner.com", False),
        ("boss@partner.com", "boss@partner.com", True),
        ("boss@partner.com", "Boss@partner.com", False),
        ("partner.com", "a@evilpartner.com", False),
        ("partner.com", "not-an-address", False),
        ("partner.com", "a@partner.com@example.com", False),
    ],
)
def test_rfc822_matching(constraint: str, email: str, allowed: bool) -> None:
    root = CertificateAuthority.root("Matching Root")
    ca = constrained_intermediate(root, "M", permitted=[x509.RFC822Name(constraint)])
    issued = leaf(ca, subject("m", email=email))
    chain = (issued.cert, ca.cert, root.cert)
    if allowed:
        check_subject_email_constraints(chain)
    else:
        with pytest.raises(CertificateError):
            check_subject_email_constraints(chain)


def test_excluded_subtree_binds_the_subject_email() -> None:
    root = CertificateAuthority.root("Excluding Root")
    ca = constrained_intermediate(root, "X", excluded=[x509.RFC822Name("example.com")])
    policy = VerificationPolicy(trust_anchors=(root.cert,))
    assert reason(client_of(leaf(ca, subject("a", email="a@example.com"))), policy) == "invalid"
    assert verify(client_of(leaf(ca, subject("b", email="b@partner.com"))), policy)


@pytest.mark.parametrize("raw", [EDI_PARTY_SAN, X400_SAN], ids=["ediPartyName", "x400Address"])
def test_unsupported_general_names_are_malformed_never_raised(pki: TestPKI, raw: bytes) -> None:
    issued = leaf(pki.intermediate, subject("edi"), raw_san=raw)
    cert = client_of(issued)
    assert cert.subject == "CN=edi,O=mtlsguard test"  # names never raise
    assert cert.emails == cert.uris == ()
    policy = VerificationPolicy(trust_anchors=(pki.root.cert,))
    assert reason(cert, policy) == "malformed"


def test_the_reader_gate_runs_before_verification_and_never_on_a_cache_hit(
    pki: TestPKI,
) -> None:
    from mtlsguard.certs.request import CertificateReader

    policy = VerificationPolicy(trust_anchors=(pki.root.cert,))
    reader = CertificateReader("wsgi-ssl", policy)
    asked: list[str | None] = []

    def refuse(cert: ClientCertificate) -> CertificateError | None:
        asked.append(cert.sha256)
        return CertificateError("throttled", "over the limit")

    def environ(issued: IssuedCertificate) -> dict[str, str]:
        return {
            "SSL_CLIENT_VERIFY": "SUCCESS",
            "SSL_CLIENT_CERT": issued.cert_pem.decode(),
            "SSL_CLIENT_CERT_CHAIN_0": pki.intermediate.cert.public_bytes(Encoding.PEM).decode(),
        }

    refused = reader.read(peer=None, environ=environ(pki.client), gate=refuse)
    assert refused.error is not None
    assert refused.error.reason == "throttled"
    assert refused.presented is not None
    assert asked == [refused.presented.sha256]
    assert reader.read(peer=None, environ=environ(pki.client)).verified is not None
    again = reader.read(peer=None, environ=environ(pki.client), gate=refuse)
    assert again.verified is not None  # verified before: the gate is not asked
    assert len(asked) == 1
