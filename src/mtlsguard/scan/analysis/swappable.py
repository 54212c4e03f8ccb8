"""Models named through a swappable-model getter: ``get_image_model()`` is a model class.

Django lets a site swap the user model through a setting and ``get_user_model()``; reusable
apps copy the idiom for their own models: a function returning
``apps.get_model(getattr(settings, "APP_IMAGE_MODEL", "app_label.Image"))``, often through a
second function that reads the setting. A lookup on ``get_object_or_404(get_image_model(),
id=image_id)`` fetches records of that model, so whether they belong to a user is the model's
question. The site's setting wins when it is a plain string; otherwise the getter's default.
An ``app_label.Model`` string names the installed app with that label (an ``AppConfig`` entry's
``label``, else the package's last component), else the getter's own package (where the
default model lives), else the one installed app with a model of that name.
"""

from __future__ import annotations

from mtlsguard.scan.project_model import (
    Call,
    Const,
    Expr,
    FunctionModel,
    ProjectModel,
    Ref,
    string_constants,
)

__all__ = ["model_of_getter", "model_of_label"]

_SETTINGS = "django.conf.settings"
_GET_USER_MODEL = "django.contrib.auth.get_user_model"
_MAX_DEPTH = 2


def model_of_getter(project: ProjectModel, name: str | None) -> str | None:
    """The model class (dotted) the project function ``name`` returns, if it is a getter.

    ``None`` when ``name`` is not a project function returning ``apps.get_model(...)`` of a
    label it can be told (a constant, a setting with a string default, or a project function
    returning one).
    """
    if not name or project.class_named(name) is not None:
        return None
    func = project.function_named(name)
    if func is None:
        return None
    for value in func.facts.returns:
        if (
            isinstance(value, Call)
            and isinstance(value.func, Ref)
            and value.func.name == _GET_USER_MODEL
        ):
            return _GET_USER_MODEL  # a wrapper of Django's documented getter
        label = _get_model_label(project, func, value)
        if label:
            return _class_for_label(project, label, func.qualname)
    return None


def model_of_label(project: ProjectModel, label: str, near: str) -> str | None:
    """The model class (dotted) an ``app_label.Model`` string names, seen from module ``near``.

    Resolved as a getter's default is (see the module docstring), ``near`` standing for the
    getter: the installed app with that label, else a ``models`` module of ``near``'s packages.
    """
    return _class_for_label(project, label, f"{near}._")


def _get_model_label(project: ProjectModel, func: FunctionModel, value: Expr) -> str | None:
    """``app_label.Model`` of ``apps.get_model(...)`` returned by ``func``."""
    if not (isinstance(value, Call) and isinstance(value.func, Ref)):
        return None
    parts = value.func.name.split(".")
    if parts[-1] != "get_model" or len(parts) < 2 or parts[-2] != "apps":
        return None  # Django's app registry (``from django.apps import apps``)
    args = value.args
    texts = [a.value for a in args[:2] if isinstance(a, Const) and isinstance(a.value, str)]
    if len(texts) == 2:
        return ".".join(texts)  # apps.get_model("app_label", "Model")
    if not args:
        return None
    label = _label(project, args[0], 0)
    if label is None and isinstance(args[0], Ref) and "." not in args[0].name:
        # ``model_string = get_image_model_string()``: a local computed by a callee.
        for callee in func.facts.calls:
            label = _callee_label(project, callee, 1)
            if label:
                break
    return label


def _label(project: ProjectModel, value: Expr, depth: int) -> str | None:
    """The ``app_label.Model`` string ``value`` evaluates to, when it can be told."""
    if isinstance(value, Const):
        return value.value if isinstance(value.value, str) and "." in value.value else None
    if isinstance(value, Ref) and value.name.startswith(_SETTINGS + "."):
        return _setting(project, value.name.rsplit(".", 1)[-1], None)
    if not (isinstance(value, Call) and isinstance(value.func, Ref)):
        return None
    if value.func.name == "getattr" and len(value.args) >= 2:
        holder, key = value.args[0], value.args[1]
        default = value.args[2] if len(value.args) > 2 else None
        if (
            isinstance(holder, Ref)
            and holder.name == _SETTINGS
            and isinstance(key, Const)
            and isinstance(key.value, str)
        ):
            fallback = default.value if isinstance(default, Const) else None
            return _setting(project, key.value, fallback if isinstance(fallback, str) else None)
        return None
    return _callee_label(project, value.func.name, depth + 1)


def _callee_label(project: ProjectModel, name: str, depth: int) -> str | None:
    """The label a project function returns (``get_image_model_string()``)."""
    if depth > _MAX_DEPTH or name.startswith((".", "self.")):
        return None
    func = project.function_named(name)
    if func is None:
        return None
    for value in func.facts.returns:
        label = _label(project, value, depth)
        if label:
            return label
    return None


def _setting(project: ProjectModel, key: str, default: str | None) -> str | None:
    """The site's value of setting ``key`` when it is a string, else ``default``."""
    found = project.settings.get(key) if project.settings is not None else None
    if found is not None and isinstance(found.value, Const) and isinstance(found.value.value, str):
        return found.value.value
    return default


def _installed(project: ProjectModel) -> list[tuple[str, str]]:
    """``(package, label)`` of every installed app."""
    found = project.settings.get("INSTALLED_APPS") if project.settings is not None else None
    apps: list[tuple[str, str]] = []
    for entry in string_constants(found.value) if found is not None else ():
        parts = entry.split(".")
        package, label = entry, parts[-1]
        if len(parts) >= 3 and parts[-2] == "apps" and parts[-1][:1].isupper():
            package = ".".join(parts[:-2])
            label = package.rsplit(".", 1)[-1]
            config = project.class_named(entry)
            declared = project.attribute(config, "label") if config is not None else None
            if declared is not None and isinstance(declared[1], Const):
                label = str(declared[1].value)
        apps.append((package, label))
    return apps


def _class_for_label(project: ProjectModel, label: str, getter: str) -> str | None:
    """The model class ``app_label.Model`` names (see the module docstring)."""
    app_label, _, name = label.rpartition(".")
    if not app_label or not name:
        return None
    apps = _installed(project)
    modules = [f"{package}.models" for package, known in apps if known == app_label]
    # The getter's package holds the default model (``wagtail.images`` for Image).
    parts = getter.split(".")[:-1]
    modules.extend(".".join([*parts[:end], "models"]) for end in range(len(parts), 0, -1))
    for module in modules:
        cls = project.class_named(f"{module}.{name}")
        if cls is not None:
            return cls.qualname
    found = {
        cls.qualname
        for package, _label in apps
        if (cls := project.class_named(f"{package}.models.{name}")) is not None
    }
    return found.pop() if len(found) == 1 else None
