"""``manage.py check --deploy`` reports each dangerous setting of issue 14 with its own id."""

from __future__ import annotations

import io
import ipaddress
import re
import ssl
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from mtlsguard.django.dangerous_settings import covers_the_internet, is_public_trust_store


def deploy_check_ids(mtls_settings: Any, **mtlsguard: Any) -> set[str]:
    """The mtlsguard ids ``manage.py check --deploy`` prints for these MTLSGUARD changes."""
    mtls_settings.MTLSGUARD = {**mtls_settings.MTLSGUARD, **mtlsguard}
    out = io.StringIO()
    try:
        call_command("check", "--deploy", stdout=out, stderr=out)
    except SystemCheckError as exc:
        out.write(str(exc))
    return set(re.findall(r"\((mtlsguard\.[EW]\d{3})\)", out.getvalue()))


NEW_IDS = {f"mtlsguard.{i}" for i in ("E006", "E007", "E008", "W005", "W006", "W007", "W008")}


def test_the_test_configuration_is_clean(mtls_settings: Any) -> None:
    assert not deploy_check_ids(mtls_settings) & NEW_IDS


@pytest.mark.parametrize(
    "proxies",
    [
        ["0.0.0.0/0"],
        ["::/0"],
        ["::ffff:0:0/96"],
        ["0.0.0.0/1", "128.0.0.0/1"],
        ["10.0.0.0/8", "0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/2", "192.0.0.0/2"],
        ["2000::/4", "3000::/4"],
        ["::ffff:0.0.0.0/97", "::ffff:128.0.0.0/97"],
    ],
)
def test_e006_trusted_proxies_covering_the_internet(mtls_settings: Any, proxies: list[str]) -> None:
    assert "mtlsguard.E006" in deploy_check_ids(mtls_settings, TRUSTED_PROXIES=proxies)


def test_private_networks_do_not_cover_the_internet() -> None:
    private = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fd00::/8", "::1", "127.0.0.1"]
    assert not covers_the_internet(ipaddress.ip_network(n) for n in private)
    assert not covers_the_internet([ipaddress.ip_network("0.0.0.0/1")])


def test_w007_a_very_wide_public_network(mtls_settings: Any) -> None:
    found = deploy_check_ids(mtls_settings, TRUSTED_PROXIES=["0.0.0.0/1"])
    assert "mtlsguard.W007" in found
    assert "mtlsguard.E006" not in found


def test_e007_the_system_trust_store_as_ca_bundle(mtls_settings: Any, tmp_path: Path) -> None:
    system = ssl.get_default_verify_paths().cafile
    assert system is not None
    assert Path(system).exists()
    assert "mtlsguard.E007" in deploy_check_ids(mtls_settings, CA_BUNDLE=system)
    # a copy elsewhere is recognised by its contents
    copy = tmp_path / "copy.pem"
    copy.write_bytes(Path(system).read_bytes())
    assert is_public_trust_store(copy)
    assert "mtlsguard.E007" in deploy_check_ids(
        mtls_settings, CA_BUNDLE=[mtls_settings.MTLSGUARD["CA_BUNDLE"], str(copy)]
    )


def test_w005_revocation_off_with_crls(mtls_settings: Any) -> None:
    found = deploy_check_ids(mtls_settings, VERIFY={"REVOCATION": "off"})
    assert "mtlsguard.W005" in found
    assert "mtlsguard.W005" not in deploy_check_ids(
        mtls_settings, CRL_FILES=[], VERIFY={"REVOCATION": "off"}
    )


def test_w006_absurd_hops(mtls_settings: Any) -> None:
    assert "mtlsguard.W006" in deploy_check_ids(mtls_settings, HOPS=50)
    assert "mtlsguard.W006" not in deploy_check_ids(mtls_settings, HOPS=2)


def test_e008_a_backend_only_named_like_ours(mtls_settings: Any) -> None:
    mtls_settings.AUTHENTICATION_BACKENDS = [
        "tests.django.urls.ClientCertificateBackend",  # no such class: a look-alike name
        "django.contrib.auth.backends.ModelBackend",
    ]
    found = deploy_check_ids(mtls_settings)
    assert "mtlsguard.E008" in found
    assert "mtlsguard.E005" in found  # and it no longer counts as the certificate backend


def test_w008_spiffe_without_trust_domains(mtls_settings: Any) -> None:
    assert "mtlsguard.W008" in deploy_check_ids(mtls_settings, IDENTITY={"MAPPING": "spiffe"})
    assert "mtlsguard.W008" not in deploy_check_ids(
        mtls_settings,
        IDENTITY={"MAPPING": "spiffe", "SPIFFE_TRUST_DOMAINS": {"example.com": "Some CA"}},
    )
