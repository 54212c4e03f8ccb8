"""A throwaway CA kept in a directory: ``mtlsguard pki init | issue | revoke | crl``.

"mkcert for mutual TLS": a root and an intermediate CA, a server certificate for the loopback
names, client certificates, revocation and a signed CRL. Everything lives in one directory::

    state.json              serials, subjects, revocations, the CRL number (ca_directory.py)
    ca.pem / ca.key         root CA                  (keys are always mode 0600)
    intermediate.pem/.key   intermediate CA that issues every leaf
    ca-bundle.pem           root + intermediate: what a server or proxy trusts for clients
    server.pem / server.key server certificate (leaf + intermediate) for localhost, 127.0.0.1, ::1
    crl.pem                 CRL signed by the intermediate (every client is issued by it)
    clients/NAME.pem/.key   client certificates (leaf + intermediate)

The keys are unencrypted: this CA is for development and tests, never for production trust.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from mtlsguard.devserver import DEFAULT_SERVER_HOSTS
from mtlsguard.devserver.authority import (
    CertificateAuthority,
    IssuedCertificate,
    KeyType,
    name,
    utc_now,
)
from mtlsguard.devserver.ca_directory import (
    STATE_FORMAT,
    PKIError,
    check_state,
    describe,
    iso,
    locked,
    pem,
    remove_clients,
    write_atomic,
    write_issued,
)

__all__ = [
    "DEFAULT_SERVER_HOSTS",
    "STATE_FORMAT",
    "IssuedClient",
    "LocalCA",
    "PKIError",
]

#: Client names become file names, so they are restricted to a safe alphabet.
_CLIENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")

#: Longest client certificate lifetime accepted (the CA/Browser Forum's old TLS maximum).
MAX_DAYS: Final = 825

_ORGANIZATION = "mtlsguard local"


@dataclass(frozen=True)
class IssuedClient:
    """A client certificate written by :meth:`LocalCA.issue`."""

    name: str
    """The name it was issued under (also its commonName and file stem)."""
    cert_path: Path
    """``clients/NAME.pem``: leaf followed by the intermediate."""
    key_path: Path
    """``clients/NAME.key`` (mode 0600)."""
    certificate: x509.Certificate
    """The leaf certificate."""


class LocalCA:
    """A CA persisted in a directory; create one with :meth:`init`, reopen it with :meth:`open`."""

    def __init__(self, directory: Path, state: dict[str, Any]) -> None:
        self.directory = directory
        """The PKI directory."""
        self._state = state

    # --- paths -------------------------------------------------------------------------

    @property
    def ca_cert(self) -> Path:
        """The root certificate (what a client trusts for the server)."""
        return self.directory / "ca.pem"

    @property
    def ca_bundle(self) -> Path:
        """Root + intermediate (what a server or proxy trusts for clients)."""
        return self.directory / "ca-bundle.pem"

    @property
    def server_cert(self) -> Path:
        """The server certificate followed by the intermediate."""
        return self.directory / "server.pem"

    @property
    def server_key(self) -> Path:
        """The server's private key."""
        return self.directory / "server.key"

    @property
    def crl_path(self) -> Path:
        """The CRL signed by the intermediate."""
        return self.directory / "crl.pem"

    def client_paths(self, client: str) -> tuple[Path, Path]:
        """``clients/NAME.pem`` and ``clients/NAME.key``."""
        return self.directory / "clients" / f"{client}.pem", self.directory / "clients" / (
            f"{client}.key"
        )

    @property
    def state_path(self) -> Path:
        """``state.json``."""
        return self.directory / "state.json"

    @property
    def clients(self) -> dict[str, dict[str, Any]]:
        """Issued clients by name, as recorded in ``state.json`` (a copy)."""
        return json.loads(json.dumps(self._state["clients"]))  # type: ignore[no-any-return]

    @property
    def revoked_serials(self) -> dict[int, dt.datetime]:
        """Every revoked serial (superseded certificates included) and its revocation time."""
        return {
            int(entry["serial"], 16): dt.datetime.fromisoformat(entry["revoked_at"])
            for entry in self._state["revoked"]
        }

    @property
    def crl_number(self) -> int:
        """CRLNumber of the last CRL written."""
        return int(self._state["crl_number"])

    # --- lifecycle ---------------------------------------------------------------------

    @classmethod
    def init(
        cls,
        directory: Path,
        *,
        force: bool = False,
        server_hosts: Sequence[str] = DEFAULT_SERVER_HOSTS,
        key_type: KeyType = "ec",
    ) -> LocalCA:
        """Create a root, an intermediate, a server certificate and an empty CRL in ``directory``.

        :raises PKIError: if ``directory`` already holds a CA and ``force`` is False, or it
            cannot be written.
        """
        hosts = list(dict.fromkeys(server_hosts))
        if not hosts:
            raise PKIError("the server certificate needs at least one host name or address")
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise PKIError(f"cannot create {directory}: {exc.strerror or exc}") from exc
        with locked(directory):
            existing = [
                p.name for p in (directory / "state.json", directory / "ca.key") if p.exists()
            ]
            if existing and not force:
                raise PKIError(
                    f"{directory} already holds a CA ({', '.join(existing)}); "
                    "pass --force to replace it (every certificate it issued stops working)"
                )
            owner = _owner()
            root = CertificateAuthority.root(
                name("mtlsguard local root CA", O=_ORGANIZATION, OU=owner), key_type=key_type
            )
            inter = root.intermediate(
                name("mtlsguard local intermediate CA", O=_ORGANIZATION, OU=owner),
                key_type=key_type,
            )
            server = inter.issue_server(hosts, not_after=utc_now() + dt.timedelta(days=MAX_DAYS))
            try:
                if force:
                    remove_clients(directory / "clients")
                write_atomic(directory / "ca.key", _key_pem(root), mode=0o600)
                write_atomic(directory / "ca.pem", pem(root.cert))
                write_atomic(directory / "intermediate.key", _key_pem(inter), mode=0o600)
                write_atomic(directory / "intermediate.pem", pem(inter.cert))
                write_atomic(directory / "ca-bundle.pem", pem(root.cert) + pem(inter.cert))
                write_issued(server, directory / "server.pem", directory / "server.key")
                state: dict[str, Any] = {
                    "format": STATE_FORMAT,
                    "created": iso(utc_now()),
                    "root": describe(root.cert),
                    "intermediate": describe(inter.cert),
                    "server": {**describe(server.cert), "hosts": hosts},
                    "clients": {},
                    "revoked": [],
                    "crl_number": 0,
                }
                ca = cls(directory, state)
                ca._publish_crl(inter)
            except OSError as exc:
                raise PKIError(f"cannot write to {directory}: {exc.strerror or exc}") from exc
            return ca

    @classmethod
    def open(cls, directory: Path) -> LocalCA:
        """Reopen a CA created by :meth:`init`.

        :raises PKIError: if ``directory`` holds no CA or its state file is unreadable.
        """
        path = directory / "state.json"
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise PKIError(
                f"{directory} holds no mtlsguard PKI; "
                f"create one with `mtlsguard pki init {directory}`"
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise PKIError(f"cannot read {path}: {exc}") from exc
        try:
            state = json.loads(raw)
            check_state(state)
        except (ValueError, TypeError, KeyError) as exc:
            raise PKIError(f"{path} is not a valid mtlsguard PKI state file: {exc}") from exc
        return cls(directory, state)

    def issue(
        self,
        client: str,
        *,
        emails: Sequence[str] = (),
        uris: Sequence[str] = (),
        dns_names: Sequence[str] = (),
        days: int = 90,
        key_type: KeyType = "ec",
        force: bool = False,
    ) -> IssuedClient:
        """Issue a client certificate ``clients/NAME.pem`` with commonName ``client``.

        Re-issuing an existing name needs ``force`` and revokes the previous certificate.

        :raises PKIError: for an unsafe name, a bad SAN, ``days`` out of range, or an
            existing name without ``force``.
        """
        if not _CLIENT_NAME.fullmatch(client):
            raise PKIError(
                f"invalid client name {client!r}: use 1-64 letters, digits, '.', '_' or '-', "
                "starting with a letter or digit"
            )
        if not 1 <= days <= MAX_DAYS:
            raise PKIError(f"--days must be between 1 and {MAX_DAYS}, not {days}")
        with locked(self.directory):
            self._reload()
            previous = self._state["clients"].get(client)
            if previous is not None and not force:
                raise PKIError(
                    f"a certificate named {client!r} already exists (serial {previous['serial']}); "
                    "pass --force to re-issue it (the old one is revoked)"
                )
            inter = self._intermediate()
            try:
                issued = inter.issue(
                    name(client, O=_ORGANIZATION),
                    emails=emails,
                    uris=uris,
                    dns_names=dns_names,
                    not_after=utc_now() + dt.timedelta(days=days),
                    key_type=key_type,
                )
            except ValueError as exc:
                raise PKIError(f"cannot issue {client!r}: {exc}") from exc
            cert_path, key_path = self.client_paths(client)
            try:
                cert_path.parent.mkdir(mode=0o700, exist_ok=True)
                write_issued(issued, cert_path, key_path)
                if previous is not None and previous.get("revoked_at") is None:
                    self._record_revocation(client, previous["serial"])
                self._state["clients"][client] = {
                    **describe(issued.cert),
                    "emails": list(emails),
                    "uris": list(uris),
                    "dns": list(dns_names),
                    "revoked_at": None,
                }
                if previous is not None:
                    self._publish_crl(inter)
                else:
                    self._save()
            except OSError as exc:
                raise PKIError(f"cannot write to {self.directory}: {exc.strerror or exc}") from exc
            return IssuedClient(client, cert_path, key_path, issued.cert)

    def revoke(self, client: str) -> dt.datetime:
        """Revoke the current certificate of ``client`` and publish a new CRL.

        :returns: the revocation time.
        :raises PKIError: if no such client exists or it is already revoked.
        """
        with locked(self.directory):
            self._reload()
            entry = self._state["clients"].get(client)
            if entry is None:
                known = ", ".join(sorted(self._state["clients"])) or "none"
                raise PKIError(f"no client named {client!r} (issued: {known})")
            if entry.get("revoked_at") is not None:
                raise PKIError(f"{client!r} was already revoked at {entry['revoked_at']}")
            when = self._record_revocation(client, entry["serial"])
            entry["revoked_at"] = iso(when)
            try:
                self._publish_crl(self._intermediate())
            except OSError as exc:
                raise PKIError(f"cannot write to {self.directory}: {exc.strerror or exc}") from exc
            return when

    def write_crl(self) -> x509.CertificateRevocationList:
        """Sign and write a fresh CRL (a new CRLNumber, valid for 30 days) and return it.

        :raises PKIError: if the directory cannot be written.
        """
        with locked(self.directory):
            self._reload()
            try:
                return self._publish_crl(self._intermediate())
            except OSError as exc:
                raise PKIError(f"cannot write to {self.directory}: {exc.strerror or exc}") from exc

    def refresh_crl(self, *, margin: dt.timedelta = dt.timedelta(days=1)) -> bool:
        """Re-sign the CRL if it is missing, unreadable or expires within ``margin``.

        :returns: True when a new CRL was written.
        :raises PKIError: if the directory cannot be written.
        """
        try:
            crl = x509.load_pem_x509_crl(self.crl_path.read_bytes())
            next_update = crl.next_update_utc
        except (OSError, ValueError):
            next_update = None
        if next_update is not None and next_update - utc_now() > margin:
            return False
        self.write_crl()
        return True

    # --- internals ---------------------------------------------------------------------

    def _reload(self) -> None:
        # Another process may have changed the state since this object was opened.
        self._state = LocalCA.open(self.directory)._state

    def _intermediate(self) -> CertificateAuthority:
        try:
            return CertificateAuthority.from_pem(
                (self.directory / "intermediate.pem").read_bytes(),
                (self.directory / "intermediate.key").read_bytes(),
            )
        except (OSError, ValueError) as exc:
            raise PKIError(f"cannot load the intermediate CA from {self.directory}: {exc}") from exc

    def _record_revocation(self, client: str, serial_hex: str) -> dt.datetime:
        # Backdated a little so a CRL signed right now already covers it on every clock.
        when = utc_now() - dt.timedelta(seconds=5)
        self._state["revoked"].append(
            {"serial": serial_hex, "name": client, "revoked_at": iso(when)}
        )
        return when

    def _publish_crl(self, inter: CertificateAuthority) -> x509.CertificateRevocationList:
        inter.revoked.update(self.revoked_serials)
        number = int(self._state["crl_number"]) + 1
        current = utc_now()
        crl = inter.crl(
            last_update=current - dt.timedelta(minutes=5),
            next_update=current + dt.timedelta(days=30),
            number=number,
        )
        write_atomic(self.crl_path, crl.public_bytes(Encoding.PEM))
        self._state["crl_number"] = number
        self._save()
        return crl

    def _save(self) -> None:
        data = json.dumps(self._state, indent=2, sort_keys=True) + "\n"
        write_atomic(self.state_path, data.encode("utf-8"))


def _key_pem(ca: CertificateAuthority) -> bytes:
    return IssuedCertificate(ca.cert, ca.key).key_pem


def _owner() -> str:
    user = os.environ.get("USER") or os.environ.get("LOGNAME") or "developer"
    host = os.uname().nodename or "localhost"
    return f"{user}@{host}"[:64]
