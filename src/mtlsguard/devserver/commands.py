"""Transitional: the ``pki`` / ``devserver`` command lines moved to :mod:`mtlsguard.cli.devserver`.

What the commands do is in :mod:`mtlsguard.devserver.launch` (``load_app``, ``load_django``,
``server_tls``, ``serve_until_stopped``) and :mod:`mtlsguard.devserver.localca`. This module
only keeps the old import paths working until ``mtlsguard/cli/main.py`` and
``mtlsguard/demo/serve.py`` import from the new homes; then delete it. It is the one import
of a higher layer left in ``devserver/`` (the layering test names it).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the real types for type checkers; at run time __getattr__ serves them
    from mtlsguard.cli.devserver import COMMANDS, add_commands, parse_addrport, run_command
    from mtlsguard.devserver import UsageError
    from mtlsguard.devserver.launch import load_app, load_django

__all__ = [  # every one resolved lazily by __getattr__
    "COMMANDS",
    "UsageError",
    "add_commands",
    "load_app",
    "load_django",
    "parse_addrport",
    "run_command",
]


def __getattr__(name: str) -> Any:
    # Resolved on first use, not at import time: mtlsguard.cli.main imports this module while
    # mtlsguard.cli initialises, so importing mtlsguard.cli here eagerly would be a cycle; and
    # `mtlsguard scan` must not pay for the dev server's modules (cryptography) at start-up.
    # import_module returns the module itself: `import a.b.c` would reach it through the
    # attribute `a.b`, which is not set while mtlsguard.cli is still initialising.
    if name in ("COMMANDS", "add_commands", "parse_addrport", "run_command"):
        return getattr(importlib.import_module("mtlsguard.cli.devserver"), name)
    if name in ("UsageError", "load_app", "load_django"):
        return getattr(importlib.import_module("mtlsguard.devserver.launch"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
