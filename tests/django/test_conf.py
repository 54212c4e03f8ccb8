"""MTLSGUARD validation: safe defaults, loud and helpful errors, reload on change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from mtlsguard.django.conf import build_settings, get_settings
from mtlsguard.django.runtime import build_policy
from tests.budget import secondary


def minimal(ca_bundle: Path, **extra: Any) -> dict[str, Any]:
    return {"SOURCE": "nginx", "CA_BUNDLE": str(ca_bundle), **extra}


def test_defaults_are_the_safe_ones(ca_bundle: Path) -> None:
    conf = build_settings(minimal(ca_bundle))
    assert not conf.trusted_proxies  # trust nobody
    assert conf.required == "all"
    assert conf.is_required("/anything")
    assert conf.is_api("/api/x")
    assert not conf.is_api("/x")
    assert conf.untrusted_headers == "reject"
    assert conf.identity.mapping == "binding"
    assert conf.verify.allow_fields_only is False
    assert conf.verify.require_client_auth_eku is True
    assert conf.throttle.enabled
    assert conf.audit.enabled
    assert not conf.audit.database


@pytest.mark.parametrize(
    ("conf", "message"),
    [
        ({}, r"MTLSGUARD\['SOURCE'\] is not set"),
        ({"SOURCE": "nginxx", "CA_BUNDLE": "x"}, r"SOURCE'\] is 'nginxx'.*one of"),
        ({"SOURCE": "nginx"}, r"CA_BUNDLE'\] is not set"),
        ({"TRUSTED_PROXY": ["10.0.0.1"]}, r"unknown key\(s\) \['TRUSTED_PROXY'\]"),
        ({"TRUSTED_PROXIES": ["10.0.0.1/8"]}, r"TRUSTED_PROXIES'\] is invalid"),
        ({"TRUSTED_PROXIES": ["proxy.internal"]}, r"TRUSTED_PROXIES"),
        ({"HOPS": 0}, r"HOPS'\] must be an integer >= 1"),
        ({"CLIENT_IP_HEADER": "X Forwarded"}, r"CLIENT_IP_HEADER'\] is 'X Forwarded'"),
        ({"HEADERS": {"certificate": "X-Cert"}}, r"role\(s\) \['certificate'\]"),
        ({"REQUIRED": "api"}, r"REQUIRED'\] is 'api'"),
        ({"REQUIRED": ["api/"]}, r"path prefixes starting with '/'"),
        ({"UNTRUSTED_HEADERS": "allow"}, r"'reject' or 'ignore'"),
        ({"IDENTITY": {"MAPPING": "cn"}}, r"MAPPING'\] is 'cn'"),
        ({"IDENTITY": {"PRINCIPAL_REGEX": "CN=.*"}}, r"no capturing group"),
        ({"IDENTITY": {"PRINCIPAL_REGEX": "("}}, r"not a valid regular expression"),
        ({"VERIFY": {"PINNED_SHA256": ["abc"]}}, r"PINNED_SHA256'\] holds \['abc'\]"),
        ({"VERIFY": {"CLOCK_SKEW": -1}}, r"CLOCK_SKEW'\] must be an integer >= 0"),
        ({"VERIFY": {"REVOCATION": "hard"}}, r"REVOCATION'\] is 'hard'"),
        ({"VERIFY": {"EXTRA": 1}}, r"unknown key\(s\) \['EXTRA'\]"),
        ({"THROTTLE": {"FAILURES": 0}}, r"FAILURES'\] must be an integer >= 1"),
        ({"THROTTLE": {"CACHE": "redis"}}, r"names 'redis', which is not in CACHES"),
        ({"AUDIT": {"ENABLED": "yes"}}, r"ENABLED'\] must be True or False"),
        ({"AUDIT": []}, r"must be a dict"),
    ],
)
def test_invalid_settings_say_what_and_how(
    ca_bundle: Path, conf: dict[str, Any], message: str
) -> None:
    base = minimal(ca_bundle) if "SOURCE" not in conf and conf else {}
    with pytest.raises(ImproperlyConfigured, match=message):
        build_settings({**base, **conf})


def test_unreadable_ca_bundle_is_improperly_configured(tmp_path: Path) -> None:
    conf = build_settings({"SOURCE": "nginx", "CA_BUNDLE": str(tmp_path / "missing.pem")})
    with pytest.raises(ImproperlyConfigured, match=r"CA_BUNDLE.*missing\.pem"):
        build_policy(conf)


def test_revocation_strict_without_crls_is_refused(ca_bundle: Path) -> None:
    conf = build_settings(minimal(ca_bundle, VERIFY={"REVOCATION": "strict"}))
    with pytest.raises(ImproperlyConfigured, match="needs CRLs"):
        build_policy(conf)


def test_settings_are_cached_and_reloaded_on_change(ca_bundle: Path) -> None:
    with override_settings(MTLSGUARD=minimal(ca_bundle, REQUIRED="off")):
        first = get_settings()
        assert get_settings() is first
        assert first.required == "off"
        with override_settings(MTLSGUARD=minimal(ca_bundle, REQUIRED=["/api/"])):
            assert get_settings().required == ("/api/",)
        assert get_settings().required == "off"


scalars = st.none() | st.booleans() | st.integers(-5, 5000) | st.text(max_size=12)
nested_keys = st.sampled_from(
    [
        "MAPPING",
        "PRINCIPAL_REGEX",
        "CACHE_TTL",
        "CLOCK_SKEW",
        "PINNED_SHA256",
        "REVOCATION",
        "ENABLED",
        "FAILURES",
        "WINDOW",
        "CACHE",
        "DATABASE",
        "cert",
        "verify",
        "X",
    ]
)
settings_values = (
    scalars
    | st.lists(scalars, max_size=3)
    | st.dictionaries(nested_keys, scalars | st.lists(scalars, max_size=2), max_size=3)
)
known_keys = st.sampled_from(
    [
        "SOURCE",
        "HEADERS",
        "TRUSTED_PROXIES",
        "HOPS",
        "CA_BUNDLE",
        "CRL_FILES",
        "VERIFY",
        "IDENTITY",
        "AUTHENTICATE",
        "REQUIRED",
        "API_PREFIXES",
        "UNTRUSTED_HEADERS",
        "AUDIT",
        "THROTTLE",
    ]
)


@secondary()
@given(st.dictionaries(known_keys, settings_values, max_size=6))
def test_any_settings_dict_is_accepted_or_improperly_configured(conf: dict[str, Any]) -> None:
    conf = {"SOURCE": "nginx", "CA_BUNDLE": "/nonexistent/ca.pem", **conf}
    message = "MTLSGUARD"
    try:
        build_settings(conf)
    except ImproperlyConfigured as exc:
        message = str(exc)
    assert message.startswith("MTLSGUARD")


def test_reload_settings_drops_what_was_compiled_from_them(mtls_settings: Any) -> None:
    from mtlsguard.django import runtime
    from mtlsguard.django.conf import reload_settings
    from mtlsguard.django.identity_cache import identity_cache

    reader = runtime.reader(get_settings())
    identity_cache.put("a certificate", None, ttl=60, generation=identity_cache.generation)
    assert len(identity_cache) == 1
    reload_settings()  # a direct call, not Django's setting_changed signal
    assert len(identity_cache) == 0
    assert runtime.reader(get_settings()) is not reader
