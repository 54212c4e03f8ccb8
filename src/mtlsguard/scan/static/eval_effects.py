"""Whether a call made for its effect can change what the evaluator is computing.

A registry's ``register(viewset)`` calls ``viewset.on_register()``: menu items, signal
handlers, checks, permission policies. The evaluator cannot run all of that, but the URLs only
depend on the registry's list and the viewsets' attributes. :class:`EffectAudit` reads every
function such a call can reach (methods through the class and its bases, module functions,
methods of other module-level objects, constructors; bounded) and proves the call harmless
only when none of that code

- names one of the module-level objects the evaluation follows (the registry),
- stores an attribute on the object the call was made on (``self.x = ...``, ``setattr``,
  ``self.__dict__[...]``) or calls a method of one of its attributes (``self.items.append``),
- passes that object to code it cannot read, or calls, on an object it cannot identify, a
  method the registry's class also defines (``something.register(...)``).

Anything else (an effect on another registry, a hook, a signal) cannot change the value.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from mtlsguard.scan import walking
from mtlsguard.scan.static.class_bases import base_node
from mtlsguard.scan.static.source import ParsedModule, SourceTree

__all__ = ["MAX_FUNCTIONS", "EffectAudit"]

MAX_FUNCTIONS = 300
"""Functions read for one call before the audit gives up (not proven)."""
_NAMES = "names the registry"
_PROPERTIES = frozenset({"property", "cached_property"})
_MUTATORS = frozenset(
    {"append", "extend", "insert", "remove", "pop", "clear", "update", "setdefault", "add"}
    | {"discard", "sort", "reverse", "popitem", "__setitem__", "__delitem__", "__setattr__"}
)
"""Methods that change a list, dict or set in place."""
_SETTERS = frozenset({"setattr", "delattr", "vars"})


class _Unread(str):
    """A method that may be defined in a base the audit cannot read, on an unguarded object."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class _Site:
    """A function to read: where it is and what its first parameter stands for."""

    tree: SourceTree
    module: ParsedModule
    func: ast.FunctionDef
    owner: str | None
    """The class of ``self`` (None: a plain function, or ``self`` unknown)."""
    guarded: bool
    """``self`` is the object the audited call was made on."""
    passed: frozenset[str] = frozenset()
    """Parameters that receive that object (or another one the evaluation reads)."""


class EffectAudit:
    """Prove that calls cannot reach the followed objects (see the module docstring)."""

    def __init__(
        self,
        trees: list[SourceTree],
        objects: set[str],
        methods: set[str],
        limit: int = MAX_FUNCTIONS,
    ) -> None:
        self.trees = trees
        self.limit = limit
        self.only_names = False
        """Look only for code naming the objects (what an app's import-time code may reach)."""
        self.objects = objects
        """Dotted names of the module-level objects the evaluation follows."""
        self.methods = methods
        """Method names of their classes (``register``, ``populate``)."""

    def method_call(
        self,
        owner: str,
        module: str,
        func: ast.FunctionDef,
        *,
        guarded: bool,
        passed: frozenset[str] = frozenset(),
    ) -> str | None:
        """Why calling ``func`` on an object of class ``owner`` may matter; None if it cannot."""
        for tree in self.trees:
            parsed = tree.load(module) if tree.module_path(module) else None
            if parsed is not None:
                return self._audit(_Site(tree, parsed, func, owner, guarded, _expand(func, passed)))
        return f"{module} not readable"

    def function_call(self, dotted: str, passed: frozenset[str] = frozenset()) -> str | None:
        """Why calling the module function ``dotted`` may matter; None if it cannot."""
        site = self._function(dotted)
        if site is None:
            return f"{dotted} not readable"
        passed = _expand(site.func, passed)
        return self._audit(_Site(site.tree, site.module, site.func, None, False, passed))

    def names_objects(self, tree: SourceTree, module: ParsedModule) -> str | None:
        """Where the module's import-time code names a followed object; None if nowhere.

        Decorators and class bodies count, function bodies do not; a call of a function that
        names one (``register_snippet(...)``) counts too.
        """
        for stmt in module.tree.body:
            for node in _top_level(stmt):
                if isinstance(node, ast.Name | ast.Attribute) and self._names_object(
                    tree, module, node
                ):
                    return f"{module.name}:{node.lineno}"
                if isinstance(node, ast.Call):
                    dotted = tree.dotted_of(module, node.func)
                    site = self._function(dotted) if dotted else None
                    reason = self._audit(site) if site is not None else None
                    if reason is not None:
                        return f"{module.name}:{node.lineno} ({dotted}: {reason})"
        return None

    def _audit(self, first: _Site) -> str | None:
        queue, seen = [first], {id(first.func)}
        while queue:
            if len(seen) > self.limit:
                return None if self.only_names else "too much code to read"
            site = queue.pop()
            for found in self._reached(site):
                if isinstance(found, str) and (_NAMES in found or not self.only_names):
                    return f"{found} ({site.module.name}.{site.func.name})"
                if isinstance(found, str):
                    continue
                if id(found.func) not in seen:
                    seen.add(id(found.func))
                    queue.append(found)
        return None

    def _reached(self, site: _Site) -> Iterator[_Site | str]:
        """The functions ``site`` calls, or a reason it is not harmless."""
        params = [*site.func.args.posonlyargs, *site.func.args.args, *site.func.args.kwonlyargs]
        me = params[0].arg if params and site.owner is not None else None
        guarded = {me} if me is not None and site.guarded else set()
        guarded |= site.passed
        for node in walking.walk(site.func):
            if isinstance(node, ast.Name | ast.Attribute) and self._names_object(
                site.tree, site.module, node
            ):
                yield _NAMES
            elif any(_stores_on(node, name) for name in guarded):
                yield "changes the object it was called on"
            elif isinstance(node, ast.Call):
                yield from self._callee(site, node, me, guarded)
            elif isinstance(node, ast.Attribute) and _is_name(node.value, me) and site.owner:
                # ``self.widget_class``: a property runs when read
                for found in self._methods(site.owner, node.attr, site.guarded):
                    if isinstance(found, _Unread):
                        continue  # it does not receive a guarded object
                    if isinstance(found, str) or _is_property(found.func):
                        yield found

    def _names_object(
        self, tree: SourceTree, module: ParsedModule, node: ast.Name | ast.Attribute
    ) -> bool:
        dotted = tree.dotted_of(module, node)
        return dotted is not None and dotted in self.objects

    def _callee(
        self, site: _Site, call: ast.Call, me: str | None, guarded: set[str]
    ) -> Iterator[_Site | str]:
        func = call.func
        passes = any(
            isinstance(arg, ast.Name) and arg.id in guarded
            for arg in [*call.args, *(k.value for k in call.keywords)]
        )
        if isinstance(func, ast.Name) and func.id in _SETTERS:
            if passes:
                yield "changes the object it was called on"
            return
        if (
            isinstance(func, ast.Attribute)
            and site.owner
            and (
                _is_name(func.value, me)
                or (isinstance(func.value, ast.Call) and _is_name(func.value.func, "super"))
            )
        ):
            for found in self._methods(site.owner, func.attr, site.guarded):
                yield from _passing(found, call, guarded, 1)
            return
        if (
            isinstance(func, ast.Attribute)
            and any(_rooted_at(func.value, g) for g in guarded)
            and func.attr in _MUTATORS | self.methods
        ):
            yield "changes an attribute of the object it was called on"
            return
        resolved = self._resolved(site, func)
        if resolved is not None:
            for found, offset in resolved:
                yield from _passing(found, call, guarded, offset)
            return
        name = func.attr if isinstance(func, ast.Attribute) else ""
        if name in self.methods:
            yield f"calls {name}() on an object it cannot identify"
        elif passes:
            yield "passes the object it was called on to code it cannot read"

    def _resolved(self, site: _Site, func: ast.expr) -> list[tuple[_Site | str, int]] | None:
        """A module function, a constructor, a method of a module-level object or class.

        Each with how many parameters come before the call's arguments.
        """
        dotted = site.tree.dotted_of(site.module, func)
        if not dotted:
            return None
        found = self._function(dotted)
        if found is not None:
            return [(found, 0)]
        if self._class_of(dotted) is not None:
            return [(m, 1) for m in self._methods(dotted, "__init__", False)]
        holder, _, method = dotted.rpartition(".")
        cls = self._instance_class(holder) or (holder if self._class_of(holder) else None)
        if holder and cls is not None:
            return [(m, 1) for m in self._methods(cls, method, False)]
        return None

    def _methods(self, owner: str, name: str, guarded: bool) -> Iterator[_Site | str]:
        """Every definition of ``owner.name`` in its class and bases (over-approximated)."""
        stack, seen = [owner], set()
        while stack:
            dotted = stack.pop()
            found = self._class_of(dotted)
            if found is None or dotted in seen:
                if found is None and "." in dotted.removeprefix("builtins."):
                    # (a builtin base, Exception, is readable enough)
                    reason = f"base {dotted} not readable"
                    yield reason if guarded else _Unread(reason)
                continue
            seen.add(dotted)
            tree, module, node = found
            for stmt in node.body:
                if isinstance(stmt, ast.FunctionDef) and stmt.name == name:
                    yield _Site(tree, module, stmt, owner, guarded)
            stack.extend(tree.dotted_of(module, base_node(base)) or "?" for base in node.bases)

    def _function(self, dotted: str) -> _Site | None:
        for tree in self.trees:
            found = tree.lookup(dotted)
            if found is not None and isinstance(found[1], ast.FunctionDef):
                return _Site(tree, found[0], found[1], None, False)
        return None

    def _class_of(self, dotted: str) -> tuple[SourceTree, ParsedModule, ast.ClassDef] | None:
        for tree in self.trees:
            found = tree.lookup(dotted)
            if found is not None and isinstance(found[1], ast.ClassDef):
                return tree, found[0], found[1]
        return None

    def _instance_class(self, dotted: str) -> str | None:
        """The class of a module-level ``name = Class(...)``."""
        for tree in self.trees:
            found = tree.lookup(dotted)
            if found is not None and isinstance(found[1], ast.Call):
                cls = tree.dotted_of(found[0], found[1].func)
                if cls is not None and self._class_of(cls) is not None:
                    return cls
        return None


def _top_level(stmt: ast.stmt) -> Iterator[ast.AST]:
    """The nodes of a module-level statement that run on import (not function bodies).

    A decorator is a call (``@register_snippet`` calls ``register_snippet``).
    """
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        for decorator in stmt.decorator_list:
            yield ast.copy_location(ast.Call(decorator, [], []), decorator)
            yield from walking.walk(decorator)
    if isinstance(stmt, ast.ClassDef):
        for base in stmt.bases:
            yield from walking.walk(base)
        for inner in stmt.body:
            yield from _top_level(inner)
    elif not isinstance(stmt, ast.Import | ast.ImportFrom | ast.FunctionDef | ast.AsyncFunctionDef):
        yield from walking.walk(stmt)


def _passing(
    found: _Site | str, call: ast.Call, guarded: set[str], offset: int
) -> Iterator[_Site | str]:
    """``found`` with the parameters that receive a guarded name marked.

    A method that may live in a base it cannot read matters only when a guarded name is
    passed to it (code it cannot read cannot name the followed objects either).
    """
    if isinstance(found, _Unread):
        if any(_guarded_arg(a, guarded) for a in [*call.args, *(k.value for k in call.keywords)]):
            yield f"{found}, and the object it was called on is passed to it"
        return
    if isinstance(found, str):
        yield found
        return
    params = [*found.func.args.posonlyargs, *found.func.args.args]
    names = {
        params[index + offset].arg if index + offset < len(params) else "*"
        for index, arg in enumerate(call.args)
        if isinstance(arg, ast.Name | ast.Starred) and _guarded_arg(arg, guarded)
    }
    names |= {k.arg or "**" for k in call.keywords if _guarded_arg(k.value, guarded)}
    if not names:
        yield found
        return
    passed = found.passed | _expand(found.func, frozenset(names))
    yield _Site(found.tree, found.module, found.func, found.owner, found.guarded, passed)


def _expand(func: ast.FunctionDef, names: frozenset[str]) -> frozenset[str]:
    """``*``/``**`` (an argument not matched to a parameter): every parameter."""
    if "*" not in names and "**" not in names:
        return names
    spec = func.args
    every = {p.arg for p in [*spec.posonlyargs, *spec.args, *spec.kwonlyargs]}
    every |= {e.arg for e in (spec.vararg, spec.kwarg) if e is not None}
    return names | frozenset(every)


def _guarded_arg(arg: ast.expr, guarded: set[str]) -> bool:
    value = arg.value if isinstance(arg, ast.Starred) else arg
    return isinstance(value, ast.Name) and value.id in guarded


def _is_property(func: ast.FunctionDef) -> bool:
    return any(
        (d.attr if isinstance(d, ast.Attribute) else getattr(d, "id", "")) in _PROPERTIES
        for d in func.decorator_list
    )


def _is_name(node: ast.expr, name: str | None) -> bool:
    return name is not None and isinstance(node, ast.Name) and node.id == name


def _rooted_at(node: ast.expr, name: str | None) -> bool:
    """``self.items`` or ``self.a.b``: an attribute chain starting at ``name``."""
    while isinstance(node, ast.Attribute | ast.Subscript):
        node = node.value
    return _is_name(node, name)


def _stores_on(node: ast.AST, me: str) -> bool:
    """``self.x = ...``, ``self.x += ...``, ``del self.x``, ``self.__dict__[k] = ...``."""
    return any(
        isinstance(t, ast.Attribute | ast.Subscript) and _rooted_at(t, me)
        for t in walking.store_targets(node)
    )
