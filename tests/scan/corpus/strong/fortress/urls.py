from django.urls import path

from keep import views

urlpatterns = [
    path("", views.index),
    path("public/", views.public_page),
    path("reports/", views.Reports.as_view()),
]
