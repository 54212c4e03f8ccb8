from django.urls import path

from cms import hooks, views

urlpatterns = [path("", views.dashboard)]

for fn in hooks.get_hooks("register_admin_urls"):
    urls = fn()
    if urls:
        urlpatterns += urls
