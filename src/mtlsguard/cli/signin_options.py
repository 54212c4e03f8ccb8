"""The sign-in options of ``mtlsguard probe`` (and ``scan --probe``): MG405-MG407.

The password is read from an environment variable (``--password-env``, preferred), a
credentials file, or ``--password`` (visible to other users in the process list; a warning
says so). It is never printed: errors name the option, not the value.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

from mtlsguard.probe.config import BRUTEFORCE_ATTEMPTS_CAP, LoginSettings  # no I/O, no httpx

__all__ = ["add_login_arguments", "login_settings", "positive_float"]


def _attempts(text: str) -> int:
    value = int(text)
    if not 1 <= value <= BRUTEFORCE_ATTEMPTS_CAP:
        raise argparse.ArgumentTypeError(f"must be between 1 and {BRUTEFORCE_ATTEMPTS_CAP}")
    return value


def positive_float(text: str) -> float:
    """A number greater than 0 (an argparse type)."""
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def add_login_arguments(parser: Any) -> None:
    """Register the sign-in options on ``parser`` (an argparse parser)."""
    group = parser.add_argument_group(
        "sign-in probes (MG405-MG407)",
        "With --credential-probes, which allows POST to the sign-in and sign-out URLs only.",
    )
    group.add_argument("--login-url", metavar="URL", help="sign-in URL (path or same-origin URL)")
    group.add_argument("--username", metavar="U", help="account to sign in as")
    group.add_argument(
        "--password-env", metavar="VAR", help="environment variable holding the password"
    )
    group.add_argument(
        "--password", metavar="P", help="the password (prefer --password-env: ps shows this)"
    )
    group.add_argument(
        "--credentials-file",
        metavar="FILE",
        type=Path,
        help='JSON {"username": ..., "password": ...} or one line user:password',
    )
    group.add_argument(
        "--login-format",
        choices=("auto", "form", "json"),
        default="auto",
        help=(
            "form (HTML form, Django's CSRF token sent back) or json; auto: form when "
            "the sign-in page is HTML (default)"
        ),
    )
    group.add_argument(
        "--username-field",
        default="username",
        metavar="NAME",
        help="form/JSON field of the username (default: username)",
    )
    group.add_argument(
        "--password-field",
        default="password",
        metavar="NAME",
        help="form/JSON field of the password (default: password)",
    )
    group.add_argument("--logout-url", metavar="URL", help="sign-out URL (POST)")
    group.add_argument(
        "--session-url", metavar="URL", help="a page that needs the session (sign-out check)"
    )
    group.add_argument("--session-cookie", metavar="NAME", help="session cookie name (guessed)")
    group.add_argument(
        "--bruteforce-attempts",
        type=_attempts,
        default=12,
        metavar="N",
        help=f"wrong passwords MG405 sends (default 12, at most {BRUTEFORCE_ATTEMPTS_CAP})",
    )
    group.add_argument(
        "--max-session-age",
        type=positive_float,
        default=12.0,
        metavar="HOURS",
        help="longest acceptable session cookie lifetime (default 12)",
    )


def _credentials_file(path: Path, fail: Callable[[str], NoReturn]) -> tuple[str | None, str | None]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read the credentials file {path}: {exc}")
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            fail(f"the credentials file {path} is not valid JSON")
        if not isinstance(data, dict):
            fail(f"the credentials file {path} must hold a JSON object")
        user, password = data.get("username"), data.get("password")
        return (
            user if isinstance(user, str) else None,
            password if isinstance(password, str) else None,
        )
    line = text.strip().splitlines()[0] if text.strip() else ""
    user, sep, password = line.partition(":")
    if not sep:
        fail(f"the credentials file {path} must hold user:password or a JSON object")
    return user, password


def login_settings(
    options: Mapping[str, Any], base_url: str, fail: Callable[[str], NoReturn]
) -> LoginSettings | None:
    """The :class:`LoginSettings` the options describe, or ``None`` without ``--login-url``.

    ``fail(message)`` reports a usage error and does not return.
    """
    if options["login_url"] is None:
        stray = [
            name
            for name in ("username", "password", "password_env", "credentials_file", "logout_url")
            if options.get(name) is not None
        ]
        if stray:
            fail(f"--{stray[0].replace('_', '-')} needs --login-url")
        return None
    if not options["credential_probes"]:
        fail("--login-url needs --credential-probes (the sign-in probes POST to it)")
    urls = (("--login-url", options["login_url"]), ("--logout-url", options["logout_url"]))
    for option, url in urls:
        if url and urlsplit(url).scheme and not _same_origin(url, base_url):
            fail(f"{option} must be on the probed site ({base_url})")
    user, password = options["username"], None
    if options["credentials_file"] is not None:
        file_user, password = _credentials_file(options["credentials_file"], fail)
        user = user or file_user
    if options["password_env"] is not None:
        password = os.environ.get(options["password_env"])
        if password is None:
            fail(f"--password-env {options['password_env']}: the variable is not set")
    elif options["password"] is not None:
        password = options["password"]
        print(
            "mtlsguard: warning: --password is visible to other users of this machine "
            "(process list, shell history); prefer --password-env",
            file=sys.stderr,
        )
    if not user:
        fail("--login-url needs --username (or a credentials file)")
    if not password:
        fail("--login-url needs a password: --password-env VAR, --credentials-file or --password")
    return LoginSettings(
        login_url=options["login_url"],
        username=user,
        password=password,
        login_format=options["login_format"],
        username_field=options["username_field"],
        password_field=options["password_field"],
        logout_url=options["logout_url"],
        session_url=options["session_url"],
        session_cookie=options["session_cookie"],
        bruteforce_attempts=options["bruteforce_attempts"],
        max_session_age=float(options["max_session_age"]) * 3600.0,
    )


def _same_origin(url: str, base: str) -> bool:
    from mtlsguard.probe.client import same_origin

    return same_origin(url, base)
