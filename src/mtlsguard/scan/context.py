"""What a rule sees: the neutral project model, the analysed routes and the shared analyses.

Analyses several rules need — the role gate in front of a route, what scopes a view's
queryset to the user, which fields make a model a user's, the project's request-path
components — are computed on first use and kept here, so each is derived once per route (or
view class, model, project) whichever rule asks first, and a rule module holds only its
judgement.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mtlsguard.findings.model import Location
from mtlsguard.scan.analysis.components import components
from mtlsguard.scan.analysis.object_checks import UncheckedObject, unchecked_objects
from mtlsguard.scan.analysis.ownership import owner_fields
from mtlsguard.scan.analysis.protection import ProtectionAnalyzer
from mtlsguard.scan.analysis.relations import ModelSources
from mtlsguard.scan.analysis.roles import RoleGate, role_gate
from mtlsguard.scan.analysis.route import RouteAnalysis
from mtlsguard.scan.analysis.scoping import queryset_scope
from mtlsguard.scan.analysis.sources import SourceFunctions, project_sources
from mtlsguard.scan.linearisation import Linearisation
from mtlsguard.scan.project_model import (
    ClassModel,
    FunctionModel,
    ProjectModel,
    SettingValue,
    string_constants,
)

__all__ = ["RuleContext"]


@dataclass(slots=True)
class _Shared:
    """Results of the shared analyses, filled on first use."""

    role_gates: dict[int, tuple[RouteAnalysis, RoleGate | None]] = field(default_factory=dict)
    """By ``id()`` of the route analysis, which is kept with its gate so the id stays its."""
    queryset_scopes: dict[str, str | None] = field(default_factory=dict)
    """By view class."""
    owner_fields: dict[str | None, tuple[str, ...]] = field(default_factory=dict)
    """By model."""
    components: tuple[tuple[str, ClassModel], ...] | None = None
    unchecked: dict[tuple[str, str], tuple[UncheckedObject, ...]] = field(default_factory=dict)
    """By (view class, handler): a handler inherited by many viewsets is followed once each."""
    model_sources: ModelSources | None = None
    linearisation: Linearisation | None = None
    """Every route's role gate merges its view's MRO with this one (each class once)."""


@dataclass(frozen=True, slots=True)
class RuleContext:
    """Input of every rule."""

    project: ProjectModel
    routes: tuple[RouteAnalysis, ...]
    analyzer: ProtectionAnalyzer
    _shared: _Shared = field(default_factory=_Shared, repr=False, compare=False)

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
        cache = self._shared.owner_fields
        if model not in cache:
            cache[model] = owner_fields(self.project, model)
        return cache[model]

    def unchecked_objects(
        self, cls: ClassModel | None, handler: FunctionModel
    ) -> tuple[UncheckedObject, ...]:
        """:func:`~mtlsguard.scan.analysis.object_checks.unchecked_objects`, computed once."""
        key = (cls.qualname if cls is not None else "", handler.qualname)
        cache = self._shared.unchecked
        if key not in cache:
            cache[key] = tuple(unchecked_objects(self.project, cls, handler))
        return cache[key]

    def role_gate(self, analysis: RouteAnalysis) -> RoleGate | None:
        """The strongest role gate (staff, then a global permission) in front of the route."""
        cache = self._shared.role_gates
        cached = cache.get(id(analysis))
        if cached is None or cached[0] is not analysis:
            shared = self._shared
            if shared.linearisation is None:
                shared.linearisation = Linearisation(self.project)
            defaults = self.analyzer.configuration.default_permissions
            gate = role_gate(self.project, analysis, shared.linearisation, defaults)
            cached = cache[id(analysis)] = (analysis, gate)
        return cached[1]

    def queryset_scope(self, cls: ClassModel) -> str | None:
        """What limits the view class ``cls``'s objects to the requesting user's, if anything."""
        cache = self._shared.queryset_scopes
        if cls.qualname not in cache:
            cache[cls.qualname] = queryset_scope(self.project, cls)
        return cache[cls.qualname]

    def sources(self) -> SourceFunctions:
        """Definitions re-read from their files, shared by the rules (each file read once)."""
        return project_sources(self.project)

    def model_sources(self) -> ModelSources:
        """The project's model modules by text, shared by the rules (each file read once)."""
        if self._shared.model_sources is None:
            self._shared.model_sources = ModelSources(self.project.root)
        return self._shared.model_sources

    def components(self) -> tuple[tuple[str, ClassModel], ...]:
        """``(kind, class)`` of the project's middleware, auth backends and DRF auth classes."""
        if self._shared.components is None:
            self._shared.components = components(self.project, self.routes)
        return self._shared.components
