"""The builtins the URL-factory evaluator knows: truth, a few functions, constants' methods.

Only side-effect-free operations on known values (and ``list.append``/``extend``/``insert`` on
the evaluator's own lists) are run; anything else raises
:class:`~mtlsguard.scan.static.eval_values.NotStatic`.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

from mtlsguard.scan.static.eval_values import (
    Builtin,
    Code,
    InstalledApp,
    Instance,
    Method,
    NotStatic,
    Ref,
    Sentinel,
    Splice,
)

__all__ = ["call_builtin", "compare", "constant_attribute", "plain", "truth"]

_STR_METHODS = frozenset(
    {
        "rstrip",
        "lstrip",
        "strip",
        "format",
        "join",
        "replace",
        "lower",
        "upper",
        "startswith",
        "endswith",
        "split",
        "rsplit",
        "partition",
        "rpartition",
        "removeprefix",
        "removesuffix",
    }
)
_DICT_METHODS = frozenset({"keys", "values", "items", "get", "copy", "update", "pop", "setdefault"})
_LIST_MUTATORS = frozenset({"append", "extend", "insert", "pop"})
_FUNCTIONS = frozenset({"list", "tuple", "len", "str", "sorted", "reversed", "bool", "dict"})

Iterate = Callable[[Any], list[Any]]


def truth(value: Any) -> bool:
    """Python truth of a known value; names, code and apps are true (raises for the rest)."""
    if value is None or isinstance(value, str | int | float | bool | list | tuple | dict):
        return bool(value)
    if isinstance(value, InstalledApp | Method | Builtin | Instance):
        return True
    raise NotStatic("truth of code")


def constant_attribute(base: Any, attr: str) -> Builtin:
    """A method of a constant string, dict or (the evaluator's own) list."""
    if isinstance(base, str) and attr in _STR_METHODS:
        return Builtin(attr, base)
    if isinstance(base, dict) and attr in _DICT_METHODS:
        return Builtin(attr, base)
    if isinstance(base, list) and attr in _LIST_MUTATORS:
        return Builtin(attr, base)
    raise NotStatic(f"attribute {attr}")


def call_builtin(func: Builtin, args: list[Any], kwargs: dict[str, Any], iterate: Iterate) -> Any:
    """Run ``func`` on known arguments."""
    receiver = func.receiver
    if receiver is None:
        return _function(func.name, args, iterate)
    if isinstance(receiver, list):
        if func.name == "append" and len(args) == 1:
            receiver.append(args[0])
        elif func.name == "extend" and len(args) == 1:
            receiver.extend(
                [Splice(args[0])] if isinstance(args[0], Ref | Code) else iterate(args[0])
            )
        elif func.name == "insert" and len(args) == 2 and isinstance(args[0], int):
            receiver.insert(args[0], args[1])
        elif func.name == "pop" and receiver and all(isinstance(a, int) for a in args[:1]):
            return receiver.pop(*args[:1])  # ``app.rsplit(".", 1).pop()``: the last part
        else:
            raise NotStatic(func.name)
        return None
    if isinstance(receiver, dict):
        if func.name in ("get", "pop", "setdefault") and not kwargs and 1 <= len(args) <= 2:
            if func.name == "pop" and len(args) == 1 and args[0] not in receiver:
                raise NotStatic("pop of a missing key")
            return getattr(receiver, func.name)(*args)
        if func.name == "update" and len(args) <= 1:
            for arg in args:
                if not isinstance(arg, dict):
                    raise NotStatic("dict.update")
                receiver.update(arg)
            receiver.update(kwargs)
            return None
        if func.name == "copy" and not args and not kwargs:
            return dict(receiver)
        if args or kwargs:
            raise NotStatic(f"dict.{func.name} arguments")
        return list(getattr(receiver, func.name)())
    if not all(isinstance(a, str | int | list | tuple) for a in [*args, *kwargs.values()]):
        raise NotStatic(f"str.{func.name} arguments")
    return getattr(receiver, func.name)(*args, **kwargs)


def _function(name: str, args: list[Any], iterate: Iterate) -> Any:
    if name not in _FUNCTIONS or len(args) > 1:
        raise NotStatic(f"call of {name}")
    if not args:
        return {"list": [], "tuple": (), "str": "", "dict": {}, "bool": False}.get(name)
    value = args[0]
    if name == "str" and isinstance(value, str | int | float):
        return str(value)
    if name == "bool":
        return truth(value)
    items = iterate(value)
    if name == "len":
        return len(items)
    if name == "tuple":
        return tuple(items)
    if name == "sorted":
        try:
            return sorted(items)
        except TypeError as error:
            raise NotStatic("sorted") from error
    if name == "reversed":
        return list(reversed(items))
    if name == "dict" and isinstance(value, dict):
        return dict(value)
    return list(items)


def plain(value: Any) -> bool:
    """A constant that formats as itself (``"%s/" % value``)."""
    if isinstance(value, tuple):
        return all(plain(v) for v in value)
    return value is None or isinstance(value, str | int | float)


def compare(op: ast.cmpop, left: Any, right: Any, distinct: Callable[[Any], bool]) -> bool:
    """``left <op> right`` for known values; ``distinct``: surely not an object of the code."""
    if isinstance(op, ast.Is | ast.IsNot) and (
        isinstance(left, Instance | Sentinel) or (isinstance(left, Ref) and left == right)
    ):
        # an object is itself; one global name read twice is one object
        return (left is right or left == right) == isinstance(op, ast.Is)
    if (
        isinstance(op, ast.Is | ast.IsNot)
        and isinstance(right, Instance | Sentinel)
        and distinct(left)
    ):
        return not isinstance(op, ast.Is)  # a constant or a class is not an object it built
    for value in (left, right):
        if not (value is None or isinstance(value, str | int | float | list | tuple | dict)):
            if isinstance(value, Sentinel):
                continue
            raise NotStatic("comparison")
    if isinstance(op, ast.Eq):
        return bool(left == right)
    if isinstance(op, ast.NotEq):
        return bool(left != right)
    if isinstance(op, ast.In | ast.NotIn) and isinstance(right, str | list | tuple | dict):
        return (left in right) == isinstance(op, ast.In)
    if isinstance(op, ast.Is | ast.IsNot) and (left is None or right is None):
        return (left is right) == isinstance(op, ast.Is)
    raise NotStatic("comparison")
