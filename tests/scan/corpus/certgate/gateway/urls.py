from django.contrib import admin
from django.urls import path

from ledger import views

urlpatterns = [
    path("admin/", admin.site.urls),  # expect: -
    path("ledger/", views.ledger),
    path("entries/<int:pk>/", views.EntryView.as_view()),
    path("me/", views.me),
]
