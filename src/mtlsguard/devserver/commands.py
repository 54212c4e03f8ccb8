"""Transitional: the ``pki`` / ``devserver`` command lines moved to :mod:`mtlsguard.cli.devserver`.

What the commands do is in :mod:`mtlsguard.devserver.launch` (``load_app``, ``load_django``,
``server_tls``, ``serve_until_stopped``) and :mod:`mtlsguard.devserver.localca`. This module
only keeps the old import paths working until ``mtlsguard/cli/main.py`` and
``mtlsguard/demo/serve.py`` import from the new homes; then delete it (it is the one import of
a higher layer left in ``devserver/``).
"""

from __future__ import annotations

from mtlsguard.cli.devserver import COMMANDS, add_commands, parse_addrport, run_command
from mtlsguard.devserver import UsageError
from mtlsguard.devserver.launch import load_app, load_django

__all__ = [
    "COMMANDS",
    "UsageError",
    "add_commands",
    "load_app",
    "load_django",
    "parse_addrport",
    "run_command",
]
