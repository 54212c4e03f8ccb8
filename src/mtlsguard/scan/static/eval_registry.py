"""Registries filled by hook functions: an evaluator that follows module-level objects.

Wagtail's ``register_admin_urls`` hook runs ``viewsets.populate()`` (each
``register_admin_viewset`` hook's viewsets, ``viewsets.register(vs)``) and returns
``viewsets.get_urlpatterns()``. :class:`RegistryEvaluator` runs such a hook function whole:
a module-level object it meets (``viewsets = ViewSetRegistry()``) is built once and its
methods run on it, so what ``register()`` appends is what ``get_urlpatterns()`` iterates.

Two effects are allowed without running them, each recorded as an assumption:

- ``hooks.register(name, fn)`` (the ``register`` of a module that also defines
  ``get_hooks``): the hook is recorded, and a later ``get_hooks(name)`` of the same name in
  the evaluation stops it;
- a call whose result is discarded and that :class:`~.eval_effects.EffectAudit` proves cannot
  reach the followed objects nor change the object it is made on (``viewset.on_register()``
  registering a menu item or a permission policy);
- the same for a call (or an attribute read) whose value is assigned (``self.now =
  timezone.now()``): the name is bound to an :class:`~.eval_values.Unknown`, and reading it
  stops the evaluation, so a value that matters is never guessed.

Objects built by the code (``UNDEFINED = object()``, ``type(...)()``) are sentinels equal only
to themselves; ``callable()`` and ``setattr()`` on the objects it built are run. Anything else
stops the evaluation as before.
"""

from __future__ import annotations

import ast
from typing import Any

from mtlsguard.scan.static.admin_site import app_package
from mtlsguard.scan.static.eval_effects import EffectAudit
from mtlsguard.scan.static.eval_models import model_meta, user_model
from mtlsguard.scan.static.eval_names import Missing
from mtlsguard.scan.static.eval_statements import MAX_CALL_DEPTH
from mtlsguard.scan.static.eval_values import (
    Builtin,
    Frame,
    InstalledApp,
    Instance,
    Method,
    NotStatic,
    Ref,
    Sentinel,
    Unknown,
)
from mtlsguard.scan.static.evaluation import MAX_STEPS, UrlFactoryEvaluator, python_errors
from mtlsguard.scan.static.source import ParsedModule, SourceTree

__all__ = ["RegistryEvaluator"]

_BUDGET = "evaluation budget exhausted"
_REGISTRY_STEPS = 200_000
"""A registry hook builds every registered viewset's views (their options, their forms)."""
_REGISTRY_DEPTH = 12
"""A hook, the registry's populate() and register(), a viewset's methods and properties."""
_APP_LOOKUPS = frozenset({"get_app_config", "is_installed", "get_model"})
_SETTINGS = "django.conf.settings"
_APPS = frozenset({"django.apps.apps", "django.apps.registry.apps"})
"""Django's app registry, as imported (``from django.apps import apps``) or defined."""


class RegistryEvaluator(UrlFactoryEvaluator):
    """:class:`UrlFactoryEvaluator` that can also run hook functions filling a registry."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.assumed: list[str] = []
        """What the last :meth:`run_function` did not run, and why that cannot matter."""
        self._registered: set[str] = set()
        self._dropped: dict[str, Instance] = {}
        self.followed: list[str] = []
        """Module-level objects the last :meth:`run_function` followed."""
        self._before: list[set[str]] = []
        """The followed objects before each statement being run (innermost last)."""
        self.settings_values: dict[str, str] = {}
        """The settings' constant strings (``AUTH_USER_MODEL``, ``DEFAULT_AUTO_FIELD``)."""

    def run_function(
        self, tree: SourceTree, module: ParsedModule, func: ast.FunctionDef
    ) -> list[Any]:
        """The list ``func()`` returns, module-level objects followed (raises NotStatic)."""
        self._steps = 0
        self.max_depth, self.max_steps = _REGISTRY_DEPTH, _REGISTRY_STEPS
        self.objects = {}
        self.assumed = []

        try:
            with python_errors():
                value = self.invoke(Frame(tree, module, {}), func, [], {})
        finally:
            followed = self.objects
            self.objects = None
            self.max_depth, self.max_steps = MAX_CALL_DEPTH, MAX_STEPS
        if not isinstance(value, list | tuple):
            raise NotStatic("not a list")
        self.followed = sorted(followed)
        return list(value)

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
        holder, _, name = dotted.rpartition(".")
        if name == "get_user_model" and holder.startswith("django.contrib.auth") and not args:
            return user_model(self, frame)
        if holder in _APPS and name in _APP_LOOKUPS and self.installed_apps is not None:
            return self._app_lookup(frame, name, args)
        if self.objects is not None and self._hook_registry(holder):
            if name == "register" and len(args) == 2 and isinstance(args[0], str):
                self._registered.add(args[0])
                self.assumed.append(f"{holder}.register({args[0]!r}, ...) recorded, not run")
                return None
            if name == "get_hooks" and args and args[0] in self._registered:
                raise NotStatic(f"hook {args[0]} registered while evaluating")
        return super()._function(frame, dotted, node, args, kwargs, run_opaque=run_opaque)

    def eval(self, frame: Frame, node: ast.expr) -> Any:
        """The value of ``node``; ``type(name, bases, namespace)()`` is a :class:`Sentinel`."""
        if (
            isinstance(node, ast.Call)
            and not node.args
            and isinstance(node.func, ast.Call)
            and isinstance(node.func.func, ast.Name)
            and node.func.func.id == "type"
            and len(node.func.args) == 3
        ):
            return Sentinel(f"{frame.module.name}:{node.lineno}:{node.col_offset}")
        if (
            isinstance(node, ast.Call)
            and not node.args
            and not node.keywords
            and isinstance(node.func, ast.Name)
            and node.func.id == "object"
            and isinstance(self._name(frame, "object"), Builtin)
        ):
            return Sentinel(f"{frame.module.name}:{node.lineno}:{node.col_offset}")
        return super().eval(frame, node)

    def _builtin(self, frame: Frame, func: Builtin, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if func.name == "callable" and func.receiver is None and len(args) == 1 and not kwargs:
            return self._callable(args[0])
        if func.name == "setattr" and func.receiver is None and len(args) == 3 and not kwargs:
            target = self.deref(args[0])
            if not isinstance(target, Instance) or not isinstance(args[1], str):
                raise NotStatic("setattr on a value it does not know")
            target.attrs[args[1]] = args[2]  # (an object it built: ``self`` of ``__init__``)
            return None
        return super()._builtin(frame, func, args, kwargs)

    def _callable(self, value: Any) -> bool:
        value = self.deref(value)
        if value is None or isinstance(value, str | int | float | list | tuple | dict | Sentinel):
            return False
        if self.distinct(value):
            return True  # a class, a function, a method
        if isinstance(value, Instance):
            found = self._class(value.cls)
            if found is None:
                raise NotStatic(f"callable of {value.cls}")
            try:
                self.class_attribute(value.cls, found, "__call__", 0)
            except Missing:
                return False
            return True
        raise NotStatic("callable of a value it does not know")

    def reference(self, dotted: str, depth: int) -> Any:
        """A module-level name; ``django.conf.settings`` holds the settings' constant strings."""
        if dotted == _SETTINGS and self.objects is not None:
            return Instance("django.conf.LazySettings", dict(self.settings_values))
        return super().reference(dotted, depth)

    def attribute(self, frame: Frame, base: Any, attr: str) -> Any:
        """``base.attr``; ``Model._meta`` of a model class of the trees."""
        if attr == "_meta" and isinstance(base, Ref) and base.dotted not in (self.objects or {}):
            return model_meta(self, frame, base)
        return super().attribute(frame, base, attr)

    def _app_lookup(self, frame: Frame, name: str, args: list[Any]) -> Any:
        """``apps.get_app_config(label)``, ``apps.is_installed(name)`` over INSTALLED_APPS."""
        if not args or not isinstance(args[0], str):
            raise NotStatic(f"apps.{name} arguments")
        installed = [InstalledApp(e, app_package(e)) for e in self.installed_apps or []]
        if name == "is_installed":
            return any(app.name == args[0] for app in installed)
        label, _, model = args[0].partition(".")
        for app in installed:
            if self.attribute(frame, app, "label") == label:
                return Ref(f"{app.name}.models.{model}") if name == "get_model" else app
        raise NotStatic(f"no installed app {args[0]}")  # LookupError in Django

    def _hook_registry(self, module: str) -> bool:
        """``module`` defines both ``register`` and ``get_hooks`` (Wagtail's ``hooks``)."""
        return all(
            any(t.lookup(f"{module}.{n}") for t in self.trees) for n in ("register", "get_hooks")
        )

    def _statement(self, frame: Frame, stmt: ast.stmt) -> None:
        if self.objects is None or not isinstance(stmt, ast.Expr | ast.Assign | ast.AnnAssign):
            super()._statement(frame, stmt)
            return
        self._before.append(set(self.objects))
        try:
            super()._statement(frame, stmt)
        finally:
            self._before.pop()

    def unknown(self, frame: Frame, node: ast.expr, stopped: NotStatic) -> Unknown:
        """``x = call()`` not run: its value :class:`Unknown` if its effects cannot matter."""
        self.discarded(frame, node, stopped)
        return Unknown(str(stopped))

    def discarded(self, frame: Frame, node: ast.expr, stopped: NotStatic) -> None:
        """Go on past a call whose effects provably cannot reach the followed objects.

        (Or past an attribute read: a property it runs is audited the same way.)
        """
        if self.objects is None or str(stopped) == _BUDGET:
            raise stopped
        if not isinstance(node, ast.Call | ast.Attribute):
            raise stopped
        before = self._before[-1] if self._before else set()
        self._dropped = {n: self.objects.pop(n) for n in set(self.objects) - before}
        # (built part-way by the call: not followed further)
        if isinstance(node, ast.Call):
            reason = self._harmful(frame, node)
        else:
            audit = EffectAudit(self.trees, set(self.objects), self._object_methods())
            reason = self._statement_audit(frame, node, audit)
        if reason is not None:
            raise NotStatic(f"{stopped}; its effect was not skipped: {reason}") from stopped
        where = f"{frame.module.name}:{node.lineno}"
        objects = ", ".join(sorted(self.objects))
        self.assumed.append(
            f"{ast.unparse(node)} ({where}) not run: what it can call cannot change {objects}"
        )

    def _harmful(self, frame: Frame, node: ast.Call) -> str | None:
        """None when the call provably cannot change the followed objects."""
        audit = EffectAudit(self.trees, set(self.objects or {}), self._object_methods())
        try:
            func = self.eval(frame, node.func)
            args = [self.eval(frame, a) for a in node.args]
            kwargs = [self.eval(frame, k.value) for k in node.keywords]
        except NotStatic:
            return self._statement_audit(frame, node, audit)
        bound = isinstance(func, Method) and isinstance(func.instance, Instance)
        passed = frozenset(
            _parameter(func, index + bound) for index, value in enumerate(args) if _object(value)
        ) | frozenset(
            k.arg or "**" for k, v in zip(node.keywords, kwargs, strict=True) if _object(v)
        )
        if isinstance(func, Method) and isinstance(func.instance, Instance):
            guarded = not any(func.instance is o for o in self._dropped.values())
            return audit.method_call(
                func.instance.cls, func.module, func.func, guarded=guarded, passed=passed
            )
        if isinstance(func, Ref):
            return audit.function_call(func.dotted, passed)
        return "an unknown callee"

    def registered_elsewhere(self, packages: list[str]) -> str | None:
        """Where an installed app's import-time code fills a followed object; None if nowhere.

        Its startup modules (its package, ``apps``, ``models``, ``admin``, ``wagtail_hooks``)
        naming the object, or calling a function that does (``@register_snippet``).
        """
        audit = EffectAudit(self.trees, set(self.followed), set(), limit=40)
        audit.only_names = True
        for package in packages:
            for suffix in ("", ".apps", ".models", ".admin", ".wagtail_hooks"):
                name = package + suffix
                if any(name == obj.rpartition(".")[0] for obj in self.followed):
                    continue  # the object's own module builds it
                for tree in self.trees:
                    module = tree.load(name) if tree.module_path(name) else None
                    found = audit.names_objects(tree, module) if module is not None else None
                    if found is not None:
                        return found
        return None

    def _statement_audit(self, frame: Frame, node: ast.expr, audit: EffectAudit) -> str | None:
        """The expression read as code in its method (its callee or arguments not known).

        What it reads of ``self`` (properties) and what it calls are audited.
        """
        method = frame.method
        if method is None or not isinstance(method.instance, Instance):
            return "its callee or arguments are not known"
        params = [*method.func.args.posonlyargs, *method.func.args.args]
        spec = ast.arguments(
            posonlyargs=[], args=params[:1], kwonlyargs=[], kw_defaults=[], defaults=[]
        )
        synthetic = ast.FunctionDef(
            name="<call>", args=spec, body=[ast.Expr(node)], decorator_list=[]
        )
        return audit.method_call(method.instance.cls, method.module, synthetic, guarded=True)

    def _object_methods(self) -> set[str]:
        names: set[str] = set()
        for obj in (self.objects or {}).values():
            found = self._class(obj.cls)
            if found is not None:
                names.update(s.name for s in found[2].body if isinstance(s, ast.FunctionDef))
        return names - {"__init__"}


def _object(value: Any) -> bool:
    """A value the callee could change in place (an object, a list, a dict)."""
    return isinstance(value, Instance | list | dict)


def _parameter(func: Any, index: int) -> str:
    """The name of ``func``'s parameter ``index`` (``*`` when it is not a known one)."""
    spec = func.func.args if isinstance(func, Method) else None
    params = [*spec.posonlyargs, *spec.args] if spec is not None else []
    return params[index].arg if index < len(params) else "*"
