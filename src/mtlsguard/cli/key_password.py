"""``--key-password-env VAR`` / ``--key-password-file FILE``: the password of an encrypted key.

OpenSSL prompts on the terminal for the password of an encrypted key unless the program gives
one; mtlsguard always gives one (or refuses the key with a clear error), so CI never hangs
and a terminal never sees a prompt. The password is read from the environment or a file, never
from the command line (``ps`` shows it). ``--peer-key-password-env/-file`` do the same for B.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mtlsguard.cli.output import fatal

__all__ = ["add_key_password_arguments", "key_password"]


def add_key_password_arguments(group: Any) -> None:
    """Register the key password options of A and B on ``group``."""
    for who, flag in (("A", "key"), ("B", "peer-key")):
        exclusive = group.add_mutually_exclusive_group()
        exclusive.add_argument(
            f"--{flag}-password-env",
            metavar="VAR",
            help=f"environment variable holding the password of {who}'s encrypted key",
        )
        exclusive.add_argument(
            f"--{flag}-password-file",
            metavar="FILE",
            type=Path,
            help=f"file whose first line is the password of {who}'s encrypted key",
        )


def key_password(options: Mapping[str, Any], prefix: str = "key") -> bytes | None:
    """The password ``--{prefix}-password-env``/``-file`` give, or ``None``.

    Usage errors (an unset variable, an unreadable file) exit 2.
    """
    name = prefix.replace("-", "_")
    variable = options.get(f"{name}_password_env")
    path = options.get(f"{name}_password_file")
    if variable:
        value = os.environ.get(variable)
        if value is None:
            fatal(f"--{prefix}-password-env: the environment variable {variable} is not set")
        return value.encode("utf-8")
    if path is not None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            fatal(f"--{prefix}-password-file: cannot read {path}: {exc}")
        lines = text.splitlines()
        return (lines[0] if lines else "").encode("utf-8")
    return None
