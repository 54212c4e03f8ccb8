"""The command line: every argument parser and the exit codes, nothing else.

``mtlsguard`` (the console script) runs :func:`program` (:func:`main`, then the process's exit);
each subcommand's parser lives in its own module and hands a run description to
:mod:`mtlsguard.app`.
"""

from mtlsguard.cli.main import main, program

__all__ = ["main", "program"]
