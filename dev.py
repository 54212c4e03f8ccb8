#!/usr/bin/env python3
"""Developer entry point that needs nothing but Python.

    python3 dev.py demo [DEMO ARGS...]     create/reuse .venv, install, run `mtlsguard demo`
    python3 dev.py test [PYTEST ARGS...]   create/reuse .venv, install, run the whole test suite

Options before the command:
    --venv DIR     virtual environment to use (default: .venv)
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
EXTRAS = "dev,django,drf"


def _venv_python(venv_dir: Path) -> Path:
    return venv_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_venv(venv_dir: Path) -> Path:
    """Create ``venv_dir`` if needed and (re)install the project when its metadata changed."""
    python = _venv_python(venv_dir)
    if not python.exists():
        print(f"dev.py: creating {venv_dir.name} with {sys.executable}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(venv_dir)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + EXTRAS.encode()).hexdigest()
    stamp = venv_dir / ".mtlsguard-installed"
    if not stamp.exists() or stamp.read_text() != digest:
        print(f"dev.py: installing mtlsguard[{EXTRAS}] into {venv_dir.name}", flush=True)
        pip = [str(python), "-m", "pip", "--disable-pip-version-check", "-q"]
        subprocess.run([*pip, "install", "-U", "pip"], check=True)
        subprocess.run([*pip, "install", "-e", f"{ROOT}[{EXTRAS}]"], check=True)
        stamp.write_text(digest)
    return python


def main(argv: list[str]) -> int:
    """Run ``dev.py`` with ``argv`` (without the program name); return the exit code."""
    venv_dir = ROOT / ".venv"
    if len(argv) >= 2 and argv[0] == "--venv":
        venv_dir = (ROOT / argv[1]).resolve()
        argv = argv[2:]
    if not argv or argv[0] in {"-h", "--help"}:
        print(__doc__)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    try:
        python = ensure_venv(venv_dir)
    except subprocess.CalledProcessError as exc:
        print(
            f"dev.py: installing into {venv_dir} failed ({exc.returncode}); see above",
            file=sys.stderr,
        )
        return 2
    if command == "test":
        return subprocess.call([str(python), "-m", "pytest", *rest], cwd=ROOT)
    if command == "demo":
        return subprocess.call([str(python), "-m", "mtlsguard", "demo", *rest], cwd=ROOT)
    print(f"dev.py: unknown command {command!r}\n{__doc__}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    try:
        raise SystemExit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        raise SystemExit(130) from None
