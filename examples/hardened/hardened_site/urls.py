"""URLs of the hardened example (the same routes as the vulnerable one)."""

from django.urls import include, path

from bank.views import BillingView

urlpatterns = [
    path("billing/", BillingView.as_view(), name="billing"),
    path("api/", include("bank.urls")),
]
