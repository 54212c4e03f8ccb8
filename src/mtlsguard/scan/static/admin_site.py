"""The routes behind ``admin.site.urls``: the site's own views and each registered model's.

Django's ``AdminSite.get_urls()`` is fixed code: the index, login/logout, password change,
autocomplete, jsi18n, the ``r/`` shortcut, an app index per app with registered models and,
per registered model, the changelist, add, history, delete and change views, plus whatever a
``ModelAdmin.get_urls()`` override adds. The registrations are read from each installed app's
``admin`` module (``admin.site.register(Model, ModelAdmin)``, ``@admin.register(Model)``), in
the project or the environment. Every route is an admin route (staff only, as the site's
``admin_view`` makes it), except ``get_urls()`` additions not wrapped by ``admin_view``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from mtlsguard.findings.model import Location
from mtlsguard.scan import walking
from mtlsguard.scan.project_model import RouteModel, SettingsModel, string_constants
from mtlsguard.scan.static.source import ParsedModule, SourceTree

__all__ = ["ADMIN_SITE", "AdminRegistration", "AdminSiteRoutes", "app_package"]

ADMIN_SITE = "django.contrib.admin.sites.AdminSite"
_SITE_VIEWS = (
    "",
    "login/",
    "logout/",
    "password_change/",
    "password_change/done/",
    "autocomplete/",
    "jsi18n/",
    "r/<path:content_type_id>/<path:object_id>/",
)
_MODEL_VIEWS = (
    "",
    "add/",
    "<path:object_id>/history/",
    "<path:object_id>/delete/",
    "<path:object_id>/change/",
    "<path:object_id>/",
)


@dataclass(frozen=True, slots=True)
class AdminRegistration:
    """One ``register(Model, ModelAdmin)`` on the default admin site."""

    app_label: str
    model: str
    """Model name, lower-case as in its URLs."""
    admin_class: str | None
    """Dotted path of the ``ModelAdmin`` subclass, if one was given."""
    module: ParsedModule
    """The ``admin`` module that registered it."""


def app_package(entry: str) -> str:
    """``myapp.apps.MyAppConfig`` -> ``myapp``; ``django.contrib.auth`` stays."""
    parts = entry.split(".")
    if len(parts) >= 3 and parts[-2] == "apps" and parts[-1][:1].isupper():
        return ".".join(parts[:-2])
    return entry


class AdminSiteRoutes:
    """Registrations of the installed apps' ``admin`` modules, and the routes they make."""

    def __init__(
        self,
        trees: list[SourceTree],
        settings: SettingsModel | None,
        default_apps: list[str] | None = None,
    ) -> None:
        self.trees = trees
        self.settings = settings
        """The settings evaluated (``DEBUG`` decides the development-only routes)."""
        installed = settings.get("INSTALLED_APPS") if settings is not None else None
        self.apps = list(string_constants(installed.value)) if installed is not None else []
        if installed is None and default_apps:
            # A reusable app without settings: its own packages with an ``admin`` module are
            # what a site installing it registers.
            self.apps = list(default_apps)
        self._registrations: list[AdminRegistration] | None = None

    def registrations(self) -> list[AdminRegistration]:
        """Every model registered on ``admin.site`` by an installed app (read once)."""
        if self._registrations is None:
            unique: dict[tuple[str, str], AdminRegistration] = {}
            for registration in (r for app in self.apps for r in self._of_app(app)):
                key = (registration.app_label, registration.model)
                if key not in unique or unique[key].admin_class is None:
                    unique[key] = registration
            self._registrations = list(unique.values())
        return self._registrations

    def _of_app(self, entry: str) -> Iterator[AdminRegistration]:
        name = f"{app_package(entry)}.admin"
        for tree in self.trees:
            if tree.module_path(name) is None:
                continue
            module = tree.load(name)
            if module is not None:
                yield from self._registered(tree, module)
                for sub in _submodules(module, name):
                    loaded = tree.load(sub)
                    if loaded is not None:
                        yield from self._registered(tree, loaded)
            return

    def _registered(self, tree: SourceTree, module: ParsedModule) -> Iterator[AdminRegistration]:
        for node in walking.walk(module.tree):
            if isinstance(node, ast.Call) and _is_register(node.func) and node.args:
                admin_class = None
                if len(node.args) > 1:
                    admin_class = tree.dotted_of(module, node.args[1])
                for model in _models(node.args[0]):
                    yield self._registration(tree, module, model, admin_class)
            elif isinstance(node, ast.ClassDef):
                for decorator in node.decorator_list:
                    if isinstance(decorator, ast.Call) and _is_register(decorator.func):
                        admin_class = f"{module.name}.{node.name}"
                        for arg in decorator.args:
                            for model in _models(arg):
                                yield self._registration(tree, module, model, admin_class)

    def _registration(
        self, tree: SourceTree, module: ParsedModule, model: ast.expr, admin_class: str | None
    ) -> AdminRegistration:
        dotted = tree.dotted_of(module, model) or ast.unparse(model)
        parts = dotted.split(".")
        # app label: the package holding ``models`` (Django's default AppConfig.label)
        package = parts[:-1]
        if "models" in package:  # app.models.Model, app.models.pages.Page (a models package)
            package = package[: package.index("models")]
        label = package[-1] if package else module.name.split(".")[-2]
        return AdminRegistration(label, parts[-1].lower(), admin_class, module)

    def routes(self, prefix: str, declared: Location | None) -> list[RouteModel]:
        """Every route ``admin.site.urls`` serves under ``prefix``."""
        routes = [self._route(prefix + view, declared) for view in _SITE_VIEWS]
        labels: list[str] = []
        for registration in self.registrations():
            base = f"{prefix}{registration.app_label}/{registration.model}/"
            routes += self._custom_urls(registration, base, declared)
            routes += [self._route(base + view, declared) for view in _MODEL_VIEWS]
            if registration.app_label not in labels:
                labels.append(registration.app_label)
        routes += [self._route(f"{prefix}{label}/", declared) for label in labels]
        return routes

    def _custom_urls(
        self, registration: AdminRegistration, base: str, mount: Location | None
    ) -> list[RouteModel]:
        """Routes a ``ModelAdmin.get_urls()`` override adds before the standard ones."""
        if registration.admin_class is None:
            return []
        for tree in self.trees:
            found = tree.lookup(registration.admin_class)
            if found is None or not isinstance(found[1], ast.ClassDef):
                continue
            owner, node = found[0], found[1]
            assert isinstance(node, ast.ClassDef)
            for stmt in node.body:
                if isinstance(stmt, ast.FunctionDef) and stmt.name == "get_urls":
                    added = self._get_urls(owner, stmt, base, registration.admin_class, mount)
                    return list(added)
            return []
        return []

    def _get_urls(
        self,
        module: ParsedModule,
        method: ast.FunctionDef,
        base: str,
        admin_class: str,
        mount: Location | None,
    ) -> Iterator[RouteModel]:
        helpers = _admin_view_helpers(method)
        for node in walking.walk(method):
            if not (isinstance(node, ast.Call) and len(node.args) >= 2):
                continue
            if not (isinstance(node.func, ast.Name | ast.Attribute)):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
            route = node.args[0]
            if name not in ("path", "re_path", "url", *helpers) or not isinstance(
                route, ast.Constant
            ):
                continue
            pattern = base + str(route.value).lstrip("^")
            view = node.args[1]
            declared = module.location(node)
            wrapped = name in helpers
            if isinstance(view, ast.Call) and _is_admin_view(view.func) and view.args:
                view, wrapped = view.args[0], True
            if wrapped:
                # self.admin_site.admin_view(self.move_plugin): staff only, the view is ours
                yield self._admin_view(module, view, pattern, admin_class, mount)
                continue
            target = _self_method(view, admin_class)
            yield RouteModel(
                pattern=pattern,
                target=target,
                kind="function" if target else None,
                declared_at=declared,
            )

    def _admin_view(
        self,
        module: ParsedModule,
        view: ast.expr,
        pattern: str,
        admin_class: str,
        mount: Location | None,
    ) -> RouteModel:
        """A view wrapped in ``admin_site.admin_view()``: an admin route naming its view."""
        target = _self_method(view, admin_class)
        if target is None and isinstance(view, ast.Name | ast.Attribute):
            for tree in self.trees:
                target = tree.dotted_of(module, view)
                if target:
                    break
        if target is None:
            return self._route(pattern, mount)  # part of the admin site mounted there
        return RouteModel(
            pattern=pattern, target=target, kind="function", declared_at=mount, admin=True
        )

    def _route(self, pattern: str, declared: Location | None) -> RouteModel:
        return RouteModel(
            pattern=pattern, target=ADMIN_SITE, kind="type", declared_at=declared, admin=True
        )


def _is_register(func: ast.expr) -> bool:
    """``admin.site.register``, ``site.register``, ``admin.register`` (the decorator)."""
    if not isinstance(func, ast.Attribute) or func.attr != "register":
        return False
    owner = func.value
    if isinstance(owner, ast.Attribute):
        return owner.attr == "site"
    return isinstance(owner, ast.Name) and owner.id in ("admin", "site")


def _is_admin_view(func: ast.expr) -> bool:
    """``self.admin_site.admin_view`` (staff only), however the site is reached."""
    return isinstance(func, ast.Attribute) and func.attr == "admin_view"


def _self_method(view: ast.expr, admin_class: str) -> str | None:
    """``self.my_view`` in a ``ModelAdmin`` method -> ``app.admin.MyAdmin.my_view``."""
    if (
        isinstance(view, ast.Attribute)
        and isinstance(view.value, ast.Name)
        and view.value.id == "self"
    ):
        return f"{admin_class}.{view.attr}"
    return None


def _models(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.List | ast.Tuple):
        return list(node.elts)
    return [node]


def _admin_view_helpers(method: ast.FunctionDef) -> tuple[str, ...]:
    """Local helpers of ``get_urls()`` that route a view through ``admin_view()``.

    ``def pat(regex, fn): return re_path(regex, self.admin_site.admin_view(fn), ...)``, then
    ``pat(r"^move-plugin/$", self.move_plugin)``: each call is an admin route to ``fn``.
    """
    names: list[str] = []
    for node in method.body:
        if not isinstance(node, ast.FunctionDef) or len(node.args.args) < 2:
            continue
        param = node.args.args[1].arg
        for sub in walking.walk(node):
            if (
                isinstance(sub, ast.Call)
                and _is_admin_view(sub.func)
                and sub.args
                and isinstance(sub.args[0], ast.Name)
                and sub.args[0].id == param
            ):
                names.append(node.name)
                break
    return tuple(names)


def _submodules(module: ParsedModule, name: str) -> list[str]:
    """Modules of an ``admin`` package its ``__init__`` imports (``import app.admin.pages``)."""
    found: list[str] = []
    for node in module.tree.body:
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith(name + ".")]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level == 1 and module.is_package:
                base = f"{name}.{base}" if base else name
            if base == name:
                found += [f"{name}.{a.name}" for a in node.names]
            elif base.startswith(name + "."):
                found.append(base)
    return list(dict.fromkeys(found))
