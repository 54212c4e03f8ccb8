import vendored_reports.urls
from django.urls import include, path

urlpatterns = [
    path("accounts/", include("django.contrib.auth.urls")),
    path("reports/", include(vendored_reports.urls)),
]
