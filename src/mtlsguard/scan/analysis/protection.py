"""Who may call each route: the facade that hands a route to the analyser of its kind.

The Django admin requires a staff login; an unresolved view is undecidable; a project function
is a Django view or, under ``@api_view``, a DRF one; a project class is a DRF view when DRF is in
its MRO, else a Django class-based view; a view outside the project is judged by name only
(public by design, or unknown) and by the decorators the URLconf wraps it in — except
a file-serving view (``serve``, ``get_file``...) under a media/uploads/files prefix, which hands
out user uploads, not static assets.
"""

from __future__ import annotations

from mtlsguard.findings.model import Confidence, Protection
from mtlsguard.scan.analysis.configuration import ProjectConfiguration
from mtlsguard.scan.analysis.decorators import DecoratorReader
from mtlsguard.scan.analysis.django_views import DjangoViews, FunctionView
from mtlsguard.scan.analysis.drf_views import DrfViews, is_drf_class
from mtlsguard.scan.analysis.permissions import PermissionAlgebra
from mtlsguard.scan.analysis.route import RouteAnalysis
from mtlsguard.scan.knowledge import PUBLIC_VIEWS, short_of
from mtlsguard.scan.project_model import FunctionModel, ProjectModel, RouteModel

__all__ = ["ProtectionAnalyzer"]


class ProtectionAnalyzer:
    """Computes :class:`RouteAnalysis` for routes of one :class:`ProjectModel`."""

    def __init__(self, project: ProjectModel) -> None:
        self.project = project
        self.configuration = ProjectConfiguration.of(project)
        """What the settings decide for every route (middleware, DRF defaults)."""
        self.decorators = DecoratorReader(
            project,
            self.configuration.local_auth_exemptions,
            self.configuration.request_principals,
        )
        self.permissions = PermissionAlgebra(project)
        self.django = DjangoViews(project, self.configuration, self.decorators)
        self.drf = DrfViews(self.django, self.permissions)

    def analyze(self, route: RouteModel) -> RouteAnalysis:
        """Protection of ``route`` per HTTP method."""
        if route.admin:
            return self._admin(route)
        target = route.target
        if target is None:
            return _unresolved(route)
        func = self.project.function_named(target)
        cls = self.project.class_named(target)
        if func is not None:
            return self._function_view(route, func)
        if cls is not None:
            if is_drf_class(cls):
                return self.drf.class_view(route, cls)
            return self.django.class_view(route, cls)
        return self._external_view(route, target)

    def _admin(self, route: RouteModel) -> RouteAnalysis:
        """The admin site's own views, or a project view ``ModelAdmin.get_urls()`` wraps."""
        staff = Protection("*", True, "class", "Django admin: staff login required")
        func = self._admin_function(route.target) if route.target else None
        if func is not None:
            return RouteAnalysis.of_view(route, func, "admin", [staff], Confidence.HIGH)
        return RouteAnalysis.at_declaration(
            route, "admin", staff, Confidence.HIGH, view=route.target, view_kind="type"
        )

    def _admin_function(self, target: str) -> FunctionModel | None:
        """The project function or ``ModelAdmin`` method an admin route serves, if any."""
        found = self.project.function_named(target)
        if found is not None:
            return found
        owner, _, name = target.rpartition(".")
        cls = self.project.class_named(owner)
        hit = self.project.method(cls, name) if cls is not None else None
        return hit[1] if hit is not None else None

    def _function_view(self, route: RouteModel, func: FunctionModel) -> RouteAnalysis:
        effects = self.decorators.effects(route.wrappers + func.decorators)
        facts = func.facts
        cert_notes = list(effects.cert)
        if facts.cert_guard:
            cert_notes.append(f"inline check of {', '.join(facts.cert_keys)}")
        name = short_of(func.qualname)
        public = name in PUBLIC_VIEWS or "login" in name.lower() or facts.authenticates
        view = FunctionView(route, func, effects, cert_notes, public)
        if effects.api_view is not None:
            return self.drf.function_view(view)
        return self.django.function_view(view)

    def _external_view(self, route: RouteModel, target: str) -> RouteAnalysis:
        """A view outside the project (a package's): its name and the route's wrappers."""
        short = short_of(target)
        effects = self.decorators.effects(route.wrappers)
        public = short in PUBLIC_VIEWS
        uploads = short in _FILE_VIEWS and _uploads(route.pattern)
        if effects.auth:
            protection = Protection("*", True, "decorator", ", ".join(effects.auth))
        elif uploads:
            public = False
            detail = f"{short} hands out user uploads ({route.pattern}) to anyone"
            protection = Protection("*", False, "none", detail)
        elif public:
            protection = Protection("*", False, "none", f"{short} is public by design")
        else:
            protection = Protection("*", None, "none", f"external view {target}")
        return RouteAnalysis.at_declaration(
            route,
            "unknown",
            protection,
            Confidence.MEDIUM if uploads else Confidence.LOW,
            view=target,
            view_kind=route.kind,
            public_by_design=public,
        )


def _unresolved(route: RouteModel) -> RouteAnalysis:
    unknown = Protection("*", None, "none", "view could not be resolved")
    return RouteAnalysis.at_declaration(route, "unknown", unknown, Confidence.LOW)


_FILE_VIEWS = frozenset({"serve", "get_file", "download_file", "serve_file", "sendfile"})
"""Package views that hand out stored files by name (``django.views.static.serve``,
django-db-file-storage's ``get_file``)."""
_UPLOAD_WORDS = ("media", "upload", "attachment", "document", "private", "protected", "file")


def _uploads(pattern: str) -> bool:
    """A ``serve`` route under a media/uploads prefix: ``MEDIA_ROOT``, not static assets.

    ``django.views.static.serve`` of ``STATIC_ROOT`` is public by design; of ``MEDIA_ROOT``
    it serves every user's uploaded files to any caller who guesses or is sent a path.
    """
    prefix = pattern.lower().split("(?p<", 1)[0].split("<", 1)[0]
    return any(word in prefix for word in _UPLOAD_WORDS)
