"""A middleware that checks each route by its URL name, from a registry (DefectDojo).

Some projects keep their view permissions in one table keyed by URL name and enforce it in a
middleware, instead of decorating every view::

    URL_PERMISSIONS = {
        "view_product": [("object", Product, "view", "pid")],
        "add_product_type": [("global", "add")],
    }

    class AuthorizationMiddleware:
        def process_view(self, request, view_func, view_args, view_kwargs):
            checks = URL_PERMISSIONS.get(request.resolver_match.url_name)
            ...
            obj = get_object_or_404(model, pk=view_kwargs.get(arg_name))
            user_has_permission_or_403(request.user, obj, permission)

A route whose URL name has an entry is checked before its view runs, and the URL keywords the
entry names (``pid``) name objects the middleware checked the caller's permission on: a lookup
by that keyword fetches a checked object, as after a decorator that checks it
(:func:`mtlsguard.scan.rules._object_checks.decorator_checked_keys`).

Only a middleware in ``MIDDLEWARE`` counts (read with the rest of the settings by
:class:`~mtlsguard.scan.analysis.configuration.ProjectConfiguration`), and only when its hook
looks the registry up by the route's URL name, reads ``view_kwargs`` by a key it does not spell
out (the registry's), refuses (``raise PermissionDenied``, a refusing return, or a
``*_or_403(request.user, ...)`` call; not a ``get_object_or_404`` fetch), and never lets a
request through on a test of the caller (``if request.method == "GET": return``). The registry
must be a dictionary literal assigned at the top of a project module, with string keys: an entry
the scan cannot read vouches for nothing. A check of a kind the hook never compares with
(``("audit", "pk")`` when it runs only ``check[0] == "object"``) is not enforced, and one naming a
model vouches only for a keyword by which the view fetches that model.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from mtlsguard.scan.analysis.sources import project_sources
from mtlsguard.scan.facts.guards import denies
from mtlsguard.scan.facts.refusals import refusal_raise
from mtlsguard.scan.knowledge import MIDDLEWARE_HOOKS
from mtlsguard.scan.project_model import ClassModel, FunctionModel, ProjectModel

__all__ = ["UrlNameChecks", "find_url_name_checks"]

Check = tuple[frozenset[str], frozenset[str]]
"""One check of an entry: the strings it names (URL keywords among them), the models."""
_NAME_ATTRS = frozenset({"url_name", "view_name"})
_REFUSING_SUFFIXES = ("_or_403", "_or_404", "_or_401")


@dataclass(frozen=True, slots=True)
class UrlNameChecks:
    """The routes a middleware checks by URL name, and the URL keywords each entry names."""

    middleware: str
    registry: str
    """Dotted name of the registry (``dojo.authorization.url_permissions.URL_PERMISSIONS``)."""
    entries: dict[str, tuple[Check, ...]] = field(default_factory=dict)
    """URL name -> its checks the hook runs: (the strings, the model names) of each."""

    def keys(
        self, url_name: str | None, keywords: set[str], fetched: dict[str, set[str]]
    ) -> set[str]:
        """The URL keywords of a route named ``url_name`` whose object the middleware checks.

        ``fetched``: keyword -> short names of the models the view fetches by it. A check naming
        ``Product`` vouches for ``pid`` only if the view fetches a ``Product`` by ``pid`` (or
        nothing): an ``Order`` fetched by the key a ``Product`` check read is not the object
        checked. Records filtered by the checked product (``Objects_Product`` by ``product=pid``)
        beside it are scoped through their checked parent.
        """
        found: set[str] = set()
        for strings, models in self.entries.get(url_name or "", ()):
            for key in strings & keywords:
                took = fetched.get(key, set())
                if not models or not took or took & models:
                    found.add(key)
        return found


def find_url_name_checks(project: ProjectModel, middleware: list[str]) -> UrlNameChecks | None:
    """The first of ``middleware`` (``MIDDLEWARE``'s names) that enforces a URL-name registry."""
    for name in middleware:
        cls = project.class_named(name)
        if cls is None:
            continue
        for hook in MIDDLEWARE_HOOKS:
            hit = project.method(cls, hook)
            found = _registry(project, cls, hit[1]) if hit is not None else None
            if found is not None:
                return UrlNameChecks(name, found[0], found[1])
    return None


def _registry(
    project: ProjectModel, cls: ClassModel, hook: FunctionModel
) -> tuple[str, dict[str, tuple[Check, ...]]] | None:
    """(registry, entries) the hook looks up by URL name and enforces, or None."""
    sources = project_sources(project)
    path, line = hook.location.path, hook.location.line
    if not sources.mentions(path, line, tuple(_NAME_ATTRS)):
        return None
    node = sources.node(path, line)
    if node is None or len(node.args.args) < 5:
        return None
    kwargs = node.args.args[4].arg  # (self, request, view_func, view_args, view_kwargs)
    names = _url_name_locals(node)
    table = next((t for n in ast.walk(node) if (t := _looked_up(n, names))), "")
    if not table or not _reads_by_variable(node, kwargs) or not _refuses(node):
        return None
    if _skips_some_callers(node):
        return None
    dotted = next((c[: -len(".get")] for c in hook.facts.calls if c.endswith(f".{table}.get")), "")
    module, _, constant = dotted.rpartition(".")
    entries = (
        _entries(project, cls, hook, module, constant, _compared_kinds(node)) if module else None
    )
    return (dotted, entries) if entries else None


def _url_name_locals(node: ast.AST) -> set[str]:
    """Locals assigned the route's URL name (``url_name = request.resolver_match.url_name``)."""
    return {
        target.id
        for stmt in ast.walk(node)
        if isinstance(stmt, ast.Assign) and _is_url_name(stmt.value, set())
        for target in stmt.targets
        if isinstance(target, ast.Name)
    }


def _is_url_name(expr: ast.expr, names: set[str]) -> bool:
    if isinstance(expr, ast.Attribute):
        return expr.attr in _NAME_ATTRS
    return isinstance(expr, ast.Name) and expr.id in names


def _looked_up(node: ast.AST, names: set[str]) -> str:
    """``TABLE.get(url_name)`` or ``TABLE[url_name]``: the table's local name, else ``""``."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and isinstance(node.func.value, ast.Name)
        and node.args
        and _is_url_name(node.args[0], names)
    ):
        return node.func.value.id
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name)
        and _is_url_name(node.slice, names)
    ):
        return node.value.id
    return ""


def _reads_by_variable(node: ast.AST, kwargs: str) -> bool:
    """``view_kwargs.get(arg_name)``/``view_kwargs[arg_name]``: a key the registry gives."""
    for sub in ast.walk(node):
        if (
            isinstance(sub, ast.Call)
            and isinstance(sub.func, ast.Attribute)
            and sub.func.attr == "get"
            and isinstance(sub.func.value, ast.Name)
            and sub.func.value.id == kwargs
            and sub.args
            and not isinstance(sub.args[0], ast.Constant)
        ):
            return True
        if (
            isinstance(sub, ast.Subscript)
            and isinstance(sub.value, ast.Name)
            and sub.value.id == kwargs
            and not isinstance(sub.slice, ast.Constant)
        ):
            return True
    return False


def _refuses(node: ast.AST) -> bool:
    """A refusal in the hook: ``raise PermissionDenied``, a 403 returned, ``*_or_403(user, ...)``.

    Not any ``raise``: a ``RuntimeError`` for a route missing from the table refuses nobody's
    request for an object it may not see.
    """
    for sub in ast.walk(node):
        if isinstance(sub, ast.Raise) and refusal_raise(sub):
            return True
        if isinstance(sub, ast.Return) and denies(sub):
            return True
        if isinstance(sub, ast.Call):
            func = sub.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name.endswith(_REFUSING_SUFFIXES) and _hands_the_user(sub):
                return True  # user_has_permission_or_403(request.user, ...), not a 404 fetch
    return False


def _hands_the_user(call: ast.Call) -> bool:
    return any(
        isinstance(n, ast.Attribute) and n.attr == "user"
        for arg in [*call.args, *(k.value for k in call.keywords)]
        for n in ast.walk(arg)
    )


_CALLER_ATTRS = frozenset(
    {"method", "user", "META", "headers", "GET", "POST", "COOKIES", "session", "data"}
)
"""What an ``if`` that lets a request through unchecked may not test: a way for some callers
(a GET, a non-staff user, a header) to skip the table's checks."""


def _skips_some_callers(node: ast.AST) -> bool:
    """An ``if`` of the hook returns (lets the request through) for some callers only.

    ``if request.path.startswith("/api/"): return`` and ``if not checks: return`` skip routes;
    ``if request.method == "GET": return`` or ``if not request.user.is_staff: return None``
    skip callers of a checked route.
    """
    for sub in ast.walk(node):
        if not isinstance(sub, ast.If) or not any(
            isinstance(stmt, ast.Return) and not denies(stmt) for stmt in sub.body
        ):
            continue
        for part in ast.walk(sub.test):
            if isinstance(part, ast.Attribute) and (
                part.attr in _CALLER_ATTRS or part.attr.startswith("is_")
            ):
                return True
    return False


def _compared_kinds(node: ast.AST) -> frozenset[str]:
    """Strings the hook compares with (``check[0] == "object"``): the kinds of check it runs."""
    return frozenset(
        c.value
        for sub in ast.walk(node)
        if isinstance(sub, ast.Compare)
        for c in [sub.left, *sub.comparators]
        if isinstance(c, ast.Constant) and isinstance(c.value, str)
    )


def _entries(
    project: ProjectModel,
    cls: ClassModel,
    hook: FunctionModel,
    module: str,
    constant: str,
    kinds: frozenset[str],
) -> dict[str, tuple[Check, ...]] | None:
    """The registry's entries, read from the top of ``module``'s file (None if unreadable)."""
    tree = _module_tree(project, cls, hook, module)
    for stmt in tree.body if tree is not None else ():
        target = (
            stmt.targets[0]
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
            else stmt.target
            if isinstance(stmt, ast.AnnAssign)
            else None
        )
        value = stmt.value if isinstance(stmt, ast.Assign | ast.AnnAssign) else None
        if not (isinstance(target, ast.Name) and target.id == constant):
            continue
        if not isinstance(value, ast.Dict):
            return None
        entries: dict[str, tuple[Check, ...]] = {}
        for name, checks in zip(value.keys, value.values, strict=True):
            if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
                return None  # a ``**other`` or computed key: the table is not all in sight
            found = tuple(c for item in _checks(checks) if (c := _check(item, kinds)))
            if found:
                entries[name.value] = found
        return entries
    return None


def _checks(value: ast.expr) -> list[ast.expr]:
    """An entry's checks: the items of a list of tuples, or the entry itself."""
    if isinstance(value, ast.List | ast.Tuple | ast.Set) and all(
        isinstance(item, ast.Tuple | ast.List) for item in value.elts
    ):
        return list(value.elts)
    return [value]


def _check(check: ast.expr, kinds: frozenset[str]) -> Check | None:
    """(strings, model names) of one check; None for a kind of check the hook never runs.

    The hook runs ``("object", Product, "view", "pid")`` when it compares ``check[0]`` with
    ``"object"``; an ``("audit", "pk")`` entry it never compares with is not enforced.
    """
    items = check.elts if isinstance(check, ast.Tuple | ast.List) else []
    if not items:
        return None
    first = items[0]
    kind = first.value if isinstance(first, ast.Constant) else None
    if kinds and not (isinstance(kind, str) and kind in kinds):
        return None
    strings = frozenset(
        n.value for n in items if isinstance(n, ast.Constant) and isinstance(n.value, str)
    )
    models = frozenset(
        n.id if isinstance(n, ast.Name) else n.attr
        for n in items
        if isinstance(n, ast.Name | ast.Attribute)
    )
    return strings, models


def _module_tree(
    project: ProjectModel, cls: ClassModel, hook: FunctionModel, module: str
) -> ast.Module | None:
    """``module``'s syntax tree, found beside the middleware's own module."""
    own = cls.qualname.rpartition(".")[0].replace(".", "/")
    path = hook.location.path
    for suffix in (f"{own}.py", f"{own}/__init__.py"):
        if path == suffix or path.endswith(f"/{suffix}"):
            base = path[: len(path) - len(suffix)]
            break
    else:
        return None
    sources = project_sources(project)
    for candidate in (f"{module.replace('.', '/')}.py", f"{module.replace('.', '/')}/__init__.py"):
        tree = sources.module_tree(base + candidate)
        if tree is not None:
            return tree
    return None
