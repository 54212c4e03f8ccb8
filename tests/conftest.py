"""Shared fixtures: a throwaway PKI generated once per test session, and Hypothesis profiles."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from mtlsguard.devserver.pki import TestPKI

# Hypothesis profiles: "dev" (default, quick, random), "ci" (>= 10,000 examples per parser,
# selected automatically when CI=true) and "deep" (HYPOTHESIS_PROFILE=deep, a long random run).
# CI is derandomized so that a landing is reproducible: a failure there fails again on re-run
# with the same code. The random exploration happens in dev and deep runs, whose failures
# Hypothesis prints with a reproduction blob; each becomes a regression test.
settings.register_profile("dev", max_examples=300, deadline=None)
settings.register_profile(
    "ci",
    max_examples=10_000,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "deep", max_examples=200_000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") == "true" else "dev")
)


@pytest.fixture(scope="session")
def pki() -> TestPKI:
    """An EC PKI: root -> intermediate -> server/client certificates and every bad variant."""
    return TestPKI.create()


@pytest.fixture(scope="session")
def rsa_pki() -> TestPKI:
    """The same PKI with RSA-2048 keys."""
    return TestPKI.create(key_type="rsa")


@pytest.fixture(scope="session")
def pki_files(pki: TestPKI, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``pki`` written to disk (``ca.pem``, ``client.pem``/``client.key``, ``crl.pem``, ...)."""
    return pki.write(tmp_path_factory.mktemp("pki"))
