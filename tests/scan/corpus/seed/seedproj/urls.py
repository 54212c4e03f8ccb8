from django.urls import include, path

from billing.views import BillingView

urlpatterns = [
    path("billing/", BillingView.as_view(), name="billing"),
    path("api/", include("accounts.urls")),
]
