"""Running objects as neutral expressions: values, decorators, views behind callbacks.

The pieces of runtime introspection (:mod:`mtlsguard.django.scanner.project`) that look at one
object: a settings value or ``permission_classes`` list as an
:data:`~mtlsguard.scan.project_model.Expr`, the ``__wrapped__`` chain of a URL callback and
the decorator that made each layer, the function behind DRF's ``@api_view`` class, a regex
route read like a ``path()`` route.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import importlib
import inspect
import re
import uuid
from pathlib import Path
from typing import Any

from django.db.models import Model
from django.db.models.manager import BaseManager
from django.db.models.query import QuerySet

from mtlsguard.scan.project_model import BinOp, Call, Const, Expr, Mapping, Ref, Seq, Unary, Unknown

__all__ = [
    "api_view_function",
    "closure_view",
    "describe",
    "dotted_name",
    "import_dotted",
    "route_text",
    "route_wrappers",
    "to_expr",
    "wrapped_chain",
    "wrapper_expr",
]

_AUTH_DECORATORS = "django.contrib.auth.decorators"
_GROUP = re.compile(r"\(\?P<(\w+)>(?:[^()]|\([^()]*\))*\)")


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
    if depth > 32:  # a self-referencing value
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
    return Unknown(describe(value))


_PLAIN_REPR = (
    bytes,
    complex,
    decimal.Decimal,
    datetime.date,
    datetime.time,
    datetime.timedelta,
    uuid.UUID,
    re.Pattern,
    enum.Enum,
)
"""Types whose ``repr()`` runs no project code and touches nothing outside the value."""


def describe(value: object) -> str:
    """A short description of ``value`` that never evaluates it.

    A ``QuerySet``'s ``repr()`` runs the query and a project object's may do anything: a
    queryset or manager is named by its model (``<QuerySet of shop.Order>``,
    ``shop.Order.objects``), a model instance by its class, and only values of a few plain
    types are shown by ``repr()`` (cut to 60 characters); anything else is its type's name.
    """
    if isinstance(value, QuerySet):
        return f"<QuerySet of {_model_label(value.model)}>"
    if isinstance(value, BaseManager):
        return f"{_model_label(value.model)}.{value.name or 'objects'}"
    if isinstance(value, Model):
        return f"<{_model_label(type(value))} instance>"
    if isinstance(value, bytes):
        return repr(value[:60])[:60]
    if isinstance(value, _PLAIN_REPR):
        return repr(value)[:60]
    kind = type(value)
    return f"<{kind.__module__}.{kind.__qualname__} object>"


def _model_label(model: object) -> str:
    meta = getattr(model, "_meta", None)
    label = getattr(meta, "label", None)
    return str(label) if label else dotted_name(model)


def import_dotted(dotted: str) -> object | None:
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


def api_view_function(cls: type, chain: list[Any]) -> Any:
    """The function behind DRF's ``@api_view`` class, if ``chain`` is its view (else None).

    ``@api_view`` builds a class whose handlers call the decorated function (a closure over
    ``func``) and binds the function's module-level name to that class's ``as_view()``: the
    route's view is the function, as written.
    """
    for name in ("get", "post", "put", "patch", "delete", "head", "options", "trace"):
        handler = vars(cls).get(name)
        func = _closure(handler).get("func") if inspect.isfunction(handler) else None
        if inspect.isfunction(func):
            named = import_dotted(dotted_name(func))
            if any(layer is named for layer in chain):
                return func
    return None


def route_text(pattern: object) -> str:
    """``path()`` text as written; a regex with ``^``/``$`` dropped and groups as ``<name>``."""
    text = str(pattern)
    if type(pattern).__name__ != "RegexPattern":
        return text
    text = _GROUP.sub(lambda m: f"<{m.group(1)}>", text.removeprefix("^").removesuffix("$"))
    return text.replace("\\.", ".")


def wrapped_chain(callback: object) -> list[Any]:
    """``callback`` and every layer below it, outermost first.

    A layer's ``__wrapped__`` (``functools.wraps``) is followed; a decorator that does not use
    ``functools.wraps`` leaves a nested function holding the view in its closure
    (``def wrapper(request): return function(request)``), which is followed when there is one
    view there (see :func:`closure_view`). At most 32 layers.
    """
    chain: list[Any] = [callback]
    seen = {id(callback)}
    while len(chain) <= 32:
        layer = chain[-1]
        inner = getattr(layer, "__wrapped__", None)
        if inner is None and not _is_view(layer):
            inner = closure_view(layer)
        if inner is None or id(inner) in seen:
            break
        seen.add(id(inner))
        chain.append(inner)
    return chain


def _is_view(layer: object) -> bool:
    """``as_view()``'s function (``view_class``, DRF's ``cls``): the view itself."""
    return hasattr(layer, "view_class") or hasattr(layer, "cls")


def closure_view(wrapper: object) -> Any:
    """The view a decorator's nested function calls, found in its closure, or None.

    Only a nested function (``decorator.<locals>.wrapper``) is looked into. The view is the
    cell holding ``as_view()``'s function if there is one; otherwise the one function in the
    closure (a decorator argument such as a permission name is no function), or, among
    several, the one whose first parameter is ``request``. Anything else is ambiguous: None.
    """
    if not inspect.isfunction(wrapper) or ".<locals>." not in _code_qualname(wrapper):
        return None
    cells = [v for v in _closure(wrapper).values() if callable(v) and not inspect.isclass(v)]
    views = [v for v in cells if _is_view(v)]
    if len(views) == 1:
        return views[0]
    functions = [v for v in cells if inspect.isfunction(v)]
    if len(functions) > 1:
        functions = [f for f in functions if _first_parameter(f) == "request"]
    return functions[0] if len(functions) == 1 and not views else None


def _first_parameter(func: object) -> str:
    code = getattr(func, "__code__", None)
    names = code.co_varnames[: code.co_argcount] if code is not None else ()
    return str(names[0]) if names else ""


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


def route_wrappers(layers: list[Any]) -> tuple[Expr, ...]:
    """Decorators applied where the route is declared, outermost first.

    ``csrf_exempt`` is left out: DRF's ``as_view()`` adds it to every API view, and it is no
    authentication either way.
    """
    return tuple(
        wrapper_expr(f) for f in layers if not _code_qualname(f).startswith("csrf_exempt.")
    )


def wrapper_expr(wrapper: object) -> Expr:
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
