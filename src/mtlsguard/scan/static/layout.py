"""Find a project's entry points: search roots and the settings modules it declares.

``DJANGO_SETTINGS_MODULE`` is read where Django and its tools read it: ``manage.py``,
``wsgi.py``/``asgi.py`` (``os.environ.setdefault``/item assignment, a string built by
concatenation or ``os.environ.get`` with a default), then pytest-django's configuration
(``pytest.ini``, ``setup.cfg [tool:pytest]``, ``tox.ini``, ``pyproject.toml
[tool.pytest.ini_options]``), then files named like settings. Nothing is imported.
"""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

from mtlsguard.scan import walking
from mtlsguard.scan.static.folding import fold_string
from mtlsguard.scan.static.parsing import parse_python

__all__ = [
    "SKIP_DIRS",
    "ProjectLayout",
    "discover",
    "dotted_for",
    "importable",
    "settings_candidates",
]

SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        "__pycache__",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "site-packages",
        "dist",
        "build",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        "static",
        "media",
        "htmlcov",
        ".eggs",
    }
)
"""Directories never descended into while looking for entry points."""

_ENTRY_FILES = ("manage.py", "wsgi.py", "asgi.py")
_ENTRY_PREFERENCE = {"wsgi.py": 0, "asgi.py": 1, "manage.py": 2}
_CONFIG_PREFERENCE = 3
"""Test-runner configuration names test settings more often than not: after entry points."""
_ENV_LINE = re.compile(r"DJANGO_SETTINGS_MODULE\s*=\s*([\w.]+)")


class ProjectLayout:
    """Entry points found in the tree: search roots and settings module candidates."""

    def __init__(self) -> None:
        self.search_roots: list[Path] = []
        self.settings_modules: list[str] = []
        """Declared by an entry point or a test-runner configuration, best first."""
        self.settings_files: list[Path] = []
        self.declared_in: dict[str, str] = {}
        """Settings module -> the file that declared it (relative to the root)."""
        self.python_files = 0
        """Python files seen while walking (a tree without any is not a project)."""


def _walk(root: Path) -> tuple[list[Path], list[Path], list[Path], int]:
    entries: list[Path] = []
    settings: list[Path] = []
    configs: list[Path] = []
    python_files = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(
            d for d in dirnames if d not in SKIP_DIRS and not d.endswith(".egg-info")
        )
        base = Path(dirpath)
        for name in filenames:
            if name in _ENTRY_FILES:
                entries.append(base / name)
            if name in ("pytest.ini", "setup.cfg", "tox.ini", "pyproject.toml"):
                configs.append(base / name)
            if name.endswith(".py"):
                python_files += 1
                if name.startswith("settings") or base.name == "settings":
                    settings.append(base / name)
    return entries, settings, configs, python_files


def importable(parts: list[str] | tuple[str, ...]) -> bool:
    """Each part names a module ``importlib`` can load: an identifier, or one with hyphens.

    ``DJANGO_SETTINGS_MODULE = "adhocracy-plus.config.settings"`` works, because Django loads it
    with ``import_module()``, which takes any directory name; only the ``import`` statement needs
    identifiers.
    """
    return bool(parts) and all(p.replace("-", "_").isidentifier() for p in parts)


def _is_settings_key(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value == "DJANGO_SETTINGS_MODULE"


def settings_from_entry(path: Path) -> str | None:
    """The ``DJANGO_SETTINGS_MODULE`` an entry point (``manage.py``, ``wsgi.py``) sets."""
    try:
        data = path.read_bytes()
        if b"DJANGO_SETTINGS_MODULE" not in data:
            return None
        tree = parse_python(data, str(path))
    except (OSError, SyntaxError, ValueError):
        return None
    constants = {
        t.id: n.value
        for n in tree.body
        if isinstance(n, ast.Assign)
        for t in n.targets
        if isinstance(t, ast.Name)
    }
    for node in walking.walk(tree):
        value: ast.expr | None = None
        if isinstance(node, ast.Call) and len(node.args) >= 2 and _is_settings_key(node.args[0]):
            value = node.args[1]  # os.environ.setdefault("DJANGO_SETTINGS_MODULE", ...)
        elif isinstance(node, ast.Assign):
            target = node.targets[0]
            if isinstance(target, ast.Subscript) and _is_settings_key(target.slice):
                value = node.value
        if value is not None:
            folded = fold_string(value, constants)
            if folded and importable(folded.split(".")):
                return folded
    return None


def _settings_from_config(path: Path) -> str | None:
    """pytest-django's ``DJANGO_SETTINGS_MODULE`` (or tox's ``setenv``) in a config file."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    if "DJANGO_SETTINGS_MODULE" not in text:
        return None
    # Only a config file naming the settings is parsed: the parsers load then, not per scan.
    import configparser
    import tomllib

    if path.name == "pyproject.toml":
        try:
            options = tomllib.loads(text).get("tool", {}).get("pytest", {}).get("ini_options", {})
        except tomllib.TOMLDecodeError:
            return None
        value = options.get("DJANGO_SETTINGS_MODULE") if isinstance(options, dict) else None
        return value if isinstance(value, str) else None
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error:
        return None
    for section in ("pytest", "tool:pytest"):
        if parser.has_option(section, "DJANGO_SETTINGS_MODULE"):
            return parser.get(section, "DJANGO_SETTINGS_MODULE").strip() or None
    found = _ENV_LINE.search(text)  # tox: setenv = DJANGO_SETTINGS_MODULE=proj.settings
    return found.group(1) if found else None


def discover(root: Path) -> ProjectLayout:
    """Find search roots (dirs of ``manage.py``, ``src/``, the root) and settings modules."""
    layout = ProjectLayout()
    entries, settings, configs, layout.python_files = _walk(root)
    roots: list[Path] = []
    named: list[tuple[int, str, Path]] = []
    for entry in entries:
        if entry.name == "manage.py":
            roots.append(entry.parent)
        module = settings_from_entry(entry)
        if module:
            named.append((_ENTRY_PREFERENCE[entry.name], module, entry))
    for config in configs:
        module = _settings_from_config(config)
        if module:
            named.append((_CONFIG_PREFERENCE, module, config))
            roots.append(config.parent)
    if (root / "src").is_dir():
        roots.append(root / "src")
    roots.append(root)
    layout.search_roots = list(dict.fromkeys(p.resolve() for p in roots))
    for _rank, module, where in sorted(named, key=lambda n: n[:2]):
        layout.settings_modules.append(module)
        layout.declared_in.setdefault(module, _relative(where, root))
    layout.settings_files = settings
    return layout


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def dotted_for(path: Path, search_roots: list[Path]) -> str | None:
    """The dotted module name of ``path`` under the first search root that holds it."""
    real = path.resolve()
    for base in search_roots:
        try:
            rel = real.relative_to(base)
        except ValueError:
            continue
        parts = list(rel.with_suffix("").parts)
        if parts and parts[-1] == "__init__":
            parts = parts[:-1]
        # Identifiers only: a hyphenated folder (a demo, a docs build) is loaded only when a
        # setting names it (DJANGO_SETTINGS_MODULE, ROOT_URLCONF), never found as a candidate.
        if parts and all(p.isidentifier() for p in parts):
            return ".".join(parts)
    return None


def _settings_rank(path: Path) -> tuple[int, str]:
    """``settings.py`` first, then a settings package, ``settings_*.py``; test settings last."""
    name = path.name
    if "test" in name or "test" in path.parent.name:
        return (3, str(path))
    if name == "settings.py":
        return (0, str(path))
    if path.parent.name == "settings":
        return (1, str(path))
    return (2, str(path))


def settings_candidates(layout: ProjectLayout) -> list[str]:
    """Settings module names to try, best first (declared ones, then files named so)."""
    names = list(layout.settings_modules)
    for path in sorted(layout.settings_files, key=_settings_rank):
        dotted = dotted_for(path, layout.search_roots)
        if dotted:
            names.append(dotted)
    return list(dict.fromkeys(names))
