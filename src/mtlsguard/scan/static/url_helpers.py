"""URL-level helpers the URLconf walker recognises by shape, not by package.

Projects wrap whole lists of patterns: Wagtail's ``decorate_urlpatterns(urlpatterns,
require_admin_access)``, django-decorator-include's ``decorator_include(login_required,
"app.urls")``, django-required's ``required(login_required, patterns)``, or a loop that
rebinds each pattern's callback (``for p in urlpatterns: p.callback = staff(p.callback)``).
Each wrapper is recorded on every route it covers as if it decorated the view.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass

from mtlsguard.scan import walking
from mtlsguard.scan.project_model import Const, SettingsModel
from mtlsguard.scan.static.folding import static_string
from mtlsguard.scan.static.modules import ParsedModule

__all__ = [
    "DEV_ONLY_HELPERS",
    "DEV_ONLY_PACKAGES",
    "ListWrapper",
    "earlier_binding",
    "list_wrapper",
    "loop_wrapper",
]

DEV_ONLY_HELPERS = frozenset({"static", "staticfiles_urlpatterns", "debug_toolbar_urls"})
"""Calls that add development-only patterns (static files, the debug toolbar): no routes
in production, so nothing is unresolved when they are skipped."""

DEV_ONLY_PACKAGES = frozenset({"debug_toolbar", "silk", "django_browser_reload"})
"""Packages whose URLs only development setups include (under ``if settings.DEBUG``): when
they are not installed where the scanner runs, their ``include()`` is not unresolved."""

_CALLBACK_ATTRS = frozenset({"callback", "_callback"})


@dataclass(frozen=True, slots=True)
class ListWrapper:
    """A call that applies ``wrapper`` to every pattern of ``patterns``."""

    patterns: ast.expr
    """The patterns (a list, a name, or a module for ``decorator_include``)."""
    wrapper: ast.expr
    """The decorator applied to each view."""
    include: bool
    """``decorator_include``: ``patterns`` is what ``include()`` would take."""


def _short(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def list_wrapper(call: ast.Call) -> ListWrapper | None:
    """The wrapper a pattern-list helper call applies, if ``call`` is one."""
    name = _short(call.func)
    if len(call.args) < 2:
        return None
    if name == "decorator_include":
        return ListWrapper(call.args[1], call.args[0], include=True)
    if name == "required":
        return ListWrapper(call.args[1], call.args[0], include=False)
    if "decorate" in name and ("pattern" in name or "url" in name):
        return ListWrapper(call.args[0], call.args[1], include=False)
    return None


def loop_wrapper(loop: ast.For) -> ast.expr | None:
    """``for p in urlpatterns: p.callback = wrapper(p.callback)``: the wrapper, if so."""
    if not (isinstance(loop.iter, ast.Name) and loop.iter.id == "urlpatterns"):
        return None
    for stmt in walking.walk(loop):
        if not isinstance(stmt, ast.Assign) or not isinstance(stmt.value, ast.Call):
            continue
        target = stmt.targets[0]
        if isinstance(target, ast.Attribute) and target.attr in _CALLBACK_ATTRS:
            return stmt.value.func
    return None


_ROUTE_CALLS = frozenset({"path", "re_path", "url", "include", "register", "import_module"})
_MUTATORS = frozenset({"append", "extend", "insert"})


def adds_routes_at_run_time(loop: ast.For | ast.While) -> bool:
    """A module-level loop that builds routes the scanner cannot enumerate.

    ``for app in apps.get_app_configs(): ... include(...)``, ``router.register`` or
    ``import_module(app.name + ".urls")`` for each plugin, or appending to a pattern list:
    what it adds depends on what is installed when the project runs.
    """
    for node in walking.walk(loop):
        if isinstance(node, ast.AugAssign):
            return True
        if isinstance(node, ast.Call):
            name = _short(node.func)
            if name in _ROUTE_CALLS or name in _MUTATORS:
                return True
    return False


def hook_loop(loop: ast.For) -> str | None:
    """``for fn in hooks.get_hooks("register_admin_urls")``: the hook's name, if so."""
    call = loop.iter
    if (
        isinstance(call, ast.Call)
        and _short(call.func) == "get_hooks"
        and call.args
        and isinstance(call.args[0], ast.Constant)
        and isinstance(call.args[0].value, str)
    ):
        return call.args[0].value
    return None


_STATIC_VIEWS = {
    "static": "django.views.static.serve",
    "staticfiles_urlpatterns": "django.contrib.staticfiles.views.serve",
}


def development_route(call: ast.Call, settings: SettingsModel | None) -> tuple[str, str] | None:
    """The route ``static(prefix)``/``staticfiles_urlpatterns()`` adds, and its view.

    Only with ``DEBUG = True`` in the settings and a local prefix, as Django's helpers do:
    ``^media/(?P<path>.*)$`` served by ``django.views.static.serve``.
    """
    name = _short(call.func)
    debug = settings.get("DEBUG") if settings is not None else None
    if name not in _STATIC_VIEWS or debug is None or debug.value != Const(True) or settings is None:
        return None
    if name == "static":
        prefix_node = call.args[0] if call.args else None
    else:
        prefix_node = call.args[0] if call.args else ast.Name("STATIC_URL")
    if isinstance(prefix_node, ast.Attribute):
        prefix_node = ast.Name(prefix_node.attr)  # settings.MEDIA_URL
    prefix: str | None = None
    if isinstance(prefix_node, ast.Constant) and isinstance(prefix_node.value, str):
        prefix = prefix_node.value
    elif isinstance(prefix_node, ast.Name):
        setting = settings.get(prefix_node.id)
        prefix = static_string(setting.value) if setting is not None else None
    if not prefix or "://" in prefix or prefix.startswith("//"):
        return None
    return rf"^{re.escape(prefix.lstrip('/'))}(?P<path>.*)$", _STATIC_VIEWS[name]


@dataclass(frozen=True, slots=True)
class ListMutation:
    """A module-level statement that adds to a named pattern list (``extra += [...]``)."""

    statement: ast.stmt
    value: ast.expr | None
    """What it adds; None for a loop that adds what only the run knows."""
    single: bool = False
    """``.append``/``.insert``: one pattern, not a list."""


def _mutates(node: ast.AST, name: str) -> ListMutation | None:
    if (
        isinstance(node, ast.AugAssign)
        and isinstance(node.target, ast.Name)
        and node.target.id == name
        and isinstance(node.op, ast.Add)
    ):
        return ListMutation(node, node.value)
    call = node.value if isinstance(node, ast.Expr) else None
    if (
        isinstance(node, ast.Expr)
        and isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and isinstance(call.func.value, ast.Name)
        and call.func.value.id == name
        and call.func.attr in _MUTATORS
        and call.args
    ):
        return ListMutation(node, call.args[-1], single=call.func.attr != "extend")
    return None


def list_mutations(
    body: list[ast.stmt], name: str, truth: Callable[[ast.expr], bool | None] | None = None
) -> list[ListMutation]:
    """Module-level additions to the list ``name``, in order (``if``/``try`` bodies included).

    ``truth`` decides an ``if`` test where it can (the settings): only that branch counts.
    """
    found: list[ListMutation] = []
    pending = list(body)
    while pending:
        stmt = pending.pop(0)
        if isinstance(stmt, ast.If):
            holds = truth(stmt.test) if truth is not None else None
            taken = {True: stmt.body, False: stmt.orelse, None: [*stmt.body, *stmt.orelse]}
            pending[:0] = taken[holds]
        elif isinstance(stmt, ast.Try):
            handlers = [s for h in stmt.handlers for s in h.body]
            pending[:0] = [*stmt.body, *handlers, *stmt.orelse, *stmt.finalbody]
        elif isinstance(stmt, ast.For | ast.While):
            if any(_mutates(node, name) for node in walking.walk(stmt)):
                found.append(ListMutation(stmt, None))
        else:
            mutation = _mutates(stmt, name)
            if mutation is not None:
                found.append(mutation)
    return found


def earlier_binding(module: ParsedModule, name: ast.Name) -> ast.expr | None:
    """The list ``name`` held before the module-level assignment of ``value`` that reads it.

    JumpServer: ``user_permission_urlpatterns = [path("users/", include(
    user_permission_urlpatterns)), ...]`` mounts the list of that name assigned further up, not
    itself. None when ``name`` is not read inside its own assignment or nothing came before.
    """
    value = module.assigns.get(name.id)
    if value is None or not any(node is name for node in walking.walk(value)):
        return None
    earlier: ast.expr | None = None
    for stmt in module.tree.body:
        if isinstance(stmt, ast.Assign) and stmt.value is value:
            return earlier
        if isinstance(stmt, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name.id for t in stmt.targets
        ):
            earlier = stmt.value
    return None
