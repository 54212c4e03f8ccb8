"""Both examples on loopback, twice each: under the embedded mTLS server and as the app server.

Each example runs from a copy in the demo's working directory with its own throwaway SQLite
database (migrated and seeded with alice, bob and their certificate bindings): under the
embedded mTLS dev server (every client must present a certificate of the demo's CA), and as
the plain-http app server that sits behind a TLS-terminating proxy, reached directly -- where
forged forwarded-certificate headers show whether the app believes them (the hardened one
believes them only from its proxy's address). Every server process is stopped on every path
out (errors, Ctrl-C, SIGTERM); a server whose parent dies anyway stops when its standard input
closes.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mtlsguard.demo.stage import (
    PROJECTS,
    PROXY_ADDRESS,
    Identities,
    ServerProcess,
    copy_project,
    prepare_database,
)

__all__ = ["Stage", "sigterm_as_interrupt", "stage_servers"]


@dataclass(frozen=True, slots=True)
class Stage:
    """Every server of the demo and how to prepare their databases."""

    servers: list[ServerProcess]
    """Per project: over mTLS, then the plain app server (names ``"<project> ..."``)."""
    preparations: list[Iterator[Any]]
    """Per project: migrating and seeding its database (run side by side)."""
    copies: list[tuple[Path, Path]]
    """Per project: the prepared database and the copy the second server uses."""


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM ends the demo like Ctrl-C does, through every ``finally`` (servers stop)."""

    def _raise(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, _raise)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def stage_servers(workdir: Path, examples: Path, pki: Identities, deadline: float) -> Stage:
    """Per project: a copy, its database preparation, and two servers (not started yet).

    Over mTLS and as the plain app server behind a proxy; each server gets its own copy of the
    prepared database (the second one is copied once the first is seeded).
    """
    servers: list[ServerProcess] = []
    preparations: list[Iterator[Any]] = []
    copies: list[tuple[Path, Path]] = []
    for name in PROJECTS:
        project = copy_project(examples, name, workdir)
        env = {
            "MTLSGUARD_DEMO_PKI": str(pki.directory),
            "MTLSGUARD_DEMO_ALICE_CERT": str(pki.alice[0]),
            "MTLSGUARD_DEMO_BOB_CERT": str(pki.bob[0]),
            "MTLSGUARD_CA_BUNDLE": str(pki.directory / "ca-bundle.pem"),
            "MTLSGUARD_CRL_FILES": str(pki.directory / "crl.pem"),
            "DJANGO_DEBUG": "",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        }
        databases = {mode: workdir / f"{name}-{mode}.sqlite3" for mode in ("mtls", "origin")}
        log = workdir / f"{name}-manage.log"
        prepared = {**env, "DJANGO_DB_PATH": str(databases["mtls"])}
        preparations.append(prepare_database(project, prepared, log, deadline, name=name))
        copies.append((databases["mtls"], databases["origin"]))
        settings = {"settings": f"{name}_site.settings"}
        modes = (
            ("mtls", f"{name} over mTLS", {"pki": str(pki.directory)}, "wsgi-ssl", ""),
            ("origin", f"{name} app port", {"plain": True}, "nginx", PROXY_ADDRESS),
        )
        for mode, label, serve, source, proxies in modes:
            servers.append(
                ServerProcess(
                    name=label,
                    project=project,
                    spec={**settings, **serve},
                    env={
                        **env,
                        "DJANGO_DB_PATH": str(databases[mode]),
                        "MTLSGUARD_SOURCE": source,
                        "MTLSGUARD_TRUSTED_PROXIES": proxies,
                    },
                    log=workdir / f"{name}-{mode}.log",
                )
            )
    return Stage(servers, preparations, copies)
