"""Fixtures of the probe tests (the example projects and their servers are session fixtures of
tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.probe.hostile import HostileServer


@pytest.fixture
def hostile_server(pki_files: dict[str, Path]) -> Iterator[HostileServer]:
    """The hostile HTTPS server of hostile.py (client certificate optional), per test."""
    with HostileServer(pki_files["server"], pki_files["server_key"], pki_files["ca"]) as running:
        yield running
