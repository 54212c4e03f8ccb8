"""A tree without a Django project: a reusable app, scanned with stated assumptions.

A reusable app ships views and usually a ``urls.py`` but no settings and no ``ROOT_URLCONF``:
the site that installs it decides both. The scan walks the app's own URLconfs as if mounted
at the site root; an app without one gets each view listed as an unrouted entry, so its
views are still judged (with Django's and DRF's default settings) instead of the scan
reporting that nothing could be scanned.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator
from pathlib import Path

from mtlsguard.scan.project_model import UNROUTED_PREFIX, ClassModel, RouteModel
from mtlsguard.scan.static.builder import ModelBuilder
from mtlsguard.scan.static.class_bases import base_node
from mtlsguard.scan.static.layout import SKIP_DIRS, dotted_for
from mtlsguard.scan.static.source import SourceTree

__all__ = [
    "VIEW_MARKERS",
    "admin_packages",
    "app_views",
    "has_django_views",
    "python_files",
    "urlconf_modules",
]

VIEW_MARKERS = (
    b"django.http",
    b"django.views",
    b"django.shortcuts",
    b"rest_framework",
    b"django.contrib.auth.decorators",
)
"""Imports that mark a file as holding Django or DRF views."""
_VIEW_FILES = frozenset({"views.py", "viewsets.py", "api.py", "api_views.py"})
_VIEW_BASES = ("View", "ViewSet", "APIView")


def python_files(root: Path) -> Iterator[Path]:
    """Python files under ``root`` (skipping virtualenvs, caches, tests), sorted per dir."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(
            d
            for d in dirnames
            if d not in SKIP_DIRS and not d.endswith(".egg-info") and d not in ("tests", "test")
        )
        for name in sorted(filenames):
            if name.endswith(".py") and not name.startswith("test"):
                yield Path(dirpath) / name


def has_django_views(root: Path) -> bool:
    """Some Python file under ``root`` imports what Django or DRF views are made of."""
    for path in python_files(root):
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if any(marker in data for marker in VIEW_MARKERS):
            return True
    return False


def urlconf_modules(root: Path, search_roots: list[Path]) -> list[str]:
    """Dotted names of the app's own URLconfs (``urls.py`` or a ``urls`` package)."""
    found: list[str] = []
    for path in python_files(root):
        if path.name == "urls.py" or (path.name == "__init__.py" and path.parent.name == "urls"):
            dotted = dotted_for(path, search_roots)
            if dotted:
                found.append(dotted)
    return found


def admin_packages(root: Path, search_roots: list[Path]) -> list[str]:
    """Dotted names of the app's packages with an ``admin`` module (``admin.py`` or package)."""
    found: list[str] = []
    for path in python_files(root):
        if path.name == "admin.py":
            package = path.parent
        elif path.name == "__init__.py" and path.parent.name == "admin":
            package = path.parent.parent
        else:
            continue
        dotted = dotted_for(package / "__init__.py", search_roots)
        if dotted:
            found.append(dotted)
    return list(dict.fromkeys(found))


def app_views(tree: SourceTree, builder: ModelBuilder, root: Path) -> list[RouteModel]:
    """Every view of the app's view modules, as unrouted entries (``<unrouted>``)."""
    routes: list[RouteModel] = []
    for path in python_files(root):
        if path.name not in _VIEW_FILES and path.parent.name != "views":
            continue
        dotted = dotted_for(path, tree.search_roots)
        module = tree.load(dotted) if dotted else None
        if module is None:
            continue
        for name, node in module.defs.items():
            if name.startswith("_") or not _looks_like_view(node):
                continue
            built = builder.define(f"{module.name}.{name}")
            if built is None:
                continue
            builder.want(built.qualname)
            routes.append(
                RouteModel(
                    pattern=f"{UNROUTED_PREFIX}{built.qualname}",
                    target=built.qualname,
                    kind="type" if isinstance(built, ClassModel) else "function",
                    declared_at=module.location(node),
                )
            )
    return routes


def _looks_like_view(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> bool:
    if isinstance(node, ast.ClassDef):
        names = [ast.unparse(base_node(base)).rsplit(".", 1)[-1] for base in node.bases]
        return any(name.endswith(_VIEW_BASES) for name in names)
    params = [a.arg for a in node.args.posonlyargs + node.args.args]
    return bool(params) and params[0] == "request"
