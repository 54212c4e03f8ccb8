from django.conf import settings
from django.urls import include, path, re_path

from pages import views

URL_PREFIX = settings.URL_PREFIX
real_patterns = [
    path("", views.home),
    path("account/", views.account),
]
if not URL_PREFIX:
    urlpatterns = real_patterns
else:
    urlpatterns = [path(URL_PREFIX, include(real_patterns))]
urlpatterns += [re_path(settings.URL_PREFIX + r"^only-prefixed/$", views.home)]
