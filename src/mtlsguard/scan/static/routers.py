"""DRF routers: ``router.register(prefix, ViewSet)`` and ``router.urls`` as routes.

A registered viewset gets ``SimpleRouter``'s list and detail routes for the actions it has
(its own methods, or those DRF's viewsets and mixins provide) and one route per ``@action``
(``detail_route``/``list_route`` of older DRF), keyed by the viewset's ``lookup_field``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field

from mtlsguard.findings.model import Location
from mtlsguard.scan.knowledge import DRF_VIEWSET_ACTIONS, VIEWSET_ROUTES, external_short
from mtlsguard.scan.project_model import Call, ClassModel, Const, Expr, Ref, RouteModel, Seq
from mtlsguard.scan.static.builder import ModelBuilder
from mtlsguard.scan.static.source import ParsedModule, SourceTree

__all__ = ["API_ROOT_VIEW", "RouterRoutes", "join_route"]

API_ROOT_VIEW = "rest_framework.routers.APIRootView"
"""The view of a ``DefaultRouter``'s root route."""
_STANDARD_ACTIONS = ("list", "create", "retrieve", "update", "partial_update", "destroy")


def join_route(prefix: str, route: str) -> str:
    """``include()`` prefix + route, as Django joins them (``^``/``$`` of regexes dropped)."""
    if prefix.endswith("$"):
        prefix = prefix[:-1]
    if prefix and route.startswith("^"):
        route = route[1:]
    return prefix + route


@dataclass(frozen=True, slots=True)
class _ExtraAction:
    """An ``@action`` method: its name, detail or list, HTTP methods and URL path."""

    name: str
    detail: bool
    methods: tuple[str, ...]
    url_path: str


@dataclass(slots=True)
class _ViewSetShape:
    """What the routes of a viewset depend on."""

    actions: set[str] = field(default_factory=set)
    lookup: str = "<pk>"
    """The detail routes' lookup segment (``<pk>``, ``<project__slug>/<slug>``)."""
    extra: list[_ExtraAction] = field(default_factory=list)


class RouterRoutes:
    """Routes of the viewsets registered on a router variable."""

    def __init__(self, tree: SourceTree, builder: ModelBuilder) -> None:
        self.tree = tree
        self.builder = builder
        self.plugin_modules: list[str] = []
        """Modules a loop over the installed apps imports: they may register on a router
        they import (``from app.api.urls import router; router.register(...)``)."""

    def routes(
        self, module: ParsedModule, node: ast.expr, prefix: str, wrappers: tuple[Expr, ...]
    ) -> list[RouteModel]:
        """Routes of ``<node>.urls`` included under ``prefix`` (and route ``wrappers``)."""
        dotted = self.tree.dotted_of(module, node)
        if dotted is None:
            return []
        found = self.tree.lookup(dotted)
        if found is None:
            return []
        owner = found[0]
        routes: list[RouteModel] = []
        calls = [(owner, c) for c in _registrations(owner, dotted.rsplit(".", 1)[-1])]
        calls += self._plugin_registrations(dotted)
        created = found[1]
        if calls and isinstance(created, ast.Call) and self._default_router(owner, created):
            # DefaultRouter serves an API root view listing the registered viewsets.
            routes.append(
                RouteModel(
                    pattern=prefix,
                    target=API_ROOT_VIEW,
                    kind="type",
                    name="api-root",
                    wrappers=wrappers,
                    declared_at=owner.location(created),
                )
            )
        for where, call in calls:
            route_prefix, viewset_node = call.args[0], call.args[1]
            assert isinstance(route_prefix, ast.Constant)
            target = self.tree.dotted_of(where, viewset_node)
            if target is None:
                continue
            basename = None
            for kw in call.keywords:
                if kw.arg in ("basename", "base_name") and isinstance(kw.value, ast.Constant):
                    basename = str(kw.value.value)
            base = join_route(prefix, str(route_prefix.value).strip("^$"))
            routes.extend(
                self._register(
                    str(route_prefix.value), base, target, basename, wrappers, where.location(call)
                )
            )
        return routes

    def _plugin_registrations(self, dotted: str) -> list[tuple[ParsedModule, ast.Call]]:
        """``register()`` calls on the router ``dotted`` in the plugin modules."""
        found: list[tuple[ParsedModule, ast.Call]] = []
        for name in self.plugin_modules:
            module = self.tree.load(name)
            if module is None:
                continue
            for local, target in module.imports.items():
                if self.tree.canonical(target) == dotted:
                    found.extend((module, call) for call in _registrations(module, local))
        return found

    def _default_router(self, module: ParsedModule, created: ast.Call) -> bool:
        """``DefaultRouter()`` or a project subclass of it (``WeblateRouter(DefaultRouter)``)."""
        if _short(created.func) == "DefaultRouter":
            return True
        dotted = self.tree.dotted_of(module, created.func)
        built = self.builder.define(dotted) if dotted is not None else None
        return isinstance(built, ClassModel) and any(
            entry.endswith("DefaultRouter") for entry in built.mro
        )

    def _register(
        self,
        prefix: str,
        base: str,
        target: str,
        basename: str | None,
        wrappers: tuple[Expr, ...],
        declared: Location,
    ) -> Iterator[RouteModel]:
        """The routes of one ``router.register(prefix, target)``."""
        built = self.builder.define(target)
        qual = built.qualname if built is not None else target
        self.builder.want(qual)
        if isinstance(built, ClassModel):
            shape = self._shape(built)
        else:
            shape = _ViewSetShape(actions=set(_STANDARD_ACTIONS))
        if base and not base.endswith("/"):
            base += "/"
        name_base = basename or prefix.strip("^$/").replace("/", "-") or None
        for detail, mapping in VIEWSET_ROUTES:
            actions = tuple((m, a) for m, a in mapping if a in shape.actions)
            if not actions:
                continue
            suffix = "detail" if detail else "list"
            yield RouteModel(
                pattern=f"{base}{shape.lookup}/" if detail else base,
                target=qual,
                kind="type",
                name=f"{name_base}-{suffix}" if name_base else None,
                wrappers=wrappers,
                actions=actions,
                declared_at=declared,
            )
        for extra in shape.extra:
            path = extra.url_path
            yield RouteModel(
                pattern=f"{base}{shape.lookup}/{path}/" if extra.detail else f"{base}{path}/",
                target=qual,
                kind="type",
                name=f"{name_base}-{path}" if name_base else None,
                wrappers=wrappers,
                actions=tuple((m.lower(), extra.name) for m in extra.methods),
                extra_action=extra.name,
                declared_at=declared,
            )

    def _shape(self, viewset: ClassModel) -> _ViewSetShape:
        """Actions, lookup field and ``@action`` methods along the viewset's MRO."""
        shape = _ViewSetShape()
        project = self.builder.project
        for entry in viewset.mro:
            cls = project.class_named(entry)
            if cls is None:
                short = external_short(entry) or entry.rsplit(".", 1)[-1]
                shape.actions.update(DRF_VIEWSET_ACTIONS.get(short, ()))
                continue
            for name, method in cls.methods.items():
                if name in _STANDARD_ACTIONS:
                    shape.actions.add(name)
                for deco in method.decorators:
                    extra = _action_spec(deco, name)
                    if extra is not None and all(e.name != name for e in shape.extra):
                        shape.extra.append(extra)
        for name in ("lookup_field", "lookup_url_kwarg"):  # the URL kwarg wins, as in DRF
            found = project.attribute(viewset, name)
            if found is not None and isinstance(found[1], Const) and found[1].value:
                shape.lookup = f"<{found[1].value}>"
        several = project.attribute(viewset, "lookup_fields")
        if several is not None and isinstance(several[1], Seq):
            # MultipleFieldLookupMixin-style viewsets with a router that joins the fields
            fields = [f.value for f in several[1].items if isinstance(f, Const)]
            if fields and all(isinstance(f, str) for f in fields):
                shape.lookup = "/".join(f"<{f}>" for f in fields)
        return shape


def _short(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _registrations(module: ParsedModule, var: str) -> Iterator[ast.Call]:
    """``var.register("prefix", ViewSet, ...)`` calls at the top level of ``module``."""
    for stmt in module.tree.body:
        if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
            continue
        call = stmt.value
        func = call.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "register"
            and isinstance(func.value, ast.Name)
            and func.value.id == var
            and len(call.args) >= 2
            and isinstance(call.args[0], ast.Constant)
            and isinstance(call.args[0].value, str)
        ):
            yield call


def _action_spec(deco: Expr, method: str) -> _ExtraAction | None:
    """``@action(detail=True, methods=["post"], url_path="x")`` on ``method``, if it is one."""
    if not isinstance(deco, Call) or not isinstance(deco.func, Ref):
        return None
    short = deco.func.short
    if short not in ("action", "detail_route", "list_route"):
        return None
    detail = short == "detail_route"
    detail_arg = deco.kwarg("detail")
    if isinstance(detail_arg, Const):
        detail = bool(detail_arg.value)
    methods: tuple[str, ...] = ("GET",)
    methods_arg = deco.kwarg("methods")
    if isinstance(methods_arg, Seq):
        methods = tuple(
            str(m.value).upper() for m in methods_arg.items if isinstance(m, Const) and m.value
        )
    url_path = method
    path_arg = deco.kwarg("url_path")
    if isinstance(path_arg, Const) and isinstance(path_arg.value, str):
        url_path = path_arg.value
    return _ExtraAction(method, detail, methods, url_path)
