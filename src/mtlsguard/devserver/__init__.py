"""Embedded mTLS development server and the throwaway PKI it (and the tests) use."""

from typing import Final

__all__ = ["DEFAULT_SERVER_HOSTS", "UsageError"]

#: Names the server certificate covers unless told otherwise (``mtlsguard pki init``).
DEFAULT_SERVER_HOSTS: Final = ("localhost", "127.0.0.1", "::1")


class UsageError(Exception):
    """A dev-server command cannot be carried out as given; the message says why.

    Raised by :mod:`mtlsguard.devserver.launch` and by the argument checks of its command
    lines (``mtlsguard devserver``, ``manage.py runmtlsserver``), which report it as a usage
    error.
    """
