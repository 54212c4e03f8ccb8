from django.urls import path

from desk import views

patterns = [path("extra/", views.ReportView().as_view(template_name="x.html"))]
