"""Allow ``python -m mtlsguard``."""

from mtlsguard.cli import program

raise SystemExit(program())
