import importlib

from django.apps import apps
from django.urls import include, path

from core import views
from core.api import router
from shared import hooks
from shared.endpoints import EndpointRouter, PageEndpoint
from shared.generic import CrudView
from shared.helpers import plugin_urls

CRUD_ACTIONS = {"list": "GET", "create": "POST", "detail": "GET", "delete": "POST"}


def schedule_urls(prefix, name_prefix=""):
    """pretalx-style: one route per (suffix, view) pair, under a prefix given by the caller."""
    prefix = prefix.rstrip("/")
    return [
        path(f"{prefix}{suffix}", view, name=f"{name_prefix}{name}")
        for suffix, view, name in [
            ("/", views.ScheduleView.as_view(), "schedule"),
            (".json", views.export, "export.json"),
            ("/export/<name>", views.export, "export"),
        ]
    ]


def crud_urls(base, view):
    return [path(f"{base}/{suffix}", view.as_view()) for suffix in ("", "new/", "<int:pk>/")]


plugin_patterns = []
for app in apps.get_app_configs():
    if hasattr(app, "PluginMeta"):
        if importlib.util.find_spec(app.name + ".urls"):
            urlmod = importlib.import_module(app.name + ".urls")
            single = []
            if hasattr(urlmod, "urlpatterns"):
                single += urlmod.urlpatterns
            if hasattr(urlmod, "event_patterns"):
                single.append(path("<event>/", include(plugin_urls(urlmod.event_patterns))))
            plugin_patterns.append(path("", include((single, app.label))))

# Wagtail-style: an object filled above (and by hooks) whose .urls the URLconf mounts
endpoints = EndpointRouter("ep")
endpoints.register_endpoint("pages", PageEndpoint)
for fn in hooks.get_hooks("construct_api"):
    fn(endpoints)

urlpatterns = [
    path("api/", include(router.urls)),
    path("ep/", endpoints.urls),
    *views.TrackView.get_urls("tracks", "tracks"),
    *views.RoomView.get_urls("rooms", "rooms", actions=("list", "delete")),
    *schedule_urls("schedule"),
    *schedule_urls("schedule/v/<version>", "versioned-"),
    *crud_urls("things", CrudView),
] + plugin_patterns
