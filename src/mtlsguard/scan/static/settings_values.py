"""Values of a settings module that need more than one expression: copies, splices, filters.

Settings modules build lists in steps::

    MIDDLEWARE = BASE_MIDDLEWARE
    if ENABLE_AUDITLOG:
        middleware_list = list(MIDDLEWARE)
        middleware_list.insert(index, "app.middleware.History")
        MIDDLEWARE = middleware_list
    MIDDLEWARE = [m for m in MIDDLEWARE if m != "app.middleware.Search"]
    MIDDLEWARE = ["debug_toolbar.middleware.DebugToolbarMiddleware", *MIDDLEWARE]

and read the environment through django-environ's schema (``env = environ.Env(DD_URL_PREFIX=(str,
""))`` then ``env("DD_URL_PREFIX")``: the default sits in the schema, not in the call). The
helpers here turn those into plain values; what they cannot follow stays unknown.
"""

from __future__ import annotations

import ast
import os.path
from collections.abc import Callable
from pathlib import Path

from mtlsguard.findings.model import Location
from mtlsguard.scan.project_model import (
    Call,
    Const,
    Expr,
    IfExpr,
    Ref,
    Seq,
    SettingValue,
    Unknown,
)

__all__ = [
    "ENV_SCHEMAS",
    "LOCAL_MUTATIONS",
    "comprehension",
    "copied",
    "env_schema",
    "is_conditional",
    "mutated_local",
    "path_value",
    "removed",
    "spliced",
    "with_schema_default",
]

ENV_SCHEMAS = frozenset({"environ.Env", "environ.FileAwareEnv", "environ.environ.Env"})
"""django-environ's environment readers (documented public API) whose keyword arguments give
each variable's ``(cast, default)``."""

_COPIES = frozenset({"list", "tuple"})
Value = Callable[[ast.expr], Expr]


def env_schema(call: ast.Call) -> dict[str, ast.expr]:
    """``environ.Env(NAME=(cast, default), ...)``: the default of each variable that has one."""
    found: dict[str, ast.expr] = {}
    for keyword in call.keywords:
        value = keyword.value
        if keyword.arg and isinstance(value, ast.Tuple) and len(value.elts) == 2:
            found[keyword.arg] = value.elts[1]
    return found


def with_schema_default(expr: Expr, node: ast.Call, defaults: dict[str, Expr]) -> Expr:
    """``env("NAME")`` given the schema default as ``default=`` (when the call has none)."""
    if not (isinstance(expr, Call) and node.args and isinstance(node.args[0], ast.Constant)):
        return expr
    variable = node.args[0].value
    if len(node.args) > 1 or expr.kwarg("default") is not None or variable not in defaults:
        return expr
    # The reader by its own name (``env``, ``env.str``), not the inlined ``environ.Env(...)``.
    func = Ref(ast.unparse(node.func)) if isinstance(expr.func, Call) else expr.func
    return Call(func, expr.args, (*expr.kwargs, ("default", defaults[str(variable)])))


def spliced(node: ast.List | ast.Tuple, value: Value) -> Expr:
    """A list display with ``*NAME`` items: the items of ``NAME`` spliced in where known."""
    items: list[Expr] = []
    for elt in node.elts:
        if isinstance(elt, ast.Starred):
            inner = value(elt.value)
            items.extend(inner.items if isinstance(inner, Seq) else (Unknown("Starred"),))
        else:
            items.append(value(elt))
    return Seq(tuple(items))


def copied(node: ast.Call, value: Value) -> Expr | None:
    """``list(X)``/``tuple(X)`` of a known list: the same items."""
    func = node.func
    if isinstance(func, ast.Name) and func.id in _COPIES and len(node.args) == 1:
        inner = value(node.args[0])
        if isinstance(inner, Seq):
            return inner
    return None


def comprehension(node: ast.ListComp | ast.GeneratorExp, value: Value) -> Expr:
    """``[m for m in X if m != "a"]`` (``not in``, ``==``, ``in``) over a known list of strings."""
    if len(node.generators) != 1:
        return Unknown(type(node).__name__)
    loop = node.generators[0]
    source = value(loop.iter)
    if (
        not isinstance(loop.target, ast.Name)
        or not isinstance(node.elt, ast.Name)
        or node.elt.id != loop.target.id
        or not isinstance(source, Seq)
    ):
        return Unknown(type(node).__name__)
    kept: list[Expr] = []
    for item in source.items:
        verdicts = [_keeps(test, loop.target.id, item, value) for test in loop.ifs]
        if any(v is None for v in verdicts):
            return Unknown(type(node).__name__)
        if all(verdicts):
            kept.append(item)
    return Seq(tuple(kept))


def _keeps(test: ast.expr, name: str, item: Expr, value: Value) -> bool | None:
    if not (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.left, ast.Name)
        and test.left.id == name
        and isinstance(item, Const)
    ):
        return None
    op, right = test.ops[0], value(test.comparators[0])
    if isinstance(op, ast.Eq | ast.NotEq) and isinstance(right, Const):
        return (item.value == right.value) == isinstance(op, ast.Eq)
    if isinstance(op, ast.In | ast.NotIn) and isinstance(right, Seq):
        if not all(isinstance(i, Const) for i in right.items):
            return None
        inside = any(isinstance(i, Const) and i.value == item.value for i in right.items)
        return inside == isinstance(op, ast.In)
    return None


def is_conditional(value: Expr) -> bool:
    """A value decided at deploy time (``a if x else b``, ``env.bool(...)``, a list of one)."""
    if isinstance(value, IfExpr):
        return True
    if isinstance(value, Call) and isinstance(value.func, Ref):
        # os.environ.get(...), env.bool(...), config(...): decided at deploy time.
        return True
    if isinstance(value, Seq):
        return any(is_conditional(v) for v in value.items)
    return False


def removed(old: SettingValue, gone: Expr, where: Location, cond: bool) -> SettingValue | None:
    """``MIDDLEWARE.remove(CSRF_MIDDLEWARE)`` (or ``.discard``) of a known string: the rest.

    None when either is not known (the setting is then unknown from there on).

    Under an ``if`` (Mozilla Experimenter drops the CSRF middleware for CI runs only) what
    stays is certain and the item may or may not be there: the value is the list without it
    (a removed login middleware no longer counts) and stays conditional, so that an allow-list
    read from it is not believed complete.
    """
    kept = _without(old.value, gone)
    if kept is None:
        return None
    conditional = cond or old.conditional
    return SettingValue(kept, where, conditional, additive=not cond and old.additive)


def _without(current: Expr, gone: Expr) -> Seq | None:
    """The list ``current`` without the known string ``gone``; None if either is not known."""
    if not (isinstance(current, Seq) and isinstance(gone, Const) and type(gone.value) is str):
        return None
    return Seq(tuple(item for item in current.items if item != gone))


_PATH_FUNCTIONS: dict[str, Callable[..., str]] = {
    "os.path.abspath": os.path.abspath,
    "os.path.realpath": os.path.realpath,
    "os.path.normpath": os.path.normpath,
    "os.path.dirname": os.path.dirname,
    "os.path.basename": os.path.basename,
    "os.path.join": os.path.join,
}


def path_value(
    node: ast.expr, file: Path, value: Value, dotted: Callable[[ast.expr], str | None]
) -> Expr | None:
    """``__file__`` and ``os.path`` functions of known strings, as the settings module computes.

    edX ecommerce: ``DJANGO_ROOT = dirname(dirname(abspath(__file__)))``, ``SITE_NAME =
    basename(DJANGO_ROOT)``, ``ROOT_URLCONF = "{}.urls".format(SITE_NAME)``: the package
    folder's name is the URLconf's. None for anything else.
    """
    if isinstance(node, ast.Name) and node.id == "__file__":
        return Const(str(file))
    if not isinstance(node, ast.Call) or node.keywords:
        return None
    function = _PATH_FUNCTIONS.get(dotted(node.func) or "")
    if function is None:
        return None
    args = [value(arg) for arg in node.args]
    texts = [a.value for a in args if isinstance(a, Const) and isinstance(a.value, str)]
    if not texts or len(texts) != len(args):
        return None
    return Const(str(function(*texts)))


LOCAL_MUTATIONS = frozenset(
    {"append", "insert", "extend", "remove", "discard", "pop", "clear", "reverse", "sort"}
)
"""List methods of a lower-case local of the settings module (``middleware = [...]``)."""


def mutated_local(current: Expr, method: str, args: list[Expr]) -> Expr:
    """The local list ``current`` after ``current.<method>(*args)``.

    ``append``/``insert``/``extend`` add what they are given; ``remove``/``discard`` of a known
    string leave the rest (``_middleware.remove("...LoginRequiredMiddleware")`` before
    ``MIDDLEWARE = _middleware``: the login wall is gone); ``sort``/``reverse`` keep the items;
    anything else (``pop()``, ``clear()``, a removal of what the scan cannot tell) leaves a list
    the scan does not know.
    """
    if method in ("sort", "reverse"):
        return current
    if method in ("append", "insert", "extend"):
        if not (isinstance(current, Seq) and args):
            return current
        added = args[-1]
        grown = added.items if isinstance(added, Seq) else (Unknown("extend"),)
        items = grown if method == "extend" else (added,)
        return Seq((*items, *current.items)) if method == "insert" else Seq(current.items + items)
    kept = (
        _without(current, args[0]) if method in ("remove", "discard") and len(args) == 1 else None
    )
    return kept if kept is not None else Unknown(f".{method}()")
