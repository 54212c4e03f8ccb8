from django.urls import path

from . import views

urlpatterns = [
    path("accounts/<int:pk>/", views.AccountDetail.as_view(), name="account-detail"),
]
