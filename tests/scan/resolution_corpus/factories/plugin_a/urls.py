from django.urls import path
from rest_framework import viewsets

from core.api import router
from plugin_a import views

urlpatterns = [path("plugin-a/settings/", views.settings_view)]
event_patterns = [path("plugin-a/report/", views.report)]


class BadgeViewSet(viewsets.ModelViewSet):
    queryset = None


router.register("badges", BadgeViewSet)
