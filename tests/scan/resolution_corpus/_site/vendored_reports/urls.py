from django.urls import path

from vendored_reports import views

urlpatterns = [
    path("daily/", views.daily, name="daily"),
    path("export/", views.ExportView.as_view(), name="export"),
]
