from django.urls import include, path
from rest_framework.authtoken.views import obtain_auth_token

urlpatterns = [
    path("api/", include("bank.urls")),
    path("api/token/", obtain_auth_token),  # expect: MG106
]
