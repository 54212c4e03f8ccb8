"""Routes that installed apps contribute through hooks rather than through ``urls.py``.

Wagtail's ``for fn in hooks.get_hooks("register_admin_urls"): urlpatterns += fn()`` adds what
each installed app's ``@hooks.register("register_admin_urls")`` function (in its
``wagtail_hooks`` module) returns; django CMS's ``get_app_patterns()`` mounts the URLconfs of
each apphook (``@apphook_pool.register`` classes in ``cms_apps``/``cms_app``) under the CMS
page it is attached to, which only the CMS database knows (``<cms-page>/`` in the route).
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Iterator

from mtlsguard.scan import walking
from mtlsguard.scan.static.admin_site import AdminSiteRoutes, app_package
from mtlsguard.scan.static.source import ParsedModule, SourceTree

__all__ = [
    "CMS_PAGE",
    "cms_apphook_urls",
    "hook_definitions",
    "hook_function_names",
    "hook_returns",
    "runs_effects",
]

CMS_PAGE = "<cms-page>/"
"""Prefix of an apphook's routes: the CMS page it is attached to is decided at run time."""
_APPHOOK_MODULES = ("cms_apps", "cms_app")

Found = tuple[SourceTree, ParsedModule, ast.expr]
"""A value, the tree and the module it is read in."""


def _app_modules(apps: AdminSiteRoutes, suffix: str) -> Iterator[tuple[SourceTree, ParsedModule]]:
    for app in apps.apps:
        name = f"{app_package(app)}.{suffix}"
        tree = next((t for t in apps.trees if t.module_path(name) is not None), None)
        module = tree.load(name) if tree is not None else None
        if tree is not None and module is not None:
            yield tree, module


def hook_returns(func: ast.FunctionDef) -> Iterator[ast.expr]:
    """What a hook function returns, a returned local name replaced by its assigned value."""
    yield from _returned(func)


def hook_definitions(
    apps: AdminSiteRoutes, hook: str
) -> Iterator[tuple[SourceTree, ParsedModule, ast.FunctionDef]]:
    """The installed apps' ``@hooks.register(hook)`` functions."""
    for tree, module in _app_modules(apps, "wagtail_hooks"):
        for node in module.tree.body:
            if isinstance(node, ast.FunctionDef) and _registers_hook(node, hook):
                yield tree, module, node


def runs_effects(func: ast.FunctionDef) -> bool:
    """``func`` calls something for its effect before it returns (``viewsets.populate()``).

    What it returns then depends on that effect: the function is run, not just its ``return``.
    """
    spec = func.args
    if len(spec.defaults) < len(spec.posonlyargs) + len(spec.args) or None in spec.kw_defaults:
        return False  # a hook called with arguments (``construct_admin_api(router)``)
    return any(
        isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
        for node in walking.walk(func)
    ) and any(
        isinstance(node, ast.Return) and node.value is not None for node in walking.walk(func)
    )


def hook_function_names(apps: AdminSiteRoutes, hook: str) -> list[str]:
    """Dotted names of the installed apps' ``@hooks.register(hook)`` functions."""
    return [
        f"{module.name}.{node.name}"
        for _tree, module in _app_modules(apps, "wagtail_hooks")
        for node in module.tree.body
        if isinstance(node, ast.FunctionDef) and _registers_hook(node, hook)
    ]


def cms_apphook_urls(apps: AdminSiteRoutes) -> Iterator[Found]:
    """The URLconfs each django CMS apphook of an installed app serves.

    Module names or modules: its ``urls`` attribute, or what its ``get_urls()`` returns.
    """
    for suffix in _APPHOOK_MODULES:
        for tree, module in _app_modules(apps, suffix):
            for node in module.tree.body:
                if isinstance(node, ast.ClassDef) and _is_apphook(node, module):
                    for value in _apphook_values(node):
                        for item in (
                            value.elts if isinstance(value, ast.List | ast.Tuple) else [value]
                        ):
                            yield tree, module, item


def _is_apphook(node: ast.ClassDef, module: ParsedModule) -> bool:
    """``@apphook_pool.register`` on the class, or ``apphook_pool.register(Class)`` below it."""
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Attribute) and target.attr == "register":
            return True
    for stmt in module.tree.body:
        call = stmt.value if isinstance(stmt, ast.Expr) else None
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr == "register"
            and any(isinstance(a, ast.Name) and a.id == node.name for a in call.args)
        ):
            return True
    return False


def _apphook_values(node: ast.ClassDef) -> Iterator[ast.expr]:
    for stmt in node.body:
        if isinstance(stmt, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "urls" for t in stmt.targets
        ):
            yield stmt.value
        elif isinstance(stmt, ast.FunctionDef) and stmt.name == "get_urls":
            yield from _returned(stmt)


def _registers_hook(func: ast.FunctionDef, hook: str) -> bool:
    """``@hooks.register("register_admin_urls")`` on ``func``."""
    return any(
        isinstance(d, ast.Call)
        and isinstance(d.func, ast.Attribute)
        and d.func.attr == "register"
        and bool(d.args)
        and isinstance(d.args[0], ast.Constant)
        and d.args[0].value == hook
        for d in func.decorator_list
    )


def _returned(func: ast.FunctionDef) -> Iterator[ast.expr]:
    """The values ``func`` returns, a returned local name replaced by its assigned value."""
    local: dict[str, ast.expr] = {}
    for node in walking.walk(func):
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            local[node.targets[0].id] = node.value
    for node in walking.walk(func):
        if isinstance(node, ast.Return) and node.value is not None:
            value: ast.expr = _Inline(local).visit(copy.deepcopy(node.value))
            yield value


class _Inline(ast.NodeTransformer):
    """Replace the function's local names by the values assigned to them (a few levels)."""

    def __init__(self, local: dict[str, ast.expr], depth: int = 0) -> None:
        self.local = local
        self.depth = depth

    def visit_Name(self, node: ast.Name) -> ast.AST:
        value = self.local.get(node.id)
        if value is None or self.depth > 3:
            return node
        inlined: ast.AST = _Inline(self.local, self.depth + 1).visit(copy.deepcopy(value))
        return inlined
