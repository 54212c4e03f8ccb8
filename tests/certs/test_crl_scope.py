"""RFC 5280 CRL scope: a CRL that does not cover a certificate never vouches for it (issue 14)."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from mtlsguard.certs import VerificationPolicy, verify
from mtlsguard.devserver.pki import CertificateAuthority, TestPKI
from tests.certs.builders import idp, scoped_crl
from tests.certs.test_crl import CrlServer, Route, crl_server, dp_ca, issue_with_dp
from tests.certs.test_verify import reason_of
from tests.factories import client_of

__all__ = ["crl_server", "dp_ca"]  # fixtures used here

URL = x509.UniformResourceIdentifier
UNKNOWN_OID = x509.ObjectIdentifier("1.3.6.1.4.1.55555.1.1")
UNKNOWN_CRITICAL = (x509.UnrecognizedExtension(UNKNOWN_OID, b"\x05\x00"), True)

#: Each CRL leaves the revoked certificate out, and none may count as the complete CRL.
NOT_THE_COMPLETE_CRL = {
    "delta without a base": [(x509.DeltaCRLIndicator(1), True)],
    "onlyContainsCACerts": [idp(only_ca=True)],
    "onlySomeReasons": [idp(only_some_reasons=frozenset({x509.ReasonFlags.key_compromise}))],
    "another partition": [idp(full_name=[URL("http://crl.example/part-7.crl")])],
    "onlyContainsAttributeCerts": [idp(only_attribute=True)],
    "indirect": [idp(indirect=True)],
    "unknown critical extension": [UNKNOWN_CRITICAL],
}


@pytest.mark.parametrize("extensions", NOT_THE_COMPLETE_CRL.values(), ids=NOT_THE_COMPLETE_CRL)
def test_a_revoked_certificate_never_passes_strict_mode_on_a_partial_crl(
    pki: TestPKI, extensions: list[tuple[x509.ExtensionType, bool]]
) -> None:
    crl = scoped_crl(pki.intermediate, extensions=extensions)
    strict = VerificationPolicy(trust_anchors=(pki.root.cert,), crls=(crl,))
    assert reason_of(client_of(pki.revoked), strict) == "revocation_unknown"
    assert reason_of(client_of(pki.client), strict) == "revocation_unknown"


def test_an_unknown_critical_entry_extension_makes_the_crl_unusable(pki: TestPKI) -> None:
    crl = scoped_crl(
        pki.intermediate,
        revoked=[pki.other_client.cert.serial_number],
        entry_extensions=[UNKNOWN_CRITICAL],
    )
    strict = VerificationPolicy(trust_anchors=(pki.root.cert,), crls=(crl,))
    assert reason_of(client_of(pki.client), strict) == "revocation_unknown"


def test_crls_whose_scope_covers_the_certificate_still_work(pki: TestPKI) -> None:
    for extensions in (
        [idp(only_user=True)],
        [(x509.UnrecognizedExtension(UNKNOWN_OID, b"\x05\x00"), False)],
    ):
        crl = scoped_crl(
            pki.intermediate, revoked=[pki.revoked.cert.serial_number], extensions=extensions
        )
        strict = VerificationPolicy(trust_anchors=(pki.root.cert,), crls=(crl,))
        assert verify(client_of(pki.client), strict).revocation_checked
        assert reason_of(client_of(pki.revoked), strict) == "revoked"


def test_a_delta_crl_proves_a_revocation_but_not_a_removal(pki: TestPKI) -> None:
    delta = scoped_crl(
        pki.intermediate,
        revoked=[pki.revoked.cert.serial_number],
        extensions=[(x509.DeltaCRLIndicator(1), True)],
    )
    strict = VerificationPolicy(trust_anchors=(pki.root.cert,), crls=(delta, pki.crl()))
    assert reason_of(client_of(pki.revoked), strict) == "revoked"
    assert verify(client_of(pki.client), strict).revocation_checked  # the base vouches


def test_a_partitioned_crl_covers_the_certificates_that_name_it(
    crl_server: CrlServer, dp_ca: tuple[CertificateAuthority, CertificateAuthority]
) -> None:
    root, inter = dp_ca
    url = crl_server.url("/part-1.crl")
    issued = issue_with_dp(inter, "partition-1", url)
    mine = scoped_crl(inter, extensions=[idp(full_name=[URL(url)])])
    other = scoped_crl(inter, extensions=[idp(full_name=[URL(url + "x")])])
    policy = VerificationPolicy(trust_anchors=(root.cert,), crls=(mine,))
    assert verify(client_of(issued), policy).revocation_checked
    assert reason_of(client_of(issued), policy.replace(crls=(other,))) == "revocation_unknown"


@pytest.mark.parametrize(
    "case", ["delta without a base", "onlyContainsCACerts", "unknown critical extension"]
)
def test_a_fetched_out_of_scope_crl_fails_closed(
    crl_server: CrlServer, dp_ca: tuple[CertificateAuthority, CertificateAuthority], case: str
) -> None:
    # An on-path attacker answering the distribution point with a partial CRL.
    root, inter = dp_ca
    path = f"/fetched-{len(case)}.crl"
    issued = issue_with_dp(inter, "fetched", crl_server.url(path))
    inter.revoke(issued.cert)
    crl = scoped_crl(inter, extensions=NOT_THE_COMPLETE_CRL[case])
    crl_server.routes[path] = Route(crl.public_bytes(Encoding.DER))
    policy = VerificationPolicy(trust_anchors=(root.cert,), fetch_crls=True)
    assert reason_of(client_of(issued), policy) == "revocation_unknown"
    assert sum(crl_server.hits.values()) == 1


def test_a_crl_with_an_extension_twice_is_not_a_crl(pki: TestPKI) -> None:
    """``DuplicateExtension`` is not a ``ValueError``: a CRL naming its CRL number twice
    (found by the mutation fuzzer in CI) must be refused as unreadable, never raise."""
    from mtlsguard.certs.crl import CrlRecord, parse_crl

    crl = scoped_crl(pki.intermediate, extensions=[(x509.DeltaCRLIndicator(6), False)])
    der = crl.public_bytes(Encoding.DER)
    delta_oid, number_oid = bytes.fromhex("0603551d1b"), bytes.fromhex("0603551d14")
    assert der.count(delta_oid) == 1
    twice = der.replace(delta_oid, number_oid)
    with pytest.raises(ValueError, match="cannot be decoded"):
        CrlRecord(parse_crl(twice), "twice")
