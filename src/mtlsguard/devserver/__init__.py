"""Embedded mTLS development server and the throwaway PKI it (and the tests) use."""

from typing import Final

__all__ = ["DEFAULT_SERVER_HOSTS"]

#: Names the server certificate covers unless told otherwise (``mtlsguard pki init``).
DEFAULT_SERVER_HOSTS: Final = ("localhost", "127.0.0.1", "::1")
