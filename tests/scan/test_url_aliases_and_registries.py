"""URL helpers known by what they are, not by their local name (respa, Amsterdam Signals).

respa's ``respa_admin/urls.py`` imports its own helper as ``url`` (``from .auth import admin_url
as url``: ``url(pattern, admin_login_required(view), name=name)``) and Django's as
``unauthorized_url``. The scan went by the local name: it took every admin route for a bare
``url()`` (the login wrapper lost, 2 false MG101) and the sign-in routes for an unknown call.
Each name now stands for what it imports; a project helper returning one pattern is one item.

Amsterdam Signals builds its API router from two others,
``base_router.registry.extend(private_router.registry)``, and keeps what ``register()`` returns
(``private_signals = private_router.register(...)``): the whole private API went unscanned.
"""

from __future__ import annotations

from pathlib import Path

from tests.scan.projects import OWNED_NOTE_MODELS, protections, scan

HELPERS = {
    "app/models.py": OWNED_NOTE_MODELS,
    "app/auth.py": """\
        from django.contrib.auth.decorators import user_passes_test
        from django.urls import re_path


        def admin_url(pattern, view, name):
            return re_path(pattern, admin_login_required(view), name=name)


        def admin_login_required(function):
            decorator = user_passes_test(is_allowed_user, login_url="login")
            return decorator(function)


        def is_allowed_user(user):
            if not user or not user.is_authenticated:
                return False
            return user.is_staff
        """,
    "app/views.py": """\
        from django.http import HttpResponse

        from app.models import Note


        def notes(request):
            return HttpResponse(", ".join(n.text for n in Note.objects.all()))


        def login(request):
            return HttpResponse("form")
        """,
    "proj/urls.py": """\
        from django.urls import re_path as unauthorized_url

        from app import views
        from app.auth import admin_url as re_path

        urlpatterns = [
            re_path(r"^notes/$", views.notes, name="notes"),
            unauthorized_url(r"^login/$", views.login, name="login"),
        ]
        """,
}


def test_a_project_helper_imported_as_re_path_keeps_its_login_wrapper(tmp_path: Path) -> None:
    result = scan(tmp_path, HELPERS)
    assert result.unresolved == ()
    notes = protections(result, "^notes/$")
    assert all(p.authenticated is True for p in notes.values()), notes
    assert "admin_login_required" in next(iter(notes.values())).detail
    login = protections(result, "^login/$")
    assert all(p.authenticated is False for p in login.values())


REGISTRIES = {
    "app/models.py": OWNED_NOTE_MODELS,
    "app/views.py": """\
        from rest_framework import permissions, serializers, viewsets

        from app.models import Note


        class NoteSerializer(serializers.ModelSerializer):
            class Meta:
                model = Note
                fields = ["text"]


        class PublicNotes(viewsets.ReadOnlyModelViewSet):
            queryset = Note.objects.none()
            serializer_class = NoteSerializer


        class PrivateNotes(viewsets.ModelViewSet):
            queryset = Note.objects.all()
            serializer_class = NoteSerializer
            permission_classes = [permissions.IsAuthenticated]
        """,
    "proj/urls.py": """\
        from django.urls import include, path
        from rest_framework.routers import DefaultRouter

        from app.views import PrivateNotes, PublicNotes

        public_router = DefaultRouter()
        public_router.register(r"public/notes", PublicNotes, basename="public-notes")

        private_router = DefaultRouter()
        private_notes = private_router.register(r"private/notes", PrivateNotes, basename="notes")

        base_router = DefaultRouter()
        base_router.registry.extend(public_router.registry)
        base_router.registry.extend(private_router.registry)

        urlpatterns = [path("v1/", include(base_router.urls))]
        """,
}


def test_a_router_that_takes_over_other_registries_serves_their_viewsets(tmp_path: Path) -> None:
    result = scan(tmp_path, REGISTRIES, settings_extra='INSTALLED_APPS += ["rest_framework"]\n')
    assert result.unresolved == ()
    patterns = {route.pattern for route in result.routes}
    assert {"v1/public/notes/", "v1/private/notes/", "v1/private/notes/<pk>/"} <= patterns
    assert protections(result, "v1/private/notes/<pk>/")["DELETE"].authenticated is True


def test_a_copied_url_list_serves_the_same_routes(tmp_path: Path) -> None:
    """edX registrar: ``api/v2/urls.py`` is ``urlpatterns = v1_urlpatterns.copy()``."""
    files = {
        "app/views.py": "from django.http import HttpResponse\n\n\n"
        "def programs(request):\n    return HttpResponse('p')\n",
        "app/v1.py": "from django.urls import path\n\nfrom app import views\n\n"
        "urlpatterns = [path('programs/', views.programs)]\n",
        "app/v2.py": "from app.v1 import urlpatterns as v1_urlpatterns\n\n"
        "urlpatterns = v1_urlpatterns.copy()\n",
        "proj/urls.py": "from django.urls import include, path\n\n"
        "urlpatterns = [path('v1/', include('app.v1')), path('v2/', include('app.v2'))]\n",
    }
    result = scan(tmp_path, files)
    assert result.unresolved == ()
    assert sorted(route.pattern for route in result.routes) == ["v1/programs/", "v2/programs/"]
