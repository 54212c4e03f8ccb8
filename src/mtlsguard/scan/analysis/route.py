"""What the protection analysis decides for one route: :class:`RouteAnalysis`.

The answer for each HTTP method is tri-state — anonymous callers refused
(``authenticated=True``), allowed (``False``) or undecidable (``None``) — plus whether the only
gate is a client-certificate header (mTLS alone) and how sure the analysis is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from mtlsguard.findings.model import Confidence, Location, Protection, Route
from mtlsguard.scan.project_model import ClassModel, FunctionModel, RouteModel

__all__ = ["RouteAnalysis", "any_open", "confidence_of"]


@dataclass(frozen=True, slots=True)
class RouteAnalysis:
    """Effective protection of one route, ready for the rules."""

    route: RouteModel
    view: str | None
    """Dotted path of the view function or class (``None`` if unresolved)."""
    view_kind: str | None
    """``function`` or ``type``."""
    location: Location | None
    function: FunctionModel | None
    """The view function, when the view is a project function."""
    klass: ClassModel | None
    """The view class, when the view is a project class."""
    framework: str
    """``django``, ``drf``, ``admin`` or ``unknown``."""
    protections: tuple[Protection, ...]
    confidence: Confidence
    cert_gate: bool = False
    """The only gate is a client-certificate header/environ check (mTLS alone)."""
    cert_evidence: str = ""
    public_by_design: bool = False
    auth_disabled: bool = False
    """DRF ``authentication_classes = []``."""
    method_actions: tuple[tuple[str, str], ...] = ()
    """(HTTP method, viewset action) pairs when the view is a viewset."""

    @classmethod
    def of_view(
        cls,
        route: RouteModel,
        view: FunctionModel | ClassModel,
        framework: str,
        protections: Sequence[Protection],
        confidence: Confidence,
        *,
        cert_gate: bool = False,
        cert_evidence: str = "",
        public_by_design: bool = False,
        auth_disabled: bool = False,
        method_actions: tuple[tuple[str, str], ...] = (),
    ) -> RouteAnalysis:
        """The analysis of a route served by a project function or class ``view``."""
        function = view if isinstance(view, FunctionModel) else None
        return cls(
            route=route,
            view=view.qualname,
            view_kind="function" if function is not None else "type",
            location=view.location,
            function=function,
            klass=view if isinstance(view, ClassModel) else None,
            framework=framework,
            protections=tuple(protections),
            confidence=confidence,
            cert_gate=cert_gate,
            cert_evidence=cert_evidence,
            public_by_design=public_by_design,
            auth_disabled=auth_disabled,
            method_actions=method_actions,
        )

    @classmethod
    def at_declaration(
        cls,
        route: RouteModel,
        framework: str,
        protection: Protection,
        confidence: Confidence,
        *,
        view: str | None = None,
        view_kind: str | None = None,
        public_by_design: bool = False,
    ) -> RouteAnalysis:
        """The analysis of a route whose view is not project code (located at the route)."""
        return cls(
            route=route,
            view=view,
            view_kind=view_kind,
            location=route.declared_at,
            function=None,
            klass=None,
            framework=framework,
            protections=(protection,),
            confidence=confidence,
            public_by_design=public_by_design,
        )

    @property
    def methods(self) -> tuple[str, ...]:
        """HTTP methods analysed."""
        return tuple(p.method for p in self.protections)

    def open_methods(self) -> tuple[str, ...]:
        """Methods an anonymous caller may use."""
        return tuple(p.method for p in self.protections if p.authenticated is False)

    def to_route(self) -> Route:
        """The public :class:`~mtlsguard.findings.model.Route` record."""
        return Route(
            pattern=self.route.pattern,
            view=self.view,
            location=self.location,
            name=self.route.name,
            methods=tuple(m for m in self.methods if m != "*"),
            protections=self.protections,
        )


def confidence_of(protections: Iterable[Protection]) -> Confidence:
    """High unless some method's protection could not be decided."""
    if any(p.authenticated is None for p in protections):
        return Confidence.LOW
    return Confidence.HIGH


def any_open(protections: Iterable[Protection]) -> bool:
    """True if an anonymous caller may use some method."""
    return any(p.authenticated is False for p in protections)
