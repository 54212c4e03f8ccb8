"""Static URLconf walker: ``urlpatterns`` -> :class:`RouteModel` list.

Understands ``path``/``re_path``/``url``, ``include()`` of modules, module objects,
``(patterns, app_name)`` tuples, lists and ``admin.site.urls``, ``urlpatterns +=``/``.append``/
``.extend``/list concatenation, ``i18n_patterns``/``format_suffix_patterns``, views wrapped by
decorators in urls.py, ``View.as_view(**initkwargs)``, ``ViewSet.as_view({...})`` and DRF
routers' ``router.urls`` (whose routes :mod:`~mtlsguard.scan.static.routers` derives).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from mtlsguard.findings.model import Location
from mtlsguard.scan.project_model import ClassModel, Const, Expr, Mapping, RouteModel
from mtlsguard.scan.static.builder import ModelBuilder
from mtlsguard.scan.static.routers import RouterRoutes, join_route
from mtlsguard.scan.static.source import ParsedModule, SourceTree

__all__ = ["UrlConfWalker"]

_PATH_FUNCS = frozenset({"path", "re_path", "url"})
_MAX_INCLUDE_DEPTH = 16


@dataclass(frozen=True, slots=True)
class _Scope:
    prefix: str
    wrappers: tuple[Expr, ...]
    depth: int


class UrlConfWalker:
    """Walk a URLconf and its includes, producing routes and queuing their views."""

    def __init__(self, tree: SourceTree, builder: ModelBuilder) -> None:
        self.tree = tree
        self.builder = builder
        self.routes: list[RouteModel] = []
        self._active: set[str] = set()
        self._routers = RouterRoutes(tree, builder)

    def walk(self, urlconf: str) -> list[RouteModel]:
        """Routes of the URLconf module ``urlconf`` (and everything it includes)."""
        self._module(urlconf, _Scope("", (), 0))
        return self.routes

    # --- modules and lists ---------------------------------------------------------------

    def _module(self, name: str, scope: _Scope) -> None:
        if scope.depth > _MAX_INCLUDE_DEPTH or name in self._active:
            return
        module = self.tree.load(name)
        if module is None:
            return
        self._active.add(name)
        try:
            for stmt in module.tree.body:
                self._statement(module, stmt, scope)
        finally:
            self._active.discard(name)

    def _statement(self, module: ParsedModule, stmt: ast.stmt, scope: _Scope) -> None:
        if isinstance(stmt, ast.Assign):
            if any(isinstance(t, ast.Name) and t.id == "urlpatterns" for t in stmt.targets):
                self._patterns(module, stmt.value, scope, skip_self=True)
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            if isinstance(stmt.target, ast.Name) and stmt.target.id == "urlpatterns":
                self._patterns(module, stmt.value, scope, skip_self=True)
        elif isinstance(stmt, ast.AugAssign):
            if isinstance(stmt.target, ast.Name) and stmt.target.id == "urlpatterns":
                self._patterns(module, stmt.value, scope)
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            func = stmt.value.func
            if (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id == "urlpatterns"
                and func.attr in ("append", "extend", "insert")
                and stmt.value.args
            ):
                self._patterns(module, stmt.value.args[-1], scope, single=func.attr != "extend")
        elif isinstance(stmt, ast.If | ast.Try):
            for sub in stmt.body + stmt.orelse:
                self._statement(module, sub, scope)

    def _patterns(
        self,
        module: ParsedModule,
        node: ast.expr,
        scope: _Scope,
        *,
        skip_self: bool = False,
        single: bool = False,
    ) -> None:
        if scope.depth > _MAX_INCLUDE_DEPTH:
            return  # self-including or absurdly nested URLconf
        if single:
            self._entry(module, node, scope)
        elif isinstance(node, ast.List | ast.Tuple):
            for elt in node.elts:
                if isinstance(elt, ast.Starred):
                    self._patterns(module, elt.value, scope)
                else:
                    self._entry(module, elt, scope)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            self._patterns(module, node.left, scope, skip_self=skip_self)
            self._patterns(module, node.right, scope, skip_self=skip_self)
        elif isinstance(node, ast.Name):
            if node.id == "urlpatterns" and skip_self:
                return  # ``urlpatterns = urlpatterns + [...]``: earlier statements counted
            self._named_patterns(module, node, scope)
        elif isinstance(node, ast.Attribute):
            dotted = self.tree.dotted_of(module, node)
            if dotted is not None and self.tree.module_path(dotted) is not None:
                # ``include((pretix.control.urls, "control"))``: a module, not router.urls
                self._module(dotted, _Scope(scope.prefix, scope.wrappers, scope.depth + 1))
            elif node.attr == "urls":
                self._router(module, node.value, scope)
            else:
                self._named_patterns(module, node, scope)
        elif isinstance(node, ast.Call):
            short = self._short(module, node.func)
            if short in ("i18n_patterns", "format_suffix_patterns", "patterns"):
                args = node.args[1:] if short == "patterns" else node.args
                for arg in args:
                    if short == "i18n_patterns":
                        self._entry(module, arg, scope)
                    else:
                        self._patterns(module, arg, scope, skip_self=True)
            elif short in _PATH_FUNCS:
                self._entry(module, node, scope)

    def _named_patterns(self, module: ParsedModule, node: ast.expr, scope: _Scope) -> None:
        dotted = self.tree.dotted_of(module, node)
        if dotted is None:
            return
        found = self.tree.lookup(dotted)
        if found is not None and isinstance(found[1], ast.expr):
            self._patterns(
                found[0], found[1], _Scope(scope.prefix, scope.wrappers, scope.depth + 1)
            )
        elif self.tree.module_path(dotted) is not None:
            self._module(dotted, _Scope(scope.prefix, scope.wrappers, scope.depth + 1))

    def _short(self, module: ParsedModule, node: ast.expr) -> str:
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.Attribute):
            return node.attr
        return ""

    # --- one entry -----------------------------------------------------------------------

    def _entry(self, module: ParsedModule, node: ast.expr, scope: _Scope) -> None:
        if not isinstance(node, ast.Call) or self._short(module, node.func) not in _PATH_FUNCS:
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
            route = "<dynamic>"
        name_node = kwargs.get("name")
        name = (
            name_node.value
            if isinstance(name_node, ast.Constant) and isinstance(name_node.value, str)
            else None
        )
        pattern = join_route(scope.prefix, route)
        self._view(module, view_node, pattern, name, scope, module.location(node))

    def _view(
        self,
        module: ParsedModule,
        node: ast.expr,
        pattern: str,
        name: str | None,
        scope: _Scope,
        declared: Location,
        wrappers: tuple[Expr, ...] = (),
    ) -> None:
        inner = _Scope(pattern, scope.wrappers + wrappers, scope.depth + 1)
        if isinstance(node, ast.Call):
            short = self._short(module, node.func)
            if short == "include":
                self._include(module, node, inner)
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
            return
        if isinstance(node, ast.Tuple | ast.List):
            # include((patterns, app_name)) spelled without include() (Django admin style).
            if node.elts:
                self._patterns(module, node.elts[0], inner)
            return
        if isinstance(node, ast.Attribute) and node.attr == "urls":
            if self._is_admin_site(module, node.value):
                self._add(
                    RouteModel(
                        pattern=pattern,
                        target="django.contrib.admin.sites.AdminSite",
                        kind="type",
                        name=name,
                        declared_at=declared,
                        admin=True,
                    )
                )
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
        kind = "type" if isinstance(built, ClassModel) else "function"
        qual = built.qualname if built is not None else target
        self.builder.want(qual)
        self._add(
            RouteModel(
                pattern=pattern,
                target=qual,
                kind=kind if built is not None else None,
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
        scope: _Scope,
        declared: Location,
        wrappers: tuple[Expr, ...],
    ) -> None:
        assert isinstance(node.func, ast.Attribute)
        target = self.tree.dotted_of(module, node.func.value)
        if target is None:
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

    def _include(self, module: ParsedModule, node: ast.Call, scope: _Scope) -> None:
        if not node.args:
            return
        arg = node.args[0]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            self._module(arg.value, scope)
        elif isinstance(arg, ast.Tuple | ast.List) and arg.elts:
            first = arg.elts[0]
            if (
                isinstance(arg, ast.Tuple)
                and isinstance(first, ast.Constant)
                and isinstance(first.value, str)
            ):
                self._module(first.value, scope)  # include(("app.urls", "app_name"))
                return
            if isinstance(arg, ast.Tuple) and isinstance(
                first, ast.List | ast.Name | ast.Attribute | ast.BinOp
            ):
                self._patterns(module, first, scope, skip_self=False)
            else:
                self._patterns(module, arg, scope)
        elif (
            isinstance(arg, ast.Attribute)
            and arg.attr == "urls"
            and self.tree.module_path(self.tree.dotted_of(module, arg) or "") is None
        ):
            if self._is_admin_site(module, arg.value):
                return
            self._router(module, arg.value, scope)
        elif isinstance(arg, ast.Name | ast.Attribute):
            dotted = self.tree.dotted_of(module, arg)
            if dotted is None:
                return
            if self.tree.module_path(dotted) is not None:
                self._module(dotted, scope)
            else:
                self._named_patterns(module, arg, scope)

    def _is_admin_site(self, module: ParsedModule, node: ast.expr) -> bool:
        dotted = self.tree.dotted_of(module, node) or ""
        return dotted.endswith(("admin.site", "admin.sites.site")) or dotted.endswith("_site")

    def _router(self, module: ParsedModule, node: ast.expr, scope: _Scope) -> None:
        """``router.urls``: the routes of every viewset registered on ``router``."""
        self.routes.extend(self._routers.routes(module, node, scope.prefix, scope.wrappers))

    def _add(self, route: RouteModel) -> None:
        self.routes.append(route)
