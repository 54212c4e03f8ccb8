"""Two JumpServer shapes: a metadata-only shortcut and a URL list rebound around itself.

JumpServer's default DRF permission class ``RBACPermission`` answers ``True`` at once for
``raw_action in ["metadata", "OPTIONS"]`` and otherwise requires ``request.user.has_perms(...)``.
The scan read the ``OPTIONS`` shortcut as "safe methods for anyone" and reported GET routes open
(11 findings, all false): DRF's OPTIONS answers with the view's metadata, never a record. A
shortcut naming ``GET`` (the twin) still opens reads.

``perms/urls/user_permission.py`` rebinds ``user_permission_urlpatterns = [path("users/",
include(user_permission_urlpatterns)), ...]``: the ``include`` mounts the list assigned further
up. The scan followed the new binding into itself (phantom ``users/users/...`` routes) and missed
the real ones.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scan.projects import OWNED_NOTE_MODELS, protections, scan

PERMISSION = """\
from rest_framework import permissions


class RBACPermission(permissions.BasePermission):
    def has_permission(self, request, view):
        raw_action = getattr(view, "raw_action", request.method)
        if raw_action in [{shortcut}] or getattr(view, "action", None) in [{shortcut}]:
            return True
        if not request.user or request.user.is_anonymous:
            return False
        return request.user.has_perms(["app.view_note"])
"""

VIEWS = """\
from rest_framework import serializers, viewsets

from app.models import Note


class NoteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Note
        fields = ["text"]


class NoteViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Note.objects.all()
    serializer_class = NoteSerializer
"""

ROUTER = """\
from django.urls import include, path
from rest_framework.routers import SimpleRouter

from app.views import NoteViewSet

router = SimpleRouter()
router.register("notes", NoteViewSet)
urlpatterns = [path("", include(router.urls))]
"""

SETTINGS = """
INSTALLED_APPS += ["rest_framework"]
REST_FRAMEWORK = {"DEFAULT_PERMISSION_CLASSES": ["app.permissions.RBACPermission"]}
"""


@pytest.mark.parametrize(
    ("shortcut", "open_reads"),
    [('"metadata", "OPTIONS"', False), ('"GET", "OPTIONS"', True), ('"OPTIONS", "list"', True)],
)
def test_a_metadata_shortcut_opens_no_reads(
    tmp_path: Path, shortcut: str, open_reads: bool
) -> None:
    files = {
        "app/models.py": OWNED_NOTE_MODELS,
        "app/permissions.py": PERMISSION.replace("{shortcut}", shortcut),
        "app/views.py": VIEWS,
        "proj/urls.py": ROUTER,
    }
    result = scan(tmp_path, files, settings_extra=SETTINGS)
    found = protections(result, "notes/")
    assert found["GET"].authenticated is (not open_reads), found


def test_a_list_rebound_around_itself_mounts_the_earlier_list(tmp_path: Path) -> None:
    files = {
        "app/views.py": """\
            from django.contrib.auth.decorators import login_required
            from django.http import HttpResponse


            @login_required
            def granted(request, user):
                return HttpResponse(user)


            @login_required
            def group_assets(request, pk):
                return HttpResponse(str(pk))
            """,
        "app/urls.py": """\
            from django.urls import include, path

            from app import views

            user_permission_urlpatterns = [
                path("<str:user>/assets/", views.granted),
            ]

            group_urlpatterns = [
                path("<uuid:pk>/assets/", views.group_assets),
            ]

            user_permission_urlpatterns = [
                path("users/", include(user_permission_urlpatterns)),
                path("user-groups/", include(group_urlpatterns)),
            ]
            """,
        "proj/urls.py": """\
            from django.urls import include, path

            from app.urls import user_permission_urlpatterns

            urlpatterns = [path("perms/", include(user_permission_urlpatterns))]
            """,
    }
    result = scan(tmp_path, files)
    patterns = sorted(route.pattern for route in result.routes)
    assert patterns == ["perms/user-groups/<uuid:pk>/assets/", "perms/users/<str:user>/assets/"]
    assert result.unresolved == ()


def test_what_was_added_to_a_rebound_list_is_mounted_too(tmp_path: Path) -> None:
    """Red-team case: ``urlpatterns.append(c)`` before ``urlpatterns = [path("api/",
    include(urlpatterns)), b]`` serves ``api/c/`` too."""
    files = {
        "app/views.py": "from django.http import HttpResponse\n\n\n"
        "def page(request):\n    return HttpResponse('p')\n",
        "proj/urls.py": """\
            from django.urls import include, path

            from app import views

            urlpatterns = [path("a/", views.page)]
            urlpatterns.append(path("c/", views.page))
            urlpatterns = [path("api/", include(urlpatterns)), path("b/", views.page)]
            """,
    }
    result = scan(tmp_path, files)
    patterns = {route.pattern for route in result.routes}
    assert {"api/a/", "api/c/", "b/"} <= patterns
