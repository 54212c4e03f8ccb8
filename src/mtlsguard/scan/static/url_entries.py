"""One URL entry of a URLconf: ``path(route, view)`` -> :class:`RouteModel`.

:class:`EntryWalker` turns a ``path()``/``re_path()``/``url()`` call into a route: the view
behind it (a function, ``View.as_view(**initkwargs)``, ``ViewSet.as_view({...})``, a view an
``include()`` or a decorator in urls.py wraps, ``admin.site.urls``), the prefix and the
wrappers of the includes above it. The lists and modules around entries are
:class:`~mtlsguard.scan.static.urls.UrlConfWalker`'s.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass

from mtlsguard.findings.model import Location, Unresolved
from mtlsguard.scan.project_model import ClassModel, Const, Expr, Mapping, RouteModel
from mtlsguard.scan.static.admin_site import ADMIN_SITE, AdminSiteRoutes
from mtlsguard.scan.static.builder import ModelBuilder
from mtlsguard.scan.static.conditions import StaticValues
from mtlsguard.scan.static.folding import fold_string
from mtlsguard.scan.static.routers import join_route
from mtlsguard.scan.static.source import ParsedModule, SourceTree
from mtlsguard.scan.static.url_helpers import list_wrapper

__all__ = [
    "DYNAMIC",
    "LOOP_NOTE",
    "MAX_INCLUDE_DEPTH",
    "NOT_FOUND",
    "NOT_STATIC",
    "PATH_FUNCS",
    "EntryWalker",
    "UrlScope",
    "excerpt",
    "loop_header",
    "without_dynamic_twins",
]


PATH_FUNCS = frozenset({"path", "re_path", "url"})
DYNAMIC = "<dynamic>"
"""A route or prefix the scan cannot compute (a value read at run time)."""
MAX_INCLUDE_DEPTH = 16
NOT_FOUND = (
    "not found in the project nor in the environment's site-packages (install the project's "
    "dependencies where mtlsguard runs, or pass --site-packages DIR)"
)
NOT_STATIC = "URL patterns the scanner cannot evaluate statically"


def excerpt(node: ast.AST) -> str:
    """``node``'s source, shortened to one line of at most 80 characters."""
    text = ast.unparse(node)
    return text if len(text) <= 80 else text[:77] + "..."


LOOP_NOTE = (
    "routes added by a loop at run time (installed apps or plugins discovered when the project "
    "runs); `manage.py mtlsguard` sees them"
)


def loop_header(loop: ast.For | ast.While) -> str:
    """``for x in y`` / ``while cond``: how a loop that adds routes is named in a report."""
    if isinstance(loop, ast.For):
        return f"for {excerpt(loop.target)} in {excerpt(loop.iter)}"
    return f"while {excerpt(loop.test)}"


@dataclass(frozen=True, slots=True)
class UrlScope:
    """Where the walker is: the route prefix, the wrappers around it, the include depth."""

    prefix: str
    wrappers: tuple[Expr, ...]
    depth: int
    at: Location | None = None
    """The ``include()`` (or ``path()``) that led here, for what cannot be resolved."""

    def deeper(self, at: Location | None = None) -> UrlScope:
        """The same prefix and wrappers one include level down."""
        return UrlScope(self.prefix, self.wrappers, self.depth + 1, at or self.at)

    def wrapped(self, wrapper: Expr) -> UrlScope:
        """The same scope with ``wrapper`` around every view under it."""
        return UrlScope(self.prefix, (*self.wrappers, wrapper), self.depth, self.at)


class EntryWalker(ABC):
    """Routes from URL entries; the walker of lists and modules subclasses it."""

    def __init__(
        self, tree: SourceTree, builder: ModelBuilder, unresolved: list[Unresolved]
    ) -> None:
        self.tree = tree
        self.builder = builder
        self.unresolved = unresolved
        """What could not be followed (shared with the environment's walker)."""
        self.assumptions: list[str] = []
        """What was assumed to resolve a route (shared with the environment's walker)."""
        self.routes: list[RouteModel] = []
        self.other_tree: SourceTree | None = None
        """The other walker's tree (the environment's for the project's, and back)."""
        self.values: StaticValues | None = None
        """Module constants and settings, for routes and ``if`` tests (None: constants only)."""
        self.admin_site: AdminSiteRoutes | None = None
        """Registrations on ``admin.site``: its URLs become one route per admin view."""

    @abstractmethod
    def _patterns(
        self,
        module: ParsedModule,
        node: ast.expr,
        scope: UrlScope,
        *,
        skip_self: bool = False,
        single: bool = False,
    ) -> None:
        """Routes of a list of patterns (or anything that evaluates to one)."""

    @abstractmethod
    def _include(self, module: ParsedModule, node: ast.Call, scope: UrlScope) -> None:
        """Routes of an ``include(...)``."""

    @abstractmethod
    def _router(self, module: ParsedModule, node: ast.expr, scope: UrlScope) -> None:
        """Routes of ``router.urls``."""

    def _route_text(self, module: ParsedModule, node: ast.expr) -> str:
        """A route built from module constants or settings (``serve_pattern``, ``PREFIX``)."""
        if self.values is not None:
            text = self.values.string(module, node)
        else:
            text = fold_string(node, module.assigns)
        return text if text is not None else DYNAMIC

    def _note(self, kind: str, item: str, reason: str, at: Location | None) -> None:
        found = Unresolved(kind, item, reason, at)
        if found not in self.unresolved:
            self.unresolved.append(found)

    def _short(self, module: ParsedModule, node: ast.expr) -> str:
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.Attribute):
            return node.attr
        return ""

    def _path_func(self, module: ParsedModule, node: ast.expr) -> bool:
        """``path``/``re_path``/``url`` by what the name is, not what it is called here.

        respa's ``from .auth import admin_url as url`` is a project function (it wraps the view
        in a login check), its ``from django.conf.urls import url as unauthorized_url`` is
        Django's ``url``; Django's own, read from site-packages, stays Django's.
        """
        if not isinstance(node, ast.Name):
            return self._short(module, node) in PATH_FUNCS
        dotted = self.tree.resolve_name(module, node.id)
        if dotted != node.id and self.tree.is_local(dotted) and dotted[:7] != "django.":
            return False
        return dotted.rpartition(".")[2] in PATH_FUNCS

    # --- one entry -----------------------------------------------------------------------

    def _entry(self, module: ParsedModule, node: ast.expr, scope: UrlScope) -> None:
        if not isinstance(node, ast.Call) or not self._path_func(module, node.func):
            if isinstance(node, ast.Call | ast.Name | ast.Attribute | ast.BinOp):
                self._patterns(module, node, scope)
            return
        args = list(node.args)
        kwargs = {kw.arg: kw.value for kw in node.keywords if kw.arg}
        route_node = args[0] if args else kwargs.get("route")
        view_node = args[1] if len(args) > 1 else kwargs.get("view")
        if view_node is None:
            return
        route = ""
        if isinstance(route_node, ast.Constant) and isinstance(route_node.value, str):
            route = route_node.value
        elif route_node is not None:
            route = self._route_text(module, route_node)
        name_node = kwargs.get("name")
        name = (
            name_node.value
            if isinstance(name_node, ast.Constant) and isinstance(name_node.value, str)
            else None
        )
        pattern = join_route(scope.prefix, route)
        start = len(self.routes)
        self._view(module, view_node, pattern, name, scope, module.location(node))
        if _loose(self._short(module, node.func), route):
            self.loosen(start)

    def _listed(self, module: ParsedModule, node: ast.Call, scope: UrlScope, short: str) -> None:
        """``i18n_patterns(...)``, ``format_suffix_patterns([...])``, ``patterns("", ...)``."""
        args = node.args[1:] if short == "patterns" else node.args
        start = len(self.routes)
        for arg in args:
            if short == "i18n_patterns":
                self._entry(module, arg, scope)
            else:
                self._patterns(module, arg, scope, skip_self=True)
        if short != "patterns":
            self.loosen(start)  # a language prefix before, or a format suffix after, each path

    def loosen(self, start: int) -> None:
        """The routes added since ``start`` serve paths their pattern does not tell."""
        for index in range(start, len(self.routes)):
            self.routes[index] = dataclasses.replace(self.routes[index], loose=True)

    def _view(
        self,
        module: ParsedModule,
        node: ast.expr,
        pattern: str,
        name: str | None,
        scope: UrlScope,
        declared: Location,
        wrappers: tuple[Expr, ...] = (),
    ) -> None:
        inner = UrlScope(pattern, scope.wrappers + wrappers, scope.depth + 1, declared)
        if isinstance(node, ast.Call):
            short = self._short(module, node.func)
            if short == "include":
                self._include(module, node, inner)
                return
            if list_wrapper(node) is not None:  # decorator_include(login_required, "a.urls")
                self._patterns(module, node, inner)
                return
            if short == "as_view" and isinstance(node.func, ast.Attribute):
                self._class_view(module, node, pattern, name, scope, declared, wrappers)
                return
            if node.args:
                # A decorator applied in urls.py: login_required(views.x), csrf_exempt(...)
                wrapper = self.tree.expr(module, node.func)
                self._view(
                    module, node.args[0], pattern, name, scope, declared, (*wrappers, wrapper)
                )
                return
            self._instance_view(module, node, pattern, name, scope, declared, wrappers)
            return
        if isinstance(node, ast.Tuple | ast.List):
            # include((patterns, app_name)) spelled without include() (Django admin style).
            if node.elts:
                self._patterns(module, node.elts[0], inner)
            return
        if isinstance(node, ast.Attribute) and node.attr == "urls":
            if self._is_admin_site(module, node.value):
                default = self._is_default_site(module, node.value)
                self._admin_route(pattern, name, declared, expand=default)
            else:
                self._router(module, node.value, inner)
            return
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            target: str | None = node.value
        else:
            target = self.tree.dotted_of(module, node)
        if target is None:
            self._add(RouteModel(pattern=pattern, target=None, name=name, declared_at=declared))
            return
        found = self.tree.lookup(target)
        if found is not None and isinstance(found[1], ast.expr):
            # views.py: billing = login_required(BillingView.as_view())
            self._view(found[0], found[1], pattern, name, scope, declared, wrappers)
            return
        built = self.builder.define(target)
        kind: str | None = "type" if isinstance(built, ClassModel) else "function"
        if built is None:
            kind = self._external_kind(target)
        qual = built.qualname if built is not None else target
        self.builder.want(qual)
        self._add(
            RouteModel(
                pattern=pattern,
                target=qual,
                kind=kind,
                name=name,
                wrappers=scope.wrappers + wrappers,
                declared_at=declared,
            )
        )

    def _class_view(
        self,
        module: ParsedModule,
        node: ast.Call,
        pattern: str,
        name: str | None,
        scope: UrlScope,
        declared: Location,
        wrappers: tuple[Expr, ...],
    ) -> None:
        assert isinstance(node.func, ast.Attribute)
        owner = node.func.value
        if isinstance(owner, ast.Call) and not owner.args:
            owner = owner.func  # ImportStorageListFilesAPI().as_view(...): the class
        target = self.tree.dotted_of(module, owner)
        if target is None:
            self._note("view", excerpt(node), "as_view() of a class computed at run time", declared)
            return
        built = self.builder.define(target)
        qual = built.qualname if built is not None else target
        self.builder.want(qual)
        actions: tuple[tuple[str, str], ...] = ()
        if node.args:
            mapping = self.tree.expr(module, node.args[0])
            if isinstance(mapping, Mapping):
                actions = tuple(
                    (k.value.lower(), v.value)
                    for k, v in mapping.items
                    if isinstance(k, Const)
                    and isinstance(k.value, str)
                    and isinstance(v, Const)
                    and isinstance(v.value, str)
                )
        initkwargs = tuple(
            (kw.arg, self.tree.expr(module, kw.value)) for kw in node.keywords if kw.arg
        )
        self._add(
            RouteModel(
                pattern=pattern,
                target=qual,
                kind="type",
                name=name,
                wrappers=scope.wrappers + wrappers,
                initkwargs=initkwargs,
                actions=actions,
                declared_at=declared,
            )
        )

    def _instance_view(
        self,
        module: ParsedModule,
        node: ast.Call,
        pattern: str,
        name: str | None,
        scope: UrlScope,
        declared: Location,
        wrappers: tuple[Expr, ...],
    ) -> None:
        """``path("feed/", LatestFeed())``: an instance of a callable class is the view."""
        target = self.tree.dotted_of(module, node.func)
        built = self.builder.define(target) if target is not None else None
        kind = "type" if isinstance(built, ClassModel) else None
        if target is not None and kind is None:
            kind = self._external_kind(target)
        if target is None or kind != "type":
            self._note("view", excerpt(node), "a view returned by a call", declared)
            return
        qual = built.qualname if built is not None else target
        self.builder.want(qual)
        self._add(
            RouteModel(
                pattern=pattern,
                target=qual,
                kind="type",
                name=name,
                wrappers=scope.wrappers + wrappers,
                declared_at=declared,
            )
        )

    def _external_kind(self, target: str) -> str | None:
        """``type``/``function`` of a view defined outside the project (installed package)."""
        for tree in (self.tree, self.other_tree):
            found = tree.lookup(target) if tree is not None else None
            if found is not None and isinstance(found[1], ast.ClassDef):
                return "type"
            if found is not None and isinstance(found[1], ast.FunctionDef | ast.AsyncFunctionDef):
                return "function"
        return None

    def _is_default_site(self, module: ParsedModule, node: ast.expr) -> bool:
        dotted = self.tree.dotted_of(module, node) or ""
        return dotted.endswith(("admin.site", "admin.sites.site"))

    def _is_admin_site(self, module: ParsedModule, node: ast.expr) -> bool:
        dotted = self.tree.dotted_of(module, node) or ""
        return dotted.endswith(("admin.site", "admin.sites.site")) or dotted.endswith("_site")

    def _add(self, route: RouteModel) -> None:
        self.routes.append(route)

    def _admin_route(
        self, pattern: str, name: str | None, declared: Location | None, *, expand: bool
    ) -> None:
        """``admin.site.urls`` under ``pattern``: every view of the site, or its index alone.

        Only the default site (``expand``) is expanded: its registrations are known.
        """
        if expand and self.admin_site is not None:
            for route in self.admin_site.routes(pattern, declared):
                self._add(route)
            return
        self._add(
            RouteModel(
                pattern=pattern,
                target=ADMIN_SITE,
                kind="type",
                name=name,
                declared_at=declared,
                admin=True,
            )
        )


_CONVERTER = re.compile(r"<(?:\w+:)?\w+>")
_PATH_REGEX_CHARS = re.compile(r"[\\()\[\]*+?{}|^$]")
"""Characters a ``path()`` route takes literally that the route model would read as regex."""


def _loose(func: str, route: str) -> bool:
    """``re_path("secret/")`` (searched: any text may come before it) or ``path("a$/")``."""
    if route in ("", DYNAMIC):
        return False  # an empty regex matches at the start
    if func != "path":
        return not route.startswith("^")
    return bool(_PATH_REGEX_CHARS.search(_CONVERTER.sub("", route)))


def without_dynamic_twins(routes: list[RouteModel]) -> list[RouteModel]:
    """``routes`` without those under an undecidable prefix that are also listed without it.

    ``if not PREFIX: urlpatterns = patterns`` / ``else: [path(PREFIX, include(patterns))]``
    with ``PREFIX`` unknown walks both branches: every route twice, once as ``<dynamic>P``.
    The same ``path()`` line, view, decorators and actions; only a prefix nobody can know
    differs, so the route is listed once (a ``<dynamic>`` route without such a twin stays).
    """
    plain = {r for r in routes if DYNAMIC not in r.pattern}
    kept: list[RouteModel] = []
    for route in routes:
        if route.pattern.startswith(DYNAMIC):
            rest = route.pattern[len(DYNAMIC) :]
            twin = dataclasses.replace(route, pattern=rest)
            if DYNAMIC not in rest and twin in plain:
                continue
        kept.append(route)
    return kept
