"""Runtime front-end: the real URL resolver and classes in, the neutral project model out.

``manage.py mtlsguard scan|routes`` runs inside the configured project, so what the static
front-end can only guess is read from the running objects here: the route table from
``get_resolver().url_patterns`` (``include()``, routers and ``urlpatterns +=`` already
evaluated), the view behind each callback (``view_class``/``cls`` of ``as_view()``, its
``initkwargs`` and viewset ``actions``), decorators applied where a route is declared (the
``__wrapped__`` chain above the module's own object, recognised by Django's ``login_required``
marker and ``user_passes_test``'s test function), each project class's real MRO and bases, the
real ``permission_classes``/``authentication_classes`` values (DRF ``&``/``|``/``~``
compositions included) and the settings from :data:`django.conf.settings`.

What running objects cannot tell — what a function body does (``request.user`` guards,
certificate headers read, ORM lookups) and the arguments a definition's decorators were given —
comes from the same source files the interpreter loaded, through the static model builder.
The result feeds :func:`mtlsguard.scan.engine.analyze` and :func:`~mtlsguard.scan.engine.run_rules`:
one rule engine for both modes.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver

from mtlsguard.django.scanner.values import (
    api_view_function,
    dotted_name,
    import_dotted,
    route_text,
    route_wrappers,
    to_expr,
    wrapped_chain,
)
from mtlsguard.findings.model import Location, ScanResult
from mtlsguard.findings.registry import Rule
from mtlsguard.scan.analysis.undeclared import hint_object_gates, object_guarded
from mtlsguard.scan.declared import DeclaredAccess, apply_declarations
from mtlsguard.scan.engine import Progress, analyze, run_rules
from mtlsguard.scan.project_model import (
    ClassModel,
    ProjectModel,
    Ref,
    RouteModel,
    SettingsModel,
    SettingValue,
    string_constants,
)
from mtlsguard.scan.static.builder import DEEP_ATTRIBUTES, ModelBuilder
from mtlsguard.scan.static.settings import discover, evaluate_settings
from mtlsguard.scan.static.source import SourceTree
from mtlsguard.scan.static.urls import UrlConfWalker

__all__ = ["RuntimeProject", "build_runtime_project", "introspect_project"]

_RUNTIME_ATTRIBUTES = DEEP_ATTRIBUTES - {"queryset", "model"}
"""Class attributes taken from the running class (a queryset object is better left as code)."""
_ADMIN_SITE = "django.contrib.admin.sites.AdminSite"


@dataclasses.dataclass(slots=True)
class RuntimeProject:
    """The runtime model plus the bookkeeping of the source files read for function bodies."""

    model: ProjectModel
    tree: SourceTree


class _Introspector:
    """Builds one :class:`ProjectModel` from the configured Django project."""

    def __init__(self, root: Path, urlconf: str | None = None) -> None:
        self.urlconf = urlconf
        """The root URLconf to resolve (``--urlconf``); None: the settings' ROOT_URLCONF."""
        self.root = root.resolve()
        layout = discover(self.root)
        self.tree = SourceTree(self.root, layout.search_roots)
        self.project = ProjectModel(root=str(self.root))
        self.builder = ModelBuilder(self.tree, self.project)
        self.project.loader = self._load
        self._refined: set[str] = set()
        self._declared: dict[str, Location | None] = {}
        self._objects: dict[str, Any] = {}
        """Running classes by dotted name, for those no import path reaches (factories)."""

    # --- entry point ---------------------------------------------------------------------

    def build(self) -> ProjectModel:
        self.project.settings = self._settings()
        # Project code the settings name (middleware, backends, DRF classes) is modelled too.
        for value in self.project.settings.values.values():
            for dotted in string_constants(value.value):
                if "." in dotted and self.tree.is_local(dotted):
                    self.builder.want(dotted)
        urlconf = self.urlconf or getattr(settings, "ROOT_URLCONF", None)
        if isinstance(urlconf, str):
            # Source lines of route declarations (the resolver does not keep them).
            for route in UrlConfWalker(self.tree, self.builder).walk(urlconf):
                self._declared.setdefault(route.pattern, route.declared_at)
        self.project.routes = list(self._patterns(get_resolver(self.urlconf).url_patterns, ""))
        for route in self.project.routes:
            if route.target is not None:
                self._load(route.target)
        self.builder.drain()
        for qual in list(self.project.classes):
            self._refine(qual)
        return self.project

    def _load(self, dotted: str) -> object:
        local_class = ".<locals>." in dotted
        found = None if local_class else self.builder.define(dotted)
        if found is None and dotted in self._objects:
            found = self._define_nested(self._objects[dotted], dotted)
        if isinstance(found, ClassModel):
            return self._refine(found.qualname)
        return found

    def _define_nested(self, real: type, qual: str) -> ClassModel | None:
        """Model a class no module attribute names (made by a factory) from its own source."""
        module = self.tree.load(real.__module__)
        try:
            _lines, first = inspect.getsourcelines(real)
        except (OSError, TypeError):
            return None
        if module is None:
            return None
        for node in ast.walk(module.tree):
            if isinstance(node, ast.ClassDef) and node.name == real.__name__:
                start = node.decorator_list[0].lineno if node.decorator_list else node.lineno
                if start == first:
                    return self.builder.klass(module, node, qual)
        return None

    # --- settings ------------------------------------------------------------------------

    def _settings(self) -> SettingsModel:
        module = getattr(settings, "SETTINGS_MODULE", None) or "settings"
        static = evaluate_settings(self.tree, module)
        found = self.tree.module_path(module)
        fallback = Location(self.tree.rel(found[0]) if found else module, 1)
        values: dict[str, SettingValue] = {}
        for name in dir(settings):
            if not name.isupper() or not settings.is_overridden(name):
                continue
            known = static.get(name) if static is not None else None
            location = known.location if known is not None else fallback
            values[name] = SettingValue(to_expr(getattr(settings, name)), location)
        return SettingsModel(module=module, values=values)

    # --- routes --------------------------------------------------------------------------

    def _patterns(self, patterns: list[Any], prefix: str) -> Iterator[RouteModel]:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                pattern = prefix + route_text(entry.pattern)
                if entry.app_name == "admin" and isinstance(entry.urlconf_name, list | tuple):
                    yield RouteModel(
                        pattern=pattern,
                        target=_ADMIN_SITE,
                        kind="type",
                        name=entry.namespace,
                        declared_at=self._declared.get(pattern),
                        admin=True,
                    )
                    continue
                yield from self._patterns(entry.url_patterns, pattern)
            elif isinstance(entry, URLPattern):
                if "(?P<format>" in str(entry.pattern) or "drf_format_suffix:" in str(
                    entry.pattern
                ):
                    continue  # DRF format-suffix twin of a route already listed
                yield self._route(entry, prefix + route_text(entry.pattern))

    def _route(self, entry: URLPattern, pattern: str) -> RouteModel:
        chain = wrapped_chain(entry.callback)
        # functools.wraps copies ``view_class`` onto wrappers: the view is the deepest layer.
        view_index = next(
            (
                i
                for i in range(len(chain) - 1, -1, -1)
                if hasattr(chain[i], "cls") or hasattr(chain[i], "view_class")
            ),
            None,
        )
        declared = self._declared.get(pattern)
        if view_index is not None:
            view = chain[view_index]
            cls = getattr(view, "cls", None) or view.view_class
            self._objects.setdefault(dotted_name(cls), cls)
            handler = api_view_function(cls, chain)
            if handler is not None:  # DRF @api_view: the route's view is the function
                chain = [*chain[: view_index + 1], handler]
                view_index = None
        if view_index is not None:
            initkwargs = getattr(view, "initkwargs", None) or getattr(view, "view_initkwargs", {})
            actions: dict[str, str] = getattr(view, "actions", None) or {}
            extra = next(
                (a for a in actions.values() if hasattr(getattr(cls, a, None), "mapping")), None
            )
            return RouteModel(
                pattern=pattern,
                target=dotted_name(cls),
                kind="type",
                name=entry.name,
                wrappers=route_wrappers(chain[:view_index]),
                initkwargs=tuple(
                    (k, to_expr(v)) for k, v in initkwargs.items() if k not in ("basename",)
                ),
                actions=tuple((m.lower(), a) for m, a in actions.items()),
                extra_action=extra,
                declared_at=declared,
            )
        function = chain[-1]
        target = dotted_name(function)
        # Layers above the module's own object were applied where the route is declared.
        own = import_dotted(target)
        if own is None or (own is not function and own not in chain):
            own = function
        own_index = next((i for i, f in enumerate(chain) if f is own), 0)
        return RouteModel(
            pattern=pattern,
            target=target,
            kind="function",
            name=entry.name,
            wrappers=route_wrappers(chain[:own_index]),
            declared_at=declared,
        )

    # --- classes -------------------------------------------------------------------------

    def _refine(self, qual: str) -> ClassModel | None:
        """Replace the modelled class ``qual`` with its real MRO, bases and attribute values."""
        static = self.project.classes.get(qual)
        if static is None or qual in self._refined:
            return static
        self._refined.add(qual)
        real = self._objects.get(qual) or import_dotted(qual)
        if not inspect.isclass(real):
            return static
        mro: list[str] = []
        local = [c for c in real.__mro__ if self.tree.is_local(c.__module__)]
        direct: set[type] = {b for c in local for b in c.__bases__}
        for klass in real.__mro__:
            if klass is object:
                continue
            if klass in local or klass in direct:
                mro.append(dotted_name(klass))
        attributes = dict(static.attributes)
        lines = dict(static.attribute_lines)
        for name in _RUNTIME_ATTRIBUTES:
            if name in vars(real):
                attributes[name] = to_expr(vars(real)[name])
                lines.setdefault(name, static.location.line)
        refined = dataclasses.replace(
            static,
            bases=tuple(Ref(dotted_name(b)) for b in real.__bases__ if b is not object),
            mro=tuple(dict.fromkeys(mro)),
            attributes=attributes,
            attribute_lines=lines,
        )
        self.project.classes[qual] = refined
        return refined


def build_runtime_project(root: Path, urlconf: str | None = None) -> RuntimeProject:
    """Model the configured project (``django.setup()`` done) whose source is under ``root``.

    ``urlconf`` replaces the settings' ``ROOT_URLCONF`` (``--urlconf``).
    """
    introspector = _Introspector(root, urlconf)
    model = introspector.build()
    return RuntimeProject(model, introspector.tree)


def introspect_project(
    root: Path,
    rules: Sequence[Rule] | None = None,
    progress: Progress | None = None,
    declared: DeclaredAccess | None = None,
    *,
    urlconf: str | None = None,
) -> ScanResult:
    """Run ``rules`` (default: every static rule) over the running project.

    The runtime twin of :func:`mtlsguard.scan.engine.scan_project`, with the signature of the
    run layer's engine (:data:`mtlsguard.app.static.Engine`); ``urlconf`` replaces the
    settings' ``ROOT_URLCONF``; ``declared`` is the project's ``guards`` and ``public``.
    """
    declared = declared or DeclaredAccess()
    runtime = build_runtime_project(root, urlconf)
    runtime.model.declared = declared
    context = analyze(runtime.model)
    routes = tuple(r.to_route() for r in context.routes)
    findings = hint_object_gates(
        runtime.model, context.routes, run_rules(context, rules, progress=progress)
    )
    guarded = object_guarded(runtime.model, context.routes, declared)
    return ScanResult(
        root=str(Path(root).resolve()),
        findings=apply_declarations(findings, declared, root, routes, guarded),
        routes=routes,
        errors=tuple(runtime.tree.errors),
        files_scanned=runtime.tree.files_scanned,
        lines_scanned=runtime.tree.lines_scanned,
        settings_module=getattr(settings, "SETTINGS_MODULE", None) or None,
        urlconf=urlconf or getattr(settings, "ROOT_URLCONF", None),
    )
