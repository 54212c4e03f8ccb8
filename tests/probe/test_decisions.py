"""The probes' decisions on hand-built observations: every branch of MG401, MG402 and MG403.

The integration tests show them on real servers; these pin down each rule's edges.
"""

from __future__ import annotations

from mtlsguard.findings.model import Confidence
from mtlsguard.probe.client import Exchange
from mtlsguard.probe.forged import ForgedHeaders
from mtlsguard.probe.observation import Observation
from mtlsguard.probe.phases.authentication import certificate_only, mtls_not_enforced
from mtlsguard.probe.phases.spoofing import SpoofAttempt, believed_headers

URL = "https://h/r/"


def got(status: int | None, body: bytes = b"", who: str = "A") -> Exchange:
    if status is None:
        return Exchange(who, "GET", URL, failure="TLS failure: alert", failure_kind="tls")
    return Exchange(who, "GET", URL, status=status, body=body)


DATA_A = got(200, b'{"owner": "alice", "n": 1}')
DATA_B = got(200, b'{"owner": "bob", "n": 2}', "B")
SHARED = b'{"invoices": [1, 2]}'


def obs(anonymous: Exchange, a: Exchange, b: Exchange | None = None) -> Observation:
    return Observation("/r/", "/r/", anonymous, a, a, b, b)


def test_mg401_only_for_data_without_a_certificate() -> None:
    assert mtls_not_enforced([obs(got(200, SHARED), got(200, SHARED))], None) is not None
    assert mtls_not_enforced([obs(got(401, b'{"detail": "x"}'), DATA_A)], None) is None
    assert mtls_not_enforced([obs(got(200, b"[]"), DATA_A)], None) is None  # no data
    assert mtls_not_enforced([obs(got(None), DATA_A)], None) is None


def test_mg402_branches() -> None:
    refused = got(None)
    same = obs(refused, got(200, SHARED), got(200, SHARED, "B"))
    finding = certificate_only([same], "v.V", has_credentials=False, tls=True)
    assert finding is not None
    assert finding.confidence is Confidence.HIGH
    assert "does not know who is calling" in finding.evidence
    assert finding.view == "v.V"
    # the answer depends on the certificate: the app knows its caller
    assert (
        certificate_only([obs(refused, DATA_A, DATA_B)], None, has_credentials=False, tls=True)
        is None
    )
    # credentials exist and were not needed
    with_credentials = certificate_only(
        [obs(refused, DATA_A, DATA_B)], None, has_credentials=True, tls=True
    )
    assert with_credentials is not None
    assert with_credentials.confidence is Confidence.HIGH
    # a single certificate: low confidence
    alone = certificate_only([obs(refused, DATA_A)], None, has_credentials=False, tls=True)
    assert alone is not None
    assert alone.confidence is Confidence.LOW
    # anonymous gets the data too: that is MG401's finding, not MG402's
    assert (
        certificate_only(
            [obs(got(200, SHARED), got(200, SHARED))], None, has_credentials=True, tls=True
        )
        is None
    )
    # over plain http no certificate can be presented
    assert certificate_only([same], None, has_credentials=False, tls=False) is None


FORGED = ForgedHeaders("nginx", (("X-SSL-Client-Verify", "SUCCESS"),), "ab" * 32)


def test_mg403_new_access_and_changed_identity() -> None:
    refused = got(403, b"client certificate required", "anonymous")
    base = obs(refused, DATA_A, DATA_B)
    new_access = SpoofAttempt(FORGED, False, got(200, SHARED, "anonymous"))
    assert believed_headers([new_access], base) == [
        "nginx headers without a certificate: 403 → 200 with data (new access)"
    ]
    became_b = SpoofAttempt(FORGED, True, got(200, b'{"n": 2, "owner": "bob"}'))
    assert believed_headers([became_b], base) == [
        "nginx headers with A's certificate: the answer became B's (changed identity)"
    ]
    ignored = SpoofAttempt(FORGED, True, DATA_A)
    rejected = SpoofAttempt(FORGED, False, got(400, b'{"detail": "untrusted header"}'))
    assert believed_headers([ignored, rejected], base) == []
    # when A and B already get the same answer, "became B's" proves nothing
    same = obs(refused, got(200, SHARED), got(200, SHARED, "B"))
    assert believed_headers([SpoofAttempt(FORGED, True, got(200, SHARED))], same) == []
