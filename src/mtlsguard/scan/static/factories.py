"""Pattern lists built by code, for the URLconf walker: URL factories and installed-app loops.

``*ThingView.get_urls("things")``, ``*get_schedule_urls("schedule", "versioned-")`` and a
module-level ``for app in apps.get_app_configs(): ... patterns.append(...)`` are run by the
bounded :class:`~mtlsguard.scan.static.evaluation.UrlFactoryEvaluator`; the list they build is
then walked like one written out in the URLconf, each route declared where the call (or the
loop) is. What the evaluator cannot run stays unresolved, with the reason.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any

from mtlsguard.scan import walking
from mtlsguard.scan.expressions import Const, Seq
from mtlsguard.scan.static.admin_site import app_package
from mtlsguard.scan.static.app_hooks import hook_function_names, hook_returns, runs_effects
from mtlsguard.scan.static.folding import static_string
from mtlsguard.scan.static.not_static import NotStatic
from mtlsguard.scan.static.routers import RouterRoutes
from mtlsguard.scan.static.source import ParsedModule
from mtlsguard.scan.static.url_entries import EntryWalker, UrlScope

if TYPE_CHECKING:
    from mtlsguard.scan.static.eval_registry import RegistryEvaluator

__all__ = ["FactoryWalker"]


class FactoryWalker(EntryWalker):
    """Walk the lists that URL factories and installed-app loops return."""

    _evaluator: RegistryEvaluator | None = None
    _routers: RouterRoutes

    def _factory(self) -> RegistryEvaluator:
        if self._evaluator is None:
            # The evaluator loads with the first factory or loop to run (most URLconfs have none).
            from mtlsguard.scan.static.eval_registry import RegistryEvaluator

            trees = [self.tree] + ([self.other_tree] if self.other_tree is not None else [])
            site = self.admin_site
            apps = site.apps if site is not None else None
            hooks = (lambda hook: hook_function_names(site, hook)) if site is not None else None
            self._evaluator = RegistryEvaluator(trees, apps, hooks)
            settings = site.settings if site is not None else None
            installed = settings.values.get("INSTALLED_APPS") if settings is not None else None
            # ``settings.INSTALLED_APPS`` is believed only when the settings spell it out whole.
            self._evaluator.apps_exact = (
                installed is not None
                and not installed.conditional
                and isinstance(installed.value, Seq)
                and all(
                    isinstance(i, Const) and isinstance(i.value, str) for i in installed.value.items
                )
            )
            for name, entry in settings.values.items() if settings is not None else ():
                text = static_string(entry.value)
                if text is not None and not entry.conditional:
                    self._evaluator.settings_values[name] = text
        return self._evaluator

    def _factory_patterns(
        self, module: ParsedModule, node: ast.Call, scope: UrlScope
    ) -> str | None:
        """Walk the list the call ``node`` returns; else say where the evaluator stopped."""
        try:
            items = self._factory().call(self.tree, module, node)
        except NotStatic as stopped:
            return f"stopped at: {stopped}"
        except RecursionError:
            return "stopped at: nesting too deep"
        if not self._built_patterns(module, items, node, scope):
            return "stopped at: an item that is not a URL pattern"
        return None

    def _hook_function(self, module: ParsedModule, func: ast.FunctionDef, scope: UrlScope) -> None:
        """What a hook function returns: run when it calls something for its effect first."""
        if runs_effects(func):
            self._hook_function_patterns(module, func, scope)
            return
        for value in hook_returns(func):
            self._patterns(module, value, scope.deeper(module.location(value)))

    def _hook_function_patterns(
        self, module: ParsedModule, func: ast.FunctionDef, scope: UrlScope
    ) -> None:
        """Run a hook function that fills a registry before returning its patterns."""
        evaluator = self._factory()
        try:
            items = evaluator.run_function(self.tree, module, func)
            stopped = None if _patterns_only(items) else "an item that is not a URL pattern"
        except NotStatic as error:
            stopped = str(error)
        except RecursionError:
            stopped = "nesting too deep"
        if stopped is not None:
            reason = "URL patterns returned by a hook function the scanner cannot run"
            self._note(
                "urlpatterns",
                f"{func.name}()",
                f"{reason} (stopped at: {stopped})",
                module.location(func),
            )
            return
        site = self.admin_site
        packages = [app_package(app) for app in site.apps] if site is not None else []
        elsewhere = evaluator.registered_elsewhere(packages)
        if elsewhere is not None:
            # Import-time code runs before any hook: what it registers comes first and is not
            # seen, what the hooks register (the routes below) is there whatever it added.
            reason = (
                f"{', '.join(evaluator.followed)} is also filled at import time ({elsewhere}), "
                "which the scanner does not run: only the routes of what the hooks register "
                "are listed"
            )
            self._note("urlpatterns", f"{func.name}()", reason, module.location(func))
        self._built_patterns(module, items, func, scope)
        new = [text for text in evaluator.assumed if text not in self.assumptions]
        self.assumptions.extend(dict.fromkeys(new))

    def _object_patterns(self, module: ParsedModule, node: ast.expr, scope: UrlScope) -> bool:
        """``api.urls`` of an object the module built above (``api.register_endpoint(...)``)."""
        try:
            value = self._factory().value_at(self.tree, module, node)
        except (NotStatic, RecursionError):
            return False
        if isinstance(value, tuple) and value and isinstance(value[0], list | tuple):
            value = value[0]  # (patterns, app_name[, namespace]), as include() takes it
        if not isinstance(value, list | tuple):
            return False
        return self._built_patterns(module, list(value), node, scope)

    def _loop_patterns(
        self, module: ParsedModule, loop: ast.For, name: str, scope: UrlScope
    ) -> bool:
        """The routes a module-level ``loop`` appends to ``name``; False when it cannot be run."""
        try:
            items = self._factory().loop(self.tree, module, loop, name)
        except (NotStatic, RecursionError):
            return False
        return self._built_patterns(module, items, loop, scope)

    def _loop_settled(self, module: ParsedModule, loop: ast.For, scope: UrlScope) -> bool:
        """Run a module-level loop; False when the evaluator cannot.

        What it appends to ``urlpatterns`` is walked; the modules it imports may register
        viewsets on routers.
        """
        if not self._loop_patterns(module, loop, "urlpatterns", scope):
            return False
        self._plugin_modules(self._factory().imported)
        return True

    def _plugin_modules(self, names: list[str]) -> None:
        """Modules imported for their side effects (router registrations)."""
        known = self._routers.plugin_modules
        known.extend(name for name in names if name not in known)

    def _built_patterns(
        self, module: ParsedModule, items: list[Any], where: ast.AST, scope: UrlScope
    ) -> bool:
        from mtlsguard.scan.static.eval_values import to_node  # loaded with the evaluator

        try:
            node = to_node(items)
        except NotStatic:
            return False
        for sub in walking.walk(node):  # every route is declared at the call (or the loop)
            if isinstance(sub, ast.expr):
                sub.lineno = getattr(where, "lineno", 1)
                sub.col_offset = getattr(where, "col_offset", 0)
        self._patterns(module, node, scope.deeper(module.location(where)))
        return True


def _patterns_only(items: list[Any]) -> bool:
    from mtlsguard.scan.static.eval_values import to_node  # loaded with the evaluator

    try:
        to_node(items)
    except NotStatic:
        return False
    return True
