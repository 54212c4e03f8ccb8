"""A DRF router class's ``routes``: the URL templates its ``get_urls()`` formats per viewset.

DRF's ``SimpleRouter`` (and ``DefaultRouter``, which inherits them) lists a ``Route`` for the
list and detail URLs and a ``DynamicRoute`` for each kind of ``@action``. A project router may
replace that list (``routes = [Route(url=r"^{prefix}/add/$", ...), ...]``, or
``SimpleRouter.routes + [...]``): its routes are read from it, along its bases. What cannot be
read that way (``routes`` computed by a call, ``get_routes()``/``get_urls()`` overridden,
``self.routes`` changed in ``__init__``) is reported so that the caller lists it as unresolved.
"""

from __future__ import annotations

import ast
import dataclasses
from dataclasses import dataclass

from mtlsguard.scan import walking
from mtlsguard.scan.project_model import BinOp, Call, ClassModel, Const, Expr, Mapping, Ref, Seq
from mtlsguard.scan.static.builder import ModelBuilder
from mtlsguard.scan.static.source import SourceTree

__all__ = ["DRF_ROUTES", "RouteTemplate", "RouterClass", "read_router_class"]

_DEPTH = 8
"""How many ``Other.routes`` references are followed (a cycle stops there)."""
_RUNTIME_METHODS = ("get_routes", "get_urls")
"""Router methods whose override changes the URLs in a way the scan does not evaluate."""


@dataclass(frozen=True, slots=True)
class RouteTemplate:
    """One ``Route``/``DynamicRoute`` of a router: ``mapping`` is None for a dynamic route."""

    url: str
    """``^{prefix}/{lookup}/edit{trailing_slash}$``, as written."""
    name: str
    """``{basename}-detail``."""
    detail: bool
    """Whether the route is an object's (has ``{lookup}``) or the collection's."""
    mapping: tuple[tuple[str, str], ...] | None
    """HTTP method -> viewset action; None for a ``DynamicRoute`` (one per ``@action``)."""


DRF_ROUTES = (
    RouteTemplate(
        r"^{prefix}{trailing_slash}$",
        "{basename}-list",
        False,
        (("get", "list"), ("post", "create")),
    ),
    RouteTemplate(r"^{prefix}/{url_path}{trailing_slash}$", "{basename}-{url_name}", False, None),
    RouteTemplate(
        r"^{prefix}/{lookup}{trailing_slash}$",
        "{basename}-detail",
        True,
        (
            ("get", "retrieve"),
            ("put", "update"),
            ("patch", "partial_update"),
            ("delete", "destroy"),
        ),
    ),
    RouteTemplate(
        r"^{prefix}/{lookup}/{url_path}{trailing_slash}$", "{basename}-{url_name}", True, None
    ),
)
"""``rest_framework.routers.SimpleRouter.routes`` (``DefaultRouter`` inherits them)."""


@dataclass(frozen=True, slots=True)
class RouterClass:
    """What the scan knows of a router class: its route templates and what it could not read."""

    routes: tuple[RouteTemplate, ...] = DRF_ROUTES
    problems: tuple[tuple[str, str, ClassModel], ...] = ()
    """(item, reason, class where it was met) for each override the scan does not evaluate."""


class _NotStatic(Exception):
    """A ``routes`` value the scan cannot read; the message says which part."""


def read_router_class(tree: SourceTree, builder: ModelBuilder, dotted: str | None) -> RouterClass:
    """The routes of the router class ``dotted`` (DRF's defaults for DRF's own or unknown ones)."""
    built = builder.define(dotted) if dotted is not None else None
    if not isinstance(built, ClassModel):
        return RouterClass()
    problems: list[tuple[str, str, ClassModel]] = []
    updates: list[_MappingUpdate] = []
    project = builder.project
    for entry in reversed(built.mro):  # a base's __init__ runs first (super().__init__())
        cls = project.class_named(entry)
        if cls is None:
            continue
        for method in _RUNTIME_METHODS:
            if method in cls.methods:
                problems.append(
                    (
                        f"{cls.qualname}.{method}()",
                        f"the router class overrides {method}(): the URLs it builds are not "
                        "evaluated (the routes of its `routes` templates are listed); "
                        "`manage.py mtlsguard` sees them",
                        cls,
                    )
                )
        found_updates = _init_updates(tree, cls) if "__init__" in cls.methods else []
        if found_updates is None:
            problems.append(
                (
                    f"{cls.qualname}.__init__()",
                    "the router changes self.routes when it is created in a way the scan "
                    "does not evaluate: the routes' URLs, methods or actions may differ from "
                    "those listed; `manage.py mtlsguard` sees them",
                    cls,
                )
            )
        else:
            updates.extend(found_updates)
    found = project.attribute(built, "routes")
    routes: tuple[RouteTemplate, ...] = DRF_ROUTES
    if found is not None:
        try:
            routes = _templates(tree, builder, found[1], 0)
        except _NotStatic as err:
            problems.append(
                (
                    f"{found[0].qualname}.routes",
                    f"the router's routes are not a list of Route()/DynamicRoute() the scan "
                    f"can read ({err}); its viewsets' URLs are not listed; "
                    "`manage.py mtlsguard` sees them",
                    found[0],
                )
            )
            return RouterClass((), tuple(problems))
    return RouterClass(_updated(routes, updates), tuple(problems))


_MappingUpdate = tuple[int, tuple[tuple[str, str], ...]]
"""``self.routes[index].mapping.update({method: action, ...})``."""


def _updated(
    routes: tuple[RouteTemplate, ...], updates: list[_MappingUpdate]
) -> tuple[RouteTemplate, ...]:
    """``routes`` after the ``mapping.update()`` calls of the router's ``__init__``."""
    result = list(routes)
    for index, pairs in updates:
        if -len(result) <= index < len(result) and result[index].mapping is not None:
            mapping = dict(result[index].mapping or ()) | dict(pairs)
            result[index] = dataclasses.replace(result[index], mapping=tuple(mapping.items()))
    return tuple(result)


def _templates(
    tree: SourceTree, builder: ModelBuilder, value: Expr, depth: int
) -> tuple[RouteTemplate, ...]:
    if depth > _DEPTH:
        raise _NotStatic("routes referring to each other")
    if isinstance(value, Seq):
        return tuple(_template(item) for item in value.items)
    if isinstance(value, BinOp) and value.op == "+":
        left = _templates(tree, builder, value.left, depth + 1)
        return left + _templates(tree, builder, value.right, depth + 1)
    if isinstance(value, Ref) and value.name.endswith(".routes"):
        # ``SimpleRouter.routes + [...]``: another router class's list
        other = value.name.removesuffix(".routes")
        built = builder.define(other)
        if isinstance(built, ClassModel):
            found = builder.project.attribute(built, "routes")
            if found is None:
                return DRF_ROUTES
            return _templates(tree, builder, found[1], depth + 1)
        if other.rsplit(".", 1)[-1] in ("SimpleRouter", "DefaultRouter"):
            return DRF_ROUTES
    raise _NotStatic(_describe(value))


def _template(item: Expr) -> RouteTemplate:
    if not (isinstance(item, Call) and isinstance(item.func, Ref)):
        raise _NotStatic(_describe(item))
    kind = item.func.short
    if kind not in ("Route", "DynamicRoute"):
        raise _NotStatic(_describe(item))
    fields = ("url", "mapping", "name", "detail") if kind == "Route" else ("url", "name", "detail")
    given = dict(zip(fields, item.args, strict=False)) | dict(item.kwargs)
    url, name, detail = given.get("url"), given.get("name"), given.get("detail")
    if not (isinstance(url, Const) and isinstance(url.value, str)):
        raise _NotStatic(f"the url of a {kind}()")
    name_text = str(name.value) if isinstance(name, Const) and name.value is not None else ""
    is_detail = bool(detail.value) if isinstance(detail, Const) else "{lookup}" in url.value
    if kind == "DynamicRoute":
        return RouteTemplate(url.value, name_text, is_detail, None)
    mapping = given.get("mapping")
    if not isinstance(mapping, Mapping):
        raise _NotStatic(f"the mapping of Route({url.value!r})")
    pairs: list[tuple[str, str]] = []
    for key, action in mapping.items:
        if not (isinstance(key, Const) and isinstance(action, Const)):
            raise _NotStatic(f"the mapping of Route({url.value!r})")
        pairs.append((str(key.value).lower(), str(action.value)))
    return RouteTemplate(url.value, name_text, is_detail, tuple(pairs))


def _describe(value: Expr) -> str:
    if isinstance(value, Call) and isinstance(value.func, Ref):
        return f"{value.func.short}(...)"
    if isinstance(value, Ref):
        return value.name
    return type(value).__name__.lower()


def _init_updates(tree: SourceTree, cls: ClassModel) -> list[_MappingUpdate] | None:
    """What ``cls.__init__`` does to ``self.routes``; None if the scan cannot tell.

    ``self.routes[0].mapping.update({"delete": "bulk_destroy"})`` (a statement of its own,
    constant index and dict) is understood; any other use of ``self.routes`` is not.
    """
    found = tree.lookup(cls.qualname)
    node = found[1] if found is not None else None
    if not isinstance(node, ast.ClassDef):
        return None
    init = next(
        (s for s in node.body if isinstance(s, ast.FunctionDef) and s.name == "__init__"), None
    )
    if init is None:
        return None
    updates: list[_MappingUpdate] = []
    for stmt in init.body:
        if not any(_is_self_routes(sub) for sub in walking.walk(stmt)):
            continue
        update = _mapping_update(stmt)
        if update is None:
            return None
        updates.append(update)
    return updates


def _is_self_routes(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "routes"
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
    )


def _mapping_update(stmt: ast.stmt) -> _MappingUpdate | None:
    """``self.routes[i].mapping.update({...})`` with constants only, else None."""
    call = stmt.value if isinstance(stmt, ast.Expr) else None
    if not (isinstance(call, ast.Call) and len(call.args) == 1 and not call.keywords):
        return None
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr == "update"):
        return None
    mapping = func.value
    if not (isinstance(mapping, ast.Attribute) and mapping.attr == "mapping"):
        return None
    item = mapping.value
    if not (isinstance(item, ast.Subscript) and _is_self_routes(item.value)):
        return None
    index = (
        ast.literal_eval(item.slice) if isinstance(item.slice, ast.Constant | ast.UnaryOp) else None
    )
    given = call.args[0]
    if not (isinstance(index, int) and isinstance(given, ast.Dict)):
        return None
    pairs: list[tuple[str, str]] = []
    for key, value in zip(given.keys, given.values, strict=True):
        if not (isinstance(key, ast.Constant) and isinstance(value, ast.Constant)):
            return None
        pairs.append((str(key.value).lower(), str(value.value)))
    return index, tuple(pairs)
