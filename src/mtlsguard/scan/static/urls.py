"""Static URLconf walker: ``urlpatterns`` -> :class:`RouteModel` list.

Understands ``path``/``re_path``/``url``, ``include()`` of modules, module objects,
``(patterns, app_name)`` tuples, lists and ``admin.site.urls``, ``urlpatterns +=``/``.append``/
``.extend``/list concatenation, ``i18n_patterns``/``format_suffix_patterns``, views wrapped by
decorators in urls.py, ``View.as_view(**initkwargs)``, ``ViewSet.as_view({...})``, routers'
``router.urls``/``get_urls()`` (routes derived by :mod:`~mtlsguard.scan.static.routers`), URL-level
wrappers (:mod:`.url_helpers`) and ``include()`` of installed packages (through a second walker
over the environment's ``site-packages``). Whatever it cannot follow is recorded as
:class:`~mtlsguard.findings.model.Unresolved` with the reason: nothing is dropped silently.
"""

from __future__ import annotations

import ast
import dataclasses

from mtlsguard.findings.model import Unresolved
from mtlsguard.scan.project_model import Expr, RouteModel
from mtlsguard.scan.static.admin_site import AdminSiteRoutes
from mtlsguard.scan.static.app_hooks import CMS_PAGE, cms_apphook_urls, hook_definitions
from mtlsguard.scan.static.builder import ModelBuilder
from mtlsguard.scan.static.conditions import StaticValues
from mtlsguard.scan.static.debug_routes import debug_only_since
from mtlsguard.scan.static.factories import FactoryWalker
from mtlsguard.scan.static.routers import RouterRoutes, join_route
from mtlsguard.scan.static.source import ParsedModule, SourceTree
from mtlsguard.scan.static.url_entries import (
    LOOP_NOTE,
    MAX_INCLUDE_DEPTH,
    NOT_FOUND,
    NOT_STATIC,
    UrlScope,
    excerpt,
    loop_header,
    without_dynamic_twins,
)
from mtlsguard.scan.static.url_helpers import (
    DEV_ONLY_HELPERS,
    DEV_ONLY_PACKAGES,
    adds_routes_at_run_time,
    development_route,
    earlier_binding,
    hook_loop,
    list_mutations,
    list_wrapper,
    loop_wrapper,
)

__all__ = ["UrlConfWalker"]


class UrlConfWalker(FactoryWalker):
    """Walk a URLconf and its includes, producing routes and queuing their views."""

    def __init__(
        self,
        tree: SourceTree,
        builder: ModelBuilder,
        *,
        environment: SourceTree | None = None,
        unresolved: list[Unresolved] | None = None,
        _project: UrlConfWalker | None = None,
    ) -> None:
        super().__init__(tree, builder, unresolved if unresolved is not None else [])
        self._active: set[str] = _project._active if _project else set()
        self._routers = RouterRoutes(tree, builder, self.unresolved)
        self._starts: list[int] = []
        self._other: UrlConfWalker | None = _project
        if _project is not None:
            self.routes = _project.routes  # one inventory, whichever tree a route came from
            self.assumptions = _project.assumptions
            self.other_tree = _project.tree
        elif environment is not None:
            self._other = UrlConfWalker(
                environment, builder, unresolved=self.unresolved, _project=self
            )
            self.other_tree = environment

    def list_admin_site(self, admin_site: AdminSiteRoutes) -> None:
        """Read the installed apps and settings of ``admin_site`` from now on.

        ``admin.site.urls`` becomes every admin view; ``if settings.X`` tests and routes built
        from settings are evaluated.
        """
        self.admin_site = admin_site
        self.values = StaticValues(self.tree, admin_site.settings)
        if self._other is not None:
            self._other.admin_site = admin_site
            self._other.values = StaticValues(self._other.tree, admin_site.settings)

    def walk(self, urlconf: str) -> list[RouteModel]:
        """Routes of the URLconf module ``urlconf`` (and everything it includes)."""
        if not self.knows(urlconf) and not (self._other and self._other.knows(urlconf)):
            self._note("urlconf", urlconf, "the root URLconf module is not in the project", None)
            return self.routes
        self._module(urlconf, UrlScope("", (), 0))
        self.routes[:] = without_dynamic_twins(self.routes)
        return self.routes

    # --- modules and lists ---------------------------------------------------------------

    def _module(self, name: str, scope: UrlScope, *, delegate: bool = True) -> None:
        if scope.depth > MAX_INCLUDE_DEPTH or name in self._active:
            return
        if name.split(".", 1)[0] in DEV_ONLY_PACKAGES and not self._is_module(name):
            return
        module = self.tree.load(name)
        if module is None:
            if self.tree.module_path(name) is not None:
                self._note("file", name, "on a route's path but could not be parsed", scope.at)
            elif delegate and self._other is not None and self._other.knows(name):
                self._other._module(name, scope, delegate=False)
            elif delegate:
                self._note("include", name, NOT_FOUND, scope.at)
            return
        self._active.add(name)
        self._starts.append(len(self.routes))
        try:
            self._inherited_patterns(module, scope)
            for stmt in module.tree.body:
                self._statement(module, stmt, scope)
        finally:
            self._active.discard(name)
            self._starts.pop()

    def _inherited_patterns(self, module: ParsedModule, scope: UrlScope) -> None:
        """``from .base_urls import urlpatterns`` (or ``*``): the patterns ``+=`` extends."""
        if "urlpatterns" in module.assigns:
            return
        target = self.tree.resolve_name(module, "urlpatterns")
        if target != "urlpatterns":
            self._dotted_patterns(target, scope.deeper())
        else:
            self._note("urlpatterns", module.name, "the URLconf defines no urlpatterns", scope.at)

    def _hook_routes(self, hook: str, scope: UrlScope) -> None:
        """Routes the installed apps' ``@hooks.register(hook)`` functions return."""
        assert self.admin_site is not None
        for tree, module, func in hook_definitions(self.admin_site, hook):
            walker = self if tree is self.tree else self._other
            if walker is not None:
                walker._hook_function(module, func, scope)

    def _development_routes(self, module: ParsedModule, node: ast.Call, scope: UrlScope) -> None:
        """``static(settings.MEDIA_URL)``, ``staticfiles_urlpatterns()`` under ``DEBUG = True``.

        Without it (production settings) Django's helpers add nothing, and neither does this.
        """
        settings = self.admin_site.settings if self.admin_site is not None else None
        found = development_route(node, settings)
        if found is not None:
            pattern, view = found
            self._add(
                RouteModel(
                    pattern=join_route(scope.prefix, pattern),
                    target=view,
                    kind="function",
                    wrappers=scope.wrappers,
                    declared_at=module.location(node),
                    debug_only=True,  # Django's static() adds nothing unless DEBUG
                )
            )

    def _apphook_routes(self, scope: UrlScope) -> None:
        """Django CMS ``get_app_patterns()``: each apphook's URLconf under its CMS page."""
        assert self.admin_site is not None
        page = UrlScope(join_route(scope.prefix, CMS_PAGE), scope.wrappers, scope.depth + 1)
        for tree, module, value in cms_apphook_urls(self.admin_site):
            walker = self if tree is self.tree else self._other
            if walker is None:
                continue
            at = module.location(value)
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                walker._module(value.value, page.deeper(at))
            else:
                walker._patterns(module, value, page.deeper(at))

    def _is_module(self, dotted: str) -> bool:
        """``dotted`` is a module of the project or of the environment."""
        if self.tree.module_path(dotted) is not None:
            return True
        return self.other_tree is not None and self.other_tree.module_path(dotted) is not None

    def knows(self, dotted: str) -> bool:
        """``dotted`` is a module, or a top-level value, of this walker's tree."""
        if self.tree.module_path(dotted) is not None:
            return True
        found = self.tree.lookup(dotted)
        return found is not None and isinstance(found[1], ast.expr)

    def _wrap_module_routes(self, wrapper: Expr) -> None:
        """A URL-level decorator over the routes the current module produced so far."""
        start = self._starts[-1] if self._starts else 0
        for index in range(start, len(self.routes)):
            route = self.routes[index]
            self.routes[index] = dataclasses.replace(route, wrappers=(wrapper, *route.wrappers))

    def _statement(self, module: ParsedModule, stmt: ast.stmt, scope: UrlScope) -> None:
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
        elif isinstance(stmt, ast.If):
            # The branch the evaluated settings take; both when it cannot be known.
            holds = self.values.truth(module, stmt.test) if self.values is not None else None
            start = len(self.routes)
            for sub in stmt.body if holds is not False else ():
                self._statement(module, sub, scope)
            debug_only_since(self.routes, start, stmt.test)
            for sub in stmt.orelse if holds is not True else ():
                self._statement(module, sub, scope)
        elif isinstance(stmt, ast.Try):
            for sub in stmt.body + stmt.orelse:
                self._statement(module, sub, scope)
        elif isinstance(stmt, ast.For | ast.While):
            wrapper = loop_wrapper(stmt) if isinstance(stmt, ast.For) else None
            hook = hook_loop(stmt) if isinstance(stmt, ast.For) else None
            if wrapper is not None:
                self._wrap_module_routes(self.tree.expr(module, wrapper))
            elif hook is not None and self.admin_site is not None:
                self._hook_routes(hook, scope)
            elif adds_routes_at_run_time(stmt) and not (
                isinstance(stmt, ast.For) and self._loop_settled(module, stmt, scope)
            ):
                self._note("urlpatterns", loop_header(stmt), LOOP_NOTE, module.location(stmt))

    def _patterns(
        self,
        module: ParsedModule,
        node: ast.expr,
        scope: UrlScope,
        *,
        skip_self: bool = False,
        single: bool = False,
    ) -> None:
        if scope.depth > MAX_INCLUDE_DEPTH:
            return  # self-including or absurdly nested URLconf
        if single:
            self._entry(module, node, scope)
        elif isinstance(node, ast.List | ast.Tuple | ast.Set):  # a set: ma-cantine's API
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
            if dotted is not None and self._is_module(dotted):
                # ``include((pretix.control.urls, "control"))``: a module, not router.urls
                self._module(dotted, scope.deeper())
            elif node.attr == "urls":
                self._router(module, node.value, scope)
            else:
                self._named_patterns(module, node, scope)
        elif isinstance(node, ast.IfExp):
            # ``[path(...)] if FEATURE else []``: either may be served, so both are listed
            self._patterns(module, node.body, scope, skip_self=skip_self)
            self._patterns(module, node.orelse, scope, skip_self=skip_self)
        elif isinstance(node, ast.Call):
            short = self._short(module, node.func)
            if short in ("i18n_patterns", "format_suffix_patterns", "patterns"):
                self._listed(module, node, scope, short)
            elif self._path_func(module, node.func):
                self._entry(module, node, scope)
            elif short == "copy" and isinstance(node.func, ast.Attribute) and not node.args:
                self._patterns(module, node.func.value, scope)  # v1_urlpatterns.copy()
            else:
                self._call_patterns(module, node, scope, skip_self=skip_self)
        else:
            self._note("urlpatterns", excerpt(node), NOT_STATIC, module.location(node))

    def _call_patterns(
        self, module: ParsedModule, node: ast.Call, scope: UrlScope, *, skip_self: bool
    ) -> None:
        """A call that returns patterns: a list wrapper, a dev-only helper, or unresolved."""
        short = self._short(module, node.func)
        wrapped = list_wrapper(node)
        if wrapped is not None:
            wrapper = self.tree.expr(module, wrapped.wrapper)
            first = wrapped.patterns
            if isinstance(first, ast.Name) and first.id == "urlpatterns" and skip_self:
                self._wrap_module_routes(wrapper)  # urlpatterns = decorate(urlpatterns, w)
            elif wrapped.include:
                include = ast.Call(ast.Name("include"), [first], [])
                self._include(module, include, scope.wrapped(wrapper))
            else:
                self._patterns(module, first, scope.wrapped(wrapper))
        elif short in DEV_ONLY_HELPERS:
            self._development_routes(module, node, scope)
        elif short == "get_app_patterns" and self.admin_site is not None:
            self._apphook_routes(scope)
        elif short == "get_urls" and (
            routed := self._routers.called(module, node, scope.prefix, scope.wrappers)
        ):
            self.routes.extend(routed)  # router.get_urls(): what router.urls would list
        else:
            stopped = self._factory_patterns(module, node, scope)
            if stopped is not None:
                reason = "URL patterns returned by a call the scanner does not evaluate"
                where = module.location(node)
                self._note("urlpatterns", excerpt(node), f"{reason} ({stopped})", where)

    def _extended(self, module: ParsedModule, name: str, scope: UrlScope) -> None:
        """``extra += [...]``/``extra.append(...)`` after ``extra = [...]`` in its module."""
        values = self.values
        truth = (lambda test: values.truth(module, test)) if values is not None else None
        for mutation in list_mutations(module.tree.body, name, truth):
            where = module.location(mutation.statement)
            if mutation.value is None:
                loop = mutation.statement
                assert isinstance(loop, ast.For | ast.While)
                if not (
                    isinstance(loop, ast.For) and self._loop_patterns(module, loop, name, scope)
                ):
                    self._note("urlpatterns", loop_header(loop), LOOP_NOTE, where)
            else:
                self._patterns(module, mutation.value, scope, single=mutation.single)

    def _named_patterns(self, module: ParsedModule, node: ast.expr, scope: UrlScope) -> None:
        # ``x = [path("a/", include(x))]``: the x before, with what x.append(), x += added
        if isinstance(node, ast.Name) and (earlier := earlier_binding(module, node)) is not None:
            self._patterns(module, earlier, scope.deeper(module.location(node)))
            return self._extended(module, node.id, scope.deeper(module.location(node)))
        dotted = self.tree.dotted_of(module, node)
        if dotted is None:
            self._note("urlpatterns", excerpt(node), NOT_STATIC, module.location(node))
            return
        self._dotted_patterns(dotted, scope.deeper(module.location(node)))

    def _dotted_patterns(self, dotted: str, scope: UrlScope, *, delegate: bool = True) -> None:
        """The patterns named ``dotted``: a module, a module's ``urlpatterns`` or a list."""
        modname, _, attr = dotted.rpartition(".")
        if attr == "urlpatterns" and self.tree.module_path(modname) is not None:
            self._module(modname, scope)  # every statement, ``urlpatterns +=`` included
            return
        found = self.tree.lookup(dotted)
        if found is not None and isinstance(found[1], ast.expr):
            self._patterns(found[0], found[1], scope)
            self._extended(found[0], attr, scope)
        elif self.tree.module_path(dotted) is not None:
            self._module(dotted, scope)
        elif delegate and self._other is not None and self._other.knows(dotted):
            self._other._dotted_patterns(dotted, scope, delegate=False)
        elif delegate:
            self._note("urlpatterns", dotted, NOT_FOUND, scope.at)

    def _include(self, module: ParsedModule, node: ast.Call, scope: UrlScope) -> None:
        if not node.args:
            self._note("include", excerpt(node), "include() without arguments", scope.at)
            return
        arg = node.args[0]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            self._module(arg.value, scope)
        elif isinstance(arg, ast.Tuple | ast.List):
            if not arg.elts:
                return  # include([]): a factory whose feature is off serves nothing
            first = arg.elts[0]
            if (
                isinstance(arg, ast.Tuple)
                and isinstance(first, ast.Constant)
                and isinstance(first.value, str)
            ):
                self._module(first.value, scope)  # include(("app.urls", "app_name"))
                return
            kinds = ast.List | ast.Name | ast.Attribute | ast.BinOp | ast.Call  # or a factory's
            if isinstance(arg, ast.Tuple) and isinstance(first, kinds):
                self._patterns(module, first, scope, skip_self=False)
            else:
                self._patterns(module, arg, scope)
        elif (
            isinstance(arg, ast.Attribute)
            and arg.attr == "urls"
            and not self._is_module(self.tree.dotted_of(module, arg) or "")
        ):
            if self._is_admin_site(module, arg.value):
                default = self._is_default_site(module, arg.value)
                self._admin_route(scope.prefix, None, scope.at, expand=default)
                return
            self._router(module, arg.value, scope)
        elif isinstance(arg, ast.Name | ast.Attribute):
            dotted = self.tree.dotted_of(module, arg)
            if dotted is None:
                self._note("include", excerpt(node), NOT_STATIC, scope.at)
            elif self.tree.module_path(dotted) is not None:
                self._module(dotted, scope)
            else:
                self._named_patterns(module, arg, scope)
        elif isinstance(arg, ast.Call | ast.BinOp):  # include(required(...)), include(a + b)
            self._patterns(module, arg, scope)
        else:
            self._note("include", excerpt(node), NOT_STATIC, scope.at)

    def _is_external(self, module: ParsedModule, dotted: str) -> bool:
        """``dotted`` is imported by ``module`` from outside the project (not installed)."""
        imported = {target.split(".", 1)[0] for target in module.imports.values()}
        return dotted.split(".", 1)[0] in imported and not self.tree.is_local(dotted)

    def _router(self, module: ParsedModule, node: ast.expr, scope: UrlScope) -> None:
        """``router.urls``: the routes of every viewset registered on ``router``."""
        dotted = self.tree.dotted_of(module, node)
        missing = dotted is not None and self.tree.lookup(dotted) is None
        if dotted is not None and missing and self._is_external(module, dotted):
            if dotted.split(".", 1)[0] not in DEV_ONLY_PACKAGES:
                self._note("include", f"{dotted}.urls", NOT_FOUND, scope.at)
            return
        if dotted is None or self.tree.lookup(dotted) is None:
            self._note(
                "urlpatterns",
                f"{excerpt(node)}.urls",
                "a router the scanner cannot find (not a module-level variable)",
                module.location(node),
            )
            return
        routes = self._routers.routes(module, node, scope.prefix, scope.wrappers)
        urls = ast.copy_location(ast.Attribute(node, "urls", ast.Load()), node)
        unreadable = dotted in self._routers.unreadable  # already listed, with its reason
        if not routes and not unreadable and not self._object_patterns(module, urls, scope):
            # django-ninja's NinjaAPI().urls, tastypie's Api().urls, or a router filled in a
            # loop: URLs exist at run time, none that the scanner can enumerate.
            self._note(
                "urlpatterns",
                f"{excerpt(node)}.urls",
                "an object that builds its URLs at run time (no router.register() the scanner "
                "can see)",
                module.location(node),
            )
        self.routes.extend(routes)
