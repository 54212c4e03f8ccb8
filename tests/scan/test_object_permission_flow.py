"""MG101 and a permission class that only overrides ``has_object_permission`` (set B, M).

HyperKitty's ``IsMailingListPublicOrIsMember`` lets every request through ``has_permission``
but refuses private lists to non-members in ``has_object_permission``. DRF's own
``get_object()`` runs that check on every object a detail route serves, so the detail view is no
"allows all" finding (info, public objects by design); the same class in
``DEFAULT_PERMISSION_CLASSES`` covers a viewset's detail routes. A list never runs it, and a
``get_object()`` override that fetches the object itself never does either: both keep their
finding. The override, a fetch of a user's record by the caller's key, stays high with the
reason; a list only reads, weak evidence: low with low confidence, saying why it would be high.
"""

from __future__ import annotations

from pathlib import Path

from mtlsguard.findings.model import Finding, Severity
from tests.scan.projects import scan, weak_reason

MODELS = """\
from django.db import models
from django.conf import settings

class Group(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    private = models.BooleanField(default=False)
"""

PERMISSIONS = """\
from rest_framework import permissions

class PublicOrMember(permissions.BasePermission):
    def has_object_permission(self, request, view, obj):
        return not obj.private or obj.owner == request.user
"""

VIEWS = """\
from django.shortcuts import get_object_or_404
from rest_framework import generics, mixins, viewsets
from app.models import Group
from app.permissions import PublicOrMember


class GroupDetail(generics.RetrieveAPIView):
    queryset = Group.objects.all()
    permission_classes = [PublicOrMember]


class GroupDetailOwnFetch(generics.RetrieveAPIView):
    permission_classes = [PublicOrMember]

    def get_object(self):
        return get_object_or_404(Group, pk=self.kwargs["pk"])


class GroupDetailOwnFetchChecked(generics.RetrieveAPIView):
    permission_classes = [PublicOrMember]

    def get_object(self):
        group = get_object_or_404(Group, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, group)
        return group


class GroupList(generics.ListAPIView):
    queryset = Group.objects.all()
    permission_classes = [PublicOrMember]


class GroupViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Group.objects.all()


class GroupRetrieveViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Group.objects.all()
"""

URLS = """\
from django.urls import path
from rest_framework.routers import SimpleRouter
from app import views

router = SimpleRouter()
router.register("vs", views.GroupViewSet, basename="vs")
router.register("rv", views.GroupRetrieveViewSet, basename="rv")
urlpatterns = [
    path("a/<int:pk>/", views.GroupDetail.as_view()),
    path("b/<int:pk>/", views.GroupDetailOwnFetch.as_view()),
    path("c/<int:pk>/", views.GroupDetailOwnFetchChecked.as_view()),
    path("d/", views.GroupList.as_view()),
] + router.urls
"""

DEFAULTS = """\
REST_FRAMEWORK = {"DEFAULT_PERMISSION_CLASSES": ["app.permissions.PublicOrMember"]}
"""


def _mg101(tmp_path: Path) -> dict[str, Finding]:
    result = scan(
        tmp_path,
        {
            "app/models.py": MODELS,
            "app/permissions.py": PERMISSIONS,
            "app/views.py": VIEWS,
            "proj/urls.py": URLS,
        },
        settings_extra=DEFAULTS,
    )
    return {
        f"{(f.view or '').rsplit('.', 1)[-1]} {f.route}": f
        for f in result.findings
        if f.rule_id == "MG101"
    }


def test_object_check_run_by_get_object_decides(tmp_path: Path) -> None:
    found = _mg101(tmp_path)
    detail = found["GroupDetail a/<int:pk>/"]
    assert detail.severity is Severity.INFO
    assert "does not override has_permission (allows all)" not in detail.evidence
    assert "PublicOrMember lets every request through has_permission" in detail.evidence
    assert "get_object() runs PublicOrMember.has_object_permission" in detail.evidence
    # An override that calls check_object_permissions() keeps the check.
    assert found["GroupDetailOwnFetchChecked c/<int:pk>/"].severity is Severity.INFO


def test_default_permission_classes_cover_viewset_detail_routes(tmp_path: Path) -> None:
    found = _mg101(tmp_path)
    detail = found["GroupRetrieveViewSet rv/<pk>/"]
    assert detail.severity is Severity.INFO
    assert "get_object() runs PublicOrMember.has_object_permission" in detail.evidence
    # The list route never runs the object check: the viewset keeps its finding (the list
    # only reads the owners' groups: weak evidence, low with low confidence).
    listed = found["GroupViewSet vs/"]
    assert weak_reason(listed) == _READS_GROUPS
    assert "has_object_permission" not in listed.evidence
    assert listed.also_routes == ("vs/<pk>/",)


_READS_GROUPS = "it reads Group, whose records belong to a user or account (owner)"


def test_lists_keep_their_finding_and_own_fetches_stay_high(tmp_path: Path) -> None:
    found = _mg101(tmp_path)
    listed = found["GroupList d/"]
    assert weak_reason(listed) == _READS_GROUPS
    assert "has_object_permission" not in listed.evidence
    own = found["GroupDetailOwnFetch b/<int:pk>/"]
    assert own.severity is Severity.HIGH
    assert "PublicOrMember.has_object_permission never runs" in own.evidence
    assert "GroupDetailOwnFetch.get_object() fetches the object itself" in own.evidence
