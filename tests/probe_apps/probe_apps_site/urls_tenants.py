"""The tenants API under /api/."""

from django.urls import include, path

urlpatterns = [path("api/", include("tenants.urls"))]
