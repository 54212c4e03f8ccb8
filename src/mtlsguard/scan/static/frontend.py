"""Static front-end entry point: a project tree in, a neutral :class:`ProjectModel` out.

The settings module and the root URLconf are found (or taken from ``--settings`` and
``--urlconf``), evaluated and walked; whatever could not be resolved on the way is listed in
:attr:`StaticProject.unresolved` with the reason, and what was assumed instead in
:attr:`StaticProject.assumptions`. A tree without settings is scanned as a reusable app.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mtlsguard.findings.model import ScanError, Unresolved
from mtlsguard.scan.project_model import (
    Mapping,
    ProjectModel,
    SettingsModel,
    Unknown,
    string_constants,
)
from mtlsguard.scan.static.admin_site import AdminSiteRoutes
from mtlsguard.scan.static.apps import (
    admin_packages,
    app_views,
    has_django_views,
    urlconf_modules,
)
from mtlsguard.scan.static.builder import ModelBuilder
from mtlsguard.scan.static.debug_routes import mark_debug_only
from mtlsguard.scan.static.environment import environment_paths
from mtlsguard.scan.static.folding import env_variable, static_string
from mtlsguard.scan.static.layout import ProjectLayout
from mtlsguard.scan.static.settings import discover, evaluate_settings, settings_candidates
from mtlsguard.scan.static.source import SourceTree
from mtlsguard.scan.static.urls import UrlConfWalker

__all__ = ["Resolution", "StaticProject", "build_static_project"]

_CODE_SETTINGS = ("MIDDLEWARE", "MIDDLEWARE_CLASSES", "AUTHENTICATION_BACKENDS")
_DRF_CODE_KEYS = (
    "DEFAULT_AUTHENTICATION_CLASSES",
    "DEFAULT_PERMISSION_CLASSES",
    "DEFAULT_THROTTLE_CLASSES",
)
_APP_ASSUMPTION = (
    "no settings module found: scanned as a reusable app, with Django's and DRF's default "
    "settings (DEFAULT_PERMISSION_CLASSES = AllowAny, no project middleware)"
)


@dataclass(frozen=True, slots=True)
class Resolution:
    """How the static front-end finds what the project does not say in its source."""

    settings: str | None = None
    """Settings module to use (``--settings``) instead of the one the project declares."""
    urlconf: str | None = None
    """Root URLconf to use (``--urlconf``) instead of ``ROOT_URLCONF``."""
    site_packages: tuple[Path, ...] = ()
    """Extra ``site-packages`` directories (``--site-packages``), searched first."""
    interpreter: bool = True
    """Also read installed packages from the running interpreter's ``site-packages``."""


@dataclass(slots=True)
class StaticProject:
    """The model plus the bookkeeping of the files it came from.

    The analysis parses more modules as it reads them (a base class, a permission's module),
    so the errors and counts are read from the source trees when asked, not copied here once.
    """

    model: ProjectModel
    tree: SourceTree
    """The project's own source tree."""
    environment: SourceTree | None
    """Installed packages read beside it (``--site-packages``, the interpreter's)."""
    urlconf: str | None = None
    """The root URLconf walked."""
    unresolved: list[Unresolved] = field(default_factory=list)
    """What could not be resolved, with the reason."""
    assumptions: list[str] = field(default_factory=list)
    """What was assumed where the project did not say."""

    @property
    def errors(self) -> list[ScanError]:
        """Every file that could not be read or parsed so far, the project's then the rest."""
        environment = self.environment
        return self.tree.errors + (environment.errors if environment is not None else [])

    @property
    def files_scanned(self) -> int:
        """The project's files parsed so far."""
        return self.tree.files_scanned

    @property
    def lines_scanned(self) -> int:
        """Their lines."""
        return self.tree.lines_scanned


def _pick_settings(
    tree: SourceTree, candidates: list[str], notes: list[Unresolved]
) -> SettingsModel | None:
    """The first candidate that sets ``ROOT_URLCONF`` (else the first with ``INSTALLED_APPS``).

    Only the chosen module's unresolved items are added to ``notes``.
    """
    fallback: tuple[SettingsModel, list[Unresolved]] | None = None
    for name in candidates:
        own: list[Unresolved] = []
        settings = evaluate_settings(tree, name, own)
        if settings is None:
            continue
        if settings.get("ROOT_URLCONF") is not None:
            notes.extend(own)
            return settings
        if fallback is None and settings.get("INSTALLED_APPS") is not None:
            fallback = (settings, own)
    if fallback is None:
        return None
    notes.extend(fallback[1])
    return fallback[0]


class _Resolver:
    """One front-end run: settings, URLconf and what went unresolved."""

    def __init__(self, root: Path, resolution: Resolution) -> None:
        self.root = root
        self.resolution = resolution
        self.layout: ProjectLayout = discover(root)
        self.tree = SourceTree(root, self.layout.search_roots)
        self.project = ProjectModel(root=str(root))
        self.builder = ModelBuilder(self.tree, self.project)
        self.unresolved: list[Unresolved] = []
        self.assumptions: list[str] = []
        self.environment: SourceTree | None = None
        """Installed packages (``--site-packages``, a project venv, this interpreter's)."""

    def settings(self) -> SettingsModel | None:
        wanted = self.resolution.settings
        if wanted is None:
            found = _pick_settings(self.tree, settings_candidates(self.layout), self.unresolved)
            if found is not None and found.module in self.layout.settings_modules:
                return found  # a declared module (another may name test settings elsewhere)
            for declared in self.layout.settings_modules:
                if self.tree.module_path(declared) is None:
                    where = self.layout.declared_in.get(declared, "an entry point")
                    self.unresolved.append(
                        Unresolved(
                            "settings",
                            declared,
                            f"DJANGO_SETTINGS_MODULE in {where} names a module that is not in "
                            "the project; pass --settings MODULE",
                        )
                    )
            return found
        settings = evaluate_settings(self.tree, wanted, self.unresolved)
        if settings is None:
            self.unresolved.append(
                Unresolved("settings", wanted, "the --settings module is not in the project")
            )
            # The partial result (--allow-partial) is still the project's own settings.
            settings = _pick_settings(self.tree, settings_candidates(self.layout), [])
        return settings

    def urlconf(self, settings: SettingsModel) -> str | None:
        if self.resolution.urlconf is not None:
            return self.resolution.urlconf
        value = settings.get("ROOT_URLCONF")
        if value is None:
            package = settings.module.rsplit(".", 1)[0]
            if self.tree.module_path(f"{package}.urls"):
                self.assumptions.append(
                    f"{settings.module} sets no ROOT_URLCONF: {package}.urls assumed"
                )
                return f"{package}.urls"
            self.unresolved.append(
                Unresolved(
                    "urlconf", "ROOT_URLCONF", f"{settings.module} does not set it; pass --urlconf"
                )
            )
            return None
        text = static_string(value.value)
        variable = env_variable(value.value)
        if text is not None and variable is not None:
            self.assumptions.append(
                f"ROOT_URLCONF is read from ${variable}; its default {text} was used"
            )
        elif text is not None and value.conditional:
            where = f" ({value.location.path}:{value.location.line})" if value.location else ""
            self.assumptions.append(
                f"ROOT_URLCONF is assigned under a condition{where}; {text} was used "
                "(pass --urlconf MODULE to scan the other URLconf)"
            )
        if text is None:
            self.unresolved.append(
                Unresolved(
                    "urlconf",
                    "ROOT_URLCONF",
                    "computed at run time (not a string the scanner can evaluate); "
                    "pass --urlconf MODULE",
                    value.location,
                )
            )
        return text

    def want_settings_code(self, settings: SettingsModel) -> None:
        for name in _CODE_SETTINGS:
            entry = settings.get(name)
            if entry is not None:
                for dotted in string_constants(entry.value):
                    self.builder.want(dotted)
        drf = settings.get("REST_FRAMEWORK")
        if drf is not None and isinstance(drf.value, Mapping):
            for key in _DRF_CODE_KEYS:
                item = drf.value.get(key)
                if item is not None:
                    for dotted in string_constants(item):
                        self.builder.want(dotted)

    def walker(self) -> UrlConfWalker:
        paths = environment_paths(
            self.resolution.site_packages,
            [self.root, *self.layout.search_roots],
            interpreter=self.resolution.interpreter,
        )
        environment = SourceTree(self.root, paths) if paths else None
        self.environment = environment
        walker = UrlConfWalker(
            self.tree, self.builder, environment=environment, unresolved=self.unresolved
        )
        trees = [self.tree, *([environment] if environment is not None else [])]
        apps = None
        if self.project.settings is None:
            apps = admin_packages(self.root, self.layout.search_roots)
        walker.list_admin_site(AdminSiteRoutes(trees, self.project.settings, apps))
        return walker

    def reusable_app(self, walker: UrlConfWalker) -> None:
        self.assumptions.append(_APP_ASSUMPTION)
        urlconfs = urlconf_modules(self.root, self.layout.search_roots)
        for urlconf in urlconfs:
            walker.walk(urlconf)
        if urlconfs:
            self.assumptions.append(
                "routes from the app's own URLconfs, mounted at the site root: "
                + ", ".join(urlconfs)
            )
            unique = {(r.pattern, r.target, r.actions): r for r in walker.routes}
            self.project.routes = list(unique.values())
        else:
            self.project.routes = app_views(self.tree, self.builder, self.root)
            self.assumptions.append("the app has no URLconf: each view is listed as <unrouted>")


def build_static_project(root: Path, resolution: Resolution | None = None) -> StaticProject:
    """Parse what the settings and URLconf of the project under ``root`` reach."""
    root = root.resolve()
    run = _Resolver(root, resolution or Resolution())
    settings = run.settings()
    run.project.settings = settings
    walker = run.walker()
    urlconf = None
    if settings is not None:
        urlconf = run.urlconf(settings)
        run.want_settings_code(settings)
        if settings.configuration:
            run.assumptions.append(
                f"{settings.module} is a django-configurations module: the settings of class "
                f"{settings.configuration} were used (a production one when it has one; "
                "DJANGO_CONFIGURATION picks another at run time)"
            )
        for name in ("INSTALLED_APPS", "MIDDLEWARE"):
            found = settings.get(name)
            if found is not None and isinstance(found.value, Unknown):
                run.assumptions.append(
                    f"{found.location.path}:{found.location.line} {name} is changed in a way the "
                    f"scan does not model ({found.value.text}): nothing is read from it (no "
                    "login middleware is credited, admin routes of its apps are not listed)"
                )
        if settings.injected_by:
            run.assumptions.append(
                f"{settings.injected_by[0]} hands the settings module's globals() to code: "
                "settings the source does not assign may be set at run time (MG201 reports an "
                "absent AUTH_PASSWORD_VALIDATORS as unknown, at info)"
            )
    elif run.resolution.urlconf is not None:
        urlconf = run.resolution.urlconf
    elif run.layout.python_files and has_django_views(root):
        run.reusable_app(walker)
    if urlconf is not None:
        run.project.routes = walker.walk(urlconf)
        run.assumptions.extend(walker.assumptions)
        blind = not any(u.kind != "settings" for u in run.unresolved)
        if not run.project.routes and blind and has_django_views(root):
            run.unresolved.append(
                Unresolved(
                    "routes",
                    urlconf,
                    "the URLconf yields no route although the tree has Django views",
                )
            )
    run.project.routes = mark_debug_only(run.project.routes, [run.tree, run.environment])
    run.builder.drain()
    return StaticProject(
        run.project,
        run.tree,
        run.environment,
        urlconf=urlconf,
        unresolved=run.unresolved,
        assumptions=run.assumptions,
    )
