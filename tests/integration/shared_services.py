"""PostgreSQL and Redis for the shared-state tests: found, or skipped (or failed) with a reason.

``.ci/services`` starts both on loopback and exports ``MTLSGUARD_TEST_POSTGRES`` (a role that
may create databases) and ``MTLSGUARD_TEST_REDIS`` (a URL with a DB index reserved for the
tests). Without them the tests skip and say why; with ``MTLSGUARD_REQUIRE_SERVICES=1`` (set by
``.ci/services``) a missing or unreachable service fails the test instead, so CI cannot pass
by skipping. Each test run gets a database of its own (dropped afterwards) and flushes its
Redis DB index before and after.
"""

from __future__ import annotations

import contextlib
import os
import urllib.parse
import uuid
from collections.abc import Iterator
from typing import NoReturn

import pytest

CONNECT_TIMEOUT = 5


def unavailable(reason: str) -> NoReturn:
    """Skip with ``reason``, or fail when ``MTLSGUARD_REQUIRE_SERVICES=1``."""
    if os.environ.get("MTLSGUARD_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (MTLSGUARD_REQUIRE_SERVICES=1: services must be available)")
    pytest.skip(reason)


def _configured(variable: str, service: str) -> str:
    url = os.environ.get(variable)
    if not url:
        unavailable(f"{service} not configured: set {variable} (.ci/services does)")
    return url


def with_database(url: str, name: str) -> str:
    """``url`` pointing at database ``name`` instead."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


@contextlib.contextmanager
def scratch_database() -> Iterator[str]:
    """A new, empty PostgreSQL database for this run; its URL. Dropped on exit."""
    url = _configured("MTLSGUARD_TEST_POSTGRES", "PostgreSQL")
    try:
        import psycopg
    except ImportError:
        unavailable("psycopg is not installed (pip install 'mtlsguard[dev]')")
    name = f"mtlsguard_shared_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT)
    except psycopg.OperationalError as exc:
        unavailable(f"PostgreSQL at {urllib.parse.urlsplit(url).hostname} unreachable: {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield with_database(url, name)
        finally:
            # FORCE: a server killed mid-request may leave a connection behind.
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def scratch_redis() -> Iterator[str]:
    """The tests' Redis DB index, flushed before and after use; its URL."""
    url = _configured("MTLSGUARD_TEST_REDIS", "Redis")
    try:
        import redis
    except ImportError:
        unavailable("redis is not installed (pip install 'mtlsguard[dev]')")
    client = redis.Redis.from_url(
        url, socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=CONNECT_TIMEOUT
    )
    try:
        client.ping()
    except redis.RedisError as exc:
        unavailable(f"Redis at {url} unreachable: {exc}")
    with client:
        client.flushdb()
        try:
            yield url
        finally:
            client.flushdb()


def query(url: str, sql: str, *params: object) -> list[tuple[object, ...]]:
    """Rows of ``sql`` on the database at ``url`` (a short-lived connection of its own)."""
    import psycopg

    with psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT) as conn:
        return list(conn.execute(sql, params).fetchall())  # type: ignore[arg-type]
