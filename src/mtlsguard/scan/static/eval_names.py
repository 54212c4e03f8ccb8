"""Names, attributes and classes for the URL-factory evaluator.

A global name is a module constant's value when it has one (a list of ``path()`` calls stays a
:class:`~mtlsguard.scan.static.eval_values.Ref`, so that the walker follows the list's
later ``+=``); a class attribute is looked up in the class body and then its bases; an
installed app's ``AppConfig`` is its ``INSTALLED_APPS`` entry or the class in ``<app>/apps.py``
whose ``name`` is the app.
"""

from __future__ import annotations

import ast
import builtins
import dataclasses
from abc import abstractmethod
from typing import Any

from mtlsguard.scan.static.class_bases import TYPING_BASES, base_node
from mtlsguard.scan.static.eval_builtins import constant_attribute, plain
from mtlsguard.scan.static.eval_statements import StatementRunner
from mtlsguard.scan.static.eval_values import (
    Builtin,
    Code,
    Frame,
    InstalledApp,
    Instance,
    Method,
    NotStatic,
    Ref,
    Splice,
    Super,
    Unknown,
)
from mtlsguard.scan.static.modules import absolute_import
from mtlsguard.scan.static.source import ParsedModule, SourceTree

__all__ = ["ClassFound", "Missing", "NameResolver", "decorator_name", "known"]

_PROPERTIES = frozenset({"property", "cached_property"})
_CLASS_LEVEL = frozenset({"classmethod", "classonlymethod", "staticmethod"})
_BUILTIN_TYPES: dict[str, type | tuple[type, ...]] = {
    "list": list,
    "tuple": tuple,
    "dict": dict,
    "str": str,
    "int": int,
    "bool": bool,
}
_APP_CONFIG_ATTRS = frozenset({"name", "label", "verbose_name", "path", "module", "default"})

ClassFound = tuple[SourceTree, ParsedModule, ast.ClassDef]


class NameResolver(StatementRunner):
    """Global names, attributes, classes and ``hasattr`` over the trees."""

    trees: list[SourceTree]
    objects: dict[str, Instance] | None = None
    """Module-level objects an evaluation may run methods of (a registry), by dotted name;
    None: a module-level object stays a name for the walker."""

    # --- names and attributes ------------------------------------------------------------

    def _name(self, frame: Frame, name: str) -> Any:
        if name in frame.local:
            return known(frame.local[name])
        module = frame.module
        dotted = frame.tree.resolve_name(module, name)
        if dotted == name and name not in module.imports:
            if not hasattr(builtins, name) and any(t.module_path(name) for t in self.trees):
                # A project package by its absolute name: the walker hands calls over with
                # absolute names (``radius.api.urls.get_api_urls(None)``) to evaluate in a
                # module that never imported ``radius`` itself.
                return Ref(name)
            return Builtin(name)
        if name in module.assigns and dotted == f"{module.name}.{name}":
            return self._global(frame.tree, dotted, module, module.assigns[name], frame.depth)
        return self.reference(dotted, frame.depth)

    def import_names(self, frame: Frame, stmt: ast.Import | ast.ImportFrom) -> None:
        """``from django.apps import apps`` inside a function: ``apps`` bound to its value."""
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                name = alias.asname or alias.name.partition(".")[0]
                frame.local[name] = Ref(alias.name if alias.asname else name)
            return
        base = absolute_import(frame.module, stmt.module, stmt.level)
        for alias in stmt.names:
            if alias.name == "*":
                raise NotStatic("import *")
            dotted = f"{base}.{alias.name}" if base else alias.name
            frame.local[alias.asname or alias.name] = self.reference(dotted, frame.depth)

    def reference(self, dotted: str, depth: int) -> Any:
        """A module-level name of some tree: a constant's value, else a :class:`Ref`."""
        for tree in self.trees:
            found = tree.lookup(dotted)
            if found is not None and isinstance(found[1], ast.expr):
                return self._global(tree, dotted, found[0], found[1], depth)
        return Ref(dotted)

    def _global(
        self, tree: SourceTree, dotted: str, module: ParsedModule, node: ast.expr, depth: int
    ) -> Any:
        """A module constant's value; a list holding code (patterns) stays a name."""
        if depth >= self.max_depth or (self.objects is not None and dotted in self.objects):
            return Ref(dotted)
        try:
            value = self.eval(Frame(tree, module, {}, depth + 1), node)
        except NotStatic:
            return Ref(dotted)
        # a module-level object or pattern list stays a name: the walker follows what the
        # module does to it later (``router.register``, ``+=``)
        if isinstance(value, Instance) and self.objects is not None:
            self.objects[dotted] = value  # one object for the whole evaluation
        return Ref(dotted) if _holds_code(value) or isinstance(value, Instance) else value

    def truth(self, value: Any) -> bool:
        """Python truth; a class or function of the trees (``if not self.model``) is true."""
        value = self.deref(value)
        if isinstance(value, Ref):
            for tree in self.trees:
                found = tree.lookup(value.dotted)
                if found is not None and isinstance(found[1], ast.ClassDef | ast.FunctionDef):
                    return True
        return super().truth(value)

    def distinct(self, value: Any) -> bool:
        """``value`` is surely not an object the code builds: a constant, a class, a function."""
        if plain(value) or isinstance(value, list | tuple | dict | Method | Builtin):
            return True  # (a list or dict it built is a new object too)
        return isinstance(value, Ref) and any(
            (found := tree.lookup(value.dotted)) is not None
            and isinstance(found[1], ast.ClassDef | ast.FunctionDef)
            for tree in self.trees
        )

    def deref(self, value: Any) -> Any:
        """A module-level object's name as the object itself (when objects are followed)."""
        if isinstance(value, Ref) and self.objects is not None and value.dotted in self.objects:
            return self.objects[value.dotted]
        return value

    def attribute(self, frame: Frame, base: Any, attr: str) -> Any:
        """``base.attr``."""
        base = self.deref(base)
        if isinstance(base, Instance):
            if attr == "__dict__":
                return base.attrs
            if attr in base.attrs:
                return known(base.attrs[attr])
            found = self._class(base.cls)
            if found is None:
                raise NotStatic(base.cls)
            return self._bound(
                frame, base, self.class_attribute(base.cls, found, attr, frame.depth)
            )
        if isinstance(base, Super):
            return self._super_attribute(frame, base, attr)
        if isinstance(base, Ref):
            found = self._class(base.dotted)
            if found is not None:
                return self.class_attribute(base.dotted, found, attr, frame.depth)
            return self.reference(f"{base.dotted}.{attr}", frame.depth)
        if isinstance(base, InstalledApp):
            if attr == "name":
                return base.name
            config = self._class(base.entry) or self._app_config(base.name)
            if config is not None and attr != "name":
                try:
                    return self.class_attribute(base.entry, config, attr, frame.depth)
                except Missing:
                    pass
            if attr == "label":
                return base.name.rpartition(".")[2]
            raise NotStatic(f"AppConfig.{attr}")
        return constant_attribute(base, attr)

    def _bound(self, frame: Frame, obj: Any, value: Any) -> Any:
        """A class attribute read on ``obj``: a property runs, a method binds to it."""
        if not isinstance(value, Method):
            return value
        decorators = {decorator_name(d) for d in value.func.decorator_list}
        if not isinstance(obj, Instance) or decorators & _CLASS_LEVEL:
            return value
        bound = dataclasses.replace(value, instance=obj)
        if decorators & _PROPERTIES:
            return self.run_method(frame, bound, [], {})
        if decorators:
            raise NotStatic("decorated method")
        return bound

    def _super_attribute(self, frame: Frame, base: Super, attr: str) -> Any:
        found = self._class(base.defined_in)
        if found is None:
            raise NotStatic(base.defined_in)
        tree, module, node = found
        owner = base.obj.cls if isinstance(base.obj, Instance) else getattr(base.obj, "dotted", "")
        for parent_node in node.bases:
            dotted = tree.dotted_of(module, base_node(parent_node))
            if dotted in TYPING_BASES:
                continue
            parent = self._class(dotted) if dotted is not None else None
            if parent is None:
                raise NotStatic(f"base {dotted}")
            try:
                value = self.class_attribute(owner, parent, attr, frame.depth)
            except Missing:
                continue
            return self._bound(frame, base.obj, value)
        raise NotStatic(f"super().{attr}")

    @abstractmethod
    def run_method(
        self, frame: Frame, method: Method, args: list[Any], kwargs: dict[str, Any]
    ) -> Any:
        """Call ``method`` (bound to its class or instance)."""

    def _class(self, dotted: str) -> ClassFound | None:
        for tree in self.trees:
            found = tree.lookup(dotted)
            if found is not None and isinstance(found[1], ast.ClassDef):
                return tree, found[0], found[1]
        return None

    def class_attribute(
        self,
        owner: str,
        found: ClassFound,
        attr: str,
        depth: int,
        *,
        level: int = 0,
    ) -> Any:
        """``owner.attr`` looked up in the class body, then in its bases (raises if unknown)."""
        tree, module, node = found
        for stmt in node.body:
            if isinstance(stmt, ast.FunctionDef) and stmt.name == attr:
                return Method(owner, module.name, stmt, f"{module.name}.{node.name}")
            if isinstance(stmt, ast.ClassDef) and stmt.name == attr:
                return Ref(f"{module.name}.{node.name}.{attr}")
            value = _assigned(stmt, attr)
            if value is not None:
                return self.eval(Frame(tree, module, {}, depth + 1), value)
        if level > 8:
            raise NotStatic("class hierarchy too deep")
        for base in node.bases:
            dotted = tree.dotted_of(module, base_node(base))
            if dotted in TYPING_BASES:
                continue
            parent = self._class(dotted) if dotted is not None else None
            if parent is None:
                raise NotStatic(f"base {dotted}")
            try:
                return self.class_attribute(owner, parent, attr, depth, level=level + 1)
            except Missing:
                continue
        raise Missing(attr)

    def is_instance(self, value: Any, classes: Any) -> bool:
        """``isinstance(value, classes)`` for builtin types and the trees' classes."""
        value = self.deref(value)
        if isinstance(value, Ref | Code | Splice | Method | Builtin | Super | Unknown):
            raise NotStatic("isinstance of a value it does not know")
        wanted = list(classes) if isinstance(classes, tuple) else [classes]
        for cls in wanted:
            if isinstance(cls, Builtin) and cls.receiver is None and cls.name in _BUILTIN_TYPES:
                if not isinstance(value, Instance) and isinstance(value, _BUILTIN_TYPES[cls.name]):
                    return True
            elif isinstance(cls, Ref) and self._class(cls.dotted) is not None:
                if isinstance(value, Instance) and self._subclass(value.cls, cls.dotted, 0):
                    return True
            else:
                raise NotStatic("isinstance of a class it does not know")
        return False

    def _subclass(self, dotted: str, ancestor: str, level: int) -> bool:
        found, wanted = self._class(dotted), self._class(ancestor)
        if dotted == ancestor or (found and wanted and found[2] is wanted[2]):
            return True  # (``models.IntegerField`` is ``models.fields.IntegerField``)
        if found is None or level > 8:
            raise NotStatic(f"base {dotted}")
        tree, module, node = found
        unknown: NotStatic | None = None
        for base in node.bases:
            try:
                parent = tree.dotted_of(module, base_node(base)) or "?"
                if self._subclass(parent, ancestor, level + 1):
                    return True  # (whatever the other bases are)
            except NotStatic as error:
                unknown = error
        if unknown is not None:
            raise unknown
        return False

    def has_attribute(self, frame: Frame, base: Any, attr: str) -> bool:
        """``hasattr(base, attr)``: modules, classes and installed apps' ``AppConfig``."""
        base = self.deref(base)
        if isinstance(base, InstalledApp):
            return self._app_has(base, attr, frame.depth)
        if isinstance(base, Instance) and attr in base.attrs:
            return True
        if isinstance(base, Instance):
            base = Ref(base.cls)
        if isinstance(base, Ref):
            for tree in self.trees:
                module = tree.load(base.dotted) if tree.module_path(base.dotted) else None
                if module is not None:
                    return attr in module.assigns or attr in module.defs or attr in module.imports
            found = self._class(base.dotted)
            if found is None:
                raise NotStatic(f"hasattr on {base.dotted}")
            try:
                self.class_attribute(base.dotted, found, attr, frame.depth)
            except Missing:
                return False
            return True
        raise NotStatic("hasattr")

    def _app_has(self, app: InstalledApp, attr: str, depth: int) -> bool:
        """An app's ``AppConfig`` (its entry, or the one in ``<app>/apps.py``) has ``attr``."""
        if attr in _APP_CONFIG_ATTRS:
            return True
        config = self._class(app.entry) or self._app_config(app.name)
        if config is None:
            return False  # Django's default AppConfig: nothing of its own
        try:
            self.class_attribute(app.entry, config, attr, depth)
        except (Missing, NotStatic):
            return False  # not in the project's classes: Django's AppConfig lacks it too
        return True

    def _app_config(self, package: str) -> ClassFound | None:
        """The ``AppConfig`` class in ``<package>/apps.py`` whose ``name`` is ``package``."""
        name = f"{package}.apps"
        for tree in self.trees:
            module = tree.load(name) if tree.module_path(name) else None
            for node in module.tree.body if module is not None else []:
                if isinstance(node, ast.ClassDef) and any(
                    isinstance(value := _assigned(s, "name"), ast.Constant)
                    and value.value == package
                    for s in node.body
                ):
                    assert module is not None
                    return tree, module, node
        return None


class Missing(NotStatic):
    """The class and its bases do not define the attribute."""


def _assigned(stmt: ast.stmt, name: str) -> ast.expr | None:
    if isinstance(stmt, ast.Assign) and any(
        isinstance(t, ast.Name) and t.id == name for t in stmt.targets
    ):
        return stmt.value
    if (
        isinstance(stmt, ast.AnnAssign)
        and isinstance(stmt.target, ast.Name)
        and stmt.target.id == name
    ):
        return stmt.value
    return None


def known(value: Any) -> Any:
    """``value``, unless it is the :class:`Unknown` result of a call that was not run."""
    if isinstance(value, Unknown):
        raise NotStatic(f"a value it could not compute ({value.reason})")
    return value


def _holds_code(value: Any) -> bool:
    if isinstance(value, list | tuple):
        return any(_holds_code(v) for v in value)
    return isinstance(value, Code | Splice)


def decorator_name(node: ast.expr) -> str:
    """``property``, ``functools.cached_property`` -> ``cached_property``, else ``""``."""
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""
