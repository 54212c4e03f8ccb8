from django.urls import path

from cms import hooks, views
from cms.auth import require_admin_access
from cms.utils import decorate_urlpatterns

urlpatterns = [path("", views.dashboard)]

for fn in hooks.get_hooks("register_admin_urls"):
    urls = fn()
    if urls:
        urlpatterns += urls

urlpatterns = decorate_urlpatterns(urlpatterns, require_admin_access)

urlpatterns += [path("login/", views.login)]
