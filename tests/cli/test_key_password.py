"""An encrypted ``--key``: its password from the environment or a file, never a prompt.

Before: OpenSSL prompted twice on the terminal, then the probe failed with "[Errno 22] Invalid
argument". The command runs in its own session with stdin not a terminal, as in CI.
"""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

PASSWORD = "s3cret pass"


@pytest.fixture(scope="module")
def encrypted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    directory = tmp_path_factory.mktemp("encrypted")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "alice")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "alice.pem", directory / "alice.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(PASSWORD.encode()),
        )
    )
    return cert_path, key_path


def probe(cert: Path, key: Path, *extra: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    # Port 9 (discard) on loopback refuses: the key is loaded before the first request.
    command = [sys.executable, "-m", "mtlsguard", "probe", "https://127.0.0.1:9/"]
    command += ["--cert", str(cert), "--key", str(key), "--no-progress", "--max-time", "5"]
    done = subprocess.run(
        [*command, *extra],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        start_new_session=True,  # no controlling terminal: a prompt could not be answered
        env={**os.environ, **(env or {})},
        check=False,
    )
    return done.returncode, done.stderr


def test_an_encrypted_key_without_a_password_is_a_clear_error(
    encrypted: tuple[Path, Path],
) -> None:
    code, err = probe(*encrypted)
    assert code == 2
    assert "is encrypted; give its password with --key-password-env VAR" in err
    assert "Errno 22" not in err
    assert "Traceback" not in err


def test_the_password_from_the_environment_or_a_file_unlocks_the_key(
    encrypted: tuple[Path, Path], tmp_path: Path
) -> None:
    code, err = probe(*encrypted, "--key-password-env", "MG_KEY_PW", env={"MG_KEY_PW": PASSWORD})
    assert code == 2  # nothing listens on port 9: the key was loaded, the target refused
    assert "encrypted" not in err
    assert "no response from the target" in err
    secret = tmp_path / "password.txt"
    secret.write_text(PASSWORD + "\n", encoding="utf-8")
    code, err = probe(*encrypted, "--key-password-file", str(secret))
    assert "no response from the target" in err
    secret.write_text("wrong\n", encoding="utf-8")
    code, err = probe(*encrypted, "--key-password-file", str(secret))
    assert code == 2
    assert "is the key's password right?" in err


def test_bad_password_options_are_usage_errors(
    encrypted: tuple[Path, Path], tmp_path: Path
) -> None:
    code, err = probe(*encrypted, "--key-password-env", "MG_UNSET_VARIABLE_X")
    assert code == 2
    assert "the environment variable MG_UNSET_VARIABLE_X is not set" in err
    code, err = probe(*encrypted, "--key-password-file", str(tmp_path / "missing"))
    assert code == 2
    assert "--key-password-file: cannot read" in err
