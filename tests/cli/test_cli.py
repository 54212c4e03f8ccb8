from __future__ import annotations

import subprocess
import sys

import pytest

from mtlsguard import __version__
from mtlsguard.cli.main import EXIT_ERROR, main


def test_version_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"mtlsguard {__version__}"


def test_help_describes_the_tool(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    assert "mutual TLS" in capsys.readouterr().out


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == EXIT_ERROR
    assert "usage: mtlsguard" in capsys.readouterr().err


def test_console_script_and_module_entry_point() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mtlsguard", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert __version__ in result.stdout


def test_ctrl_c_surfacing_as_asyncio_cancellation_is_an_interruption(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C while the probe's event loop runs can reach the command line as asyncio's
    ``CancelledError`` (asyncio.run re-raises it when a timeout cancelled the same task): one
    line and exit 2, like ``KeyboardInterrupt``, never a traceback with exit 1."""
    import asyncio
    import importlib

    cli_main = importlib.import_module("mtlsguard.cli.main")  # the package exports main()

    def cancelled(_args: object) -> int:
        raise asyncio.CancelledError

    monkeypatch.setattr(cli_main, "_dispatch", cancelled)
    with pytest.raises(SystemExit) as exited:
        cli_main.main(["rules"])
    assert exited.value.code == 2
    assert "interrupted" in capsys.readouterr().err
