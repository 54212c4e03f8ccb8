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
import importlib
import inspect
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver

from mtlsguard.scan.engine import analyze, run_rules
from mtlsguard.scan.model import Location, ScanResult
from mtlsguard.scan.neutral import (
    BinOp,
    Call,
    ClassModel,
    Const,
    Expr,
    Mapping,
    ProjectModel,
    Ref,
    RouteModel,
    Seq,
    SettingsModel,
    SettingValue,
    Unary,
    Unknown,
)
from mtlsguard.scan.static.builder import DEEP_ATTRIBUTES, ModelBuilder
from mtlsguard.scan.static.settings import discover, evaluate_settings
from mtlsguard.scan.static.source import SourceTree
from mtlsguard.scan.static.urls import UrlConfWalker

__all__ = [
    "RuntimeProject",
    "build_runtime_project",
    "dotted_name",
    "introspect_project",
    "to_expr",
]

_AUTH_DECORATORS = "django.contrib.auth.decorators"
_RUNTIME_ATTRIBUTES = DEEP_ATTRIBUTES - {"queryset", "model"}
"""Class attributes taken from the running class (a queryset object is better left as code)."""
_GROUP = re.compile(r"\(\?P<(\w+)>(?:[^()]|\([^()]*\))*\)")
_ADMIN_SITE = "django.contrib.admin.sites.AdminSite"


def dotted_name(obj: object) -> str:
    """``module.QualName`` of a class or function (where it is defined, not imported)."""
    module = getattr(obj, "__module__", None) or "?"
    qualname = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", "?")
    return f"{module}.{qualname}"


def to_expr(value: object, depth: int = 0) -> Expr:
    """A running value as a neutral expression (classes and functions become :class:`Ref`).

    DRF permission compositions (``IsAuthenticated | AllowAny``) are ``OperandHolder`` objects
    at run time; they become the same :class:`BinOp`/:class:`Unary` trees the AST gives.
    """
    if depth > 8:
        return Unknown("...")
    if value is None or isinstance(value, bool | int | float | str):
        return Const(value)
    if isinstance(value, Path):
        return Const(str(value))
    if isinstance(value, list | tuple | set | frozenset):
        items = value if isinstance(value, list | tuple) else sorted(value, key=repr)
        return Seq(tuple(to_expr(v, depth + 1) for v in items))
    if isinstance(value, dict):
        return Mapping(
            tuple((to_expr(k, depth + 1), to_expr(v, depth + 1)) for k, v in value.items())
        )
    operator = getattr(value, "operator_class", None)
    if operator is not None and hasattr(value, "op1_class"):
        op1 = to_expr(value.op1_class, depth + 1)
        if hasattr(value, "op2_class"):
            symbol = "&" if operator.__name__ == "AND" else "|"
            return BinOp(symbol, op1, to_expr(value.op2_class, depth + 1))
        return Unary("~", op1)
    if inspect.isclass(value) or inspect.isfunction(value) or inspect.ismethod(value):
        return Ref(dotted_name(value))
    return Unknown(repr(value)[:60])


def _import(dotted: str) -> object | None:
    """The object at ``dotted`` (module prefix imported, the rest by attribute)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        except Exception:  # a project module that fails on import is not ours to crash on
            return None
        for attr in parts[cut:]:
            obj = getattr(obj, attr, None)
            if obj is None:
                return None
        return obj
    return None


@dataclasses.dataclass(slots=True)
class RuntimeProject:
    """The runtime model plus the bookkeeping of the source files read for function bodies."""

    model: ProjectModel
    tree: SourceTree


class _Introspector:
    """Builds one :class:`ProjectModel` from the configured Django project."""

    def __init__(self, root: Path) -> None:
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
            for dotted in _strings(value.value):
                if "." in dotted and self.tree.is_local(dotted):
                    self.builder.want(dotted)
        urlconf = getattr(settings, "ROOT_URLCONF", None)
        if isinstance(urlconf, str):
            # Source lines of route declarations (the resolver does not keep them).
            for route in UrlConfWalker(self.tree, self.builder).walk(urlconf):
                self._declared.setdefault(route.pattern, route.declared_at)
        self.project.routes = list(self._patterns(get_resolver().url_patterns, ""))
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
                pattern = prefix + _route_text(entry.pattern)
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
                yield self._route(entry, prefix + _route_text(entry.pattern))

    def _route(self, entry: URLPattern, pattern: str) -> RouteModel:
        chain = _wrapped_chain(entry.callback)
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
            handler = _function_view(cls, chain)
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
                wrappers=_wrappers(chain[:view_index]),
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
        own = _import(target)
        if own is None or (own is not function and own not in chain):
            own = function
        own_index = next((i for i, f in enumerate(chain) if f is own), 0)
        return RouteModel(
            pattern=pattern,
            target=target,
            kind="function",
            name=entry.name,
            wrappers=_wrappers(chain[:own_index]),
            declared_at=declared,
        )

    # --- classes -------------------------------------------------------------------------

    def _refine(self, qual: str) -> ClassModel | None:
        """Replace the modelled class ``qual`` with its real MRO, bases and attribute values."""
        static = self.project.classes.get(qual)
        if static is None or qual in self._refined:
            return static
        self._refined.add(qual)
        real = self._objects.get(qual) or _import(qual)
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


def _function_view(cls: type, chain: list[Any]) -> Any:
    """The function behind DRF's ``@api_view`` class, if ``chain`` is its view (else None).

    ``@api_view`` builds a class whose handlers call the decorated function (a closure over
    ``func``) and binds the function's module-level name to that class's ``as_view()``: the
    route's view is the function, as written.
    """
    for name in ("get", "post", "put", "patch", "delete", "head", "options", "trace"):
        handler = vars(cls).get(name)
        func = _closure(handler).get("func") if inspect.isfunction(handler) else None
        if inspect.isfunction(func):
            named = _import(dotted_name(func))
            if any(layer is named for layer in chain):
                return func
    return None


def _route_text(pattern: object) -> str:
    """``path()`` text as written; a regex with ``^``/``$`` dropped and groups as ``<name>``."""
    text = str(pattern)
    if type(pattern).__name__ != "RegexPattern":
        return text
    text = _GROUP.sub(lambda m: f"<{m.group(1)}>", text.removeprefix("^").removesuffix("$"))
    return text.replace("\\.", ".")


def _strings(expr: Expr) -> Iterator[str]:
    """Every string constant inside ``expr``."""
    if isinstance(expr, Const) and isinstance(expr.value, str):
        yield expr.value
    elif isinstance(expr, Seq):
        for item in expr.items:
            yield from _strings(item)
    elif isinstance(expr, Mapping):
        for _key, item in expr.items:
            yield from _strings(item)


def _wrapped_chain(callback: object) -> list[Any]:
    """``callback`` and every ``__wrapped__`` below it, outermost first."""
    chain: list[Any] = [callback]
    seen = {id(callback)}
    while True:
        inner = getattr(chain[-1], "__wrapped__", None)
        if inner is None or id(inner) in seen or len(chain) > 32:
            return chain
        seen.add(id(inner))
        chain.append(inner)


def _closure(func: object) -> dict[str, object]:
    code = getattr(func, "__code__", None)
    cells = getattr(func, "__closure__", None) or ()
    if code is None:
        return {}
    values: dict[str, object] = {}
    for name, cell in zip(code.co_freevars, cells, strict=False):
        try:
            values[name] = cell.cell_contents
        except ValueError:  # an empty cell
            continue
    return values


def _code_qualname(func: object) -> str:
    """Where ``func``'s code was written: ``functools.wraps`` copies ``__qualname__``, not this."""
    code = getattr(func, "__code__", None)
    if code is not None:
        return str(code.co_qualname)
    return str(getattr(func, "__qualname__", ""))


def _wrappers(layers: list[Any]) -> tuple[Expr, ...]:
    """Decorators applied where the route is declared, outermost first.

    ``csrf_exempt`` is left out: DRF's ``as_view()`` adds it to every API view, and it is no
    authentication either way.
    """
    return tuple(
        _wrapper_expr(f) for f in layers if not _code_qualname(f).startswith("csrf_exempt.")
    )


def _wrapper_expr(wrapper: object) -> Expr:
    """The decorator that produced ``wrapper``, as the AST would spell it."""
    # login_not_required's marker; functools.wraps copies it outwards, so only its own layer.
    inner = getattr(wrapper, "__wrapped__", None)
    marker = getattr(wrapper, "login_required", None)
    if marker is not None and getattr(inner, "login_required", None) is marker:
        marker = None
    closure = _closure(wrapper)
    test = closure.get("test_func")
    test_name = _code_qualname(test) if test is not None else ""
    if marker is False:
        return Ref(f"{_AUTH_DECORATORS}.login_not_required")
    if test_name.startswith("login_required."):
        return Ref(f"{_AUTH_DECORATORS}.login_required")
    if test_name.startswith("permission_required."):
        return Call(Ref(f"{_AUTH_DECORATORS}.permission_required"), (Unknown("perm"),))
    if test_name.startswith("staff_member_required."):
        return Ref("django.contrib.admin.views.decorators.staff_member_required")
    if test is not None:
        return Call(Ref(f"{_AUTH_DECORATORS}.user_passes_test"), (to_expr(test),))
    qualname = _code_qualname(wrapper)
    if ".<locals>." in qualname:
        # A project decorator's inner function: name the decorator so its body is followed.
        outer = qualname.split(".<locals>.", 1)[0]
        return Ref(f"{getattr(wrapper, '__module__', '?')}.{outer}")
    return Unknown(qualname)


def build_runtime_project(root: Path) -> RuntimeProject:
    """Model the configured project (``django.setup()`` done) whose source is under ``root``."""
    introspector = _Introspector(root)
    model = introspector.build()
    return RuntimeProject(model, introspector.tree)


def introspect_project(root: Path) -> ScanResult:
    """Run every rule over the running project: the runtime twin of ``scan_project``."""
    runtime = build_runtime_project(root)
    context = analyze(runtime.model)
    findings = run_rules(context)
    return ScanResult(
        root=str(Path(root).resolve()),
        findings=findings,
        routes=tuple(r.to_route() for r in context.routes),
        errors=tuple(runtime.tree.errors),
        files_scanned=runtime.tree.files_scanned,
        lines_scanned=runtime.tree.lines_scanned,
    )
