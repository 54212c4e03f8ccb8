from django.urls import path

from plugin_b import views

urlpatterns = [path("plugin-b/", views.hidden)]
