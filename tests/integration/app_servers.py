"""Real WSGI/ASGI servers running ``tests.integration.whoami_app`` for the proxy tests.

gunicorn 21 (which folds ``X-SSL-Client_Cert`` into ``HTTP_X_SSL_CLIENT_CERT``), gunicorn 23
(which drops such names), waitress and wsgiref run from versions pinned here, installed from
PyPI on first use into a cache directory (``MTLSGUARD_TEST_CACHE``, default
``~/.cache/mtlsguard-tests``), so a fresh clone and CI get the same servers; uvicorn is the
dev extra's. A server that cannot be installed is skipped (failed under ``CI=true``).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.integration.harness import REPO, ServerProcess, _missing, free_port

#: Server name -> the pip requirement installed for it (None: already in the dev venv).
PINNED: Mapping[str, str | None] = {
    "gunicorn21": "gunicorn==21.2.0",
    "gunicorn23": "gunicorn==23.0.0",
    "waitress": "waitress==3.0.2",
    "uvicorn": None,
    "wsgiref": None,
}

APP = "tests.integration.whoami_app"


def cache_dir() -> Path:
    """Where pinned servers are installed (one ``pip --target`` directory each)."""
    root = os.environ.get("MTLSGUARD_TEST_CACHE") or str(Path.home() / ".cache/mtlsguard-tests")
    return Path(root) / f"py{sys.version_info[0]}{sys.version_info[1]}"


def installed(requirement: str) -> Path:
    """A directory holding ``requirement`` (installed once, then reused)."""
    target = cache_dir() / requirement.replace("==", "-")
    stamp = target / ".installed"
    if stamp.exists():
        return target
    target.mkdir(parents=True, exist_ok=True)
    # --no-deps: gunicorn's one dependency (packaging) is already in the dev venv.
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--upgrade",
            "--target",
            str(target),
            requirement,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        _missing(f"pip could not install {requirement}: {done.stderr[-500:]}")
    stamp.write_text(requirement)
    return target


def server_argv(kind: str, port: int, extra: Sequence[str] = ()) -> list[str]:
    """The command line that serves the whoami app with ``kind`` on ``127.0.0.1:port``."""
    bind = f"127.0.0.1:{port}"
    if kind.startswith("gunicorn"):
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "-b",
            bind,
            "-w",
            "1",
            "--threads",
            "4",
            *extra,
            f"{APP}:application",
        ]
    if kind == "waitress":
        return [
            sys.executable,
            "-m",
            "waitress",
            f"--listen={bind}",
            "--threads=4",
            *extra,
            f"{APP}:application",
        ]
    if kind == "uvicorn":
        return [
            sys.executable,
            "-m",
            "uvicorn",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            *extra,
            f"{APP}:asgi_application",
        ]
    if kind == "wsgiref":
        return [sys.executable, "-m", "tests.integration.wsgiref_server", str(port)]
    raise ValueError(kind)


@dataclass(frozen=True)
class AppServer:
    """The whoami app served by one real server."""

    kind: str
    port: int
    process: ServerProcess


@contextlib.contextmanager
def app_server(
    kind: str,
    run_dir: Path,
    env: Mapping[str, str],
    extra: Sequence[str] = (),
) -> Iterator[AppServer]:
    """Serve the whoami app with ``kind`` until the ``with`` block ends."""
    requirement = PINNED[kind]
    paths = [str(REPO)]
    if requirement is not None:
        paths.insert(0, str(installed(requirement)))
    port = free_port()
    full_env = {
        **env,
        "PYTHONPATH": os.pathsep.join([*paths, os.environ.get("PYTHONPATH", "")]).rstrip(
            os.pathsep
        ),
    }
    run_dir.mkdir(parents=True, exist_ok=True)
    with ServerProcess.running(
        kind, server_argv(kind, port, extra), port=port, run_dir=run_dir, env=full_env
    ) as process:
        yield AppServer(kind, port, process)
