from django.urls import include, path

from inventory import routers, views

ui = routers.UIRouter()
ui.register("devices", views.DeviceUIViewSet)
child = routers.ChildUIRouter()
child.register("racks", views.DeviceUIViewSet)
extended = routers.ExtendedRouter(trailing_slash=False)
extended.register("reports", views.ReportViewSet)
api = routers.CustomRootRouter()
api.register("devices", views.DeviceUIViewSet)
trimming = routers.TrimmingRouter()
trimming.register("trimmed", views.ReportViewSet)
computed = routers.ComputedRouter()
computed.register("computed", views.ReportViewSet)
overriding = routers.OverridingRouter()
overriding.register("overriding", views.ReportViewSet)

urlpatterns = [
    path("ui/", include(ui.urls)),
    path("child/", include(child.urls)),
    path("x/", include(extended.urls)),
    path("api/", include(api.urls)),
    path("computed/", include(computed.urls)),
    path("t/", include(trimming.urls)),
    path("o/", include(overriding.urls)),
]
