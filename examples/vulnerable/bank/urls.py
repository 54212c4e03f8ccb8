"""API URLs."""

from django.urls import path

from . import views

urlpatterns = [
    path("accounts/", views.AccountList.as_view(), name="account-list"),
    path("accounts/<int:pk>/", views.AccountDetail.as_view(), name="account-detail"),
]
