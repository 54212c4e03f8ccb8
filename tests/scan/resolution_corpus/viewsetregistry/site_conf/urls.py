from django.urls import include, path

from cms import urls as cms_urls

urlpatterns = [path("cms/", include(cms_urls))]
