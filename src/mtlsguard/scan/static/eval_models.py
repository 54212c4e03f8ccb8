"""Django model metadata for the evaluator: ``Model._meta`` and ``get_user_model()``.

A viewset built for a model reads ``model._meta.app_label``, ``model_name`` and the primary
key's field class (``pk_path_converter``: ``int`` for an ``IntegerField``). They follow from
the model's class as Django builds them: ``Meta.app_label`` or the installed app whose package
holds the model, the class name in lower case, and the field declared ``primary_key=True``
(in the class or a base) or else the automatic ``id`` (the app's ``default_auto_field``, else
``DEFAULT_AUTO_FIELD``, else ``AutoField``).
"""

from __future__ import annotations

import ast
from typing import Any, Protocol

from mtlsguard.scan.static.admin_site import app_package
from mtlsguard.scan.static.class_bases import base_node
from mtlsguard.scan.static.eval_values import Frame, InstalledApp, Instance, NotStatic, Ref
from mtlsguard.scan.static.source import ParsedModule, SourceTree

__all__ = ["ModelFacts", "model_meta", "user_model"]

_MODEL = "django.db.models.Model"
_AUTO = "django.db.models.AutoField"
_OPTIONS = "django.db.models.options.Options"
ClassFound = tuple[SourceTree, ParsedModule, ast.ClassDef]


class ModelFacts(Protocol):
    """What :func:`model_meta` needs of the evaluator."""

    trees: list[SourceTree]
    installed_apps: list[str] | None
    settings_values: dict[str, str]

    def _class(self, dotted: str) -> ClassFound | None: ...

    def _subclass(self, dotted: str, ancestor: str, level: int) -> bool: ...

    def attribute(self, frame: Frame, base: Any, attr: str) -> Any:
        """``base.attr``."""


def model_meta(evaluator: ModelFacts, frame: Frame, model: Ref) -> Instance:
    """``model._meta`` (raises NotStatic when ``model`` is not a model of the trees)."""
    found = evaluator._class(model.dotted)
    if found is None or not evaluator._subclass(model.dotted, _MODEL, 0):
        raise NotStatic(f"{model.dotted}._meta")
    name = found[2].name
    app = _app_of(evaluator, found[1].name)
    label = _meta_option(found[2], "app_label")
    if label is None:
        if app is None:
            raise NotStatic(f"the app of {model.dotted}")
        label = evaluator.attribute(frame, app, "label")
    pk = _declared_pk(evaluator, found, 0) or _auto_field(evaluator, frame, app)
    attrs = {"app_label": label, "model_name": name.lower(), "object_name": name, "pk": pk}
    # Django's default table name (``Meta.db_table`` when the class sets it)
    attrs["db_table"] = _meta_option(found[2], "db_table") or f"{label}_{name.lower()}"
    return Instance(_OPTIONS, attrs)


def user_model(evaluator: ModelFacts, frame: Frame) -> Ref:
    """``get_user_model()``: ``AUTH_USER_MODEL`` (``auth.User``) as a class of the trees."""
    label, _, name = evaluator.settings_values.get("AUTH_USER_MODEL", "auth.User").partition(".")
    for entry in evaluator.installed_apps or []:
        app = InstalledApp(entry, _package(evaluator, entry))
        if evaluator.attribute(frame, app, "label") == label:
            return Ref(f"{app.name}.models.{name}")
    raise NotStatic(f"AUTH_USER_MODEL {label}.{name} not installed")


def _package(evaluator: ModelFacts, entry: str) -> str:
    del evaluator
    return app_package(entry)


def _app_of(evaluator: ModelFacts, module: str) -> InstalledApp | None:
    """The installed app whose package holds ``module`` (the longest match)."""
    best: InstalledApp | None = None
    for entry in evaluator.installed_apps or []:
        package = _package(evaluator, entry)
        if (module == package or module.startswith(package + ".")) and (
            best is None or len(package) > len(best.name)
        ):
            best = InstalledApp(entry, package)
    return best


def _meta_option(node: ast.ClassDef, option: str) -> str | None:
    for stmt in node.body:
        if isinstance(stmt, ast.ClassDef) and stmt.name == "Meta":
            for item in stmt.body:
                if (
                    isinstance(item, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == option for t in item.targets)
                    and isinstance(item.value, ast.Constant)
                    and isinstance(item.value.value, str)
                ):
                    return item.value.value
    return None


def _declared_pk(evaluator: ModelFacts, found: ClassFound, level: int) -> Instance | None:
    """The field declared ``primary_key=True`` in the class or its bases."""
    tree, module, node = found
    for stmt in node.body:
        value = stmt.value if isinstance(stmt, ast.Assign | ast.AnnAssign) else None
        if isinstance(value, ast.Call) and any(
            k.arg == "primary_key" and isinstance(k.value, ast.Constant) and k.value.value is True
            for k in value.keywords
        ):
            cls = tree.dotted_of(module, value.func)
            if cls is None or evaluator._class(cls) is None:
                raise NotStatic("primary key field")
            return Instance(cls, {"primary_key": True})
    if level > 8:
        raise NotStatic("model hierarchy too deep")
    for base in node.bases:
        dotted = tree.dotted_of(module, base_node(base))
        parent = evaluator._class(dotted) if dotted else None
        if parent is not None:
            pk = _declared_pk(evaluator, parent, level + 1)
            if pk is not None:
                return pk
    return None


def _auto_field(evaluator: ModelFacts, frame: Frame, app: InstalledApp | None) -> Instance:
    """The automatic ``id``: the app's ``default_auto_field``, then the setting."""
    dotted = evaluator.settings_values.get("DEFAULT_AUTO_FIELD", _AUTO)
    if app is not None:
        try:
            value = evaluator.attribute(frame, app, "default_auto_field")
        except NotStatic:
            value = None
        dotted = value if isinstance(value, str) else dotted
    if evaluator._class(dotted) is None:
        raise NotStatic(f"auto field {dotted}")
    return Instance(dotted, {"primary_key": True})
