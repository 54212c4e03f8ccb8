"""The import boundaries of DESIGN.md, enforced in a fresh interpreter with Django/DRF hidden."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import mtlsguard

# Everything but the library's framework adapters imports without Django or DRF installed
# (tests/architecture checks the same statically, function-local imports included).
FRAMEWORK_FREE = (
    "certs",
    "findings",
    "scan",
    "probe",
    "report",
    "app",
    "demo",
    "ci",
    "cli",
    "devserver",
)

_BLOCKER = """
import sys, importlib.abc
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"django", "rest_framework"}:
            raise ImportError(f"boundary violation: {name} imported")
        return None
sys.meta_path.insert(0, Block())
import importlib, pkgutil
for top in sys.argv[1:]:
    mod = importlib.import_module(top)
    for info in pkgutil.walk_packages(getattr(mod, "__path__", []), top + "."):
        importlib.import_module(info.name)
print("ok")
"""


def _existing(names: tuple[str, ...]) -> list[str]:
    root = Path(mtlsguard.__file__).parent
    found = []
    for name in names:
        rel = Path(*name.split("."))
        if (root / rel).is_dir() or (root / rel).with_suffix(".py").exists():
            found.append(f"mtlsguard.{name}")
    return found


def test_framework_free_packages_import_without_django_or_drf() -> None:
    modules = _existing(FRAMEWORK_FREE)
    assert "mtlsguard.certs" in modules
    result = subprocess.run(
        [sys.executable, "-c", _BLOCKER, *modules], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_only_django_and_drf_packages_import_frameworks() -> None:
    # Static check over every module: django/rest_framework imports live only in
    # mtlsguard.django and mtlsguard.drf (and rest_framework only in mtlsguard.drf).
    root = Path(mtlsguard.__file__).parent
    offenders = []
    for info in pkgutil.walk_packages([str(root)], "mtlsguard."):
        parts = info.name.split(".")
        path = root.joinpath(*parts[1:])
        file = path / "__init__.py" if info.ispkg else path.with_suffix(".py")
        text = file.read_text(encoding="utf-8")
        area = parts[1] if len(parts) > 1 else ""
        for line in text.splitlines():
            stripped = line.strip()
            if not stripped.startswith(("import ", "from ")):
                continue
            target = stripped.split()[1]
            top = target.split(".")[0]
            if top == "rest_framework" and area != "drf":
                offenders.append(f"{info.name}: {stripped}")
            if top == "django" and area not in {"django", "drf"}:
                offenders.append(f"{info.name}: {stripped}")
    assert offenders == []
