"""``mtlsguard pki init | issue | revoke | crl``: files, modes, state, refusals, and real TLS."""

from __future__ import annotations

import datetime as dt
import json
import socket
import ssl
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.verification import PolicyBuilder, Store

from mtlsguard.cli.main import main
from mtlsguard.devserver.localca import LocalCA, PKIError
from mtlsguard.devserver.pki import load_private_key
from mtlsguard.devserver.server import MTLSServer, serve
from mtlsguard.devserver.tls import ServerTLS
from tests.devserver.conftest import TIMEOUT, RecordingApp, https_request
from tests.factories import tls_client


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def ca_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    directory = tmp_path / "pki"
    code, out, _ = run(capsys, "pki", "init", str(directory))
    assert code == 0, out
    return directory


def load_chain(path: Path) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(path.read_bytes())


def load_crl(directory: Path) -> x509.CertificateRevocationList:
    return x509.load_pem_x509_crl((directory / "crl.pem").read_bytes())


def crl_number(crl: x509.CertificateRevocationList) -> int:
    return crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number


def test_init_writes_a_usable_ca_with_private_keys(ca_dir: Path) -> None:
    for key in ("ca.key", "intermediate.key", "server.key"):
        assert stat.S_IMODE((ca_dir / key).stat().st_mode) == 0o600
        load_private_key((ca_dir / key).read_bytes())
    assert stat.S_IMODE(ca_dir.stat().st_mode) == 0o700
    root = load_chain(ca_dir / "ca.pem")[0]
    server, inter = load_chain(ca_dir / "server.pem")
    assert load_chain(ca_dir / "ca-bundle.pem") == [root, inter]
    # The server certificate verifies to the root for every loopback name.
    verifier = PolicyBuilder().store(Store([root])).build_server_verifier(x509.DNSName("localhost"))
    verifier.verify(server, [inter])
    sans = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["localhost"]
    assert {str(ip) for ip in sans.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "::1"}
    crl = load_crl(ca_dir)
    assert crl.is_signature_valid(inter.public_key())  # type: ignore[arg-type]
    assert list(crl) == []
    state = json.loads((ca_dir / "state.json").read_text())
    assert state["format"] == "mtlsguard-pki/1"
    assert int(state["root"]["serial"], 16) == root.serial_number
    assert state["crl_number"] == crl_number(crl) == 1


def test_init_refuses_to_overwrite_an_existing_ca(
    ca_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = {p.name: p.read_bytes() for p in ca_dir.iterdir() if p.is_file()}
    code, _, err = run(capsys, "pki", "init", str(ca_dir))
    assert code == 2
    assert "already holds a CA" in err
    assert "--force" in err
    assert {p.name: p.read_bytes() for p in ca_dir.iterdir() if p.is_file()} == before
    code, _, _ = run(capsys, "pki", "init", str(ca_dir), "--force")
    assert code == 0
    assert (ca_dir / "ca.pem").read_bytes() != before["ca.pem"]


def test_issue_revoke_crl_round_trip(ca_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys,
        "pki",
        "issue",
        str(ca_dir),
        "alice",
        "--email",
        "alice@example.com",
        "--uri",
        "spiffe://example.com/alice",
        "--dns",
        "alice.local",
        "--days",
        "10",
    )
    assert code == 0, err
    assert "clients/alice.pem" in out
    leaf, inter = load_chain(ca_dir / "clients" / "alice.pem")
    assert stat.S_IMODE((ca_dir / "clients" / "alice.key").stat().st_mode) == 0o600
    key = load_private_key((ca_dir / "clients" / "alice.key").read_bytes())
    assert key.public_key() == leaf.public_key()
    root = load_chain(ca_dir / "ca.pem")[0]
    verified = PolicyBuilder().store(Store([root])).build_client_verifier().verify(leaf, [inter])
    assert [cert.subject for cert in verified.chain] == [leaf.subject, inter.subject, root.subject]
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.RFC822Name) == ["alice@example.com"]
    assert sans.get_values_for_type(x509.UniformResourceIdentifier) == [
        "spiffe://example.com/alice"
    ]
    assert sans.get_values_for_type(x509.DNSName) == ["alice.local"]
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    lifetime = leaf.not_valid_after_utc - dt.datetime.now(dt.UTC)
    assert dt.timedelta(days=9) < lifetime <= dt.timedelta(days=10)

    # The same name again needs --force; with it the old certificate is revoked.
    code, _, err = run(capsys, "pki", "issue", str(ca_dir), "alice")
    assert code == 2
    assert "already exists" in err
    code, _, _ = run(capsys, "pki", "issue", str(ca_dir), "alice", "--force")
    assert code == 0
    new_leaf = load_chain(ca_dir / "clients" / "alice.pem")[0]
    assert new_leaf.serial_number != leaf.serial_number
    crl = load_crl(ca_dir)
    assert [r.serial_number for r in crl] == [leaf.serial_number]

    code, out, _ = run(capsys, "pki", "revoke", str(ca_dir), "alice")
    assert code == 0
    crl = load_crl(ca_dir)
    assert {r.serial_number for r in crl} == {leaf.serial_number, new_leaf.serial_number}
    assert crl.is_signature_valid(inter.public_key())  # type: ignore[arg-type]
    code, _, err = run(capsys, "pki", "revoke", str(ca_dir), "alice")
    assert code == 2
    assert "already revoked" in err
    code, _, err = run(capsys, "pki", "revoke", str(ca_dir), "nobody")
    assert code == 2
    assert "no client named 'nobody'" in err

    before = crl_number(crl)
    code, out, _ = run(capsys, "pki", "crl", str(ca_dir))
    assert code == 0
    assert crl_number(load_crl(ca_dir)) == before + 1
    assert {r.serial_number for r in load_crl(ca_dir)} == {
        leaf.serial_number,
        new_leaf.serial_number,
    }

    # State persists: a fresh LocalCA sees everything.
    reopened = LocalCA.open(ca_dir)
    assert reopened.clients["alice"]["revoked_at"] is not None
    assert int(reopened.clients["alice"]["serial"], 16) == new_leaf.serial_number
    assert set(reopened.revoked_serials) == {leaf.serial_number, new_leaf.serial_number}
    assert reopened.crl_number == before + 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["issue", "{dir}", "../escape"], "invalid client name"),
        (["issue", "{dir}", "a/b"], "invalid client name"),
        (["issue", "{dir}", "bob", "--days", "0"], "--days must be between"),
        (["issue", "{dir}", "bob", "--days", "5000"], "--days must be between"),
        (["issue", "{dir}", "bob", "--email", "bö@example.com"], "cannot issue 'bob'"),
        (["issue", "{missing}", "bob"], "holds no mtlsguard PKI"),
        (["revoke", "{missing}", "bob"], "holds no mtlsguard PKI"),
        (["crl", "{missing}"], "holds no mtlsguard PKI"),
    ],
)
def test_bad_pki_commands_exit_2_with_a_message(
    ca_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    filled = [a.format(dir=ca_dir, missing=tmp_path / "missing") for a in argv]
    code, _, err = run(capsys, "pki", *filled)
    assert code == 2
    assert message in err
    assert not (tmp_path / "escape.pem").exists()
    assert not list((ca_dir / "clients").glob("bob.*")) if (ca_dir / "clients").exists() else True


@pytest.mark.parametrize(
    "content",
    ["", "{", "[]", '{"format": "other/1"}', '{"format": "mtlsguard-pki/1"}'],
)
def test_damaged_state_is_reported(
    ca_dir: Path, capsys: pytest.CaptureFixture[str], content: str
) -> None:
    (ca_dir / "state.json").write_text(content)
    code, _, err = run(capsys, "pki", "issue", str(ca_dir), "carol")
    assert code == 2
    assert "not a valid mtlsguard PKI state file" in err
    with pytest.raises(PKIError):
        LocalCA.open(ca_dir)


def test_stale_crl_is_refreshed_before_serving(ca_dir: Path) -> None:
    ca = LocalCA.open(ca_dir)
    assert not ca.refresh_crl()  # fresh: left alone
    (ca_dir / "crl.pem").write_text("garbage")
    assert ca.refresh_crl()
    assert load_crl(ca_dir).next_update_utc > dt.datetime.now(dt.UTC) + dt.timedelta(days=29)


def get_with_session(
    server: MTLSServer, context: ssl.SSLContext, session: ssl.SSLSession | None
) -> tuple[bytes, bool, ssl.SSLSession | None]:
    """A GET offering ``session`` for resumption: status line, whether resumed, the session."""
    with (
        socket.create_connection((server.host, server.port), timeout=TIMEOUT) as raw,
        context.wrap_socket(raw, server_hostname="localhost", session=session) as conn,
    ):
        conn.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        status = conn.recv(12)
        if not status:
            raise ConnectionError("closed without a response")
        return status, conn.session_reused, conn.session


@pytest.mark.integration
def test_revocation_takes_effect_on_a_running_server(
    ca_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "pki", "issue", str(ca_dir), "alice")[0] == 0
    context = tls_client(
        ca_dir / "ca.pem", (ca_dir / "clients" / "alice.pem", ca_dir / "clients" / "alice.key")
    )
    context.maximum_version = ssl.TLSVersion.TLSv1_2  # so a session could be resumed
    app = RecordingApp()
    with serve(app, tls=ServerTLS.from_pki(ca_dir)) as server:
        status, reused, session = get_with_session(server, context, None)
        assert (status, reused) == (b"HTTP/1.1 200", False)
        status, reused, session = get_with_session(server, context, session)
        assert (status, reused) == (b"HTTP/1.1 200", True)  # TLS 1.2 resumption happens...
        # ... and the resumed connection still gets the chain verified at the first one.
        assert (
            app.environs[1]["SSL_CLIENT_CERT_CHAIN_0"] == app.environs[0]["SSL_CLIENT_CERT_CHAIN_0"]
        )

        assert run(capsys, "pki", "revoke", str(ca_dir), "alice")[0] == 0
        # No restart: the changed CRL builds a new context, so not even the old session
        # can resume past the revocation.
        with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
            get_with_session(server, context, session)
        with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
            https_request(server, context)
    assert len(app.environs) == 2
