from django.contrib.auth.decorators import login_required
from django.urls import path

from desk import admin_urls, extra_urls, views
from desk.helpers import decorate_urlpatterns
from desk.legacy_urls import legacy_patterns

urlpatterns = [path("home/", views.home)]
urlpatterns += legacy_patterns
urlpatterns = urlpatterns + admin_urls.urlpatterns
urlpatterns.extend(extra_urls.patterns)
urlpatterns += [path("feed/", views.LatestFeed())]
urlpatterns = decorate_urlpatterns(urlpatterns, login_required)
