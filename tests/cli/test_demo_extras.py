"""``mtlsguard demo`` without the ``django``/``drf`` extras: one line saying what to install."""

from __future__ import annotations

import sys

import pytest

from mtlsguard.cli.main import EXIT_ERROR, main


def test_demo_without_django_says_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: object
) -> None:
    """Before: a traceback from the example apps' import of Django."""
    monkeypatch.setitem(sys.modules, "django", None)  # import django -> ImportError
    monkeypatch.setitem(sys.modules, "rest_framework", None)
    assert main(["demo", "--output-dir", str(tmp_path)]) == EXIT_ERROR
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert 'pip install "mtlsguard[django,drf]"' in lines[0]
    assert "Django and djangorestframework cannot be imported" in lines[0]
    assert "Traceback" not in err
