from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import threading
import urllib.parse
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID
from hypothesis import given
from hypothesis import strategies as st

from mtlsguard.certs import (
    REASONS,
    CertificateError,
    CertificateVerifier,
    ClientCertificate,
    VerificationPolicy,
    VerifiedCertificate,
    extract,
    verify,
)
from mtlsguard.certs.verifier import verifier_for
from mtlsguard.devserver.authority import _ca_extensions
from mtlsguard.devserver.pki import CertificateAuthority, IssuedCertificate, TestPKI, name
from tests.factories import client_of


class Clock:
    """An injectable clock that tests move by hand."""

    def __init__(self, now: dt.datetime | None = None) -> None:
        self.now = now or dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def policy_for(pki: TestPKI, **options: object) -> VerificationPolicy:
    return VerificationPolicy(trust_anchors=(pki.root.cert,), **options)  # type: ignore[arg-type]


def reason_of(cert: ClientCertificate, policy: VerificationPolicy) -> str:
    with pytest.raises(CertificateError) as info:
        verify(cert, policy)
    return info.value.reason


def hand_built_leaf(
    ca: CertificateAuthority,
    common_name: str,
    *,
    digital_signature: bool = True,
    key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | None = None,
    crl_urls: tuple[str, ...] = (),
) -> IssuedCertificate:
    """A client certificate with only a CN (no SAN), a chosen keyUsage and CRL URLs."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name(common_name))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=digital_signature,
                content_commitment=not digital_signature,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
            critical=False,
        )
    )
    if crl_urls:
        points = [
            x509.DistributionPoint([x509.UniformResourceIdentifier(u)], None, None, None)
            for u in crl_urls
        ]
        builder = builder.add_extension(x509.CRLDistributionPoints(points), critical=False)
    cert = builder.sign(ca.key, hashes.SHA256())
    return IssuedCertificate(cert=cert, key=key, chain=ca._chain_for_leaf())  # type: ignore[arg-type]


# --- success -------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["pki", "rsa_pki"])
def test_valid_client_verifies_through_the_forwarded_intermediate(
    which: str, request: pytest.FixtureRequest
) -> None:
    pki: TestPKI = request.getfixturevalue(which)
    cert = client_of(pki.client, proxy_verified=True, source="nginx")
    result = verify(cert, policy_for(pki))
    assert isinstance(result, VerifiedCertificate)
    assert result.certificate is cert
    assert result.chain == (pki.client.cert, pki.intermediate.cert, pki.root.cert)
    assert result.trust_anchor == pki.root.cert
    assert result.subject == "CN=alice,OU=Billing,O=Example\\, Inc."
    assert result.sha256 == cert.sha256
    # leaf (90 days) expires before the intermediate and the root
    assert result.expires_at == pki.client.cert.not_valid_after_utc
    assert result.revocation_checked is False
    assert "alice" in repr(result)
    assert len(repr(result)) < 400


def test_from_der_with_der_chain(pki: TestPKI) -> None:
    cert = ClientCertificate.from_der(
        pki.client.der,
        chain=tuple(c.public_bytes(Encoding.DER) for c in pki.client.chain),
    )
    assert verify(cert, policy_for(pki)).chain[-1] == pki.root.cert


def test_client_certificate_with_only_a_cn_is_accepted(pki: TestPKI) -> None:
    # webpki's default client profile demands a subjectAltName; many client certs have none.
    cn_only = hand_built_leaf(pki.intermediate, "cn-only")
    with pytest.raises(x509.ExtensionNotFound):
        cn_only.cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    result = verify(client_of(cn_only), policy_for(pki))
    assert result.certificate.common_name == "cn-only"


def test_ed25519_client_key_is_accepted(pki: TestPKI) -> None:
    issued = hand_built_leaf(pki.intermediate, "ed", key=ed25519.Ed25519PrivateKey.generate())
    assert verify(client_of(issued), policy_for(pki)).chain[0] == issued.cert


def test_intermediate_in_the_bundle_needs_no_forwarded_chain(pki: TestPKI) -> None:
    policy = VerificationPolicy(trust_anchors=(pki.root.cert, pki.intermediate.cert))
    result = verify(ClientCertificate.from_certificate(pki.client.cert), policy)
    assert result.chain[0] == pki.client.cert


# --- every failure reason ----------------------------------------------------------------


def test_expired(pki: TestPKI) -> None:
    assert reason_of(client_of(pki.expired), policy_for(pki)) == "expired"


def test_not_yet_valid(pki: TestPKI) -> None:
    assert reason_of(client_of(pki.not_yet_valid), policy_for(pki)) == "not_yet_valid"


def test_self_signed_issuer_is_untrusted(pki: TestPKI) -> None:
    cert = client_of(pki.self_signed)
    assert reason_of(cert, policy_for(pki)) == "untrusted_issuer"
    # ... and it does verify against its own (rogue) CA, so the refusal is about trust.
    rogue_root = pki.self_signed.cert.issuer
    assert rogue_root != pki.root.cert.subject


def test_missing_intermediate_is_untrusted_issuer(pki: TestPKI) -> None:
    cert = ClientCertificate.from_certificate(pki.client.cert)  # chain not forwarded
    assert reason_of(cert, policy_for(pki)) == "untrusted_issuer"


def test_forged_signature_is_untrusted_issuer(pki: TestPKI) -> None:
    # Same issuer name as the real intermediate, signed by another key.
    impostor = CertificateAuthority(
        cert=pki.intermediate.cert,
        key=ec.generate_private_key(ec.SECP256R1()),
        chain=pki.intermediate.chain,
    )
    forged = impostor.issue("forged-alice")
    assert reason_of(client_of(forged), policy_for(pki)) == "untrusted_issuer"


def test_wrong_eku_is_bad_key_usage(pki: TestPKI) -> None:
    assert reason_of(client_of(pki.wrong_eku), policy_for(pki)) == "bad_key_usage"
    # still refused when missing EKUs are tolerated: serverAuth-only never means clientAuth
    lenient = policy_for(pki, require_client_auth_eku=False)
    assert reason_of(client_of(pki.wrong_eku), lenient) == "bad_key_usage"


def test_missing_eku_refused_by_default_and_allowed_on_request(pki: TestPKI) -> None:
    no_eku = pki.intermediate.issue("no-eku", eku=None)
    assert reason_of(client_of(no_eku), policy_for(pki)) == "bad_key_usage"
    assert verify(client_of(no_eku), policy_for(pki, require_client_auth_eku=False))


def test_key_usage_without_digital_signature_is_bad_key_usage(pki: TestPKI) -> None:
    issued = hand_built_leaf(pki.intermediate, "no-digsig", digital_signature=False)
    assert reason_of(client_of(issued), policy_for(pki)) == "bad_key_usage"


def test_weak_rsa_key(pki: TestPKI) -> None:
    weak = pki.intermediate.issue("weak-rsa", key_type="rsa", rsa_bits=1024)
    cert = client_of(weak)
    assert reason_of(cert, policy_for(pki)) == "weak_key"
    assert verify(cert, policy_for(pki, min_rsa_bits=1024))


def test_ec_curve_below_minimum(pki: TestPKI) -> None:
    assert reason_of(client_of(pki.client), policy_for(pki, min_ec_bits=384)) == "weak_key"


def test_pinning(pki: TestPKI) -> None:
    alice, bob = client_of(pki.client), client_of(pki.other_client)
    assert alice.sha256 is not None
    pin = ":".join(alice.sha256[i : i + 2] for i in range(0, 64, 2)).upper()  # openssl style
    policy = policy_for(pki, pinned_sha256=frozenset({pin}))
    assert verify(alice, policy).sha256 == alice.sha256
    assert reason_of(bob, policy) == "not_pinned"


def test_pinned_but_untrusted_is_still_refused(pki: TestPKI) -> None:
    mallory = client_of(pki.self_signed)
    policy = policy_for(pki, pinned_sha256=frozenset({mallory.sha256}))
    assert reason_of(mallory, policy) == "untrusted_issuer"


def test_fields_only_refused_unless_allowed(pki: TestPKI) -> None:
    fields = ClientCertificate.from_fields(
        subject="CN=alice,O=Example",
        issuer=pki.intermediate.cert.subject.rfc4514_string(),
        serial=1234,
        not_after=dt.datetime.now(dt.UTC) + dt.timedelta(days=1),
        proxy_verified=True,
        source="aws-alb",
    )
    assert reason_of(fields, policy_for(pki)) == "fields_only"
    result = verify(fields, policy_for(pki, allow_fields_only=True))
    assert result.chain == ()
    assert result.trust_anchor is None
    assert result.expires_at <= fields.not_after  # type: ignore[operator]


def test_fields_only_still_checks_dates_and_pins(pki: TestPKI) -> None:
    policy = policy_for(pki, allow_fields_only=True, pinned_sha256=frozenset({"ab" * 32}))
    expired = ClientCertificate.from_fields(
        subject="CN=old", sha256="AB" * 32, not_after=dt.datetime.now(dt.UTC) - dt.timedelta(1)
    )
    assert reason_of(expired, policy) == "expired"
    other = ClientCertificate.from_fields(subject="CN=x", sha256="cd" * 32)
    assert reason_of(other, policy) == "not_pinned"


def test_proxy_verification_failed(pki: TestPKI) -> None:
    cert = client_of(pki.client, proxy_verified=False)
    assert reason_of(cert, policy_for(pki)) == "proxy_verification_failed"
    fields = ClientCertificate.from_fields(subject="CN=x", proxy_verified=False)
    assert reason_of(fields, policy_for(pki, allow_fields_only=True)) == (
        "proxy_verification_failed"
    )


def test_malformed_leaf_and_chain(pki: TestPKI) -> None:
    good = client_of(pki.client)
    garbage_leaf = dataclasses.replace(good, der=b"\x30\x03garbage", _certificate=None)
    assert reason_of(garbage_leaf, policy_for(pki)) == "malformed"
    garbage_chain = dataclasses.replace(good, chain=(b"not a certificate",))
    assert reason_of(garbage_chain, policy_for(pki)) == "malformed"


def bad_version(der: bytes) -> bytes:
    """The same certificate with X.509 version 8 (cryptography raises InvalidVersion)."""
    index = der.find(bytes.fromhex("a003020102"))
    assert index > 0
    return der[: index + 4] + b"\x07" + der[index + 5 :]


def test_invalid_version_is_malformed_not_a_crash(pki: TestPKI) -> None:
    # Regression: x509.InvalidVersion is not a ValueError and escaped as a raw exception.
    with pytest.raises(CertificateError) as info:
        ClientCertificate.from_der(bad_version(pki.client.der))
    assert info.value.reason == "malformed"
    good = client_of(pki.client)
    bad_chain = dataclasses.replace(good, chain=(bad_version(good.chain[0]),))
    assert reason_of(bad_chain, policy_for(pki)) == "malformed"


def test_invalid_version_through_nginx_extract(pki: TestPKI) -> None:
    # Regression for the shared PEM loader used by the source parsers.
    body = base64.b64encode(bad_version(pki.client.der)).decode()
    pem = f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"
    headers = {"X-SSL-Client-Cert": urllib.parse.quote(pem), "X-SSL-Client-Verify": "SUCCESS"}
    with pytest.raises(CertificateError) as info:
        extract("nginx", headers)
    assert info.value.reason == "malformed"


def test_invalid_version_in_the_ca_bundle(tmp_path: Path, pki: TestPKI) -> None:
    bundle = tmp_path / "ca.der"
    bundle.write_bytes(bad_version(pki.root.cert.public_bytes(Encoding.DER)))
    with pytest.raises(ValueError, match="does not hold valid certificates"):
        VerificationPolicy.load(bundle)


def test_expired_intermediate(pki: TestPKI) -> None:
    now = dt.datetime.now(dt.UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(name("Retired Intermediate"))
        .issuer_name(pki.root.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=400))
        .not_valid_after(now - dt.timedelta(days=1))
    )
    retired = CertificateAuthority(
        cert=_ca_extensions(builder, key, pki.root.key, path_length=0).sign(
            pki.root.key, hashes.SHA256()
        ),
        key=key,
    )
    leaf = retired.issue("under-retired")  # the leaf itself is in date
    cert = ClientCertificate.from_certificate(leaf.cert, chain=(retired.cert,))
    with pytest.raises(CertificateError) as info:
        verify(cert, policy_for(pki))
    assert info.value.reason == "expired"
    assert "Retired Intermediate" in str(info.value)


def test_too_many_intermediates(pki: TestPKI) -> None:
    cert = client_of(pki.client)
    padded = dataclasses.replace(cert, chain=cert.chain * 3)
    assert reason_of(padded, policy_for(pki, max_chain_depth=2)) == "invalid"


# --- clock skew ----------------------------------------------------------------------------


def test_clock_skew_allowance_at_both_ends(pki: TestPKI) -> None:
    cert = client_of(pki.client)
    not_before = pki.client.cert.not_valid_before_utc
    not_after = pki.client.cert.not_valid_after_utc

    early = Clock(not_before - dt.timedelta(seconds=30))
    assert reason_of(cert, policy_for(pki, clock=early)) == "not_yet_valid"
    result = verify(cert, policy_for(pki, clock=early, clock_skew=dt.timedelta(minutes=1)))
    assert result.chain[0] == pki.client.cert

    late = Clock(not_after + dt.timedelta(seconds=30))
    assert reason_of(cert, policy_for(pki, clock=late)) == "expired"
    result = verify(cert, policy_for(pki, clock=late, clock_skew=dt.timedelta(minutes=1)))
    assert result.expires_at == not_after + dt.timedelta(minutes=1)

    too_late = Clock(not_after + dt.timedelta(minutes=2))
    skewed = policy_for(pki, clock=too_late, clock_skew=dt.timedelta(minutes=1))
    assert reason_of(cert, skewed) == "expired"


# --- cache ---------------------------------------------------------------------------------


def test_cache_hit_until_max_ttl(pki: TestPKI) -> None:
    clock = Clock()
    policy = policy_for(pki, clock=clock, max_cache_ttl=dt.timedelta(minutes=1))
    cert = client_of(pki.client)
    first = verify(cert, policy)
    assert first.expires_at == clock.now + dt.timedelta(minutes=1)
    clock.advance(seconds=30)
    assert verify(cert, policy) is first
    clock.advance(seconds=31)
    again = verify(cert, policy)
    assert again is not first
    assert again.expires_at == clock.now + dt.timedelta(minutes=1)


def test_cache_expires_with_the_certificate(pki: TestPKI) -> None:
    clock = Clock()
    policy = policy_for(pki, clock=clock)
    cert = client_of(pki.client)
    assert verify(cert, policy).expires_at == pki.client.cert.not_valid_after_utc
    clock.now = pki.client.cert.not_valid_after_utc + dt.timedelta(seconds=1)
    # A cached success must not outlive the certificate.
    assert reason_of(cert, policy) == "expired"


def test_errors_are_not_cached(pki: TestPKI) -> None:
    clock = Clock(pki.not_yet_valid.cert.not_valid_before_utc - dt.timedelta(hours=1))
    policy = policy_for(pki, clock=clock)
    cert = client_of(pki.not_yet_valid)
    assert reason_of(cert, policy) == "not_yet_valid"
    clock.now = pki.not_yet_valid.cert.not_valid_before_utc + dt.timedelta(hours=1)
    assert verify(cert, policy).chain[0] == pki.not_yet_valid.cert


def test_cache_hit_returns_the_callers_identity(pki: TestPKI) -> None:
    policy = policy_for(pki)
    first = verify(client_of(pki.client, source="nginx"), policy)
    other_view = client_of(pki.client, source="envoy", proxy_verified=True)
    second = verify(other_view, policy)
    assert second.certificate is other_view
    assert second.chain is first.chain  # the verification itself came from the cache


def test_cache_is_keyed_on_the_der_not_the_sha256_field(pki: TestPKI) -> None:
    policy = policy_for(pki)
    alice = client_of(pki.client)
    verify(alice, policy)
    # an inconsistent object claiming alice's fingerprint must not get alice's cached result
    impostor = dataclasses.replace(client_of(pki.expired), sha256=alice.sha256)
    assert reason_of(impostor, policy) == "expired"


def test_cache_is_bounded_lru(pki: TestPKI) -> None:
    policy = policy_for(pki, cache_size=2)
    certs = [client_of(pki.client), client_of(pki.other_client), client_of(pki.wrong_eku)]
    verify(certs[0], policy)
    verify(certs[1], policy)
    assert len(verifier_for(policy).results) == 2
    cn_only = client_of(hand_built_leaf(pki.intermediate, "third"))
    verify(certs[0], policy)  # touch: most recently used
    verify(cn_only, policy)  # evicts certs[1]
    assert len(verifier_for(policy).results) == 2
    assert verifier_for(policy).results.get((certs[0].der, certs[0].chain), policy.clock())
    assert verifier_for(policy).results.get((certs[1].der, certs[1].chain), policy.clock()) is None
    policy.clear_cache()
    assert len(verifier_for(policy).results) == 0


def test_cache_disabled(pki: TestPKI) -> None:
    policy = policy_for(pki, cache_size=0)
    cert = client_of(pki.client)
    assert verify(cert, policy) is not verify(cert, policy)


def test_verifier_is_built_once_per_policy_and_second(pki: TestPKI) -> None:
    policy = policy_for(pki)
    now = dt.datetime.now(dt.UTC)
    assert verifier_for(policy) is verifier_for(policy)
    assert verifier_for(policy).verifier_at(now) is verifier_for(policy).verifier_at(now)


def test_a_verifier_built_by_hand_has_its_own_cache(pki: TestPKI) -> None:
    policy = policy_for(pki)
    own = CertificateVerifier(policy)
    alice = client_of(pki.client)
    assert own.verify(alice).sha256 == verify(alice, policy).sha256
    assert len(own.results) == len(verifier_for(policy).results) == 1
    policy.clear_cache()  # the shared verifier's cache only
    assert (len(own.results), len(verifier_for(policy).results)) == (1, 0)
    own.clear_cache()
    assert len(own.results) == 0
    with pytest.raises(CertificateError) as refused:
        own.verify(client_of(pki.expired))
    assert refused.value.reason == "expired"


def test_the_policy_is_a_value_that_builds_no_verifier(pki: TestPKI) -> None:
    policy = policy_for(pki)
    assert policy._shared_verifier == []  # nothing compiled until a verification needs it
    verify(client_of(pki.client), policy)
    assert policy.replace(clock_skew=dt.timedelta(seconds=1))._shared_verifier == []


def test_concurrent_verification(pki: TestPKI) -> None:
    policy = policy_for(pki)
    certs = [client_of(pki.client), client_of(pki.other_client), client_of(pki.expired)]
    results: list[object] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(20):
            for cert in certs:
                try:
                    outcome: object = verify(cert, policy).sha256
                except CertificateError as exc:
                    outcome = exc.reason
                with lock:
                    results.append(outcome)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(certs[0].sha256) == 160
    assert results.count(certs[1].sha256) == 160
    assert results.count("expired") == 160


# --- policy construction -------------------------------------------------------------------


def test_load_from_files(pki: TestPKI, pki_files: dict[str, Path]) -> None:
    policy = VerificationPolicy.load(pki_files["ca"], crls=pki_files["crl"])
    assert policy.trust_anchors == (pki.root.cert,)
    assert len(policy.crls) == 1
    assert policy.revocation_mode == "strict"  # CRLs configured: revocation on, like nginx ssl_crl
    assert verify(client_of(pki.client), policy).revocation_checked
    assert reason_of(client_of(pki.revoked), policy) == "revoked"


def test_load_from_pem_bytes_and_text(pki: TestPKI, pki_files: dict[str, Path]) -> None:
    pem = pki_files["ca"].read_bytes()
    assert VerificationPolicy.load(pem).trust_anchors == (pki.root.cert,)
    assert VerificationPolicy.load(pem.decode()).trust_anchors == (pki.root.cert,)
    both = VerificationPolicy.load([pem, pki_files["intermediate"]])
    assert both.trust_anchors == (pki.root.cert, pki.intermediate.cert)
    assert both.revocation_mode == "off"


def test_default_revocation_follows_the_crls(pki: TestPKI) -> None:
    policy = policy_for(pki)
    assert policy.revocation is None
    assert policy.revocation_mode == "off"
    with_crl = policy.replace(crls=(pki.crl(),))
    assert with_crl.revocation_mode == "strict"
    assert reason_of(client_of(pki.revoked), with_crl) == "revoked"
    assert with_crl.replace(revocation="soft").revocation_mode == "soft"


def test_replace_builds_a_fresh_validated_policy(pki: TestPKI) -> None:
    policy = policy_for(pki)
    verify(client_of(pki.client), policy)
    stricter = policy.replace(min_ec_bits=384)
    assert stricter is not policy
    assert len(verifier_for(stricter).results) == 0
    assert reason_of(client_of(pki.client), stricter) == "weak_key"
    with pytest.raises(ValueError, match="clock_skew"):
        policy.replace(clock_skew=dt.timedelta(days=2))
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.min_rsa_bits = 1024  # type: ignore[misc]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"trust_anchors": ()}, "at least one trust anchor"),
        ({"revocation": "strict"}, "needs CRLs"),
        ({"revocation": "maybe"}, "revocation must be"),
        ({"revocation_depth": "all"}, "revocation_depth"),
        ({"clock_skew": dt.timedelta(seconds=-1)}, "clock_skew"),
        ({"pinned_sha256": frozenset({"abc"})}, "not a hex SHA-256"),
        ({"min_rsa_bits": 512}, "min_rsa_bits"),
        ({"max_chain_depth": 0}, "max_chain_depth"),
        ({"cache_size": -1}, "cache_size"),
        ({"crl_fetch_timeout": 0}, "crl_fetch_timeout"),
        ({"clock": lambda: dt.datetime(2026, 1, 1)}, "timezone-aware"),
    ],
)
def test_invalid_policies_fail_loudly(
    pki: TestPKI, options: dict[str, object], message: str
) -> None:
    kwargs: dict[str, object] = {"trust_anchors": (pki.root.cert,), **options}
    with pytest.raises(ValueError, match=message):
        VerificationPolicy(**kwargs)  # type: ignore[arg-type]


def test_load_errors_name_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"
    with pytest.raises(ValueError, match=r"nope\.pem"):
        VerificationPolicy.load(missing)
    junk = tmp_path / "junk.pem"
    junk.write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    with pytest.raises(ValueError, match=r"junk\.pem"):
        VerificationPolicy.load(junk)
    with pytest.raises(TypeError):
        VerificationPolicy(trust_anchors=("not a cert",))  # type: ignore[arg-type]


# --- fuzzing -------------------------------------------------------------------------------


@pytest.mark.timeout(900)  # 10,000 examples with CI=true
@given(data=st.data())
def test_mutated_certificates_never_verify_and_never_crash(
    pki: TestPKI, data: st.DataObject
) -> None:
    original = pki.client.der
    der = bytearray(original)
    for _ in range(data.draw(st.integers(1, 4))):
        index = data.draw(st.integers(0, len(der) - 1))
        der[index] = data.draw(st.integers(0, 255))
    chain = tuple(c.public_bytes(Encoding.DER) for c in pki.client.chain)
    if data.draw(st.booleans()):
        chain = (data.draw(st.binary(max_size=64)), *chain)
    policy = _FUZZ_POLICIES.setdefault(id(pki), policy_for(pki, cache_size=0))
    try:
        cert = ClientCertificate.from_der(bytes(der), chain=chain)
        result = verify(cert, policy)
    except CertificateError as exc:
        assert exc.reason in REASONS  # noqa: PT017 - any input, so both outcomes occur
    else:
        # Only a certificate whose signed content is unchanged may verify (extra garbage in
        # the chain is ignored only if it parsed as a certificate, which random bytes do
        # not). Bytes outside the signed content may change harmlessly, e.g. the signature
        # BIT STRING's unused-bits count when the padding bits are zero.
        mutated, genuine = x509.load_der_x509_certificate(bytes(der)), pki.client.cert
        assert mutated.tbs_certificate_bytes == genuine.tbs_certificate_bytes
        assert mutated.signature == genuine.signature
        assert result.chain[0].tbs_certificate_bytes == genuine.tbs_certificate_bytes


_FUZZ_POLICIES: dict[int, VerificationPolicy] = {}


def test_duplicate_extensions_are_refused_never_raised(pki: TestPKI) -> None:
    # Found by the mutation fuzzer: cryptography raises DuplicateExtension, which is not a
    # ValueError, when a certificate's extensions are read; it must become a refusal.
    issued = pki.intermediate.issue("dup", emails=["dup@example.com"])
    der = issued.der
    ski, san = bytes.fromhex("0603551d0e"), bytes.fromhex("0603551d11")
    assert der.count(ski) == 1
    assert der.count(san) == 1
    duplicated = der.replace(ski, san)  # a second subjectAltName (signature now broken too)
    with pytest.raises(x509.DuplicateExtension):
        _ = x509.load_der_x509_certificate(duplicated).extensions
    cert = ClientCertificate.from_der(
        duplicated, chain=(pki.intermediate.cert.public_bytes(Encoding.DER),)
    )
    assert cert.subject == "CN=dup"  # names still readable (for the audit record)...
    assert cert.emails == ()  # ...but nothing is taken from the ambiguous extensions
    with pytest.raises(CertificateError) as refused:
        verify(cert, policy_for(pki, cache_size=0))
    assert refused.value.reason in REASONS
