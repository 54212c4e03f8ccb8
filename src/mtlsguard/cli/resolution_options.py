"""The options that say how a scan resolves the project (the "project resolution" group).

``--settings``, ``--urlconf``, ``--site-packages`` and ``--allow-partial``, for ``mtlsguard
scan``/``routes`` and (without the static-only ones) ``manage.py mtlsguard``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["add_resolution_arguments"]


def add_resolution_arguments(command: argparse.ArgumentParser, *, live: bool = False) -> None:
    """Register how the project is resolved (``--settings``, ``--urlconf``, ``--allow-partial``...).

    ``--settings`` and ``--site-packages`` serve the static front-end only.

    Under ``manage.py mtlsguard`` (``live``) Django's own ``--settings`` applies and installed
    packages are the running ones, so only ``--urlconf`` and ``--allow-partial`` are added.
    """
    group = command.add_argument_group("project resolution")
    if not live:
        group.add_argument(
            "--settings",
            metavar="MODULE",
            help="settings module to evaluate (default: DJANGO_SETTINGS_MODULE as manage.py, "
            "wsgi.py, asgi.py or the pytest/tox configuration set it)",
        )
    group.add_argument(
        "--urlconf",
        metavar="MODULE",
        help="root URLconf to walk instead of the settings' ROOT_URLCONF",
    )
    if not live:
        group.add_argument(
            "--site-packages",
            metavar="DIR",
            type=Path,
            action="append",
            default=[],
            help="read include()d URLconfs of installed packages from DIR first (repeatable; "
            "then a virtualenv in the project, then this interpreter's site-packages)",
        )
    group.add_argument(
        "--allow-partial",
        action="store_true",
        help="report what could not be resolved (unparsable files on a route's path, a "
        "missing settings module, URLconf or include()) and go on, instead of exit 2",
    )
