"""A staff class inside a composed permission (``IsAdminUser & DjangoModelPermissions``).

Joanie's back-office viewsets are ``permission_classes = [IsAdminUser & DjangoModelPermissions]``:
every request must pass ``IsAdminUser``, so the view is staff-only like with the class alone
(no unscoped-queryset finding). ``IsAdminUser | IsAuthenticated`` lets every signed-in user
through: still reported.
"""

from __future__ import annotations

from pathlib import Path

from tests.scan.projects import scan

FILES = {
    "app/models.py": """\
from django.conf import settings
from django.db import models


class Order(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE)
    total = models.IntegerField()
""",
    "app/serializers.py": """\
from rest_framework import serializers

from app.models import Order


class OrderSerializer(serializers.ModelSerializer):
    class Meta:
        model = Order
        fields = ["id", "total"]
""",
    "app/views.py": """\
from rest_framework import viewsets
from rest_framework.permissions import DjangoModelPermissions, IsAdminUser, IsAuthenticated

from app.models import Order
from app.serializers import OrderSerializer


class AdminOrderViewSet(viewsets.ModelViewSet):
    permission_classes = [IsAdminUser & DjangoModelPermissions]
    queryset = Order.objects.all()
    serializer_class = OrderSerializer


class EitherOrderViewSet(viewsets.ModelViewSet):
    permission_classes = [IsAdminUser | IsAuthenticated]
    queryset = Order.objects.all()
    serializer_class = OrderSerializer
""",
    "proj/urls.py": """\
from rest_framework.routers import DefaultRouter

from app import views

router = DefaultRouter()
router.register("admin-orders", views.AdminOrderViewSet, basename="admin-orders")
router.register("orders", views.EitherOrderViewSet, basename="orders")
urlpatterns = router.urls
""",
}


def test_staff_class_anded_into_the_permission_makes_the_view_staff_only(tmp_path: Path) -> None:
    result = scan(tmp_path, FILES)
    reported = {f.view.rsplit(".", 1)[-1] for f in result.findings if f.rule_id == "MG103"}
    assert reported == {"EitherOrderViewSet"}
