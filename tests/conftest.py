"""Shared fixtures: a throwaway PKI, alice and bob bound to its client certificates (Django
tests), the seeded example projects and their mTLS servers (once per test session), and the
Hypothesis profiles."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from mtlsguard.devserver.pki import TestPKI
from tests.example_apps import Project, RunningServer, seeded, start

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


#: Tests that take seconds each: building and installing packages, the whole demo, real proxies.
#: ``python3 dev.py test -m "not slow and not fuzz"`` is the quick run while editing; CI and
#: the README's command run everything.
SLOW_PATHS = ("tests/packaging/", "tests/test_demo.py", "tests/integration/")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark Hypothesis tests ``fuzz`` and the tests under :data:`SLOW_PATHS` ``slow``."""
    root = Path(str(config.rootpath))
    for item in items:
        if getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
            item.add_marker(pytest.mark.fuzz)
        relative = Path(str(item.path)).relative_to(root).as_posix()
        if relative.startswith(SLOW_PATHS):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def pki() -> TestPKI:
    """An EC PKI: root -> intermediate -> server/client certificates and every bad variant."""
    return TestPKI.create()


@pytest.fixture(scope="session")
def rsa_pki() -> TestPKI:
    """The same PKI with RSA-2048 keys."""
    return TestPKI.create(key_type="rsa")


@pytest.fixture
def alice(db: None, pki: TestPKI) -> Any:
    """User alice (password ``alice-pw-123``), bound to ``pki.client``."""
    from tests.factories import bound_user  # not at the top: it loads the formats and probe

    return bound_user("alice", pki.client, password="alice-pw-123")


@pytest.fixture
def bob(db: None, pki: TestPKI) -> Any:
    """User bob (password ``bob-pw-123``), bound to ``pki.other_client``."""
    from tests.factories import bound_user

    return bound_user("bob", pki.other_client, password="bob-pw-123")


@pytest.fixture
def users(alice: Any, bob: Any) -> dict[str, Any]:
    """alice and bob by name."""
    return {"alice": alice, "bob": bob}


@pytest.fixture(scope="session")
def pki_files(pki: TestPKI, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``pki`` written to disk (``ca.pem``, ``client.pem``/``client.key``, ``crl.pem``, ...)."""
    return pki.write(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def ca_bundle(pki_files: dict[str, Path]) -> Path:
    """Root + intermediate: nginx forwards only the leaf, so the app trusts both CAs."""
    path = pki_files["ca"].parent / "client-ca-bundle.pem"
    path.write_bytes(pki_files["ca"].read_bytes() + pki_files["intermediate"].read_bytes())
    return path


@pytest.fixture(scope="session")
def pki_env(ca_bundle: Path, pki_files: dict[str, Path]) -> dict[str, str]:
    """The environment that points the example projects at ``pki_files``."""
    return {
        "MTLSGUARD_CA_BUNDLE": str(ca_bundle),
        "MTLSGUARD_CRL_FILES": str(pki_files["crl"]),
        "MTLSGUARD_DEMO_ALICE_CERT": str(pki_files["client"]),
        "MTLSGUARD_DEMO_BOB_CERT": str(pki_files["other_client"]),
    }


@pytest.fixture(scope="session")
def vulnerable(pki_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Project:
    """examples/vulnerable with its own database, seeded with alice, bob and their objects."""
    return seeded("vulnerable", pki_env, tmp_path_factory.mktemp("vulnerable"))


@pytest.fixture(scope="session")
def hardened(pki_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Project:
    """examples/hardened, likewise (seeded twice: ``seed_demo`` is idempotent)."""
    return seeded("hardened", pki_env, tmp_path_factory.mktemp("hardened"), seeds=2)


@pytest.fixture(scope="session")
def vulnerable_server(vulnerable: Project, pki_files: dict[str, Path]) -> Iterator[RunningServer]:
    """examples/vulnerable under the embedded mTLS dev server, once per test session."""
    yield from start(vulnerable, pki_files)


@pytest.fixture(scope="session")
def hardened_server(hardened: Project, pki_files: dict[str, Path]) -> Iterator[RunningServer]:
    """examples/hardened under the embedded mTLS dev server, once per test session."""
    yield from start(hardened, pki_files)
