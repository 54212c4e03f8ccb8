"""URLs of the vulnerable example."""

from django.urls import include, path

from bank.views import BillingView

urlpatterns = [
    path("billing/", BillingView.as_view(), name="billing"),
    path("api/", include("bank.urls")),
]
