"""MG103 on a detail route whose only actions are writes checked in ``perform_*()`` (tunnistamo).

``UserDeviceViewSet`` routes ``destroy`` alone on its detail URL and ``perform_destroy(self,
instance)`` raises ``PermissionDenied`` unless ``instance.user == self.request.user``: nobody
deletes another user's device, though the queryset is every device. The twins keep the
finding: a ``perform_destroy`` that only deletes, and the same check on a viewset that also
retrieves (the read is not checked).
"""

from __future__ import annotations

import pytest

from mtlsguard.findings.model import Severity
from tests.scan.projects import scan

MODELS = """\
from django.conf import settings
from django.db import models


class Device(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    name = models.CharField(max_length=50)
"""

VIEWS = """\
from django.core.exceptions import PermissionDenied
from rest_framework import mixins, serializers, viewsets
from rest_framework.permissions import IsAuthenticated

from app.models import Device


class DeviceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Device
        fields = ["name"]


class Checked(mixins.DestroyModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated]
    queryset = Device.objects.all()
    serializer_class = DeviceSerializer

    def perform_destroy(self, instance):
        if instance.user != self.request.user:
            raise PermissionDenied()
        instance.delete()


class Unchecked(mixins.DestroyModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated]
    queryset = Device.objects.all()
    serializer_class = DeviceSerializer

    def perform_destroy(self, instance):
        instance.delete()


class CheckedNewValue(mixins.UpdateModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated]
    queryset = Device.objects.all()
    serializer_class = DeviceSerializer

    def perform_update(self, serializer):
        if serializer.validated_data.get("user", self.request.user) != self.request.user:
            raise PermissionDenied()
        serializer.save()


class CheckedButReadable(
    mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    permission_classes = [IsAuthenticated]
    queryset = Device.objects.all()
    serializer_class = DeviceSerializer

    def perform_destroy(self, instance):
        if instance.user != self.request.user:
            raise PermissionDenied()
        instance.delete()
"""

URLS = """\
from rest_framework.routers import SimpleRouter

from app import views

router = SimpleRouter()
router.register("checked", views.Checked, basename="checked")
router.register("unchecked", views.Unchecked, basename="unchecked")
router.register("readable", views.CheckedButReadable, basename="readable")
router.register("new-value", views.CheckedNewValue, basename="new-value")
urlpatterns = router.urls
"""


@pytest.fixture(scope="module")
def reported(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    files = {"app/models.py": MODELS, "app/views.py": VIEWS, "proj/urls.py": URLS}
    result = scan(
        tmp_path_factory.mktemp("perform"),
        files,
        settings_extra='INSTALLED_APPS += ["rest_framework"]\n',
    )
    assert result.errors == ()
    return {
        (f.view or "").rsplit(".", 1)[-1]
        for f in result.findings
        if f.rule_id == "MG103" and f.severity >= Severity.MEDIUM
    }


def test_a_destroy_only_route_checked_in_perform_destroy_is_scoped(reported: set[str]) -> None:
    assert "Checked" not in reported


# red-team: perform_update testing the new value, not the current owner
@pytest.mark.parametrize("view", ["Unchecked", "CheckedButReadable", "CheckedNewValue"])
def test_unchecked_or_readable_twins_keep_the_finding(reported: set[str], view: str) -> None:
    assert view in reported
