"""The builtins the URL-factory evaluator knows: truth, a few functions, constants' methods.

Only side-effect-free operations on known values (and ``list.append``/``extend``/``insert`` on
the evaluator's own lists) are run; anything else raises
:class:`~mtlsguard.scan.static.eval_values.NotStatic`.
"""

from __future__ import annotations

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
    Splice,
)

__all__ = ["call_builtin", "constant_attribute", "truth"]

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
        "removeprefix",
        "removesuffix",
    }
)
_DICT_METHODS = frozenset({"keys", "values", "items", "get"})
_LIST_MUTATORS = frozenset({"append", "extend", "insert"})
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
        else:
            raise NotStatic(func.name)
        return None
    if isinstance(receiver, dict):
        if func.name == "get":
            return receiver.get(*args)
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
