"""MG103 and a permission class whose ``has_permission()`` checks the route's object (varfish).

varfish's ``CaseCommentsApiPermission.has_permission`` fetches ``view.get_object()`` and returns
``request.user.has_perm(perm, casecomment)`` (django-rules decide per object): the detail view
serves only objects the user may see, though its queryset is every comment. The scan looked for
the object check in ``has_object_permission()`` only (2 false findings). The twins stay
reported: a ``has_permission()`` that fetches the object but never asks about the user, and one
that lets every read through before asking, one that asks only for ``DELETE``, and one that
tests a flag of the object, not whom it belongs to.
"""

from __future__ import annotations

import pytest

from tests.scan.projects import OWNED_NOTE_MODELS, scan

VIEWS = """\
from rest_framework import generics
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated

from app.models import Note


class AsksAboutObject(BasePermission):
    def has_permission(self, request, view):
        note = view.get_object()
        return request.user.has_perm("app.change_note", note)


class FetchesOnly(BasePermission):
    def has_permission(self, request, view):
        return view.get_object() is not None


class ReadsForAll(BasePermission):
    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        return request.user.has_perm("app.change_note", view.get_object())


class OwnerMayDelete(BasePermission):
    def has_permission(self, request, view):
        if request.method == "DELETE":
            return view.get_object().owner == request.user
        return True


class NotLocked(BasePermission):
    def has_permission(self, request, view):
        if not request.user.is_authenticated:
            return False
        return view.get_object().text != "locked"


class OwnerCompared(BasePermission):
    def has_permission(self, request, view):
        return view.get_object().owner == request.user


class Checked(generics.RetrieveUpdateDestroyAPIView):
    queryset = Note.objects.all()
    permission_classes = [IsAuthenticated, AsksAboutObject]


class Fetched(generics.RetrieveUpdateDestroyAPIView):
    queryset = Note.objects.all()
    permission_classes = [IsAuthenticated, FetchesOnly]


class ReadOpen(generics.RetrieveUpdateDestroyAPIView):
    queryset = Note.objects.all()
    permission_classes = [IsAuthenticated, ReadsForAll]


class DeleteOnly(generics.RetrieveUpdateDestroyAPIView):
    queryset = Note.objects.all()
    permission_classes = [IsAuthenticated, OwnerMayDelete]


class Unlocked(generics.RetrieveUpdateDestroyAPIView):
    queryset = Note.objects.all()
    permission_classes = [IsAuthenticated, NotLocked]


class Compared(generics.RetrieveUpdateDestroyAPIView):
    queryset = Note.objects.all()
    permission_classes = [IsAuthenticated, OwnerCompared]
"""

URLS = """\
from django.urls import path

from app import views

urlpatterns = [
    path("checked/<int:pk>/", views.Checked.as_view()),
    path("fetched/<int:pk>/", views.Fetched.as_view()),
    path("read-open/<int:pk>/", views.ReadOpen.as_view()),
    path("delete-only/<int:pk>/", views.DeleteOnly.as_view()),
    path("unlocked/<int:pk>/", views.Unlocked.as_view()),
    path("compared/<int:pk>/", views.Compared.as_view()),
]
"""


@pytest.fixture(scope="module")
def mg103(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    files = {"app/models.py": OWNED_NOTE_MODELS, "app/views.py": VIEWS, "proj/urls.py": URLS}
    result = scan(tmp_path_factory.mktemp("has_permission"), files)
    assert result.errors == ()
    return {(f.view or "").rsplit(".", 1)[-1] for f in result.findings if f.rule_id == "MG103"}


@pytest.mark.parametrize(
    ("view", "reported"),
    [
        ("Checked", False),
        ("Compared", False),
        ("Fetched", True),
        ("ReadOpen", True),
        # a red-team review's cases: an owner check for DELETE only, a flag of the object
        ("DeleteOnly", True),
        ("Unlocked", True),
    ],
)
def test_an_object_check_in_has_permission(mg103: set[str], view: str, reported: bool) -> None:
    assert (view in mg103) is reported, mg103
