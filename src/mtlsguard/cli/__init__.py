"""The command line: every argument parser and the exit codes, nothing else.

``mtlsguard`` (the console script) runs :func:`main`; each subcommand's parser lives in its own
module and hands a run description to :mod:`mtlsguard.app`.
"""

from mtlsguard.cli.main import main

__all__ = ["main"]
