from django.contrib import admin
from django.urls import include, path

from cms import urls as cms_urls

urlpatterns = [
    path("admin/", admin.site.urls),
    path("cms/", include(cms_urls)),
]
