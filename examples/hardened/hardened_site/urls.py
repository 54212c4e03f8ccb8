"""URLs of the hardened example (the same routes as the vulnerable one)."""

from django.urls import include, path

from bank import auth_views
from bank.views import BillingView

urlpatterns = [
    path("billing/", BillingView.as_view(), name="billing"),
    path("api/login/", auth_views.LoginView.as_view(), name="login"),
    path("api/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/profile/", auth_views.profile, name="profile"),
    path("api/", include("bank.urls")),
]
