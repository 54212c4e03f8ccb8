"""The PKI directory on disk: the state file's format, atomic writes, and a lock.

Everything :class:`~mtlsguard.devserver.localca.LocalCA` needs to keep a directory
consistent across processes, and nothing about certificates themselves beyond describing
one in ``state.json``.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding

from mtlsguard.devserver.authority import IssuedCertificate

__all__ = [
    "STATE_FORMAT",
    "PKIError",
    "check_state",
    "describe",
    "iso",
    "locked",
    "pem",
    "remove_clients",
    "write_atomic",
    "write_issued",
]

#: Value of ``state.json``'s ``format`` key; a different value is refused, not guessed at.
STATE_FORMAT: Final = "mtlsguard-pki/1"


class PKIError(Exception):
    """A PKI directory operation failed; the message says what to do about it."""


def iso(when: dt.datetime) -> str:
    """``when`` as an ISO 8601 UTC timestamp (the state file's format)."""
    return when.astimezone(dt.UTC).isoformat()


def pem(cert: x509.Certificate) -> bytes:
    """``cert`` as PEM."""
    return cert.public_bytes(Encoding.PEM)


def describe(cert: x509.Certificate) -> dict[str, Any]:
    """What ``state.json`` records about a certificate."""
    return {
        "serial": format(cert.serial_number, "x"),
        "subject": cert.subject.rfc4514_string(),
        "sha256": cert.fingerprint(hashes.SHA256()).hex(),
        "not_after": iso(cert.not_valid_after_utc),
    }


def write_atomic(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Write ``data`` to a temporary file with ``mode`` and rename it over ``path``."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.fchmod(fd, mode)  # O_CREAT's mode is filtered by the umask; keys must be exactly 0600
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def write_issued(issued: IssuedCertificate, cert_path: Path, key_path: Path) -> None:
    """Write an issued key (mode 0600) and its certificate chain, each atomically."""
    write_atomic(key_path, issued.key_pem, mode=0o600)
    write_atomic(cert_path, issued.chain_pem)


def remove_clients(clients: Path) -> None:
    """Delete the client certificates and keys of ``clients/`` (``pki init --force``)."""
    if clients.is_dir():
        for item in clients.iterdir():
            if item.suffix in {".pem", ".key"}:
                item.unlink()


def check_state(state: Any) -> None:
    """Check a loaded ``state.json``.

    :raises ValueError, TypeError, KeyError: naming what is wrong.
    """
    if not isinstance(state, dict):
        raise TypeError("not a JSON object")
    if state.get("format") != STATE_FORMAT:
        raise ValueError(f"format is {state.get('format')!r}, expected {STATE_FORMAT!r}")
    if not isinstance(state["clients"], dict) or not isinstance(state["revoked"], list):
        raise TypeError("clients must be an object and revoked a list")
    for entry in state["revoked"]:
        int(entry["serial"], 16)
        dt.datetime.fromisoformat(entry["revoked_at"])
    for entry in state["clients"].values():
        int(entry["serial"], 16)
    if not isinstance(state["crl_number"], int) or state["crl_number"] < 0:
        raise ValueError("crl_number must be a non-negative integer")


@contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Serialize mutations of one PKI directory across processes (``flock`` on ``.lock``)."""
    try:
        fd = os.open(directory / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise PKIError(f"cannot lock {directory}: {exc.strerror or exc}") from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
