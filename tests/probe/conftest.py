"""Fixtures of the probe tests: the example projects (from tests/examples) and their servers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.examples.conftest import Project, hardened, pki_env, vulnerable
from tests.examples.test_over_mtls import RunningServer, start
from tests.probe.hostile import HostileServer

__all__ = [
    "hardened",
    "hardened_server",
    "hostile_server",
    "pki_env",
    "vulnerable",
    "vulnerable_server",
]


@pytest.fixture(scope="module")
def vulnerable_server(vulnerable: Project, pki_files: dict[str, Path]) -> Iterator[RunningServer]:
    """examples/vulnerable under the embedded mTLS dev server."""
    yield from start(vulnerable, pki_files)


@pytest.fixture(scope="module")
def hardened_server(hardened: Project, pki_files: dict[str, Path]) -> Iterator[RunningServer]:
    """examples/hardened under the embedded mTLS dev server."""
    yield from start(hardened, pki_files)


@pytest.fixture
def hostile_server(pki_files: dict[str, Path]) -> Iterator[HostileServer]:
    """The hostile HTTPS server of hostile.py (client certificate optional), per test."""
    with HostileServer(pki_files["server"], pki_files["server_key"], pki_files["ca"]) as running:
        yield running
