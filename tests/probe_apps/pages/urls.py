"""Routes of the pages site."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.home),
    path("help/", views.help_page),
    path("profile/", views.profile),
    path("profile/view/", views.profile_view),
    path("notes/", views.notes),
    path("notes/<int:pk>/", views.note_detail),
    path("directory/", views.directory),
]
