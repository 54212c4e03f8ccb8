"""Shared builders for tests: findings, certificates as the library sees them, users bound to
certificates, TLS client contexts, and assessments rendered the way the commands render them.

Django is imported inside the functions that need it, so tests without Django import this
module too.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mtlsguard.app.probe import assess_probe
from mtlsguard.certs import ClientCertificate, VerifiedCertificate, verify
from mtlsguard.devserver.pki import IssuedCertificate
from mtlsguard.findings.assessment import Assessment
from mtlsguard.findings.model import Confidence, Finding, Location, Severity
from mtlsguard.probe.config import Identity, ProbeConfig
from mtlsguard.probe.runner import ProbeResult
from mtlsguard.report.html_report import HtmlFormat
from mtlsguard.report.json_report import JsonFormat
from mtlsguard.report.sarif import SarifFormat
from mtlsguard.report.text import TextFormat

# --- findings ------------------------------------------------------------------------------


def finding(rule_id: str, severity: Severity | str = Severity.HIGH, **overrides: Any) -> Finding:
    """A finding of ``rule_id`` (title ``"Title of MG101"``, CWE-306, high confidence, at
    ``app/views.py:7``); ``severity`` may be a name (``"low"``), ``overrides`` set any other
    field (``location=None`` for a probe's finding)."""
    values: dict[str, Any] = {
        "title": f"Title of {rule_id}",
        "cwe": "CWE-306",
        "confidence": Confidence.HIGH,
        "location": Location("app/views.py", 7),
    }
    values.update(overrides)
    if isinstance(severity, str):
        severity = Severity.parse(severity)
    return Finding(rule_id=rule_id, severity=severity, **values)


# --- certificates --------------------------------------------------------------------------


def client_of(issued: IssuedCertificate, **fields: Any) -> ClientCertificate:
    """``issued`` as a source extracts it from a handshake: the leaf with its chain."""
    return ClientCertificate.from_certificate(issued.cert, chain=issued.chain, **fields)


def verified(issued: IssuedCertificate) -> VerifiedCertificate:
    """``issued`` verified by the Django app's policy, as the middleware verifies it (the
    ``MTLSGUARD`` setting must be in place, e.g. by the ``mtls_settings`` fixture)."""
    from mtlsguard.django import runtime
    from mtlsguard.django.conf import get_settings

    return verify(client_of(issued), runtime.policy(get_settings()))


# --- users bound to certificates (Django) --------------------------------------------------


def bind(user: Any, issued: IssuedCertificate, **fields: Any) -> Any:
    """A ``CertificateBinding`` of ``issued`` to ``user``, as ``mtlscert bind`` stores it;
    ``fields`` override the model's (``label``, ``revoked_at``, ``not_after``)."""
    from mtlsguard.django.models import CertificateBinding

    values = {**CertificateBinding.fields_for(issued.cert), **fields}
    return CertificateBinding.objects.create(user=user, **values)


def bound_user(username: str, issued: IssuedCertificate, **user_fields: Any) -> Any:
    """A new user ``username`` (``create_user(username, **user_fields)``) bound to ``issued``."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username, **user_fields)
    bind(user, issued)
    return user


# --- TLS clients ---------------------------------------------------------------------------


def tls_client(ca: Path, certificate: tuple[Path, Path] | None = None) -> ssl.SSLContext:
    """A TLS client context trusting ``ca`` and presenting ``certificate`` (the certificate
    file and its key file) if given."""
    context = ssl.create_default_context(cafile=str(ca))
    if certificate is not None:
        context.load_cert_chain(*certificate)
    return context


def presenting(pki_files: Mapping[str, Path], name: str) -> ssl.SSLContext:
    """A client of the written session PKI (``pki_files``) presenting its ``name`` certificate:
    ``client`` is alice's, ``other_client`` bob's."""
    return tls_client(pki_files["ca"], (pki_files[name], pki_files[f"{name}_key"]))


# --- assessments, rendered -----------------------------------------------------------------

FORMATS = {
    "text": lambda: TextFormat(color=False, width=100),
    "json": JsonFormat,
    "sarif": SarifFormat,
    "html": HtmlFormat,
}


def render(assessment: Assessment, fmt: str) -> str:
    """``assessment`` in ``fmt`` (text without colour, 100 columns), as the CLI writes it."""
    return FORMATS[fmt]().render(assessment)


def render_probe(result: ProbeResult, fmt: str) -> str:
    """A probe result as ``mtlsguard probe --format FMT`` renders it (default threshold)."""
    return render(assess_probe(result, fail_on=Severity.HIGH, fail_under=None), fmt)


# --- probe runs ----------------------------------------------------------------------------


def probe_config(port: int, pki_files: Mapping[str, Path], **extra: Any) -> ProbeConfig:
    """A probe of ``https://127.0.0.1:PORT/`` as alice (A) with bob (B) for BOLA."""
    return ProbeConfig(
        base_url=f"https://127.0.0.1:{port}/",
        identity=Identity("A", pki_files["client"], pki_files["client_key"]),
        peer=Identity("B", pki_files["other_client"], pki_files["other_client_key"]),
        cacert=pki_files["ca"],
        timeout=15.0,
        **extra,
    )


def identity_args(pki_files: Mapping[str, Path], *, peer: bool = True) -> list[str]:
    """``--cert/--key/--cacert`` of alice (A), and ``--peer-cert/--peer-key`` of bob (B)."""
    args = [
        "--cert",
        str(pki_files["client"]),
        "--key",
        str(pki_files["client_key"]),
        "--cacert",
        str(pki_files["ca"]),
    ]
    if peer:
        args += [
            "--peer-cert",
            str(pki_files["other_client"]),
            "--peer-key",
            str(pki_files["other_client_key"]),
        ]
    return args
