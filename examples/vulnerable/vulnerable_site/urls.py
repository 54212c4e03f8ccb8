"""URLs of the vulnerable example."""

from django.urls import include, path

from bank import auth_views
from bank.views import BillingView

urlpatterns = [
    path("billing/", BillingView.as_view(), name="billing"),
    path("api/", include("bank.urls")),
    path("accounts/login/", auth_views.login_view, name="login"),
    path("accounts/logout/", auth_views.logout_view, name="logout"),
    path("accounts/profile/", auth_views.profile, name="profile"),
]
