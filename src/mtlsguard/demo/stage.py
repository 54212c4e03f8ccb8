"""The demo's stage: the example projects, a throwaway PKI and their server processes.

The examples ship inside the wheel as ``mtlsguard/_examples`` (pyproject maps the checkout's
``examples/`` there); from a checkout (editable install, ``PYTHONPATH=src``) they are the
repository's ``examples/``. They are copied into the demo's temporary directory before they
run, so the demo never writes into the package or the checkout (databases, ``__pycache__``).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Final

from mtlsguard.devserver.localca import LocalCA

__all__ = [
    "PROJECTS",
    "PROXY_ADDRESS",
    "DemoError",
    "Identities",
    "ServerProcess",
    "build_pki",
    "copy_project",
    "examples_dir",
    "prepare_database",
    "run_side_by_side",
    "tail",
]

PROJECTS: Final = ("vulnerable", "hardened")
"""The example projects, in the order the summary shows them."""

PROXY_ADDRESS: Final = "10.0.0.5"
"""The TLS-terminating proxy the hardened app believes headers from (nobody on loopback)."""

_IGNORED: Final = shutil.ignore_patterns("__pycache__", "*.pyc", "db.sqlite3", "pki", ".*")


class DemoError(Exception):
    """The demo cannot run; the message says why and what to do."""


def examples_dir() -> Path:
    """Where the example projects are: the installed package's copy, else the checkout's.

    :raises DemoError: if neither holds both projects.
    """
    package = Path(__file__).resolve().parent.parent
    candidates = [package / "_examples", package.parent.parent / "examples"]
    for candidate in candidates:
        if all((candidate / name / "manage.py").is_file() for name in PROJECTS):
            return candidate
    raise DemoError(
        "the example projects are missing (looked in "
        + ", ".join(str(c) for c in candidates)
        + "); reinstall mtlsguard or run from a checkout"
    )


def copy_project(examples: Path, name: str, workdir: Path) -> Path:
    """Copy one example project into ``workdir`` (without databases, PKIs or caches)."""
    target = workdir / name
    shutil.copytree(examples / name, target, ignore=_IGNORED)
    return target


@dataclass(frozen=True, slots=True)
class Identities:
    """The throwaway PKI's files the demo uses."""

    directory: Path
    """The ``mtlsguard pki init`` directory (server certificate, CA bundle, CRL)."""
    ca_cert: Path
    """The root the probe verifies the servers with."""
    alice: tuple[Path, Path]
    """alice's certificate and key: identity A."""
    bob: tuple[Path, Path]
    """bob's certificate and key: identity B, the peer for BOLA."""


def build_pki(directory: Path) -> Identities:
    """A local CA, a loopback server certificate and alice's and bob's client certificates.

    :raises PKIError: if the directory cannot be written.
    """
    ca = LocalCA.init(directory, server_hosts=("localhost", "127.0.0.1"))
    alice = ca.issue("alice", emails=["alice@example.com"])
    bob = ca.issue("bob", emails=["bob@example.com"])
    return Identities(
        directory=ca.directory,
        ca_cert=ca.ca_cert,
        alice=(alice.cert_path, alice.key_path),
        bob=(bob.cert_path, bob.key_path),
    )


def _child_env(project: Path, extra: dict[str, str]) -> dict[str, str]:
    """The environment of a process of ``project``: ours, ``extra``, the project importable."""
    env = {
        **os.environ,
        **extra,
        "PYTHONPATH": os.pathsep.join(
            [str(project), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)  # manage.py and the server choose the project's
    return env


def prepare_database(
    project: Path, env: dict[str, str], log: Path, deadline: float, *, name: str
) -> Iterator[subprocess.Popen[bytes]]:
    """``manage.py migrate`` then ``manage.py seed_demo``: the project's own commands.

    A generator that yields each running process (so the caller can stop it) and returns
    once both succeeded; run several side by side with :func:`run_side_by_side`.

    :raises DemoError: when a command fails or outlives ``deadline``; quotes the log.
    """
    for command in (("migrate", "--noinput"), ("seed_demo",)):
        with log.open("ab") as out:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter, the project's manage.py
                [sys.executable, "manage.py", *command],
                cwd=project,
                env=_child_env(project, env),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
            )
        yield process
        try:
            code = process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise DemoError(f"manage.py {command[0]} of {name} did not finish in time") from None
        if code != 0:
            raise DemoError(f"manage.py {command[0]} of {name} failed ({code}):\n{tail(log)}")


def run_side_by_side(jobs: list[Iterator[subprocess.Popen[bytes]]]) -> None:
    """Advance :func:`prepare_database` generators in lock step; kill what runs on any exit."""
    running: list[subprocess.Popen[bytes]] = []
    try:
        while jobs:
            started = []
            for job in jobs:
                process = next(job, None)
                if process is not None:
                    running.append(process)
                    started.append(job)
            jobs = started
    finally:
        for process in running:
            if process.poll() is None:
                process.kill()
                process.wait()


def tail(log: Path, lines: int = 12) -> str:
    """The last lines of a log file, indented."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "  (no log)"
    last = text.strip().splitlines()[-lines:] or ["(empty log)"]
    return "\n".join(f"  {line}" for line in last)


@dataclass
class ServerProcess:
    """One example project served by ``python -m mtlsguard.demo.serve`` in its own process."""

    name: str
    """What the demo calls it (``vulnerable over mTLS``)."""
    project: Path
    """The (copied) project directory, the process's working directory."""
    spec: dict[str, object]
    """What ``mtlsguard.demo.serve`` serves: ``settings`` and ``pki`` (a directory) or
    ``plain`` (see :func:`mtlsguard.demo.serve.main`)."""
    env: dict[str, str]
    """Extra environment (database path, PKI, mtlsguard settings)."""
    log: Path
    """Where the process's stderr goes (request and audit logs)."""
    url: str = ""
    """Its base URL once started."""
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        """Launch the process (does not wait for it to listen: see :meth:`wait_ready`)."""
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", "mtlsguard.demo.serve", json.dumps(self.spec)],
                cwd=self.project,
                env=_child_env(self.project, self.env),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                # Ctrl-C reaches the demo, which stops its servers itself, in order.
                start_new_session=True,
            )

    def wait_ready(self, deadline: float) -> str:
        """Wait (until the monotonic ``deadline``) for the listening announcement.

        :returns: the base URL.
        :raises DemoError: when the process exits or stays silent; the message quotes its log.
        """
        process = self.process
        assert process is not None
        assert process.stdout is not None
        url = None
        for line in _lines(process.stdout, deadline):
            try:
                url = json.loads(line)["url"]
            except (ValueError, KeyError, TypeError):
                continue  # something the project printed: not the announcement
            break
        if not isinstance(url, str):
            why = "did not start" if process.poll() is not None else "did not answer in time"
            raise DemoError(f"the {self.name} server {why}:\n{tail(self.log)}")
        self.url = url
        return url

    def stop(self, timeout: float = 10.0) -> None:
        """Close its stdin (its signal to stop), then SIGTERM, then SIGKILL; wait for it."""
        process = self.process
        if process is None:
            return
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()
        for stop_signal in (None, signal.SIGTERM, signal.SIGKILL):
            if stop_signal is not None and process.poll() is None:
                try:
                    process.send_signal(stop_signal)
                except ProcessLookupError:
                    break
            try:
                process.wait(timeout=timeout / 2 if stop_signal is None else timeout)
                break
            except subprocess.TimeoutExpired:
                continue
        if process.stdout is not None:
            process.stdout.close()


def _lines(stream: IO[bytes], deadline: float) -> Iterator[str]:
    """Lines from a pipe until EOF or until ``deadline`` (monotonic) passes."""
    buffer = b""
    fd = stream.fileno()
    while True:
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            yield line.decode("utf-8", "replace").strip()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            return
        chunk = os.read(fd, 4096)
        if not chunk:
            return
        buffer += chunk
