from django.urls import path

from desk import views

legacy_patterns = [path("legacy/", views.legacy)]
