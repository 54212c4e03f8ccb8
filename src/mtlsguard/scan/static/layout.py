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
    "added_paths",
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
        if above := _above_package(entry.parent, root):
            roots.append(above)
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
    # The entry points, and the settings a deployment may run (not a test's or an example's).
    declared = [module for rank, module, _ in named if rank < _CONFIG_PREFERENCE]
    resolved = [p.resolve() for p in roots]
    for entry in entries:
        roots.extend(added_paths(entry, root))
    for path in settings:
        # under every root that holds it: manage.py's folder may hold src/ whose sys.path entry
        # names the settings settings.base, not src.settings.base (codabench)
        names = {d for base in resolved if (d := dotted_for(path, [base])) is not None}
        if any(_deployed(dotted, declared) for dotted in names):
            roots.extend(added_paths(path, root))
    layout.search_roots = list(dict.fromkeys(p.resolve() for p in roots))
    for _rank, module, where in sorted(named, key=lambda n: n[:2]):
        layout.settings_modules.append(module)
        layout.declared_in.setdefault(module, _relative(where, root))
    layout.settings_files = settings
    return layout


_NOT_DEPLOYED = frozenset({"tests", "test", "testing", "example", "examples", "docs", "stubs"})


def _above_package(folder: Path, root: Path) -> Path | None:
    """The folder above the outermost package holding ``folder``, if ``folder`` is a package.

    Baserow keeps ``manage.py`` inside its package (``backend/src/baserow/manage.py``, settings
    ``baserow.config.settings``): Python finds ``baserow`` from ``backend/src``, the folder
    above the outermost ``__init__.py``, never searched otherwise. Stays within ``root``.
    """
    if not (folder / "__init__.py").is_file():
        return None
    top = root.resolve()
    package = folder.resolve()
    while package != top and (package.parent / "__init__.py").is_file():
        package = package.parent
    return package.parent if package != top else None


def _deployed(dotted: str, declared: list[str]) -> bool:
    """The settings module ``dotted`` may be the one a deployment runs.

    Never a test suite's, an example's or the documentation's; when an entry point names a
    settings module, only that one, a module of it, or a sibling in its settings package
    (``proj.settings.base`` beside a named ``proj.settings.production``).
    """
    if _NOT_DEPLOYED.intersection(dotted.split(".")):
        return False
    siblings = {m.rpartition(".")[0] for m in declared if "settings" in m.rpartition(".")[0]}
    return not declared or any(
        dotted == m or dotted.startswith(m + ".") for m in [*declared, *siblings]
    )


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
    """Settings module names to try, best first (declared ones, then files named so).

    The modules of a declared package that are no test's come after the declared modules that
    are no test's, before a test run's: EvalAI's ``manage.py`` names the ``settings`` package,
    which sets no ``ROOT_URLCONF`` itself, and its ``setup.cfg`` the test run's
    ``settings.test``; ``settings.prod`` (a production module first, a developer's last) is
    tried before that: the settings a deployment runs decide which routes exist (EvalAI mounts
    its DRF login page only ``if settings.DEBUG``).
    """
    files = [
        (dotted, path)
        for path in sorted(layout.settings_files, key=_settings_rank)
        if (dotted := dotted_for(path, layout.search_roots))
    ]
    declared = [m for m in layout.settings_modules if not _is_test_module(m)]
    names = list(declared)
    for module in declared:
        children = [
            dotted
            for dotted, path in files
            if dotted.startswith(module + ".") and _settings_rank(path)[0] < 3
        ]
        names.extend(sorted(children, key=_deployment_rank))
    names.extend(layout.settings_modules)
    names.extend(dotted for dotted, _ in files)
    return list(dict.fromkeys(names))


_PRODUCTION = frozenset({"prod", "production", "live", "deploy", "deployment"})
_DEVELOPMENT = frozenset({"dev", "development", "local"})
_TESTS = frozenset({"test", "tests", "testing"})


def _words(dotted: str) -> set[str]:
    """``{"settings", "test"}`` for ``proj.settings_test`` (not ``contest`` or ``delivery``)."""
    return set(re.split(r"[._]+", dotted.lower()))


def _deployment_rank(dotted: str) -> int:
    """A production module first (``settings.prod``), a developer's last (``settings.dev``)."""
    last = _words(dotted.rsplit(".", 1)[-1])
    return 0 if last & _PRODUCTION else 2 if last & _DEVELOPMENT else 1


def _is_test_module(dotted: str) -> bool:
    """``settings.test``, ``proj.settings_test``, ``tests.settings``: a test run's settings."""
    return bool(_words(dotted) & _TESTS)


_SYS_PATH = re.compile(rb"sys\.path\.(?:insert|append)\(")


def added_paths(path: Path, root: Path) -> list[Path]:
    """Directories a settings module or entry point puts on ``sys.path`` (ynr's ``apps``).

    ``sys.path.insert(0, root("apps"))``, ``sys.path.append(os.path.join(BASE_DIR, "apps"))``,
    ``sys.path.insert(0, str(BASE_DIR / "apps"))``, ``sys.path.append(APPS_DIR)`` after a
    module-level ``APPS_DIR = os.path.join(BASE_DIR, "apps")``: the path is built at run time,
    so it is not evaluated; its last string literal names the directory, taken where it exists
    nearest the file (its folder, then each parent up to the scanned root) and holds a package. The
    roots the layout found first keep precedence.
    """
    try:
        data = path.read_bytes()
    except OSError:
        return []
    if _SYS_PATH.search(data) is None:
        return []
    try:
        tree = parse_python(data, str(path))
    except (SyntaxError, ValueError):
        return []
    found: list[Path] = []
    assigned = {
        stmt.targets[0].id: stmt.value
        for stmt in tree.body
        if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name)
    }
    for node in walking.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("insert", "append")
            and ast.unparse(node.func.value) == "sys.path"
            and node.args
        ):
            continue
        added = node.args[-1]
        if isinstance(added, ast.Name):  # APPS_DIR = os.path.join(BASE_DIR, "apps") (EvalAI)
            added = assigned.get(added.id, added)
        names = [
            n.value
            for n in walking.walk(added)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.isidentifier()
        ]
        if names:
            hit = _nearest_package_dir(path.parent, names[-1], root)
            if hit is not None:
                found.append(hit)
    return found


def _nearest_package_dir(start: Path, name: str, root: Path) -> Path | None:
    """``start/name``, else the same under each parent of ``start`` up to ``root``.

    Only a directory that holds a package (a subdirectory with ``__init__.py``) counts.
    """
    folder = start.resolve()
    top = root.resolve()
    while True:
        candidate = folder / name
        if candidate.is_dir() and any((s / "__init__.py").is_file() for s in candidate.iterdir()):
            return candidate
        if folder == top or top not in folder.parents:
            return None
        folder = folder.parent
