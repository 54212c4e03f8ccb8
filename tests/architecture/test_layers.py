"""The layering of DESIGN.md holds, and the checker would notice if it did not."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import mtlsguard
from tests.architecture.layers import LAYERS, check

SRC = Path(mtlsguard.__file__).parent


def test_every_package_is_in_a_layer() -> None:
    packages = {p.name for p in SRC.iterdir() if (p / "__init__.py").is_file()}
    layered = set().union(*LAYERS)
    assert packages - layered == set()
    assert layered - packages == set(), "LAYERS names a package that does not exist"


def test_no_import_breaks_the_layers() -> None:
    violations, _ = check(SRC)
    assert violations == []


def test_no_import_cycle_between_modules() -> None:
    _, cycles = check(SRC)
    assert cycles == []


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A copy of the package to plant forbidden imports in."""
    target = tmp_path / "mtlsguard"
    shutil.copytree(SRC, target, ignore=shutil.ignore_patterns("__pycache__", "_examples"))
    return target


def _append(path: Path, code: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + "\n\n" + code + "\n", encoding="utf-8")


@pytest.mark.parametrize(
    ("module", "code", "expected"),
    [
        (
            "scan/engine.py",
            "def _render():\n    from mtlsguard.report.sarif import SarifFormat\n",
            "scan must not import report (a higher layer)",
        ),
        (
            "probe/runner.py",
            "def _parse():\n    import argparse\n",
            "probe must not import argparse",
        ),
        (
            "certs/model.py",
            "async def _peek():\n    from mtlsguard.findings.model import Finding\n",
            "certs must not import findings (a higher layer)",
        ),
        (
            "scan/engine.py",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from mtlsguard.probe.runner import ProbeResult\n",
            "scan must not import probe (a sibling)",
        ),
        (
            "report/text.py",
            "def _load():\n    import importlib\n    importlib.import_module('mtlsguard.app')\n",
            "report must not import app (a higher layer)",
        ),
        (
            "findings/model.py",
            "class _X:\n    def m(self):\n        import django.conf\n",
            "findings must not import django",
        ),
    ],
)
def test_the_checker_sees_every_kind_of_forbidden_import(
    copy: Path, module: str, code: str, expected: str
) -> None:
    before = set(check(copy)[0])
    _append(copy / module, code)
    planted = set(check(copy)[0]) - before
    assert planted, f"the checker missed: {code!r}"
    assert all(expected in v for v in planted), planted


def test_the_checker_sees_a_cycle_hidden_in_a_function(copy: Path) -> None:
    def tied(cycles: list[list[str]]) -> bool:
        return any({"mtlsguard.certs.crl", "mtlsguard.certs.verify"} <= set(c) for c in cycles)

    assert not tied(check(copy)[1])
    _append(copy / "certs" / "crl.py", "def _late():\n    from mtlsguard.certs import verify\n")
    assert tied(check(copy)[1])
