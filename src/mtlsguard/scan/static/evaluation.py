"""A small, bounded evaluator for URL factories: calls and loops that return pattern lists.

``*ThingView.get_urls("things", actions=("list", "delete"))``, ``*crud_urls("things")``, a loop
over the installed apps that includes each plugin's ``urls``: the walker asks
:class:`UrlFactoryEvaluator` for the list such code builds. It runs the function's body with
its parameters bound (classmethods get their class, defaults are read), follows f-strings,
concatenation, ``if`` tests it can decide, ``for`` loops and comprehensions over known lists
(dict displays with ``**``, dict comprehensions), class attributes through the bases,
``apps.get_app_configs()`` (the settings' ``INSTALLED_APPS``), ``importlib.import_module`` and
``hasattr`` on them, and Django's ``gettext`` family (a label is its message). What it does not run
(``path()``, ``include()``, ``as_view()``, an unknown call) becomes :class:`Code` for the walker.
Anything unknown aborts the evaluation (:class:`NotStatic`): the caller then lists the call as
unresolved. Call depth, loop iterations and the steps of one evaluation are bounded.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

from mtlsguard.scan.static.admin_site import app_package
from mtlsguard.scan.static.eval_builtins import call_builtin, compare, plain
from mtlsguard.scan.static.eval_names import (
    ClassFound,
    Missing,
    NameResolver,
    decorator_name,
    known,
)
from mtlsguard.scan.static.eval_statements import ImportFailed
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
    absolute,
    to_node,
)
from mtlsguard.scan.static.source import ParsedModule, SourceTree

__all__ = ["Frame", "NotStatic", "UrlFactoryEvaluator", "python_errors"]

MAX_STEPS = 20_000
"""Expressions evaluated in one top-level evaluation."""
_NOT_RUN = frozenset({"path", "re_path", "url", "include", "as_view"})
"""Calls left to the walker: they are what the URLconf is made of."""
_CLASS_METHODS = frozenset({"classmethod", "classonlymethod"})
_GET_HOOKS = "get_hooks"
"""Wagtail's ``hooks.get_hooks(name)`` (or a project's registry of the same shape)."""
_PROPERTIES = frozenset({"property", "cached_property"})
_DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_APP_CONFIGS = ("apps.get_app_configs", "django.apps.apps.get_app_configs")
_IMPORTERS = frozenset(
    {"importlib.import_module", "django.utils.module_loading.import_string", "import_string"}
)
_FIND_SPEC = frozenset({"importlib.util.find_spec"})
_SETTINGS = "django.conf.settings"
_IMPORT_MODULE = "importlib.import_module"
"""Only a module: ``import_string`` names a class or function in one."""
_TRANSLATION = "django.utils.translation."
"""Django's documented i18n functions: a label's value is its message (untranslated)."""
_MESSAGE_ARGUMENT = {"gettext": 0, "gettext_lazy": 0, "ugettext": 0, "ugettext_lazy": 0}
_MESSAGE_ARGUMENT |= {"pgettext": 1, "pgettext_lazy": 1, "gettext_noop": 0}


class UrlFactoryEvaluator(NameResolver):
    """Evaluate pattern-list factories over the project's and the environment's trees."""

    def __init__(
        self,
        trees: list[SourceTree],
        installed_apps: list[str] | None,
        hooks: Callable[[str], list[str]] | None = None,
    ) -> None:
        super().__init__()
        self.trees = trees
        self.installed_apps = installed_apps
        self.hooks = hooks
        """Wagtail's ``hooks.get_hooks(name)``: the dotted names of the functions registered."""
        self._steps = 0
        self.max_steps = MAX_STEPS
        self.imported: list[str] = []
        """Modules the last :meth:`loop` imported (``importlib.import_module``)."""
        self.apps_exact = False
        """The settings spell ``INSTALLED_APPS`` out whole (a list of strings, unconditional)."""

    # --- entry points --------------------------------------------------------------------

    def attribute(self, frame: Frame, base: Any, attr: str) -> Any:
        """``base.attr``; ``settings.INSTALLED_APPS`` is the evaluated settings' list."""
        if attr == "INSTALLED_APPS" and isinstance(base, Ref) and base.dotted == _SETTINGS:
            if not (self.apps_exact and self.installed_apps):  # built at run time
                raise NotStatic("INSTALLED_APPS not spelled out in the settings")
            return list(self.installed_apps)
        return super().attribute(frame, base, attr)

    def call(self, tree: SourceTree, module: ParsedModule, node: ast.Call) -> list[Any]:
        """The items of the list ``node`` returns (raises :class:`NotStatic`).

        A single pattern (respa's ``admin_url(pattern, view, name)`` returning ``url(pattern,
        admin_login_required(view), name=name)`` as an item of ``urlpatterns``) is one item.
        """
        self._steps = 0
        with python_errors():
            value = self._call(Frame(tree, module, {}), node, run_opaque=False)
        if isinstance(value, Code):
            return [value]
        if not isinstance(value, list | tuple):
            raise NotStatic("not a list")
        return list(value)

    def loop(self, tree: SourceTree, module: ParsedModule, loop: ast.For, name: str) -> list[Any]:
        """What a module-level ``loop`` adds to the list ``name`` (raises :class:`NotStatic`)."""
        self._steps = 0
        self.imported.clear()
        frame = Frame(tree, module, {name: []})
        with python_errors():
            self.run(frame, [loop])
        found = frame.local[name]
        if not isinstance(found, list):
            raise NotStatic("rebound")
        return found

    def value_at(self, tree: SourceTree, module: ParsedModule, node: ast.expr) -> Any:
        """``node``'s value where it is written: the module's statements above it run first.

        (``api = Router(); api.register_endpoint(...); for fn in hooks: fn(api)``, then
        ``api.urls``.) Raises :class:`NotStatic`.
        """
        self._steps = 0
        frame = Frame(tree, module, {})
        above = [
            stmt
            for stmt in module.tree.body
            if (stmt.end_lineno or stmt.lineno) < node.lineno and not isinstance(stmt, _DEFINITIONS)
        ]
        with python_errors():
            self.run(frame, above)
            return self.eval(frame, node)

    def _parent_found(self, dotted: str) -> bool:
        parent = dotted.rpartition(".")[0]
        return bool(parent) and any(t.module_path(parent) for t in self.trees)

    # --- expressions ---------------------------------------------------------------------

    def eval(self, frame: Frame, node: ast.expr) -> Any:
        """The value of ``node`` in ``frame``."""
        self._steps += 1
        if self._steps > self.max_steps:
            raise NotStatic("evaluation budget exhausted")
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return self._name(frame, node.id)
        if isinstance(node, ast.Attribute):
            return self.attribute(frame, self.eval(frame, node.value), node.attr)
        if isinstance(node, ast.Call):
            return self._call(frame, node, run_opaque=True)
        if isinstance(node, ast.JoinedStr):
            return "".join(self._formatted(frame, part) for part in node.values)
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            items: list[Any] = []
            for elt in node.elts:
                if isinstance(elt, ast.Starred):
                    items.extend(self._iterable(self.eval(frame, elt.value), splice=True))
                else:
                    items.append(self.eval(frame, elt))
            return tuple(items) if isinstance(node, ast.Tuple) else items
        if isinstance(node, ast.Dict):
            built: dict[Any, Any] = {}
            for k, v in zip(node.keys, node.values, strict=True):
                value = self.eval(frame, v)
                if k is not None:
                    built[self.eval(frame, k)] = value
                elif isinstance(value, dict):
                    built.update(value)  # {**kwargs}
                else:
                    raise NotStatic("dict unpacking")
            return built
        if isinstance(node, ast.ListComp | ast.GeneratorExp | ast.SetComp):
            return self._comprehension(frame, node.elt, node.generators, 0, [])
        if isinstance(node, ast.DictComp):
            pair = ast.Tuple([node.key, node.value], ast.Load())
            return dict(self._comprehension(frame, pair, node.generators, 0, []))
        return self._operator(frame, node)

    def _operator(self, frame: Frame, node: ast.expr) -> Any:
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
            left, right = self.eval(frame, node.left), self.eval(frame, node.right)
            if isinstance(node.op, ast.Mod) and isinstance(left, str) and plain(right):
                return left % right
            if isinstance(left, list) and isinstance(right, Ref | Code):
                return [*left, Splice(right)]
            if type(left) is type(right) and isinstance(left, str | int | list | tuple):
                return left + right
            raise NotStatic("operands")
        if isinstance(node, ast.BoolOp):
            value: Any = None
            for operand in node.values:
                value = self.eval(frame, operand)
                if self.truth(value) == isinstance(node.op, ast.Or):
                    return value
            return value
        if isinstance(node, ast.UnaryOp):
            operand = self.eval(frame, node.operand)
            if isinstance(node.op, ast.Not):
                return not self.truth(operand)
            if isinstance(node.op, ast.USub) and type(operand) in (int, float):
                return -operand
            raise NotStatic("unary operator")
        if isinstance(node, ast.IfExp):
            taken = node.body if self.truth(self.eval(frame, node.test)) else node.orelse
            return self.eval(frame, taken)
        if isinstance(node, ast.Subscript):
            base, key = self.eval(frame, node.value), self.eval(frame, node.slice)
            if isinstance(base, dict | list | tuple | str) and isinstance(key, str | int):
                try:
                    return known(base[key])  # type: ignore[index]
                except (KeyError, IndexError, TypeError) as error:
                    raise NotStatic("subscript") from error
            raise NotStatic("subscript")
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            left, right = self.eval(frame, node.left), self.eval(frame, node.comparators[0])
            return compare(node.ops[0], left, right, self.distinct)
        raise NotStatic(type(node).__name__)

    def _formatted(self, frame: Frame, part: ast.expr) -> str:
        if isinstance(part, ast.Constant):
            return str(part.value)
        assert isinstance(part, ast.FormattedValue)
        value = self.eval(frame, part.value)
        if not isinstance(value, str | int | float | InstalledApp) or part.format_spec:
            raise NotStatic("formatted value")
        return value.name if isinstance(value, InstalledApp) else str(value)

    def _comprehension(
        self,
        frame: Frame,
        elt: ast.expr,
        generators: list[ast.comprehension],
        index: int,
        out: list[Any],
    ) -> list[Any]:
        if index == len(generators):
            out.append(self.eval(frame, elt))
            return out
        generator = generators[index]
        for item in self.iterate(self.eval(frame, generator.iter)):
            self.bind(frame, generator.target, item)
            if all(self.truth(self.eval(frame, test)) for test in generator.ifs):
                self._comprehension(frame, elt, generators, index + 1, out)
        return out

    def _iterable(self, value: Any, *, splice: bool) -> list[Any]:
        if splice and isinstance(value, Ref | Code):
            return [Splice(value)]
        return self.iterate(value)

    # --- calls -----------------------------------------------------------------------------

    def _call(self, frame: Frame, node: ast.Call, *, run_opaque: bool) -> Any:
        short = (
            node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        )
        if short in _NOT_RUN:
            return self._code(frame, node)
        func = self.eval(frame, node.func)
        args: list[Any] = []
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                args.extend(self.iterate(self.eval(frame, arg.value)))
            else:
                args.append(self.eval(frame, arg))
        kwargs: dict[str, Any] = {}
        for kw in node.keywords:
            value = self.eval(frame, kw.value)
            if kw.arg is None and not (
                isinstance(value, dict) and all(type(k) is str for k in value)
            ):
                raise NotStatic("**kwargs")
            kwargs.update(value if kw.arg is None else {kw.arg: value})
        if isinstance(func, Method):
            return self.run_method(frame, func, args, kwargs)
        if isinstance(func, Ref):
            return self._function(frame, func.dotted, node, args, kwargs, run_opaque=run_opaque)
        if isinstance(func, Builtin):
            return self._builtin(frame, func, args, kwargs)
        raise NotStatic("call of a value")

    def _function(
        self,
        frame: Frame,
        dotted: str,
        node: ast.Call,
        args: list[Any],
        kwargs: dict[str, Any],
        *,
        run_opaque: bool,
    ) -> Any:
        if dotted in _APP_CONFIGS or dotted.endswith(".apps.get_app_configs"):
            if self.installed_apps is None:
                raise NotStatic("INSTALLED_APPS unknown")
            return [InstalledApp(e, app_package(e)) for e in self.installed_apps]
        if dotted in _IMPORTERS and args and isinstance(args[0], str):
            if any(t.module_path(args[0]) for t in self.trees):
                self.imported.append(args[0])
            elif dotted == _IMPORT_MODULE and self.import_guards and self._parent_found(args[0]):
                # the package is read, its submodule is not: missing at run time too (an
                # app without ``urls``); a package not read may be a dependency not installed
                raise ImportFailed(args[0])
            return self.reference(args[0], frame.depth)
        if dotted.startswith(_TRANSLATION) and (
            (index := _MESSAGE_ARGUMENT.get(dotted.removeprefix(_TRANSLATION), -1)) >= 0
        ):
            if len(args) != index + 1 or kwargs or not isinstance(args[index], str):
                raise NotStatic(f"{dotted} arguments")
            return args[index]
        if dotted in _FIND_SPEC and args and isinstance(args[0], str):
            return True if any(t.module_path(args[0]) for t in self.trees) else None
        if (
            dotted.rpartition(".")[2] == _GET_HOOKS
            and self.hooks is not None
            and args
            and isinstance(args[0], str)
        ):
            return [Ref(name) for name in self.hooks(args[0])]
        cls = self._class(dotted)
        if cls is not None:
            try:
                return self._instantiate(frame, dotted, cls, args, kwargs)
            except NotStatic:
                if not run_opaque:
                    raise
                return self._code(frame, node)
        for tree in self.trees:
            found = tree.lookup(dotted)
            if found is not None and isinstance(found[1], ast.FunctionDef):
                if not all(_registers(d) for d in found[1].decorator_list):
                    break
                return self.invoke(Frame(tree, found[0], {}, frame.depth), found[1], args, kwargs)
        if run_opaque:
            return self._code(frame, node)
        raise NotStatic(f"call of {dotted}")

    def run_method(
        self, frame: Frame, method: Method, args: list[Any], kwargs: dict[str, Any]
    ) -> Any:
        """Call ``method``: bound to its instance, its class (classmethod) or nothing."""
        decorators = {decorator_name(d) for d in method.func.decorator_list}
        if decorators - (_CLASS_METHODS | _PROPERTIES | {"staticmethod"}):
            raise NotStatic("decorated method")
        if method.instance is not None:
            args = [method.instance, *args]
        elif decorators & _CLASS_METHODS:
            args = [Ref(method.owner), *args]
        elif "staticmethod" not in decorators:
            raise NotStatic("instance method called on its class")
        for tree in self.trees:
            module = tree.load(method.module) if tree.module_path(method.module) else None
            if module is not None:
                called = Frame(tree, module, {}, frame.depth, method)
                return self.invoke(called, method.func, args, kwargs)
        raise NotStatic(method.module)

    def _instantiate(
        self, frame: Frame, dotted: str, found: ClassFound, args: list[Any], kwargs: dict[str, Any]
    ) -> Instance:
        """``Class(...)``: an :class:`Instance`, its ``__init__`` run."""
        instance = Instance(dotted)
        try:
            init = self.class_attribute(dotted, found, "__init__", frame.depth)
        except Missing:
            if args or kwargs:
                raise NotStatic("arguments without __init__") from None
            return instance
        if not isinstance(init, Method):
            raise NotStatic("__init__")
        self.run_method(frame, dataclasses.replace(init, instance=instance), args, kwargs)
        return instance

    def _builtin(self, frame: Frame, func: Builtin, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if func.name == "super" and func.receiver is None and not args and frame.method:
            method = frame.method
            return Super(method.defined_in, method.instance or Ref(method.owner))
        if func.name == "isinstance" and func.receiver is None and len(args) == 2:
            return self.is_instance(args[0], args[1])
        if func.name in ("hasattr", "getattr") and func.receiver is None and len(args) >= 2:
            if not isinstance(args[1], str):
                raise NotStatic("attribute name")
            present = self.has_attribute(frame, args[0], args[1])
            if func.name == "hasattr":
                return present
            if present:
                return self.attribute(frame, args[0], args[1])
            if len(args) > 2:
                return args[2]
            raise NotStatic("getattr without default")
        return call_builtin(func, args, kwargs, self.iterate)

    def _code(self, frame: Frame, node: ast.Call) -> Code:
        """``node`` for the walker: its arguments evaluated, its names absolute."""
        func = node.func  # ``self.view_class.as_view``: the receiver's value, when known
        if isinstance(func, ast.Attribute):
            func = ast.Attribute(self._operand(frame, func.value), func.attr, ast.Load())
        else:
            func = absolute(frame, func)
        args = [
            ast.Starred(self._operand(frame, a.value), ast.Load())
            if isinstance(a, ast.Starred)
            else self._operand(frame, a)
            for a in node.args
        ]
        keywords = [ast.keyword(kw.arg, self._operand(frame, kw.value)) for kw in node.keywords]
        call = ast.Call(func, args, keywords)
        return Code(ast.copy_location(call, node))

    def _operand(self, frame: Frame, node: ast.expr) -> ast.expr:
        try:
            return ast.copy_location(to_node(self.eval(frame, node)), node)
        except NotStatic:
            return absolute(frame, node)


@contextlib.contextmanager
def python_errors() -> Iterator[None]:
    """What Python itself would reject (``"".join`` of code, an unhashable key) is not static."""
    try:
        yield
    except (TypeError, ValueError, LookupError, ArithmeticError) as error:
        raise NotStatic(f"{type(error).__name__}: {error}") from error


def _registers(decorator: ast.expr) -> bool:
    """``@hooks.register("name")``: a registration decorator returns the function itself."""
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return decorator_name(target) == "register"
