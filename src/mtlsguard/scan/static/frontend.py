"""Static front-end entry point: a project tree in, a neutral :class:`ProjectModel` out."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mtlsguard.findings.model import ScanError
from mtlsguard.scan.project_model import (
    Const,
    Mapping,
    ProjectModel,
    SettingsModel,
    string_constants,
)
from mtlsguard.scan.static.builder import ModelBuilder
from mtlsguard.scan.static.settings import discover, evaluate_settings, settings_candidates
from mtlsguard.scan.static.source import SourceTree
from mtlsguard.scan.static.urls import UrlConfWalker

__all__ = ["StaticProject", "build_static_project"]

_CODE_SETTINGS = ("MIDDLEWARE", "MIDDLEWARE_CLASSES", "AUTHENTICATION_BACKENDS")
_DRF_CODE_KEYS = (
    "DEFAULT_AUTHENTICATION_CLASSES",
    "DEFAULT_PERMISSION_CLASSES",
    "DEFAULT_THROTTLE_CLASSES",
)


@dataclass(slots=True)
class StaticProject:
    """The model plus the bookkeeping of the files it came from."""

    model: ProjectModel
    errors: list[ScanError]
    files_scanned: int
    lines_scanned: int


def _pick_settings(tree: SourceTree, candidates: list[str]) -> SettingsModel | None:
    fallback: SettingsModel | None = None
    for name in candidates:
        settings = evaluate_settings(tree, name)
        if settings is None:
            continue
        if settings.get("ROOT_URLCONF") is not None:
            return settings
        if fallback is None and settings.get("INSTALLED_APPS") is not None:
            fallback = settings
    return fallback


def build_static_project(root: Path) -> StaticProject:
    """Parse what the settings and URLconf of the project under ``root`` reach."""
    root = root.resolve()
    layout = discover(root)
    tree = SourceTree(root, layout.search_roots)
    project = ProjectModel(root=str(root))
    builder = ModelBuilder(tree, project)
    settings = _pick_settings(tree, settings_candidates(layout))
    project.settings = settings
    urlconf = None
    if settings is not None:
        value = settings.get("ROOT_URLCONF")
        if (
            value is not None
            and isinstance(value.value, Const)
            and isinstance(value.value.value, str)
        ):
            urlconf = value.value.value
        elif value is None:
            package = settings.module.rsplit(".", 1)[0]
            if tree.module_path(f"{package}.urls"):
                urlconf = f"{package}.urls"
        for name in _CODE_SETTINGS:
            entry = settings.get(name)
            if entry is not None:
                for dotted in string_constants(entry.value):
                    builder.want(dotted)
        drf = settings.get("REST_FRAMEWORK")
        if drf is not None and isinstance(drf.value, Mapping):
            for key in _DRF_CODE_KEYS:
                item = drf.value.get(key)
                if item is None:
                    continue
                for dotted in string_constants(item):
                    builder.want(dotted)
    if urlconf is not None:
        project.routes = UrlConfWalker(tree, builder).walk(urlconf)
    builder.drain()
    return StaticProject(project, tree.errors, tree.files_scanned, tree.lines_scanned)
