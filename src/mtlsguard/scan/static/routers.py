"""DRF routers: ``router.register(prefix, ViewSet)`` and ``router.urls`` as routes.

A registered viewset gets its router's routes (``SimpleRouter``'s list and detail routes, or
a router class's own ``routes``: :mod:`.router_templates`) for the actions it has (its own
methods, or those DRF's viewsets and mixins provide) and one route per ``@action``
(``detail_route``/``list_route`` of older DRF), keyed by the viewset's ``lookup_field``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field

from mtlsguard.findings.model import Location, Unresolved
from mtlsguard.scan.knowledge import DRF_VIEWSET_ACTIONS, external_short
from mtlsguard.scan.project_model import Call, ClassModel, Const, Expr, Ref, RouteModel, Seq
from mtlsguard.scan.static.builder import ModelBuilder
from mtlsguard.scan.static.router_templates import RouterClass, read_router_class
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
    url_name: str


@dataclass(frozen=True, slots=True)
class _Router:
    """A router instance: its class's route templates and its ``trailing_slash``."""

    shape: RouterClass
    trailing_slash: str = "/"


@dataclass(frozen=True, slots=True)
class _Registration:
    """One ``router.register(prefix, target, basename=...)`` under an include ``base``."""

    prefix: str
    base: str
    target: str
    basename: str | None


@dataclass(slots=True)
class _ViewSetShape:
    """What the routes of a viewset depend on."""

    actions: set[str] = field(default_factory=set)
    lookup: str = "<pk>"
    """The detail routes' lookup segment (``<pk>``, ``<project__slug>/<slug>``)."""
    extra: list[_ExtraAction] = field(default_factory=list)


class RouterRoutes:
    """Routes of the viewsets registered on a router variable."""

    def __init__(
        self, tree: SourceTree, builder: ModelBuilder, unresolved: list[Unresolved] | None = None
    ) -> None:
        self.tree = tree
        self.builder = builder
        self.unresolved: list[Unresolved] = unresolved if unresolved is not None else []
        """Where router classes the scan cannot fully read are listed."""
        self.unreadable: set[str] = set()
        """Routers whose class's ``routes`` the scan cannot read (listed as unresolved)."""
        self.plugin_modules: list[str] = []
        """Modules a loop over the installed apps imports: they may register on a router
        they import (``from app.api.urls import router; router.register(...)``)."""

    def called(
        self, module: ParsedModule, call: ast.Call, prefix: str, wrappers: tuple[Expr, ...]
    ) -> list[RouteModel]:
        """Routes of ``router.get_urls()`` (DRF's method behind ``router.urls``), else ``[]``."""
        receiver = call.func.value if isinstance(call.func, ast.Attribute) else None
        if receiver is None or call.args or call.keywords:
            return []
        return self.routes(module, receiver, prefix, wrappers)

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
        made = created if isinstance(created, ast.Call) else None
        router_class = self.tree.dotted_of(owner, made.func) if made is not None else None
        shape = read_router_class(self.tree, self.builder, router_class) if calls else None
        root_view = self._root_view(owner, made) if calls and made is not None else None
        if root_view is not None and made is not None:
            # DefaultRouter serves an API root view listing the registered viewsets.
            routes.append(
                RouteModel(
                    pattern=prefix,
                    target=root_view,
                    kind="type",
                    name="api-root",
                    wrappers=wrappers,
                    declared_at=owner.location(made),
                )
            )
        if shape is not None:
            self._note_problems(shape)
            if not shape.routes:
                self.unreadable.add(dotted)
        router = _Router(shape or RouterClass(), _trailing_slash(made))
        nested = self._nested_prefix(owner, made, 0)[0] if made is not None else ""
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
            base = join_route(prefix, nested)
            routes.extend(
                self._register(
                    router,
                    _Registration(str(route_prefix.value), base, target, basename),
                    wrappers,
                    where.location(call),
                )
            )
        return routes

    def _nested_prefix(self, module: ParsedModule, made: ast.Call, depth: int) -> tuple[str, int]:
        """``organisations/<organisation_pk>/`` of a drf-nested-routers ``Nested*Router``.

        ``NestedSimpleRouter(parent, "organisations", lookup="organisation")`` (public API of
        ``rest_framework_nested.routers``) puts its routes under the parent router's
        registration of that prefix and its lookup, named ``<lookup>_<lookup field>``; a
        nested router's parent may be nested too. With its nesting level (the default lookup is
        ``nested_<level>``); ``("", 0)`` for any other router.
        """
        if _short(made.func) not in _NESTED_ROUTERS or len(made.args) < 2 or depth > 4:
            return "", 0
        parent, prefix = made.args[0], made.args[1]
        if not (isinstance(prefix, ast.Constant) and isinstance(prefix.value, str)):
            return "", 0
        field = "pk"
        outer, level = "", 0
        dotted = self.tree.dotted_of(module, parent) or ""
        found = self.tree.lookup(dotted) if dotted else None
        if found is not None:
            where = found[0]
            for call in _registrations(where, dotted.rsplit(".", 1)[-1]):
                first = call.args[0]
                if isinstance(first, ast.Constant) and first.value == prefix.value:
                    built = self.builder.define(self.tree.dotted_of(where, call.args[1]) or "")
                    if isinstance(built, ClassModel):
                        field = self._shape(built).lookup.strip("<>").split(">/<")[-1]
            if isinstance(found[1], ast.Call):
                outer, level = self._nested_prefix(where, found[1], depth + 1)
        lookup = f"nested_{level + 1}"
        for keyword in made.keywords:
            if keyword.arg == "lookup" and isinstance(keyword.value, ast.Constant):
                lookup = str(keyword.value.value)
        segment = f"{prefix.value}/<{lookup}_{field}>/".lstrip("/")
        return outer + segment, level + 1

    def _note_problems(self, shape: RouterClass) -> None:
        for item, reason, cls in shape.problems:
            found = Unresolved("urlpatterns", item, reason, cls.location)
            if found not in self.unresolved:
                self.unresolved.append(found)

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

    def _root_view(self, module: ParsedModule, created: ast.Call) -> str | None:
        """The API root view of a ``DefaultRouter()`` or a project subclass of it, else None.

        A subclass may name its own view (``APIRootView = AuthenticatedAPIRootView``) or turn
        the root off (``include_root_view = False``).
        """
        if _short(created.func) == "DefaultRouter":
            return API_ROOT_VIEW
        dotted = self.tree.dotted_of(module, created.func)
        built = self.builder.define(dotted) if dotted is not None else None
        if not isinstance(built, ClassModel) or not any(
            entry.endswith("DefaultRouter") for entry in built.mro
        ):
            return None
        project = self.builder.project
        included = project.attribute(built, "include_root_view")
        if included is not None and isinstance(included[1], Const) and not included[1].value:
            return None
        view = project.attribute(built, "APIRootView")
        if view is not None and isinstance(view[1], Ref):
            return view[1].name
        return API_ROOT_VIEW

    def _register(
        self,
        router: _Router,
        registered: _Registration,
        wrappers: tuple[Expr, ...],
        declared: Location,
    ) -> Iterator[RouteModel]:
        """The routes of one ``router.register(prefix, target)``.

        The router's route templates, formatted as DRF's ``SimpleRouter.get_urls()`` does.
        """
        built = self.builder.define(registered.target)
        qual = built.qualname if built is not None else registered.target
        self.builder.want(qual)
        if isinstance(built, ClassModel):
            shape = self._shape(built)
        else:
            shape = _ViewSetShape(actions=set(_STANDARD_ACTIONS))
        prefix = registered.prefix.strip("^$")
        name_base = registered.basename or prefix.strip("/").replace("/", "-") or None
        for template in router.shape.routes:
            extras: list[_ExtraAction | None] = [None]
            if template.mapping is None:
                extras = [extra for extra in shape.extra if extra.detail == template.detail]
            for extra in extras:
                if extra is None:
                    mapping = template.mapping or ()
                    actions = tuple((m, a) for m, a in mapping if a in shape.actions)
                else:
                    actions = tuple((m.lower(), extra.name) for m in extra.methods)
                if not actions:
                    continue
                url = template.url.format_map(
                    {
                        "prefix": prefix,
                        "lookup": shape.lookup,
                        "trailing_slash": router.trailing_slash,
                        "url_path": extra.url_path if extra else "",
                    }
                )
                if not prefix and url.startswith("^/"):
                    url = "^" + url[2:]
                name = template.name.format_map(
                    {"basename": name_base, "url_name": extra.url_name if extra else ""}
                )
                yield RouteModel(
                    pattern=join_route(registered.base, url.strip("^$")),
                    target=qual,
                    kind="type",
                    name=name if name_base else None,
                    wrappers=wrappers,
                    actions=actions,
                    extra_action=extra.name if extra else None,
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
                shape.actions.add(name)  # a router's own routes may map any method name
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


_NESTED_ROUTERS = frozenset({"NestedSimpleRouter", "NestedDefaultRouter"})
"""drf-nested-routers' router classes (``rest_framework_nested.routers``, public API)."""


def _short(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _module_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements of a module body, entering top-level ``if``/``try`` blocks (every branch)."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, ast.If):
            yield from _module_level(stmt.body)
            yield from _module_level(stmt.orelse)
        elif isinstance(stmt, ast.Try):
            for block in (stmt.body, stmt.orelse, stmt.finalbody):
                yield from _module_level(block)


def _registrations(
    module: ParsedModule, var: str, seen: frozenset[str] = frozenset()
) -> Iterator[ast.Call]:
    """``var.register("prefix", ViewSet, ...)`` calls at the top level of ``module``.

    Registrations under a module-level condition (``if settings.API_ENABLED:``) count: the
    URLconf includes the router under the same condition, and the scan reads every branch. So
    do those whose result is kept (``signals = router.register(...)``, for nested routes), and
    those of another router of the module whose registry ``var`` takes over
    (``base_router.registry.extend(private_router.registry)``, Amsterdam Signals).
    """
    for stmt in _module_level(module.tree.body):
        call = stmt.value if isinstance(stmt, ast.Expr | ast.Assign) else None
        if not isinstance(call, ast.Call):
            continue
        func = call.func
        if not (
            isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name | ast.Attribute)
        ):
            continue
        owner = func.value
        if (
            func.attr == "register"
            and isinstance(owner, ast.Name)
            and owner.id == var
            and len(call.args) >= 2
            and isinstance(call.args[0], ast.Constant)
            and isinstance(call.args[0].value, str)
        ):
            yield call
        taken = _registry_of(call.args[0]) if len(call.args) == 1 else ""
        if func.attr == "extend" and _registry_of(owner) == var and taken and taken not in seen:
            yield from _registrations(module, taken, seen | {var})


def _registry_of(node: ast.expr) -> str:
    """``router.registry`` -> ``"router"`` (``""`` for anything else)."""
    if isinstance(node, ast.Attribute) and node.attr == "registry":
        return node.value.id if isinstance(node.value, ast.Name) else ""
    return ""


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
    url_name = method.replace("_", "-")
    name_arg = deco.kwarg("url_name")
    if isinstance(name_arg, Const) and isinstance(name_arg.value, str):
        url_name = name_arg.value
    return _ExtraAction(method, detail, methods, url_path, url_name)


def _trailing_slash(created: ast.Call | None) -> str:
    """``SimpleRouter(trailing_slash=False)``: ``""``; the default ``"/"`` otherwise."""
    if created is None:
        return "/"
    given = created.args[0] if created.args else None
    for kw in created.keywords:
        if kw.arg == "trailing_slash":
            given = kw.value
    if isinstance(given, ast.Constant) and not given.value:
        return ""
    return "/"
