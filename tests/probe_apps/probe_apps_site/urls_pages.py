"""The pages site at the root."""

from django.urls import include, path

urlpatterns = [path("", include("pages.urls"))]
