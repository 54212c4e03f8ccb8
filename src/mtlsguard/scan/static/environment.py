"""Where installed packages are read from: ``--site-packages``, the project's venv, ours.

``include("wagtail.admin.urls")`` names a module of an installed package. The static scanner
reads it (never imports it) from, in order: each ``--site-packages DIR`` given, a virtualenv
inside the scanned tree (``.venv``, ``venv``, ``env``), and the ``site-packages`` of the
interpreter running mtlsguard. Only URLconfs are walked there; views found in them are kept
as names, not modelled as project code.
"""

from __future__ import annotations

import contextlib
import site
import sysconfig
from collections.abc import Sequence
from pathlib import Path

__all__ = ["environment_paths", "project_virtualenvs"]

_VENV_NAMES = (".venv", "venv", "env", ".env")


def project_virtualenvs(roots: Sequence[Path]) -> list[Path]:
    """``site-packages`` of virtualenvs directly inside any of ``roots``."""
    found: list[Path] = []
    for root in roots:
        for name in _VENV_NAMES:
            venv = root / name
            if not (venv / "pyvenv.cfg").is_file():
                continue
            found.extend(sorted(venv.glob("lib/python3*/site-packages")))
            found.extend(p for p in [venv / "Lib" / "site-packages"] if p.is_dir())
    return found


def _interpreter_paths() -> list[Path]:
    paths = [sysconfig.get_paths().get(key, "") for key in ("purelib", "platlib")]
    with contextlib.suppress(AttributeError):  # embedded interpreters may lack it
        paths.extend(site.getsitepackages())
    user = site.getusersitepackages() if site.ENABLE_USER_SITE else ""
    paths.append(user if isinstance(user, str) else "")
    return [Path(p) for p in paths if p]


def environment_paths(
    extra: Sequence[Path], roots: Sequence[Path], *, interpreter: bool = True
) -> list[Path]:
    """Directories installed packages are looked up in, best first, existing ones only."""
    candidates = [*extra, *project_virtualenvs(roots)]
    if interpreter:
        candidates.extend(_interpreter_paths())
    unique: dict[Path, None] = {}
    for path in candidates:
        if path.is_dir():
            unique.setdefault(path.resolve(), None)
    return list(unique)
