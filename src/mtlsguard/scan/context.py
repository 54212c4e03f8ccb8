"""What a rule sees: the neutral project model and the analysed routes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from mtlsguard.findings.model import Location
from mtlsguard.scan.analysis.protection import ProtectionAnalyzer
from mtlsguard.scan.analysis.route import RouteAnalysis
from mtlsguard.scan.project_model import (
    Call,
    ClassModel,
    Const,
    Expr,
    ProjectModel,
    Ref,
    SettingValue,
    string_constants,
)

__all__ = ["RuleContext"]

_USER_MODELS = ("AUTH_USER_MODEL", "auth.User", "User", "get_user_model")
_OWNER_NAMES = frozenset({"owner", "user", "author", "created_by", "account_holder"})
_RELATIONS = frozenset({"ForeignKey", "OneToOneField", "ManyToManyField"})


@dataclass(frozen=True, slots=True)
class RuleContext:
    """Input of every rule."""

    project: ProjectModel
    routes: tuple[RouteAnalysis, ...]
    analyzer: ProtectionAnalyzer

    def setting(self, name: str) -> SettingValue | None:
        """The setting ``name`` from the project's settings, if any."""
        if self.project.settings is None:
            return None
        return self.project.settings.get(name)

    def settings_location(self) -> Location | None:
        """A location in the settings module (its first setting), for settings-wide findings."""
        if self.project.settings is None or not self.project.settings.values:
            return None
        first = min(self.project.settings.values.values(), key=lambda v: v.location.line)
        return Location(first.location.path, 1)

    def installed(self, prefix: str) -> bool:
        """True if an ``INSTALLED_APPS``/``MIDDLEWARE`` entry starts with ``prefix``."""
        for key in ("INSTALLED_APPS", "MIDDLEWARE"):
            value = self.setting(key)
            if value is None:
                continue
            for item in string_constants(value.value):
                if item.startswith(prefix):
                    return True
        return False

    def owner_fields(self, model: str | None) -> tuple[str, ...]:
        """Fields of ``model`` that relate it to a user (owner FK), if it is a project model."""
        if model is None:
            return ()
        cls = self.project.class_named(model)
        if cls is None:
            return ()
        fields: list[str] = []
        for entry in cls.mro:
            owner = self.project.class_named(entry)
            if owner is None:
                continue
            for name, value in owner.attributes.items():
                if _is_user_relation(name, value):
                    fields.append(name)
        return tuple(dict.fromkeys(fields))

    def middleware_classes(self) -> Iterator[ClassModel]:
        """Project classes listed in ``MIDDLEWARE``."""
        for key in ("MIDDLEWARE", "MIDDLEWARE_CLASSES"):
            value = self.setting(key)
            if value is None:
                continue
            for item in string_constants(value.value):
                cls = self.project.class_named(item)
                if cls is not None:
                    yield cls


def _is_user_relation(name: str, value: Expr) -> bool:
    if not (isinstance(value, Call) and isinstance(value.func, Ref)):
        return False
    if value.func.short not in _RELATIONS:
        return False
    target = value.args[0] if value.args else value.kwarg("to")
    text = ""
    if isinstance(target, Ref):
        text = target.name
    elif isinstance(target, Const) and isinstance(target.value, str):
        text = target.value
    elif isinstance(target, Call) and isinstance(target.func, Ref):
        text = target.func.name
    if any(text.endswith(u) for u in _USER_MODELS):
        return True
    # A relation called owner/user is ownership even when it points at a profile model; a
    # ``customer``/``organization`` FK to a non-user model is tenancy, not a user relation.
    return name in _OWNER_NAMES and bool(text)
